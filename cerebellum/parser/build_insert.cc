// INSERT INTO t [(a, b)] VALUES (..), (..), ...
// INSERT INTO t [(a, b)] SELECT ...
//
// Row widths are not compared here: the binder checks every row (or the
// SELECT's columns) against the column list or the table, and can name the
// table in its message.
#include <memory>
#include <utility>
#include <vector>

#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

protocol::Result<ast::Insert> Builder::BuildInsert(P::InsertStatementContext* ctx) {
  ast::Insert insert;
  insert.table = Identifier(ctx->table);
  insert.table_position = Position(ctx->table);
  insert.columns.reserve(ctx->columns.size());
  insert.column_positions.reserve(ctx->columns.size());
  for (P::IdentifierContext* column : ctx->columns) {
    insert.columns.push_back(Identifier(column));
    insert.column_positions.push_back(Position(column));
  }
  if (ctx->query != nullptr) {
    KOPF_ASSIGN_OR_RETURN(ast::Select select, BuildSelect(ctx->query));
    insert.select = std::make_unique<ast::Select>(std::move(select));
    return insert;
  }
  insert.rows.reserve(ctx->rows.size());
  for (P::ValuesRowContext* row_ctx : ctx->rows) {
    std::vector<ast::ExprPtr> row;
    row.reserve(row_ctx->values.size());
    for (P::ExprContext* value : row_ctx->values) {
      KOPF_ASSIGN_OR_RETURN(ast::ExprPtr built, BuildExpr(value));
      row.push_back(std::move(built));
    }
    insert.rows.push_back(std::move(row));
  }
  return insert;
}

}  // namespace kopf::cerebellum::parser
