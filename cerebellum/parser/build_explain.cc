// EXPLAIN statement
//
// The grammar accepts any statement after EXPLAIN; an EXPLAIN of an EXPLAIN
// is refused here, at the inner EXPLAIN, as SQLite and PostgreSQL refuse it.
#include <memory>
#include <utility>

#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

protocol::Result<ast::Explain> Builder::BuildExplain(P::ExplainStatementContext* ctx) {
  const antlr4::Token* inner = ctx->target->getStart();
  if (inner->getType() == P::K_EXPLAIN) {
    return ErrorAt(protocol::ErrorCode::kSyntaxError, inner, "cannot EXPLAIN an EXPLAIN");
  }
  KOPF_ASSIGN_OR_RETURN(ast::Statement statement, BuildStatement(ctx->target));
  ast::Explain explain;
  explain.target = std::make_unique<ast::ExplainTarget>(ast::ExplainTarget{std::move(statement)});
  return explain;
}

}  // namespace kopf::cerebellum::parser
