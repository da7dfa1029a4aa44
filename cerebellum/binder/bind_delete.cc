#include "cerebellum/binder/bind_expr.h"
#include "cerebellum/binder/binder.h"
#include "cerebellum/binder/scope.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;

Result<BoundStatement> BindDelete(ast::Delete& stmt, const cerebrum::Database& db) {
  KOPF_ASSIGN_OR_RETURN(auto table, LookUpTable(db, stmt.table, stmt.table_position));
  Scope scope;
  KOPF_RETURN_IF_ERROR(scope.AddTable(&table->schema(), stmt.table, stmt.table_position));
  BoundDelete out;
  out.table = table;
  if (stmt.where) {
    BindContext context{&db, &scope, nullptr, "WHERE", &out.reads};
    KOPF_ASSIGN_OR_RETURN(out.where, BindCondition(*stmt.where, context));
  }
  return BoundStatement(std::move(out));
}

}  // namespace kopf::cerebellum
