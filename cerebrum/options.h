// Options for the storage layer. Every field has its default here with the
// trade-off it controls; brainstem/main.cc fills it from flags and config.
#pragma once

#include <chrono>
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
};

}  // namespace kopf::cerebrum
