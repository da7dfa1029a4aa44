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

#include <filesystem>
#include <string>
#include <vector>

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
protocol::Result<BoundStatement> BindCopy(ast::Copy& stmt, const cerebrum::Database& db);

// Resolves a COPY's file path and checks that it lies inside one of
// `import_dirs`, symlinks and ".." resolved (canonical paths). A relative
// path is taken relative to the first import directory. COPY FROM needs an
// existing regular file; COPY TO an existing directory (the file itself is
// replaced atomically). Sets `copy->file`. Fails, positioned at the path:
//   kNotSupported  no import directory is configured
//   kInvalidValue  the path is outside every import directory, missing, or
//                  not a regular file / directory
protocol::Status ConfineCopyPath(BoundCopy* copy,
                                 const std::vector<std::filesystem::path>& import_dirs);

// For COPY FROM STDIN / TO STDOUT: connects `copy` to the client of request
// `payload_id`. kNotSupported when there is none (`client` null: the
// connection speaks a protocol older than 1.2, or the statement runs
// in-process) and so nowhere to stream the data.
protocol::Status ConnectCopyClient(BoundCopy* copy, CopyClient* client, uint64_t payload_id);

// The table columns named by `names` (at `positions` in the statement), or
// every column in table order when `names` is empty. kUndefinedColumn,
// kDuplicateColumn. Shared by INSERT and COPY.
protocol::Result<std::vector<size_t>> ResolveTargetColumns(const cerebrum::TableSchema& schema,
                                                           const std::vector<std::string>& names,
                                                           const std::vector<int32_t>& positions);

class Scope;

// Binds a (sub)query in `scope`, whose parent is the enclosing query's scope
// (null at the top). Every table read is added to `reads`.
protocol::Result<std::unique_ptr<BoundSelect>> BindQuerySelect(const ast::Select& stmt,
                                                               const cerebrum::Database& db,
                                                               Scope* scope, TableSet* reads);

// The table named `name` or kUndefinedTable at `position`.
// A primary key or unique index (`what`, at `position`) of a partitioned
// table must hold the partition column: kInvalidValue otherwise. OK for a
// table without partitions.
protocol::Status CheckUniqueHasPartitionColumn(const cerebrum::TableSchema& schema,
                                               const std::vector<size_t>& columns,
                                               std::string_view what, int32_t position);

protocol::Result<std::shared_ptr<cerebrum::Table>> LookUpTable(const cerebrum::Database& db,
                                                               const std::string& name,
                                                               int32_t position);

}  // namespace kopf::cerebellum
