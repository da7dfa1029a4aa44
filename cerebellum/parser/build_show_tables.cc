// SHOW TABLES, SHOW INDEXES [FROM t] and SHOW PARTITIONS [FROM t]
#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

protocol::Result<ast::ShowTables> Builder::BuildShowTables(P::ShowTablesStatementContext*) {
  return ast::ShowTables{};
}

protocol::Result<ast::ShowIndexes> Builder::BuildShowIndexes(P::ShowIndexesStatementContext* ctx) {
  ast::ShowIndexes show;
  if (ctx->table != nullptr) {
    show.table = Identifier(ctx->table);
    show.table_position = Position(ctx->table);
  }
  return show;
}

protocol::Result<ast::ShowPartitions> Builder::BuildShowPartitions(
    P::ShowPartitionsStatementContext* ctx) {
  ast::ShowPartitions show;
  if (ctx->table != nullptr) {
    show.table = Identifier(ctx->table);
    show.table_position = Position(ctx->table);
  }
  return show;
}

}  // namespace kopf::cerebellum::parser
