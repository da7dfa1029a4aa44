// DROP TABLE [IF EXISTS] t
#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

protocol::Result<ast::DropTable> Builder::BuildDropTable(P::DropTableStatementContext* ctx) {
  ast::DropTable drop;
  drop.table = Identifier(ctx->table);
  drop.table_position = Position(ctx->table);
  drop.if_exists = ctx->K_IF() != nullptr;
  return drop;
}

}  // namespace kopf::cerebellum::parser
