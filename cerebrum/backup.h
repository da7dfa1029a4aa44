// Backups: a copy of every table consistent at one commit number, taken
// while readers and writers carry on (Database::Backup, in backup.cc), and
// the rule that confines where BACKUP TO may write.
//
// The backup folder is itself a kopf data directory: `kopfd --data FOLDER`
// started on it serves exactly the rows committed up to the backup's commit
// number. backup.csv (backup_manifest.h) lists every file with its size and
// SHA-256. A crash while a backup is written leaves only "<folder>.tmp",
// never a folder that looks complete.
//
// Immutable files (full segments, snapshots) are hard-linked into the
// backup when it is on the same file system, copied otherwise. Either way
// the backup is independent of the live data directory: the server never
// changes an immutable file in place, it only deletes it, which leaves a
// link intact. (The exception is `kopfd --repair`, which cuts damage out of
// a file in place; run it on a copy of a backup, not on the live folder of
// one whose files are linked.)
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "protocol/status.h"

namespace kopf::cerebrum {

// What a backup wrote.
struct BackupSummary {
  std::filesystem::path folder;  // the finished backup
  uint64_t commit = 0;           // holds every commit up to this number, none after
  uint64_t files = 0;            // files listed in backup.csv
  uint64_t bytes = 0;            // their total size
};

// The folder BACKUP TO `requested` writes: a relative path is taken under
// `backup_dir`; an absolute one must lie inside it. Symbolic links are
// resolved before the check, so none can lead outside. Errors:
//   kNotSupported  `backup_dir` is empty (backups are not configured)
//   kInvalidValue  an empty path, a path outside `backup_dir` or equal to
//                  it, or a name ending in ".tmp" (kept for work folders)
protocol::Result<std::filesystem::path> ResolveBackupTarget(
    const std::filesystem::path& backup_dir, std::string_view requested);

}  // namespace kopf::cerebrum
