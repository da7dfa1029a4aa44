// SELECT: lock every table read, run the query, then wait until what it saw
// is durable.
#include "cerebellum/executor/executor.h"
#include "cerebellum/executor/query_runner.h"
#include "cerebellum/executor/statement_locks.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;

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
