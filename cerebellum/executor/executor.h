// The executor: runs a bound, planned statement against the database. One
// file per statement kind (execute_*.cc).
//
// Reads hold the table's shared lock while they walk rows and then wait
// until what they saw is durable (Database::WaitForVisibleWrites). Writes
// hold the table's exclusive lock from their first read until
// Table::Commit, which makes "find the rows, change them" atomic.
//
// Thread-safety: statements may execute concurrently on many threads.
#pragma once

#include <optional>

#include "cerebellum/binder/bound_statement.h"
#include "cerebellum/statement_result.h"
#include "protocol/status.h"

namespace kopf::cerebellum {

protocol::Result<StatementResult> Execute(BoundStatement& statement, cerebrum::Database& db);

protocol::Result<StatementResult> ExecuteCreateTable(BoundCreateTable& s, cerebrum::Database& db);
protocol::Result<StatementResult> ExecuteDropTable(BoundDropTable& s, cerebrum::Database& db);
protocol::Result<StatementResult> ExecuteInsert(BoundInsert& s, cerebrum::Database& db);
// Runs an INSERT ... VALUES that reads no table only if it cannot block:
// its table (not partitioned) has its exclusive lock free, and the commit
// needs no fsync of its own (no segment rollover). Under a
// DurabilityScope it then waits for nothing at all. std::nullopt when it
// would have to wait (nothing was done).
std::optional<protocol::Result<StatementResult>> ExecuteInsertWithoutWaiting(BoundInsert& s);
// The same for one row already evaluated (a value per table column).
std::optional<protocol::Result<StatementResult>> InsertRowWithoutWaiting(cerebrum::Table& table,
                                                                         protocol::Row row);
protocol::Result<StatementResult> ExecuteQuery(BoundQuery& s, cerebrum::Database& db);
// Runs a query that IsQuickRead() accepted only if it can run without
// waiting: its table's shared lock is free and everything visible is
// durable. std::nullopt when it would have to wait (nothing was done).
std::optional<protocol::Result<StatementResult>> ExecuteQueryWithoutWaiting(BoundQuery& s,
                                                                            cerebrum::Database& db);
protocol::Result<StatementResult> ExecuteUpdate(BoundUpdate& s, cerebrum::Database& db);
protocol::Result<StatementResult> ExecuteDelete(BoundDelete& s, cerebrum::Database& db);
protocol::Result<StatementResult> ExecuteShowTables(cerebrum::Database& db);
protocol::Result<StatementResult> ExecuteShowIndexes(BoundShowIndexes& s, cerebrum::Database& db);
protocol::Result<StatementResult> ExecuteShowPartitions(BoundShowPartitions& s,
                                                        cerebrum::Database& db);
protocol::Result<StatementResult> ExecuteDescribe(BoundDescribe& s, cerebrum::Database& db);
protocol::Result<StatementResult> ExecuteCompactTable(BoundCompactTable& s, cerebrum::Database& db);
protocol::Result<StatementResult> ExecuteExplain(BoundExplain& s, cerebrum::Database& db);
// COPY FROM / TO a CSV file. REQUIRES: s.file was set by ConfineCopyPath.
protocol::Result<StatementResult> ExecuteCopy(BoundCopy& s, cerebrum::Database& db);

}  // namespace kopf::cerebellum
