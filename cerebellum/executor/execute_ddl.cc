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
  if (!status.ok()) {
    if (s.if_not_exists && status.code() == ErrorCode::kDuplicateTable) return result;
    return status;
  }
  // UNIQUE constraints. The table is new and empty, so these cannot fail on
  // data; if one fails anyway (disk), the table goes too rather than stay
  // without its constraint.
  for (const cerebrum::IndexSchema& index : s.unique_indexes) {
    protocol::Status created = db.CreateIndex(index);
    if (!created.ok()) {
      (void)db.DropTable(s.schema.name);
      return created;
    }
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
