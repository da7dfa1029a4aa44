// SELECT: lock every table read, run the query, then wait until what it saw
// is durable.
#include "cerebellum/executor/executor.h"
#include "cerebellum/executor/query_runner.h"
#include "cerebellum/executor/statement_locks.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;

std::optional<Result<StatementResult>> ExecuteQueryWithoutWaiting(BoundQuery& q,
                                                                  cerebrum::Database& db) {
  if (q.reads.size() != 1) return std::nullopt;
  cerebrum::Table::SharedLock lock = q.reads.front()->TryLockShared();
  // Holding the table's lock, no write to it can become visible; so if
  // every visible write is durable now, so is everything this read sees.
  if (!lock.owns_lock() || !db.VisibleWritesAreDurable()) return std::nullopt;
  StatementResult result;
  result.tag = "SELECT";
  result.columns = q.select->columns;
  ExecContext context(&db);
  Result<std::vector<protocol::Row>> rows = RunQuery(*q.select, context);
  if (!rows.ok()) return Result<StatementResult>(rows.status());
  result.rows = std::move(rows).value();
  result.count = result.rows.size();
  return Result<StatementResult>(std::move(result));
}

Result<StatementResult> ExecuteQuery(BoundQuery& q, cerebrum::Database& db) {
  StatementResult result;
  result.tag = "SELECT";
  result.columns = q.select->columns;
  {
    StatementLocks locks(q.reads, nullptr);
    ExecContext context(&db);
    KOPF_ASSIGN_OR_RETURN(result.rows, RunQuery(*q.select, context));
  }
  result.count = result.rows.size();
  // Never report a row that a crash could still take back.
  KOPF_RETURN_IF_ERROR(db.WaitForVisibleWrites());
  return result;
}

}  // namespace kopf::cerebellum
