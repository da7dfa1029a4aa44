// Database: the storage layer's entry point — the catalog of tables in one
// data directory, recovery at start-up, and table creation and removal.
//
// Opening a database takes an exclusive lock on DATA_DIR/kopfd.lock (a
// second server on the same folder is refused), removes work left half done
// by a crash (folders starting with '.'), and rebuilds every table from its
// segments (see table_recovery.cc). Creating and dropping a table are atomic
// across a crash: both are a rename of the table's folder plus an fsync of
// DATA_DIR/tables.
//
// Secondary indexes have names unique within the database (like SQLite; a
// separate namespace from tables). Their definitions live in each table's
// folder (indexes.csv) and their entries are rebuilt at start-up.
//
// With StorageMode::kMemory none of the above touches the disk: tables and
// indexes live in memory only and are gone when the Database is destroyed
// (and nothing is compacted).
// A background thread compacts tables that pass the thresholds of Options
// (see table_compaction.cc); COMPACT TABLE does the same on demand.
//
// Thread-safety: all methods may be called from any thread. A Table found
// with FindTable() stays valid while the caller holds the shared_ptr, even
// if the table is dropped meanwhile (its writes then fail).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cerebrum/backup.h"
#include "cerebrum/group_commit.h"
#include "cerebrum/options.h"
#include "cerebrum/schema.h"
#include "cerebrum/secondary_index.h"
#include "cerebrum/table.h"
#include "protocol/status.h"

namespace kopf::cerebrum {

class Database {
 public:
  // Opens (creating if needed) the data directory and recovers every table.
  // Fails with kIoError (unusable folder, already locked) or kCorruption
  // (damaged data, naming the file and line).
  static protocol::Result<std::unique_ptr<Database>> Open(const Options& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Creates an empty table. kDuplicateTable when the name is taken.
  // REQUIRES: the schema is valid (names unique, key columns exist).
  protocol::Status CreateTable(TableSchema schema);
  // Removes a table, its indexes and its files. kUndefinedTable when it
  // does not exist.
  protocol::Status DropTable(std::string_view name);

  // Creates a secondary index over the existing rows of index.table,
  // holding that table's exclusive lock (and the DDL mutex) while it builds;
  // other tables' readers and writers carry on. Errors, nothing changed:
  //   kDuplicateTable   `index "x" already exists` (OK with if_not_exists)
  //   kUndefinedTable   the table does not exist
  //   kUndefinedColumn  a column position out of range (the binder's job)
  //   kDuplicateKey     a unique index the rows violate, naming the key
  //   kIoError          indexes.csv could not be written
  // An empty index.descending means all columns ascending.
  protocol::Status CreateIndex(IndexSchema index, bool if_not_exists = false);
  // Drops the index named `name`: kUndefinedTable `index "x" does not
  // exist` (OK with if_exists), kIoError.
  protocol::Status DropIndex(std::string_view name, bool if_exists = false);
  // The definition of the index named `name`, if any.
  std::optional<IndexSchema> FindIndex(std::string_view name) const;
  // The definitions of every index of `table` (none for an unknown table).
  std::vector<IndexSchema> IndexesOf(std::string_view table) const;

  // COMPACT TABLE: writes `name`'s live rows as a snapshot and retires the
  // files it covers (Table::Compact). Returns the snapshot's row count.
  // kUndefinedTable, kIoError.
  protocol::Result<uint64_t> CompactTable(std::string_view name);

  // BACKUP TO: writes a copy of every table, consistent at one commit
  // number, into the folder `target` (see backup.h and backup.cc). Writers
  // wait only while the files are noted, not while they are copied. One
  // backup runs at a time. kInvalidValue when `target` exists, kIoError.
  protocol::Result<BackupSummary> Backup(const std::filesystem::path& target);

  // The table named `name`, or null.
  std::shared_ptr<Table> FindTable(std::string_view name) const;
  // Every table's name, sorted bytewise.
  std::vector<std::string> TableNames() const;

  // With SyncMode::kAlways, waits until every write already applied in
  // memory is durable, so a read never reports a row that a crash could
  // still take back; returns at once when no fsync is pending. In the other
  // modes acknowledged writes may be lost anyway, so it returns at once (see
  // GroupCommit::WaitForRegistered). Always OK: a failed fsync refuses later
  // writes to its table, not reads.
  protocol::Status WaitForVisibleWrites() { return group_commit_.WaitForRegistered(); }
  // True when WaitForVisibleWrites() would return OK without waiting.
  bool VisibleWritesAreDurable() const { return group_commit_.RegisteredAreDurable(); }

  // Commits and fsync rounds of the group commit so far (sync = always
  // and interval; all zero in the other modes).
  GroupCommit::Stats durability_stats() const { return group_commit_.stats(); }
  // See GroupCommit::SetCallbackWrapper (and its REQUIRES).
  void SetDurableCallbackWrapper(GroupCommit::CallbackWrapper wrap) {
    group_commit_.SetCallbackWrapper(std::move(wrap));
  }

  const Options& options() const { return options_; }
  // StorageMode::kMemory: no folder, no lock file, nothing written.
  bool in_memory() const { return options_.storage == StorageMode::kMemory; }
  // The highest commit sequence number handed out so far.
  uint64_t last_sequence() const { return sequence_.load(); }

 private:
  explicit Database(Options options);
  protocol::Status Recover();
  // Reads one table's folder back (schema, files, indexes).
  protocol::Result<std::shared_ptr<Table>> RecoverTable(const std::filesystem::path& folder,
                                                        uint64_t* max_seq);
  std::shared_ptr<Table> NewTable(TableSchema schema, const std::filesystem::path& folder);
  std::filesystem::path tables_dir() const;
  // The background compaction thread: wakes when a commit leaves a table
  // past a threshold (Table::NeedsCompaction) and compacts such tables one
  // at a time, or every few seconds to look again.
  void CompactionLoop();

  const Options options_;
  int lock_fd_ = -1;
  GroupCommit group_commit_;
  std::atomic<uint64_t> sequence_{0};
  std::mutex ddl_mutex_;  // serialises CREATE/DROP TABLE/INDEX file work
  mutable std::shared_mutex catalog_mutex_;
  std::map<std::string, std::shared_ptr<Table>, std::less<>> tables_;  // GUARDED_BY(catalog_mutex_)
  // Index name -> its definition (the table's name is in it).
  std::map<std::string, IndexSchema, std::less<>> indexes_;  // GUARDED_BY(catalog_mutex_)

  std::mutex compaction_mu_;
  std::condition_variable compaction_cv_;
  bool compaction_wanted_ = false;  // GUARDED_BY(compaction_mu_)
  bool stopping_ = false;           // GUARDED_BY(compaction_mu_)
  std::thread compaction_thread_;   // declared last: stopped first
};

}  // namespace kopf::cerebrum
