#include "cerebellum/executor/executor.h"

namespace kopf::cerebellum {

protocol::Result<StatementResult> Execute(BoundStatement& statement, cerebrum::Database& db) {
  struct Visitor {
    cerebrum::Database& db;
    auto operator()(BoundCreateTable& s) { return ExecuteCreateTable(s, db); }
    auto operator()(BoundDropTable& s) { return ExecuteDropTable(s, db); }
    auto operator()(BoundInsert& s) { return ExecuteInsert(s, db); }
    auto operator()(BoundSelect& s) { return ExecuteSelect(s, db); }
    auto operator()(BoundUpdate& s) { return ExecuteUpdate(s, db); }
    auto operator()(BoundDelete& s) { return ExecuteDelete(s, db); }
    auto operator()(BoundShowTables&) { return ExecuteShowTables(db); }
    auto operator()(BoundDescribe& s) { return ExecuteDescribe(s, db); }
  };
  return std::visit(Visitor{db}, statement);
}

}  // namespace kopf::cerebellum
