// CREATE INDEX and DROP INDEX after binding, and the binder and executor
// entry points for them (bind_create_index.cc, execute_index.cc).
//
// Binding resolves the table and the column names (positioned
// kUndefinedTable, kUndefinedColumn, kDuplicateColumn) and rejects an index
// name already taken (kDuplicateTable, unless IF NOT EXISTS). Executing
// calls cerebrum::Database::CreateIndex / DropIndex, which check again
// under their DDL mutex: another client may have got there first.
//
// BoundCreateIndex and BoundDropIndex themselves are defined in
// bound_statement.h, beside the other alternatives of BoundStatement.
//
// Thread-safety: plain data; the functions may run on any worker thread.
#pragma once

#include <string>

#include "cerebellum/ast/ast.h"
#include "cerebellum/binder/bound_statement.h"
#include "cerebellum/statement_result.h"
#include "cerebrum/secondary_index.h"
#include "protocol/status.h"

namespace kopf::cerebrum {
class Database;
}  // namespace kopf::cerebrum

namespace kopf::cerebellum {

// BoundCreateIndex and BoundDropIndex are defined in bound_statement.h,
// beside the other alternatives of BoundStatement.

protocol::Result<BoundStatement> BindCreateIndex(ast::CreateIndex& stmt,
                                                 const cerebrum::Database& db);
protocol::Result<BoundStatement> BindDropIndex(ast::DropIndex& stmt, const cerebrum::Database& db);

// Result tags "CREATE INDEX" and "DROP INDEX", no rows.
protocol::Result<StatementResult> ExecuteCreateIndex(BoundCreateIndex& s, cerebrum::Database& db);
protocol::Result<StatementResult> ExecuteDropIndex(BoundDropIndex& s, cerebrum::Database& db);

}  // namespace kopf::cerebellum
