// Options for the storage layer. Every field has its default here with the
// trade-off it controls; brainstem/main.cc fills it from flags and config.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>

namespace kopf::cerebrum {

// When a commit's appended lines are fsync'ed, and so which acknowledged
// writes a crash (of the machine, or kill -9 of the server) can take back.
// A statement is never half applied after a crash in any mode.
enum class SyncMode {
  // fsync before the commit is acknowledged; concurrent commits share one
  // fsync round (group commit). Nothing acknowledged is ever lost. Readers
  // wait for the writes they see to be durable.
  kAlways,
  // A background thread fsyncs every sync_interval. Commits are
  // acknowledged once written (to the OS), so a crash may lose the writes
  // acknowledged during the last interval. Readers never wait.
  kInterval,
  // Never fsync; the OS writes back when it likes (typically within 30 s).
  // A power loss may lose any recent acknowledged write; kill -9 of the
  // server alone loses nothing, since the lines are in the OS's cache.
  kNone,
};

// Where tables live.
enum class StorageMode {
  kDisk,    // data_dir holds every table; recovered at start-up
  kMemory,  // nothing is written at all: no data_dir, no lock file; every
            // table is gone when the server stops
};

struct Options {
  // Folder holding the catalog and one sub-folder per table. Created if
  // missing. Unused with StorageMode::kMemory.
  std::filesystem::path data_dir = "data";
  // See SyncMode: durability of acknowledged writes against throughput.
  SyncMode sync = SyncMode::kAlways;
  // With SyncMode::kInterval, the time between fsync rounds: a longer one
  // saves fsyncs under a steady write load, and widens the window of
  // acknowledged writes a crash can lose.
  std::chrono::milliseconds sync_interval{1000};
  // See StorageMode.
  StorageMode storage = StorageMode::kDisk;

  // ---- Segments and compaction (cerebrum/README.md) ------------------------
  // A table's active segment is closed and a new one started once it holds
  // this many bytes (a commit never spans two segments, so a segment may
  // end up larger by one commit). Smaller segments make compaction start
  // sooner and retire space in smaller steps; each costs a manifest write.
  uint64_t segment_max_bytes = uint64_t{64} << 20;
  // Start-up: cut damage in the middle of a file (normally a fatal error)
  // off after saving it aside as <file>.damaged-<time>, and carry on.
  bool repair = false;
  // Background compaction of a table starts when dead lines (row images
  // replaced or deleted since) make up at least this fraction of the lines
  // in its live files, counted once it has compact_min_lines lines at all.
  // 0 disables this trigger.
  double compact_dead_fraction = 0.5;
  uint64_t compact_min_lines = 10000;
  // ... or when it has more than this many segments. 0 disables it.
  uint64_t compact_max_segments = 16;
  // Tables recovered at once at start-up (0: one per hardware thread).
  unsigned recovery_threads = 0;

  // ---- Backups (cerebrum/backup.h) -------------------------------------------
  // The only folder BACKUP TO may write into (a relative name lands inside
  // it, an absolute path must lie inside it) and the one SHOW BACKUPS
  // lists. Empty: BACKUP TO is refused. On the same file system as data_dir
  // a backup hard-links the sealed files and costs little space or time; on
  // another disk it copies them and survives the loss of the first.
  std::filesystem::path backup_dir;
};

}  // namespace kopf::cerebrum
