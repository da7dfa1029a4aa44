// CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON t (col [ASC | DESC], ...)
//
// Whether the table and columns exist, and whether a column is named twice,
// is the binder's question: it has the catalog and can name the table.
#include <utility>

#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

protocol::Result<ast::CreateIndex> Builder::BuildCreateIndex(P::CreateIndexStatementContext* ctx) {
  ast::CreateIndex create;
  create.name = Identifier(ctx->name);
  create.name_position = Position(ctx->name);
  create.table = Identifier(ctx->table);
  create.table_position = Position(ctx->table);
  create.unique = ctx->unique != nullptr;
  create.if_not_exists = ctx->K_IF() != nullptr;
  create.columns.reserve(ctx->columns.size());
  for (P::IndexColumnContext* column_ctx : ctx->columns) {
    ast::IndexColumn column;
    column.column = Identifier(column_ctx->column);
    column.position = Position(column_ctx->column);
    column.descending = column_ctx->desc != nullptr;
    create.columns.push_back(std::move(column));
  }
  return create;
}

}  // namespace kopf::cerebellum::parser
