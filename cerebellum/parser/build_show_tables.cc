// SHOW TABLES
#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

protocol::Result<ast::ShowTables> Builder::BuildShowTables(P::ShowTablesStatementContext*) {
  return ast::ShowTables{};
}

}  // namespace kopf::cerebellum::parser
