// CREATE TABLE and DROP TABLE.
#include "cerebellum/executor/executor.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::ErrorCode;
using protocol::Result;

Result<StatementResult> ExecuteCreateTable(BoundCreateTable& s, cerebrum::Database& db) {
  StatementResult result;
  result.tag = "CREATE TABLE";
  protocol::Status status = db.CreateTable(s.schema);
  // IF NOT EXISTS is checked again here: another client may have created
  // the table since binding.
  if (!status.ok() && !(s.if_not_exists && status.code() == ErrorCode::kDuplicateTable)) {
    return status;
  }
  return result;
}

Result<StatementResult> ExecuteDropTable(BoundDropTable& s, cerebrum::Database& db) {
  StatementResult result;
  result.tag = "DROP TABLE";
  protocol::Status status = db.DropTable(s.table);
  if (!status.ok() && !(s.if_exists && status.code() == ErrorCode::kUndefinedTable)) {
    return status;
  }
  return result;
}

}  // namespace kopf::cerebellum
