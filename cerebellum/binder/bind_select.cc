#include <fmt/format.h>

#include "cerebellum/binder/bind_expr.h"
#include "cerebellum/binder/binder.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

// The result column name of an unaliased expression.
std::string OutputName(const ast::Expr& e) {
  if (const auto* c = std::get_if<ast::ColumnRef>(&e.node)) return c->column;
  if (const auto* f = std::get_if<ast::FunctionCall>(&e.node)) return f->name;
  return "?column?";
}

// LIMIT / OFFSET: a constant integer. Negative LIMIT means no limit and a
// negative OFFSET means none, as in SQLite.
Result<std::optional<int64_t>> BindCount(const ast::ExprPtr& e, std::string_view clause) {
  if (!e) return std::optional<int64_t>();
  Scope no_columns;
  KOPF_ASSIGN_OR_RETURN(BoundExprPtr bound, BindExpr(*e, no_columns));
  if (bound->type != Type::kInteger && bound->type != Type::kNull) {
    return Status::TypeMismatch(
        fmt::format("argument of {} must be INTEGER, not {}", clause, protocol::TypeName(bound->type)),
        e->position);
  }
  auto value = EvaluateConstant(*bound);
  if (!value.ok()) return value.status().WithPosition(e->position);
  if (value->is_null()) return std::optional<int64_t>();
  return std::optional<int64_t>(value->as_integer());
}

}  // namespace

Result<BoundStatement> BindSelect(ast::Select& stmt, const cerebrum::Database& db) {
  BoundSelect out;
  Scope scope;
  if (stmt.from) {
    KOPF_ASSIGN_OR_RETURN(out.table, LookUpTable(db, stmt.from->table, stmt.from->position));
    scope.table = &out.table->schema();
    scope.qualifier = stmt.from->alias.empty() ? stmt.from->table : stmt.from->alias;
  }
  if (!stmt.group_by.empty() || stmt.having) {
    int32_t pos = stmt.group_by.empty() ? stmt.having->position : stmt.group_by[0]->position;
    return Status::NotSupported("GROUP BY and HAVING are not supported yet", pos);
  }

  // Output columns.
  std::vector<std::string> aliases;
  for (ast::SelectItem& item : stmt.items) {
    if (item.star) {
      if (!scope.table) {
        return Status::SyntaxError("SELECT * with no tables specified is not valid", item.position);
      }
      if (!item.star_table.empty() && item.star_table != scope.qualifier) {
        return Status::UndefinedTable(
            fmt::format("missing FROM-clause entry for table \"{}\"", item.star_table),
            item.position);
      }
      for (size_t i = 0; i < scope.table->columns.size(); ++i) {
        const auto& column = scope.table->columns[i];
        auto e = std::make_unique<BoundExpr>();
        e->node = bound::Column{i};
        e->type = column.type;
        e->position = item.position;
        out.outputs.push_back(std::move(e));
        out.columns.push_back({column.name, column.type});
        aliases.emplace_back();
      }
      continue;
    }
    KOPF_ASSIGN_OR_RETURN(BoundExprPtr e, BindExpr(*item.expr, scope));
    std::string name = item.alias.empty() ? OutputName(*item.expr) : item.alias;
    // A column of NULLs only is reported as TEXT: clients need a real type.
    Type type = e->type == Type::kNull ? Type::kText : e->type;
    out.columns.push_back({name, type});
    aliases.push_back(item.alias);
    out.outputs.push_back(std::move(e));
  }

  if (stmt.where) {
    KOPF_ASSIGN_OR_RETURN(out.where, BindCondition(*stmt.where, scope));
  }

  // ORDER BY: a column number, an output alias, or an expression.
  for (ast::OrderItem& item : stmt.order_by) {
    BoundOrderItem bound;
    bound.descending = item.descending;
    bound.nulls_first = item.nulls_first.value_or(!item.descending);
    const ast::Expr& e = *item.expr;
    if (const auto* lit = std::get_if<ast::Literal>(&e.node);
        lit && lit->value.type() == Type::kInteger) {
      int64_t n = lit->value.as_integer();
      if (n < 1 || n > static_cast<int64_t>(out.outputs.size())) {
        return Status::InvalidValue(
            fmt::format("ORDER BY position {} is not in select list", n), e.position);
      }
      bound.output_column = static_cast<size_t>(n - 1);
    } else if (const auto* col = std::get_if<ast::ColumnRef>(&e.node); col && col->table.empty()) {
      for (size_t i = 0; i < aliases.size(); ++i) {
        if (!aliases[i].empty() && aliases[i] == col->column) {
          bound.output_column = i;
          break;
        }
      }
    }
    if (!bound.output_column) {
      KOPF_ASSIGN_OR_RETURN(bound.expr, BindExpr(e, scope));
    }
    out.order_by.push_back(std::move(bound));
  }

  KOPF_ASSIGN_OR_RETURN(auto limit, BindCount(stmt.limit, "LIMIT"));
  KOPF_ASSIGN_OR_RETURN(auto offset, BindCount(stmt.offset, "OFFSET"));
  if (limit && *limit >= 0) out.limit = static_cast<uint64_t>(*limit);
  if (offset && *offset > 0) out.offset = static_cast<uint64_t>(*offset);
  out.distinct = stmt.distinct;
  return BoundStatement(std::move(out));
}

}  // namespace kopf::cerebellum
