// DROP INDEX [IF EXISTS] name
#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

protocol::Result<ast::DropIndex> Builder::BuildDropIndex(P::DropIndexStatementContext* ctx) {
  ast::DropIndex drop;
  drop.name = Identifier(ctx->name);
  drop.name_position = Position(ctx->name);
  drop.if_exists = ctx->K_IF() != nullptr;
  return drop;
}

}  // namespace kopf::cerebellum::parser
