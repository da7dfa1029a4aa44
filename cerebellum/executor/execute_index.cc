// CREATE INDEX and DROP INDEX: the cerebrum builds or drops the index
// (under the table's exclusive lock) and keeps indexes.csv.
#include "cerebellum/binder/bound_index.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;

Result<StatementResult> ExecuteCreateIndex(BoundCreateIndex& s, cerebrum::Database& db) {
  StatementResult result;
  result.tag = "CREATE INDEX";
  KOPF_RETURN_IF_ERROR(db.CreateIndex(s.index, s.if_not_exists));
  return result;
}

Result<StatementResult> ExecuteDropIndex(BoundDropIndex& s, cerebrum::Database& db) {
  StatementResult result;
  result.tag = "DROP INDEX";
  KOPF_RETURN_IF_ERROR(db.DropIndex(s.name, s.if_exists));
  return result;
}

}  // namespace kopf::cerebellum
