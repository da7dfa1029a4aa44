// BACKUP TO and SHOW BACKUPS: the binder and executor entry points
// (bind_backup.cc, execute_backup.cc).
//
// Binding resolves the folder against the server's backup directory
// (cerebrum::ResolveBackupTarget) and refuses, positioned at the string,
// a folder outside it (kInvalidValue) or any folder when none is
// configured (kNotSupported). Executing calls cerebrum::Database::Backup.
//
// BoundBackup and BoundShowBackups are defined in bound_statement.h, beside
// the other alternatives of BoundStatement.
//
// Thread-safety: plain data; the functions may run on any worker thread.
#pragma once

#include "cerebellum/ast/ast.h"
#include "cerebellum/binder/bound_statement.h"
#include "cerebellum/statement_result.h"
#include "protocol/status.h"

namespace kopf::cerebrum {
class Database;
}  // namespace kopf::cerebrum

namespace kopf::cerebellum {

protocol::Result<BoundStatement> BindBackup(ast::Backup& stmt, const cerebrum::Database& db);

// One row (folder, commit, files, bytes), tag "BACKUP".
protocol::Result<StatementResult> ExecuteBackup(BoundBackup& s, cerebrum::Database& db);
// One row per backup in the backup directory, oldest first: (name, commit,
// time, files, bytes, verified), tag "SHOW".
protocol::Result<StatementResult> ExecuteShowBackups(cerebrum::Database& db);

}  // namespace kopf::cerebellum
