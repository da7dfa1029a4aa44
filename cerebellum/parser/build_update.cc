// UPDATE t SET a = e, b = e [WHERE e]
#include <utility>

#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

protocol::Result<ast::Update> Builder::BuildUpdate(P::UpdateStatementContext* ctx) {
  ast::Update update;
  update.table = Identifier(ctx->table);
  update.table_position = Position(ctx->table);
  update.assignments.reserve(ctx->assignments.size());
  for (P::AssignmentContext* assignment_ctx : ctx->assignments) {
    ast::Assignment assignment;
    assignment.column = Identifier(assignment_ctx->column);
    assignment.position = Position(assignment_ctx->column);
    KOPF_ASSIGN_OR_RETURN(assignment.value, BuildExpr(assignment_ctx->value));
    update.assignments.push_back(std::move(assignment));
  }
  if (ctx->where != nullptr) {
    KOPF_ASSIGN_OR_RETURN(update.where, BuildExpr(ctx->where));
  }
  return update;
}

}  // namespace kopf::cerebellum::parser
