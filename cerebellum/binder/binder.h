// The binder: checks a parsed statement against the catalog and turns it
// into a BoundStatement. One file per statement kind (bind_*.cc).
//
// Errors are positioned where the SQL text is at fault: kUndefinedTable,
// kUndefinedColumn, kDuplicateTable (IF NOT EXISTS aside), kTypeMismatch,
// kConstraintViolation (a NOT NULL column left without a value),
// kNotSupported.
//
// Thread-safety: reads the catalog only; may run on any thread.
#pragma once

#include "cerebellum/ast/ast.h"
#include "cerebellum/binder/bound_statement.h"
#include "protocol/status.h"

namespace kopf::cerebellum {

protocol::Result<BoundStatement> Bind(ast::Statement& statement, const cerebrum::Database& db);

protocol::Result<BoundStatement> BindCreateTable(ast::CreateTable& stmt,
                                                 const cerebrum::Database& db);
protocol::Result<BoundStatement> BindInsert(ast::Insert& stmt, const cerebrum::Database& db);
protocol::Result<BoundStatement> BindSelect(ast::Select& stmt, const cerebrum::Database& db);
protocol::Result<BoundStatement> BindUpdate(ast::Update& stmt, const cerebrum::Database& db);
protocol::Result<BoundStatement> BindDelete(ast::Delete& stmt, const cerebrum::Database& db);

class Scope;

// Binds a (sub)query in `scope`, whose parent is the enclosing query's scope
// (null at the top). Every table read is added to `reads`.
protocol::Result<std::unique_ptr<BoundSelect>> BindQuerySelect(const ast::Select& stmt,
                                                               const cerebrum::Database& db,
                                                               Scope* scope, TableSet* reads);

// The table named `name` or kUndefinedTable at `position`.
protocol::Result<std::shared_ptr<cerebrum::Table>> LookUpTable(const cerebrum::Database& db,
                                                               const std::string& name,
                                                               int32_t position);

}  // namespace kopf::cerebellum
