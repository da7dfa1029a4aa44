#include <fmt/format.h>

#include "cerebellum/binder/bind_expr.h"
#include "cerebellum/binder/binder.h"
#include "cerebellum/binder/scope.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

BoundExprPtr ConstantExpr(Value v, protocol::Type type) {
  auto e = std::make_unique<BoundExpr>();
  e->node = bound::Constant{std::move(v)};
  e->type = type;
  return e;
}

}  // namespace

Result<BoundStatement> BindInsert(ast::Insert& stmt, const cerebrum::Database& db) {
  KOPF_ASSIGN_OR_RETURN(auto table, LookUpTable(db, stmt.table, stmt.table_position));
  const cerebrum::TableSchema& schema = table->schema();

  // Target columns, in the order the VALUES lists give them.
  KOPF_ASSIGN_OR_RETURN(std::vector<size_t> targets,
                        ResolveTargetColumns(schema, stmt.columns, stmt.column_positions));

  BoundInsert out;
  out.table = table;
  if (stmt.select) {
    // INSERT ... SELECT: output column i goes to targets[i]; the others take
    // their default. Types are checked here, coercion happens per row.
    Scope scope;
    KOPF_ASSIGN_OR_RETURN(out.select, BindQuerySelect(*stmt.select, db, &scope, &out.reads));
    if (out.select->columns.size() != targets.size()) {
      return Status::SyntaxError(fmt::format("INSERT has {} target columns but the query gives {}",
                                             targets.size(), out.select->columns.size()),
                                 stmt.select->position);
    }
    for (size_t i = 0; i < targets.size(); ++i) {
      const cerebrum::ColumnSchema& column = schema.columns[targets[i]];
      Type from = out.select->columns[i].type;
      bool ok = from == column.type || (from == Type::kInteger && column.type == Type::kDouble) ||
                (from == Type::kText && out.select->outputs.size() > i &&
                 out.select->outputs[i]->type == Type::kNull);
      if (!ok) {
        return Status::TypeMismatch(
            fmt::format("column \"{}\" is of type {} but the query gives {}", column.name,
                        protocol::TypeName(column.type), protocol::TypeName(from)),
            stmt.select->position);
      }
    }
    out.targets = targets;
    for (const cerebrum::ColumnSchema& column : schema.columns) {
      out.defaults.push_back(column.default_value.value_or(Value()));
    }
    return BoundStatement(std::move(out));
  }
  out.rows.reserve(stmt.rows.size());
  BindContext no_columns;
  no_columns.clause = "VALUES";
  for (std::vector<ast::ExprPtr>& values : stmt.rows) {
    if (values.size() != targets.size()) {
      int32_t pos = values.empty() ? stmt.table_position : values.front()->position;
      return Status::SyntaxError(
          fmt::format("INSERT has {} expressions but {} target columns", values.size(),
                      targets.size()),
          pos);
    }
    std::vector<BoundExprPtr> row(schema.columns.size());
    for (size_t i = 0; i < targets.size(); ++i) {
      const cerebrum::ColumnSchema& column = schema.columns[targets[i]];
      KOPF_ASSIGN_OR_RETURN(BoundExprPtr e, BindExpr(*values[i], no_columns));
      KOPF_ASSIGN_OR_RETURN(row[targets[i]],
                            CoerceToColumn(std::move(e), column, values[i]->position));
    }
    for (size_t c = 0; c < row.size(); ++c) {
      if (row[c]) continue;
      const cerebrum::ColumnSchema& column = schema.columns[c];
      row[c] = ConstantExpr(column.default_value.value_or(Value()), column.type);
    }
    out.rows.push_back(std::move(row));
  }
  return BoundStatement(std::move(out));
}

}  // namespace kopf::cerebellum
