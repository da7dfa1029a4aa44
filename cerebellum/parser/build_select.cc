// SELECT [DISTINCT | ALL] items [FROM t [[AS] alias]] [WHERE e] [GROUP BY e, ...]
//   [HAVING e] [ORDER BY e [ASC | DESC] [NULLS FIRST | LAST], ...] [LIMIT e] [OFFSET e]
//
// LIMIT and OFFSET may come in either order, as in PostgreSQL. Whether a
// HAVING without GROUP BY or an aggregate in WHERE makes sense is the
// binder's question.
#include <utility>

#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

using protocol::Result;

protocol::Result<ast::Select> Builder::BuildSelect(P::SelectStatementContext* ctx) {
  ast::Select select;
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

  if (P::TableRefContext* from = ctx->tableRef()) {
    ast::TableRef ref;
    ref.table = Identifier(from->table);
    ref.position = Position(from->table);
    if (from->alias != nullptr) ref.alias = Identifier(from->alias);
    select.from = std::move(ref);
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

}  // namespace kopf::cerebellum::parser
