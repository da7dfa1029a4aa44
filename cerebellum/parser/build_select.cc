// SELECT [DISTINCT | ALL] items [FROM ...] [WHERE e] [GROUP BY e, ...] [HAVING e]
//   [{UNION [ALL] | INTERSECT | EXCEPT} SELECT ...]...
//   [ORDER BY e [ASC | DESC] [NULLS FIRST | LAST], ...] [LIMIT e] [OFFSET e]
//
// A compound becomes its first SELECT holding the other SELECTs as
// `compound` terms, in order, plus the ORDER BY / LIMIT / OFFSET of the whole
// result (ast.h). LIMIT and OFFSET may come in either order, as in
// PostgreSQL. Whether a HAVING without GROUP BY or an aggregate in WHERE
// makes sense, or whether the terms of a compound have as many columns, is
// the binder's question. The FROM clause is built in build_from.cc.
#include <memory>
#include <utility>

#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

using protocol::Result;

namespace {

using P = kopf_generated::KopfParser;

ast::SetOperator SetOperatorOf(P::CompoundOperatorContext* ctx) {
  switch (ctx->getStart()->getType()) {
    case P::K_INTERSECT:
      return ast::SetOperator::kIntersect;
    case P::K_EXCEPT:
      return ast::SetOperator::kExcept;
    default:  // K_UNION
      return ctx->all != nullptr ? ast::SetOperator::kUnionAll : ast::SetOperator::kUnion;
  }
}

}  // namespace

Result<ast::Select> Builder::BuildSelect(P::SelectStatementContext* ctx) {
  KOPF_ASSIGN_OR_RETURN(ast::Select select, BuildSelectCore(ctx->cores.front()));
  select.compound.reserve(ctx->ops.size());
  for (size_t i = 0; i < ctx->ops.size(); ++i) {
    ast::CompoundTerm term;
    term.op = SetOperatorOf(ctx->ops[i]);
    term.position = Position(ctx->ops[i]);
    KOPF_ASSIGN_OR_RETURN(ast::Select core, BuildSelectCore(ctx->cores[i + 1]));
    term.select = std::make_unique<ast::Select>(std::move(core));
    select.compound.push_back(std::move(term));
  }

  select.order_by.reserve(ctx->orders.size());
  for (P::OrderItemContext* order_ctx : ctx->orders) {
    ast::OrderItem order;
    KOPF_ASSIGN_OR_RETURN(order.expr, BuildExpr(order_ctx->value));
    order.descending = order_ctx->desc != nullptr;
    if (order_ctx->K_NULLS() != nullptr) order.nulls_first = order_ctx->first != nullptr;
    select.order_by.push_back(std::move(order));
  }
  if (ctx->limit != nullptr) {
    KOPF_ASSIGN_OR_RETURN(select.limit, BuildExpr(ctx->limit));
  }
  if (ctx->offset != nullptr) {
    KOPF_ASSIGN_OR_RETURN(select.offset, BuildExpr(ctx->offset));
  }
  return select;
}

Result<ast::Select> Builder::BuildSelectCore(P::SelectCoreContext* ctx) {
  ast::Select select;
  select.position = Position(ctx);
  select.distinct = ctx->distinct != nullptr;

  select.items.reserve(ctx->items.size());
  for (P::SelectItemContext* item_ctx : ctx->items) {
    ast::SelectItem item;
    item.position = Position(item_ctx);
    if (auto* expr_item = dynamic_cast<P::ExprItemContext*>(item_ctx)) {
      KOPF_ASSIGN_OR_RETURN(item.expr, BuildExpr(expr_item->value));
      if (expr_item->alias != nullptr) item.alias = Identifier(expr_item->alias);
    } else if (auto* table_star = dynamic_cast<P::TableStarItemContext*>(item_ctx)) {
      item.star = true;
      item.star_table = Identifier(table_star->table);
    } else {
      item.star = true;
    }
    select.items.push_back(std::move(item));
  }

  if (ctx->from != nullptr) {
    KOPF_ASSIGN_OR_RETURN(select.from, BuildFrom(ctx->from));
  }
  if (ctx->where != nullptr) {
    KOPF_ASSIGN_OR_RETURN(select.where, BuildExpr(ctx->where));
  }
  select.group_by.reserve(ctx->groupBy.size());
  for (P::ExprContext* key : ctx->groupBy) {
    KOPF_ASSIGN_OR_RETURN(ast::ExprPtr built, BuildExpr(key));
    select.group_by.push_back(std::move(built));
  }
  if (ctx->having != nullptr) {
    KOPF_ASSIGN_OR_RETURN(select.having, BuildExpr(ctx->having));
  }
  return select;
}

}  // namespace kopf::cerebellum::parser
