// The backup manifest, `backup.csv` at the top of a backup folder: what a
// backup holds, read back by `kopf backup --verify` and SHOW BACKUPS.
//
// A backup folder is a kopf data directory (tables/<name>/schema.csv,
// indexes.csv, manifest.csv and the data files) plus backup.csv, a CSV file
// that opens in any spreadsheet:
//
//   entry,value,bytes,sha256
//   format,1,,
//   commit,1234,,                   every commit up to this number, none after
//   time,2026-11-21T03:00:00Z,,     when the backup was cut (UTC)
//   server,kopfd 0.1.0,,            the software that wrote it
//   file,tables/pets/manifest.csv,40,<64 hex digits of SHA-256>
//   file,tables/pets/schema.csv,...
//
// Every file of the backup but backup.csv itself has one `file` record
// (paths relative to the folder, '/'-separated). backup.csv is written last
// and the folder renamed into place after it, so a folder holding one is a
// complete backup. `verified.csv` (time,commit) records the last check of
// the folder that passed; it is not part of the backup and not listed.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/status.h"

namespace kopf::cerebrum {

inline constexpr std::string_view kBackupManifestFileName = "backup.csv";
inline constexpr std::string_view kBackupVerifiedFileName = "verified.csv";
// A backup is written into "<folder>.tmp" and renamed when complete.
inline constexpr std::string_view kBackupWorkSuffix = ".tmp";

struct BackupFileEntry {
  std::string path;  // relative to the backup folder, '/'-separated
  uint64_t bytes = 0;
  std::string sha256;  // 64 lower-case hex digits
};

struct BackupManifest {
  uint64_t commit = 0;
  std::string time;    // UTC, "YYYY-MM-DDTHH:MM:SSZ"
  std::string server;  // e.g. "kopfd 0.1.0"
  std::vector<BackupFileEntry> files;

  uint64_t total_bytes() const;
};

// backup.csv's contents for `manifest`.
std::string EncodeBackupManifest(const BackupManifest& manifest);
// Reads `folder`/backup.csv. kIoError when it cannot be read, kCorruption
// (naming the file and line) when it is malformed or lacks an entry.
protocol::Result<BackupManifest> ReadBackupManifest(const std::filesystem::path& folder);

// The outcome of checking a backup folder: its manifest and every problem
// found, each a sentence naming the file; empty when the backup is intact.
struct BackupCheck {
  BackupManifest manifest;
  std::vector<std::string> problems;
};
// Re-reads every file backup.csv lists and checks its size and SHA-256;
// checks that no other file is in the folder, and that each table's
// manifest.csv names exactly the data files listed for that table. Fails
// only when backup.csv cannot be read (as ReadBackupManifest).
protocol::Result<BackupCheck> VerifyBackup(const std::filesystem::path& folder);
// Writes verified.csv after a check that passed.
protocol::Status RecordVerification(const std::filesystem::path& folder,
                                    const BackupManifest& manifest, std::string_view time);

// One folder of a backup directory, as SHOW BACKUPS lists it.
struct BackupListing {
  std::string name;                         // the folder's name
  std::optional<BackupManifest> manifest;   // absent when backup.csv is unreadable
  std::optional<std::string> verified_at;   // the last check that passed
};
// The backups directly inside `dir` (folders holding backup.csv; unfinished
// "*.tmp" folders are left out), oldest first. kIoError when `dir` cannot
// be listed; a missing `dir` holds no backups.
protocol::Result<std::vector<BackupListing>> ListBackups(const std::filesystem::path& dir);

// `when` as "YYYY-MM-DDTHH:MM:SSZ".
std::string UtcTimestamp(std::chrono::system_clock::time_point when);

}  // namespace kopf::cerebrum
