// INSERT ... VALUES: evaluate every row, then commit them as one change.
#include "cerebellum/executor/evaluator.h"
#include "cerebellum/executor/executor.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Row;

Result<StatementResult> ExecuteInsert(BoundInsert& s, cerebrum::Database&) {
  std::vector<cerebrum::Change> changes;
  changes.reserve(s.rows.size());
  Evaluator evaluator;
  Row empty;
  for (const auto& exprs : s.rows) {
    cerebrum::Change change;
    change.kind = cerebrum::Change::Kind::kInsert;
    change.row.reserve(exprs.size());
    for (const BoundExprPtr& e : exprs) change.row.push_back(evaluator.Evaluate(*e, empty));
    KOPF_RETURN_IF_ERROR(evaluator.status());
    changes.push_back(std::move(change));
  }
  KOPF_ASSIGN_OR_RETURN(uint64_t count, s.table->Commit(s.table->LockExclusive(), std::move(changes)));
  StatementResult result;
  result.tag = "INSERT";
  result.count = count;
  return result;
}

}  // namespace kopf::cerebellum
