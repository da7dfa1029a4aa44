#include "cerebellum/binder/bind_expr.h"
#include "cerebellum/binder/binder.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;

Result<BoundStatement> BindDelete(ast::Delete& stmt, const cerebrum::Database& db) {
  KOPF_ASSIGN_OR_RETURN(auto table, LookUpTable(db, stmt.table, stmt.table_position));
  Scope scope{&table->schema(), stmt.table};
  BoundDelete out;
  out.table = table;
  if (stmt.where) {
    KOPF_ASSIGN_OR_RETURN(out.where, BindCondition(*stmt.where, scope));
  }
  return BoundStatement(std::move(out));
}

}  // namespace kopf::cerebellum
