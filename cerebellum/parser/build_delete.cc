// DELETE FROM t [WHERE e]
#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

protocol::Result<ast::Delete> Builder::BuildDelete(P::DeleteStatementContext* ctx) {
  ast::Delete del;
  del.table = Identifier(ctx->table);
  del.table_position = Position(ctx->table);
  if (ctx->where != nullptr) {
    KOPF_ASSIGN_OR_RETURN(del.where, BuildExpr(ctx->where));
  }
  return del;
}

}  // namespace kopf::cerebellum::parser
