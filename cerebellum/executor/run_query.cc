// RunQuery: one query from its source rows to its result rows.
#include <algorithm>
#include <set>

#include "cerebellum/executor/cancel.h"
#include "cerebellum/executor/evaluator.h"
#include "cerebellum/executor/query_runner.h"
#include "cerebellum/executor/sorter.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Row;
using protocol::RowLess;
using protocol::Value;

namespace {

struct OutputRow {
  Row values;
  Row sort_keys;  // one per ORDER BY item that is an expression
};

// The rows of one SELECT core: projected, with their sort keys.
Result<std::vector<OutputRow>> RunCore(const BoundSelect& q, ExecContext& context,
                                       bool with_sort_keys) {
  KOPF_ASSIGN_OR_RETURN(std::vector<Row> rows, SourceRows(q, context));
  if (q.aggregate) {
    KOPF_ASSIGN_OR_RETURN(rows, AggregateRows(q, std::move(rows), context));
  }
  Evaluator ev(&context);
  std::vector<OutputRow> out;
  out.reserve(rows.size());
  size_t done = 0;
  for (const Row& row : rows) {
    if (CancelledEvery(++done)) return CancelledStatus();
    OutputRow o;
    o.values.reserve(q.outputs.size());
    for (const BoundExprPtr& e : q.outputs) o.values.push_back(ev.Evaluate(*e, row));
    if (with_sort_keys) {
      for (const BoundOrderItem& item : q.order_by) {
        if (item.expr) o.sort_keys.push_back(ev.Evaluate(*item.expr, row));
      }
    }
    out.push_back(std::move(o));
  }
  KOPF_RETURN_IF_ERROR(ev.status());
  if (q.distinct) {
    std::set<Row, RowLess> seen;
    std::vector<OutputRow> unique;
    for (OutputRow& r : out) {
      if (seen.insert(r.values).second) unique.push_back(std::move(r));
    }
    out = std::move(unique);
  }
  return out;
}

// Applies a set operator; the result is distinct except for UNION ALL.
std::vector<OutputRow> Combine(std::vector<OutputRow> left, std::vector<OutputRow> right,
                               ast::SetOperator op) {
  if (op == ast::SetOperator::kUnionAll) {
    for (OutputRow& r : right) left.push_back(std::move(r));
    return left;
  }
  std::set<Row, RowLess> right_set;
  for (const OutputRow& r : right) right_set.insert(r.values);
  std::set<Row, RowLess> seen;
  std::vector<OutputRow> out;
  auto emit = [&](OutputRow& r) {
    if (seen.insert(r.values).second) out.push_back(std::move(r));
  };
  for (OutputRow& r : left) {
    bool in_right = right_set.count(r.values) > 0;
    if (op == ast::SetOperator::kUnion || (op == ast::SetOperator::kIntersect && in_right) ||
        (op == ast::SetOperator::kExcept && !in_right)) {
      emit(r);
    }
  }
  if (op == ast::SetOperator::kUnion) {
    for (OutputRow& r : right) emit(r);
  }
  // SQLite returns compound results in sorted order.
  std::sort(out.begin(), out.end(),
            [](const OutputRow& a, const OutputRow& b) { return RowLess()(a.values, b.values); });
  return out;
}

}  // namespace

Result<std::vector<Row>> RunQuery(const BoundSelect& q, ExecContext& context) {
  const bool ordered = !q.order_by.empty();
  KOPF_ASSIGN_OR_RETURN(std::vector<OutputRow> rows, RunCore(q, context, ordered));
  for (const auto& part : q.compound) {
    KOPF_ASSIGN_OR_RETURN(std::vector<OutputRow> more, RunCore(*part.select, context, false));
    rows = Combine(std::move(rows), std::move(more), part.op);
  }

  if (ordered) {
    // Every ORDER BY value goes into sort_keys, in ORDER BY order, so the
    // sorter sees one key row per output row (see sorter.h for how it picks
    // radix, merge or insertion sort, and the top-k heap for LIMIT).
    std::vector<SortKey> keys;
    for (const BoundOrderItem& item : q.order_by) keys.push_back({item.descending, item.nulls_first});
    for (OutputRow& row : rows) {
      protocol::Row all;
      all.reserve(q.order_by.size());
      size_t key = 0;
      for (const BoundOrderItem& item : q.order_by) {
        all.push_back(item.output_column ? row.values[*item.output_column]
                                         : std::move(row.sort_keys[key++]));
      }
      row.sort_keys = std::move(all);
    }
    if (Cancelled()) return CancelledStatus();
    // The sort asks Cancelled() every few thousand rows and gives up.
    bool sorted = q.limit && q.offset + *q.limit < rows.size()
                      ? TopK(rows, keys, q.offset + *q.limit, &OutputRow::sort_keys, &Cancelled)
                      : SortRows(rows, keys, &OutputRow::sort_keys, &Cancelled);
    if (!sorted || Cancelled()) return CancelledStatus();
  }

  size_t begin = std::min<uint64_t>(q.offset, rows.size());
  size_t end = q.limit ? std::min<uint64_t>(begin + *q.limit, rows.size()) : rows.size();
  std::vector<Row> result;
  result.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) result.push_back(std::move(rows[i].values));
  return result;
}

}  // namespace kopf::cerebellum
