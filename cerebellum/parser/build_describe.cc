// DESCRIBE t
//
// Only the long keyword: DESC already means "descending" in ORDER BY, and
// the shell's \d is the shell's business.
#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

protocol::Result<ast::Describe> Builder::BuildDescribe(P::DescribeStatementContext* ctx) {
  ast::Describe describe;
  describe.table = Identifier(ctx->table);
  describe.table_position = Position(ctx->table);
  return describe;
}

}  // namespace kopf::cerebellum::parser
