// UPDATE: under the table's exclusive lock, find the rows, compute their new
// images, and commit them as one change.
#include "cerebellum/executor/evaluator.h"
#include "cerebellum/executor/executor.h"
#include "cerebellum/executor/exec_context.h"
#include "cerebellum/executor/scan.h"
#include "cerebellum/executor/statement_locks.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Row;

Result<StatementResult> ExecuteUpdate(BoundUpdate& s, cerebrum::Database& db) {
  StatementLocks locks(s.reads, s.table.get());
  ExecContext context(&db);
  std::vector<cerebrum::Change> changes;
  Evaluator evaluator(&context);
  ScanRows(*s.table, s.access, [&](const cerebrum::Key& key, const Row& row) {
    if (s.where && !evaluator.IsTrue(*s.where, row)) return evaluator.status().ok();
    cerebrum::Change change;
    change.kind = cerebrum::Change::Kind::kUpdate;
    change.key = key;
    change.row = row;
    // Every assignment reads the old row, as SQL requires (SET a = b, b = a swaps).
    for (const auto& [column, expr] : s.assignments) {
      change.row[column] = evaluator.Evaluate(*expr, row);
    }
    changes.push_back(std::move(change));
    return evaluator.status().ok();
  });
  KOPF_RETURN_IF_ERROR(evaluator.status());
  KOPF_ASSIGN_OR_RETURN(uint64_t count, s.table->Commit(locks.TakeExclusive(), std::move(changes)));
  StatementResult result;
  result.tag = "UPDATE";
  result.count = count;
  return result;
}

}  // namespace kopf::cerebellum
