#include <algorithm>

#include <fmt/format.h>

#include "cerebellum/binder/bind_expr.h"
#include "cerebellum/binder/binder.h"
#include "cerebellum/binder/scope.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;

Result<BoundStatement> BindUpdate(ast::Update& stmt, const cerebrum::Database& db) {
  KOPF_ASSIGN_OR_RETURN(auto table, LookUpTable(db, stmt.table, stmt.table_position));
  const cerebrum::TableSchema& schema = table->schema();
  Scope scope;
  KOPF_RETURN_IF_ERROR(scope.AddTable(&schema, stmt.table, stmt.table_position));
  BoundUpdate out;
  out.table = table;
  BindContext context{&db, &scope, nullptr, "UPDATE", &out.reads};
  std::vector<bool> assigned(schema.columns.size(), false);
  for (ast::Assignment& a : stmt.assignments) {
    auto index = schema.FindColumn(a.column);
    if (!index) {
      return Status::UndefinedColumn(fmt::format("column \"{}\" of table \"{}\" does not exist",
                                                 a.column, schema.name),
                                     a.position);
    }
    assigned[*index] = true;
    KOPF_ASSIGN_OR_RETURN(BoundExprPtr value, BindExpr(*a.value, context));
    KOPF_ASSIGN_OR_RETURN(value,
                          CoerceToColumn(std::move(value), schema.columns[*index], a.value->position));
    // A column assigned twice takes the rightmost value, as in SQLite.
    auto earlier = std::find_if(out.assignments.begin(), out.assignments.end(),
                                [&](const auto& p) { return p.first == *index; });
    if (earlier != out.assignments.end()) {
      earlier->second = std::move(value);
      continue;
    }
    out.assignments.emplace_back(*index, std::move(value));
  }
  if (stmt.where) {
    context.clause = "WHERE";
    KOPF_ASSIGN_OR_RETURN(out.where, BindCondition(*stmt.where, context));
  }
  return BoundStatement(std::move(out));
}

}  // namespace kopf::cerebellum
