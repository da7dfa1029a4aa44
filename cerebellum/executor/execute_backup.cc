// BACKUP TO and SHOW BACKUPS.
#include "cerebellum/binder/bound_backup.h"
#include "cerebrum/backup_manifest.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

Value Count(uint64_t n) { return Value::Integer(static_cast<int64_t>(n)); }

}  // namespace

Result<StatementResult> ExecuteBackup(BoundBackup& s, cerebrum::Database& db) {
  KOPF_ASSIGN_OR_RETURN(cerebrum::BackupSummary summary, db.Backup(s.target));
  StatementResult result;
  result.tag = "BACKUP";
  result.columns = {{"folder", Type::kText},
                    {"commit", Type::kInteger},
                    {"files", Type::kInteger},
                    {"bytes", Type::kInteger}};
  result.rows.push_back({Value::Text(summary.folder.string()), Count(summary.commit),
                         Count(summary.files), Count(summary.bytes)});
  result.count = result.rows.size();
  return result;
}

Result<StatementResult> ExecuteShowBackups(cerebrum::Database& db) {
  const std::filesystem::path& dir = db.options().backup_dir;
  if (dir.empty()) {
    return Status::NotSupported(
        "backups are not configured: start kopfd with --backup-dir DIR to list them");
  }
  KOPF_ASSIGN_OR_RETURN(std::vector<cerebrum::BackupListing> backups, cerebrum::ListBackups(dir));
  StatementResult result;
  result.tag = "SHOW";
  result.columns = {{"name", Type::kText},   {"commit", Type::kInteger},
                    {"time", Type::kText},   {"files", Type::kInteger},
                    {"bytes", Type::kInteger}, {"verified", Type::kText}};
  for (const cerebrum::BackupListing& b : backups) {
    protocol::Row row{Value::Text(b.name), Value(), Value(), Value(), Value(), Value()};
    if (b.manifest) {
      row[1] = Count(b.manifest->commit);
      row[2] = Value::Text(b.manifest->time);
      row[3] = Count(b.manifest->files.size());
      row[4] = Count(b.manifest->total_bytes());
    }
    if (b.verified_at) row[5] = Value::Text(*b.verified_at);
    result.rows.push_back(std::move(row));
  }
  result.count = result.rows.size();
  return result;
}

}  // namespace kopf::cerebellum
