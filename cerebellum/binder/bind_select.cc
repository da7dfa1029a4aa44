// Binding of SELECT: FROM tables into one scope, WHERE, GROUP BY, the select
// list and HAVING with aggregate collection, compound terms, ORDER BY and
// LIMIT/OFFSET.
#include <algorithm>

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
  BindContext constant;
  constant.clause = clause;
  KOPF_ASSIGN_OR_RETURN(BoundExprPtr bound, BindExpr(*e, constant));
  if (bound->type != Type::kInteger && bound->type != Type::kNull) {
    return Status::TypeMismatch(fmt::format("argument of {} must be INTEGER, not {}", clause,
                                            protocol::TypeName(bound->type)),
                                e->position);
  }
  auto value = EvaluateConstant(*bound);
  if (!value.ok()) return value.status().WithPosition(e->position);
  if (value->is_null()) return std::optional<int64_t>();
  return std::optional<int64_t>(value->as_integer());
}

void AddRead(TableSet* reads, const std::shared_ptr<cerebrum::Table>& table) {
  if (reads == nullptr) return;
  if (std::find(reads->begin(), reads->end(), table) == reads->end()) reads->push_back(table);
}

BoundExprPtr ColumnExpr(size_t index, Type type, int32_t position) {
  auto e = std::make_unique<BoundExpr>();
  e->node = bound::Column{index, 0};
  e->type = type;
  e->position = position;
  return e;
}

