// SELECT: scan along the access path, filter, project, then DISTINCT,
// ORDER BY and LIMIT/OFFSET.
#include <algorithm>
#include <set>

#include "cerebellum/executor/evaluator.h"
#include "cerebellum/executor/executor.h"
#include "cerebellum/executor/scan.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Row;
using protocol::Value;

namespace {

struct OutputRow {
  Row values;
  Row sort_keys;  // one per ORDER BY item that is an expression
};

bool RowLess(const Row& a, const Row& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    auto c = protocol::Compare(a[i], b[i]);
    if (c != 0) return c < 0;
  }
  return false;
}

}  // namespace

Result<StatementResult> ExecuteSelect(BoundSelect& s, cerebrum::Database& db) {
  StatementResult result;
  result.tag = "SELECT";
  result.columns = s.columns;

  std::vector<OutputRow> rows;
  Evaluator evaluator;
  const bool ordered = !s.order_by.empty();
  // Without ORDER BY or DISTINCT the scan can stop once LIMIT is reached.
  const bool early_stop = !ordered && !s.distinct && s.limit.has_value();
  const uint64_t wanted = early_stop ? s.offset + *s.limit : 0;

  auto emit = [&](const Row& source) {
    if (s.where && !evaluator.IsTrue(*s.where, source)) return evaluator.status().ok();
    OutputRow out;
    out.values.reserve(s.outputs.size());
    for (const BoundExprPtr& e : s.outputs) out.values.push_back(evaluator.Evaluate(*e, source));
    for (const BoundOrderItem& item : s.order_by) {
      if (item.expr) out.sort_keys.push_back(evaluator.Evaluate(*item.expr, source));
    }
    rows.push_back(std::move(out));
    if (!evaluator.status().ok()) return false;
    return !(early_stop && rows.size() >= wanted);
  };

  if (s.table) {
    auto lock = s.table->LockShared();
    ScanRows(*s.table, s.access, [&](const cerebrum::Key&, const Row& row) { return emit(row); });
  } else {
    emit(Row{});
  }
  KOPF_RETURN_IF_ERROR(evaluator.status());

  if (s.distinct) {
    std::set<Row, decltype(&RowLess)> seen(&RowLess);
    std::vector<OutputRow> unique;
    for (OutputRow& r : rows) {
      if (seen.insert(r.values).second) unique.push_back(std::move(r));
    }
    rows = std::move(unique);
  }

  if (ordered) {
    auto less = [&](const OutputRow& a, const OutputRow& b) {
      size_t key = 0;
      for (const BoundOrderItem& item : s.order_by) {
        const Value& x = item.output_column ? a.values[*item.output_column] : a.sort_keys[key];
        const Value& y = item.output_column ? b.values[*item.output_column] : b.sort_keys[key];
        if (!item.output_column) ++key;
        if (x.is_null() != y.is_null()) return x.is_null() == item.nulls_first;
        auto c = protocol::Compare(x, y);
        if (c != 0) return item.descending ? c > 0 : c < 0;
      }
      return false;
    };
    if (s.limit && s.offset + *s.limit < rows.size()) {
      // Only the first offset+limit rows matter: a partial sort, stable by
      // breaking ties on the scan order.
      std::vector<size_t> order(rows.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      auto k = static_cast<std::ptrdiff_t>(s.offset + *s.limit);
      std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](size_t a, size_t b) {
        if (less(rows[a], rows[b])) return true;
        if (less(rows[b], rows[a])) return false;
        return a < b;
      });
      std::vector<OutputRow> top;
      top.reserve(static_cast<size_t>(k));
      for (std::ptrdiff_t i = 0; i < k; ++i) top.push_back(std::move(rows[order[static_cast<size_t>(i)]]));
      rows = std::move(top);
    } else {
      std::stable_sort(rows.begin(), rows.end(), less);
    }
  }

  size_t begin = std::min<uint64_t>(s.offset, rows.size());
  size_t end = s.limit ? std::min<uint64_t>(begin + *s.limit, rows.size()) : rows.size();
  result.rows.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) result.rows.push_back(std::move(rows[i].values));
  result.count = result.rows.size();
  // Never report a row that a crash could still take back.
  KOPF_RETURN_IF_ERROR(db.WaitForVisibleWrites());
  return result;
}

}  // namespace kopf::cerebellum
