#include "cerebellum/executor/executor.h"

#include "cerebellum/binder/bound_backup.h"
#include "cerebellum/binder/bound_index.h"

namespace kopf::cerebellum {

protocol::Result<StatementResult> Execute(BoundStatement& statement, cerebrum::Database& db) {
  struct Visitor {
    cerebrum::Database& db;
    auto operator()(BoundCreateTable& s) { return ExecuteCreateTable(s, db); }
    auto operator()(BoundDropTable& s) { return ExecuteDropTable(s, db); }
    auto operator()(BoundInsert& s) { return ExecuteInsert(s, db); }
    auto operator()(BoundQuery& s) { return ExecuteQuery(s, db); }
    auto operator()(BoundUpdate& s) { return ExecuteUpdate(s, db); }
    auto operator()(BoundDelete& s) { return ExecuteDelete(s, db); }
    auto operator()(BoundShowTables&) { return ExecuteShowTables(db); }
    auto operator()(BoundShowIndexes& s) { return ExecuteShowIndexes(s, db); }
    auto operator()(BoundShowPartitions& s) { return ExecuteShowPartitions(s, db); }
    auto operator()(BoundDescribe& s) { return ExecuteDescribe(s, db); }
    auto operator()(BoundCompactTable& s) { return ExecuteCompactTable(s, db); }
    auto operator()(BoundExplain& s) { return ExecuteExplain(s, db); }
    auto operator()(BoundCreateIndex& s) { return ExecuteCreateIndex(s, db); }
    auto operator()(BoundDropIndex& s) { return ExecuteDropIndex(s, db); }
    auto operator()(BoundCopy& s) { return ExecuteCopy(s, db); }
    auto operator()(BoundBackup& s) { return ExecuteBackup(s, db); }
    auto operator()(BoundShowBackups&) { return ExecuteShowBackups(db); }
  };
  return std::visit(Visitor{db}, statement);
}

}  // namespace kopf::cerebellum