// The 1-based column number an ORDER BY / GROUP BY term names, if it is an
// integer literal.
std::optional<int64_t> ColumnNumber(const ast::Expr& e) {
  if (const auto* lit = std::get_if<ast::Literal>(&e.node);
      lit && lit->value.type() == Type::kInteger) {
    return lit->value.as_integer();
  }
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<BoundSelect>> BindQuerySelect(const ast::Select& stmt,
                                                     const cerebrum::Database& db, Scope* scope,
                                                     TableSet* reads) {
  auto out = std::make_unique<BoundSelect>();

  // FROM: every table joins the scope; ON clauses see all of them.
  for (const ast::FromItem& item : stmt.from) {
    KOPF_ASSIGN_OR_RETURN(auto table, LookUpTable(db, item.table.table, item.table.position));
    std::string qualifier = item.table.alias.empty() ? item.table.table : item.table.alias;
    KOPF_RETURN_IF_ERROR(scope->AddTable(&table->schema(), qualifier, item.table.position));
    AddRead(reads, table);
    BoundFromTable from;
    from.table = std::move(table);
    from.qualifier = std::move(qualifier);
    from.offset = scope->tables().back().offset;
    from.join = item.join;
    out->from.push_back(std::move(from));
  }
  out->width = scope->width();
  BindContext context{&db, scope, nullptr, "ON", reads};
  for (size_t i = 0; i < stmt.from.size(); ++i) {
    if (stmt.from[i].on) {
      KOPF_ASSIGN_OR_RETURN(out->from[i].on, BindCondition(*stmt.from[i].on, context));
    }
  }
  if (stmt.where) {
    context.clause = "WHERE";
    KOPF_ASSIGN_OR_RETURN(out->where, BindCondition(*stmt.where, context));
  }

  // The select list, collecting aggregates.
  AggregateSink sink{out->width, &out->aggregates};
  BindContext list{&db, scope, &sink, "the select list", reads};
  std::vector<std::string> aliases;
  for (const ast::SelectItem& item : stmt.items) {
    if (item.star) {
      if (scope->tables().empty()) {
        return Status::SyntaxError("SELECT * with no tables specified is not valid", item.position);
      }
      bool matched = false;
      for (const ScopeTable& t : scope->tables()) {
        if (!item.star_table.empty() && item.star_table != t.qualifier) continue;
        matched = true;
        for (size_t c = 0; c < t.schema->columns.size(); ++c) {
          const auto& column = t.schema->columns[c];
          out->outputs.push_back(ColumnExpr(t.offset + c, column.type, item.position));
          out->columns.push_back({column.name, column.type});
          aliases.emplace_back();
        }
      }
      if (!matched) {
        return Status::UndefinedTable(
            fmt::format("missing FROM-clause entry for table \"{}\"", item.star_table),
            item.position);
      }
      continue;
    }
    KOPF_ASSIGN_OR_RETURN(BoundExprPtr e, BindExpr(*item.expr, list));
    std::string name = item.alias.empty() ? OutputName(*item.expr) : item.alias;
    // A column of NULLs only is reported as TEXT: clients need a real type.
    Type type = e->type == Type::kNull ? Type::kText : e->type;
    out->columns.push_back({name, type});
    aliases.push_back(item.alias);
    out->outputs.push_back(std::move(e));
  }

  // GROUP BY: expressions over the source row, or a select-list number.
  BindContext group{&db, scope, nullptr, "GROUP BY", reads};
  for (const ast::ExprPtr& g : stmt.group_by) {
    if (auto n = ColumnNumber(*g)) {
      if (*n < 1 || *n > static_cast<int64_t>(stmt.items.size()) || stmt.items[*n - 1].star) {
        return Status::InvalidValue(
            fmt::format("GROUP BY position {} is not in select list", *n), g->position);
      }
      KOPF_ASSIGN_OR_RETURN(BoundExprPtr e, BindExpr(*stmt.items[*n - 1].expr, group));
      out->group_by.push_back(std::move(e));
      continue;
    }
    KOPF_ASSIGN_OR_RETURN(BoundExprPtr e, BindExpr(*g, group));
    out->group_by.push_back(std::move(e));
  }
  if (stmt.having) {
    BindContext having{&db, scope, &sink, "HAVING", reads};
    KOPF_ASSIGN_OR_RETURN(out->having, BindCondition(*stmt.having, having));
  }
  out->distinct = stmt.distinct;

  // Compound terms: each binds in a scope of its own at the same level.
  for (const ast::CompoundTerm& term : stmt.compound) {
    Scope part_scope(scope->parent());
    KOPF_ASSIGN_OR_RETURN(auto part, BindQuerySelect(*term.select, db, &part_scope, reads));
    scope->NoteEscape(part_scope.escape());
    if (part->columns.size() != out->columns.size()) {
      return Status::SyntaxError(
          "SELECTs to the left and right of a compound operator do not have the same number of "
          "result columns",
          term.position);
    }
    out->compound.push_back({term.op, std::move(part)});
  }

  // ORDER BY: a column number, an output name, or an expression.
  BindContext order{&db, scope, &sink, "ORDER BY", reads};
  for (const ast::OrderItem& item : stmt.order_by) {
    BoundOrderItem bound;
    bound.descending = item.descending;
    bound.nulls_first = item.nulls_first.value_or(!item.descending);
    const ast::Expr& e = *item.expr;
    if (auto n = ColumnNumber(e)) {
      if (*n < 1 || *n > static_cast<int64_t>(out->outputs.size())) {
        return Status::InvalidValue(
            fmt::format("ORDER BY position {} is not in select list", *n), e.position);
      }
      bound.output_column = static_cast<size_t>(*n - 1);
    } else if (const auto* col = std::get_if<ast::ColumnRef>(&e.node); col && col->table.empty()) {
      for (size_t i = 0; i < aliases.size(); ++i) {
        bool named = !aliases[i].empty() ? aliases[i] == col->column
                                         : !out->compound.empty() &&
                                               out->columns[i].name == col->column;
        if (named) {
          bound.output_column = i;
          break;
        }
      }
    }
    if (!bound.output_column) {
      if (!out->compound.empty()) {
        return Status::SyntaxError("ORDER BY term does not match any column in the result set",
                                   e.position);
      }
      KOPF_ASSIGN_OR_RETURN(bound.expr, BindExpr(e, order));
    }
    out->order_by.push_back(std::move(bound));
  }
  out->aggregate = !out->group_by.empty() || out->having || !out->aggregates.empty();

  KOPF_ASSIGN_OR_RETURN(auto limit, BindCount(stmt.limit, "LIMIT"));
  KOPF_ASSIGN_OR_RETURN(auto offset, BindCount(stmt.offset, "OFFSET"));
  if (limit && *limit >= 0) out->limit = static_cast<uint64_t>(*limit);
  if (offset && *offset > 0) out->offset = static_cast<uint64_t>(*offset);
  return out;
}

Result<BoundStatement> BindSelect(ast::Select& stmt, const cerebrum::Database& db) {
  BoundQuery query;
  Scope scope;
  KOPF_ASSIGN_OR_RETURN(query.select, BindQuerySelect(stmt, db, &scope, &query.reads));
  return BoundStatement(std::move(query));
}

}  // namespace kopf::cerebellum
