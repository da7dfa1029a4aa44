// COMPACT TABLE t
#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

protocol::Result<ast::CompactTable> Builder::BuildCompactTable(
    P::CompactTableStatementContext* ctx) {
  ast::CompactTable compact;
  compact.table = Identifier(ctx->table);
  compact.table_position = Position(ctx->table);
  return compact;
}

}  // namespace kopf::cerebellum::parser
