// AggregateRows: GROUP BY and aggregate functions, as SQLite computes them.
//
//   count(*)  rows            count(x)  non-NULL values
//   sum(x)    INTEGER while every value is an integer (overflow is an
//             error), else DOUBLE; NULL over no values
//   total(x)  DOUBLE, 0.0 over no values
//   avg(x)    DOUBLE, NULL over no values
//   min/max   the least/greatest non-NULL value in Compare() order
//   group_concat(x [, sep])  non-NULL values as text joined by sep (",")
// DISTINCT feeds each distinct non-NULL value once.
//
// Groups come out in group-key order. Without GROUP BY there is exactly one
// group, even over no rows. The extended row of a group is a representative
// source row (the last one, or the one holding the value of a lone min() or
// max(), as SQLite does for bare columns) followed by the aggregate values.
#include <cstdlib>
#include <map>
#include <set>

#include "cerebellum/executor/cancel.h"
#include "cerebellum/executor/evaluator.h"
#include "cerebellum/executor/query_runner.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Row;
using protocol::RowLess;
using protocol::Status;
using protocol::Type;
using protocol::Value;
using protocol::ValueLess;

namespace {

struct Accumulator {
  int64_t count = 0;
  int64_t int_sum = 0;
  double double_sum = 0;
  bool all_integers = true;
  bool overflow = false;
  Value extreme;
  std::string text;
  std::set<Value, ValueLess> seen;
};

struct Group {
  Row representative;
  std::vector<Accumulator> accumulators;
};

}  // namespace

Result<std::vector<Row>> AggregateRows(const BoundSelect& q, std::vector<Row> rows,
                                       ExecContext& context) {
  using F = BoundAggregate::Function;
  Evaluator ev(&context);
  const size_t n = q.aggregates.size();
  // A lone min()/max() picks the representative row, as in SQLite.
  std::optional<size_t> extreme_picker;
  for (size_t i = 0; i < n; ++i) {
    F f = q.aggregates[i].function;
    if (f == F::kMin || f == F::kMax) {
      extreme_picker = extreme_picker ? std::optional<size_t>() : std::optional<size_t>(i);
      if (!extreme_picker) break;
    }
  }

  std::map<Row, Group, RowLess> groups;
  size_t done = 0;
  for (Row& row : rows) {
    if (CancelledEvery(++done)) return CancelledStatus();
    Row key;
    key.reserve(q.group_by.size());
    for (const BoundExprPtr& g : q.group_by) key.push_back(ev.Evaluate(*g, row));
    Group& group = groups[std::move(key)];
    if (group.accumulators.empty()) group.accumulators.resize(n);
    bool take_row = !extreme_picker;
    for (size_t i = 0; i < n; ++i) {
      const BoundAggregate& agg = q.aggregates[i];
      Accumulator& acc = group.accumulators[i];
      if (agg.function == F::kCountStar) {
        ++acc.count;
        continue;
      }
      Value v = ev.Evaluate(*agg.arg, row);
      if (v.is_null()) continue;
      if (agg.distinct && !acc.seen.insert(v).second) continue;
      ++acc.count;
      switch (agg.function) {
        case F::kCount:
        case F::kCountStar: break;
        case F::kSum:
        case F::kTotal:
        case F::kAvg:
          if (v.type() == Type::kText) {
            // SQLite reads text as its numeric prefix (0 when none); the sum
            // is then a DOUBLE.
            acc.all_integers = false;
            acc.double_sum += std::strtod(v.as_text().c_str(), nullptr);
          } else if (v.type() == Type::kDouble) {
            acc.all_integers = false;
            acc.double_sum += v.as_double();
          } else {
            int64_t x = v.type() == Type::kBoolean ? v.as_boolean() : v.as_integer();
            acc.double_sum += static_cast<double>(x);
            if (!acc.overflow && __builtin_add_overflow(acc.int_sum, x, &acc.int_sum)) {
              acc.overflow = true;
            }
          }
          break;
        case F::kMin:
        case F::kMax: {
          bool better = acc.count == 1;
          if (!better) {
            auto c = protocol::Compare(v, acc.extreme);
            better = agg.function == F::kMin ? c < 0 : c > 0;
          }
          if (better) {
            acc.extreme = v;
            if (extreme_picker == i) take_row = true;
          }
          break;
        }
        case F::kGroupConcat:
          if (acc.count > 1) acc.text += agg.separator;
          acc.text += v.ToString();
          break;
      }
    }
    if (take_row || group.representative.empty()) group.representative = row;
    if (!ev.status().ok()) return ev.status();
  }
  if (groups.empty() && q.group_by.empty()) {
    Group& group = groups[Row{}];
    group.accumulators.resize(n);
    group.representative = Row(q.width);
  }

  std::vector<Row> out;
  out.reserve(groups.size());
  for (auto& [key, group] : groups) {
    Row row = std::move(group.representative);
    row.resize(q.width);
    for (size_t i = 0; i < n; ++i) {
      const BoundAggregate& agg = q.aggregates[i];
      const Accumulator& acc = group.accumulators[i];
      switch (agg.function) {
        case F::kCount:
        case F::kCountStar: row.push_back(Value::Integer(acc.count)); break;
        case F::kSum:
          if (acc.count == 0) {
            row.push_back(Value());
          } else if (acc.all_integers) {
            if (acc.overflow) return Status::InvalidValue("integer overflow in sum()");
            row.push_back(Value::Integer(acc.int_sum));
          } else {
            row.push_back(Value::Double(acc.double_sum));
          }
          break;
        case F::kTotal: row.push_back(Value::Double(acc.double_sum)); break;
        case F::kAvg:
          row.push_back(acc.count == 0 ? Value()
                                       : Value::Double(acc.double_sum /
                                                       static_cast<double>(acc.count)));
          break;
        case F::kMin:
        case F::kMax: row.push_back(acc.count == 0 ? Value() : acc.extreme); break;
        case F::kGroupConcat: row.push_back(acc.count == 0 ? Value() : Value::Text(acc.text)); break;
      }
    }
    if (q.having && !ev.IsTrue(*q.having, row)) continue;
    out.push_back(std::move(row));
  }
  KOPF_RETURN_IF_ERROR(ev.status());
  return out;
}

}  // namespace kopf::cerebellum
