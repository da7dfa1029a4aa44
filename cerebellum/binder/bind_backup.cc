// BACKUP TO 'folder'
#include <fmt/format.h>

#include "cerebellum/binder/bound_backup.h"
#include "cerebrum/backup.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;

Result<BoundStatement> BindBackup(ast::Backup& stmt, const cerebrum::Database& db) {
  Result<std::filesystem::path> target =
      cerebrum::ResolveBackupTarget(db.options().backup_dir, stmt.target);
  if (!target.ok()) {
    return Status(target.status().code(), target.status().message(), stmt.target_position);
  }
  // Database::Backup checks again: another backup may take the name first.
  std::error_code ec;
  if (std::filesystem::exists(*target, ec)) {
    return Status::InvalidValue(fmt::format("backup folder {} already exists", target->string()),
                                stmt.target_position);
  }
  return BoundStatement(BoundBackup{std::move(*target)});
}

}  // namespace kopf::cerebellum
