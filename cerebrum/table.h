// Table: one table's rows in memory, its primary B+Tree, its secondary
// indexes, and the segment it appends to.
//
// Rows live in a B+Tree keyed by the primary key columns, or by a hidden
// row id for tables without one. Every change goes through Commit(), which
// checks the whole batch (including every unique index), appends it to the
// segment as one commit (see segment_format.h), applies it to the row tree
// and to every secondary index, and waits until it is durable.
//
// Locking: a std::shared_mutex per table. Readers hold LockShared() while
// they walk rows() or an index; a statement that writes holds
// LockExclusive() from its first read to Commit(), so "read rows, decide,
// write" is atomic. Commit() releases the lock before waiting for the
// fsync, so writers of the same table share fsyncs (group commit) instead
// of queueing behind them. CREATE INDEX builds under the exclusive lock of
// its table only.
//
// Partitioned tables (schema().partitioned()): this Table holds no rows of
// its own but one child Table per partition (partitions()), each with its
// own folder of segments, B+Tree, secondary indexes (local: the same
// definitions in every partition) and lock. Statements lock this table as
// any other; its lock covers every partition's rows for readers and
// writers, and Commit() routes the changes to the partitions, appending a
// statement that touches several as one multi-part commit (see
// table_partitions.cc). A child's own lock is taken by the commit under
// the parent's lock, and alone by its compaction and backups.
//
// Thread-safety: as above; schema() is immutable and lock-free, and
// Statistics() / row_count() may be called with or without the table's
// lock (the planner calls them while an executor may hold it).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cerebrum/btree.h"
#include "cerebrum/key_range.h"
#include "cerebrum/options.h"
#include "cerebrum/schema.h"
#include "cerebrum/secondary_index.h"
#include "cerebrum/segment_set.h"
#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::cerebrum {

class GroupCommit;
class SegmentWriter;

using RowTree = BPlusTree<Key, protocol::Row, KeyCompare>;

// One row change of a statement.
struct Change {
  enum class Kind { kInsert, kUpdate, kDelete };
  Kind kind = Kind::kInsert;
  Key key;           // kUpdate, kDelete: the row's current key. kInsert: ignored
  protocol::Row row; // kInsert, kUpdate: the full new image
  // Partitioned tables without a primary key, kUpdate and kDelete: the
  // partition holding the row now (Table::PartitionOfRow of its current
  // image). With a primary key the key tells, and this is not read.
  size_t partition = 0;
};

// The range of a numeric column's non-NULL values, for estimating how much
// of a key range a condition covers. Absent when the column is not numeric,
// holds no finite value, or (for the primary key) the table is empty.
struct ValueRange {
  double min = 0;
  double max = 0;
};

// What the planner may know about a table without locking it: a snapshot
// taken by Statistics(), exact at the moment it was taken.
struct IndexStatistics {
  IndexSchema schema;
  uint64_t id = 0;                         // SecondaryIndex::id()
  uint64_t entries = 0;                    // = rows of the table
  std::vector<uint64_t> distinct;          // distinct[i]: values of the first i+1 columns
  std::optional<ValueRange> first_column;  // of the first index column
};
struct TableStatistics {
  uint64_t row_count = 0;
  std::optional<ValueRange> first_key_column;  // of the first primary key column
  std::vector<IndexStatistics> indexes;        // in creation order
};

class Table : public std::enable_shared_from_this<Table> {
 public:
  using SharedLock = std::shared_lock<std::shared_mutex>;
  using ExclusiveLock = std::unique_lock<std::shared_mutex>;

  // Used by Database when it creates or recovers a table. An empty
  // `folder` makes a memory-only table: nothing is ever written for it.
  Table(TableSchema schema, std::filesystem::path folder, GroupCommit* group_commit,
        const Options& options);
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const TableSchema& schema() const { return schema_; }
  const std::filesystem::path& folder() const { return folder_; }
  bool in_memory() const { return folder_.empty(); }

  SharedLock LockShared() const { return SharedLock(mutex_); }
  // The shared lock if it is free now, else an unlocked SharedLock (check
  // owns_lock()); never waits.
  SharedLock TryLockShared() const { return SharedLock(mutex_, std::try_to_lock); }
  ExclusiveLock LockExclusive() { return ExclusiveLock(mutex_); }
  // The exclusive lock if it is free now, else an unlocked ExclusiveLock;
  // never waits.
  ExclusiveLock TryLockExclusive() { return ExclusiveLock(mutex_, std::try_to_lock); }
  // True when the next commit must fsync before it can append (its segment
  // is full and rolls over first), so it may wait for the disk even under
  // a DurabilityScope. REQUIRES: the exclusive lock is held.
  bool NextCommitSyncs() const;

  // REQUIRES: a lock from LockShared() or LockExclusive() is held.
  // Empty for a partitioned table: its rows are in its partitions.
  const RowTree& rows() const { return rows_; }

  bool partitioned() const { return !partitions_.empty(); }
  // The partitions in the order of schema().partitioning.partitions; empty
  // for a table without partitions. Their rows() and indexes() are read
  // under this table's lock.
  const std::vector<std::unique_ptr<Table>>& partitions() const { return partitions_; }
  // The partition a row of this table belongs to (0 when unpartitioned), or
  // nothing when no RANGE partition takes its value.
  std::optional<size_t> PartitionOfRow(const protocol::Row& row) const;

  // The key of `row`. REQUIRES: schema().has_primary_key().
  Key KeyOf(const protocol::Row& row) const;

  // The index named `name`, or null. REQUIRES: a lock is held; the pointer
  // is valid while it is.
  const SecondaryIndex* FindIndex(std::string_view name) const;
  // Every index, in creation order. REQUIRES: a lock is held.
  const std::vector<std::unique_ptr<SecondaryIndex>>& indexes() const { return indexes_; }

  // Row count and per-index statistics; see the thread-safety note above.
  TableStatistics Statistics() const;
  uint64_t row_count() const {
    if (partitions_.empty()) return row_count_.load(std::memory_order_relaxed);
    uint64_t rows = 0;
    for (const auto& partition : partitions_) rows += partition->row_count();
    return rows;
  }

  // Applies `changes` as one atomic, durable commit and returns the number
  // of rows changed. Either every change is applied or none:
  //   kDuplicateKey        an inserted or updated key already exists, or
  //                        a unique index would hold equal values twice
  //   kConstraintViolation a NOT NULL column is NULL
  //   kTypeMismatch        a value's type is not its column's
  //   kInvalidValue        a row too long for a segment line, NUL in text
  //   kUndefinedTable      the table was dropped meanwhile
  //   kDiskFull            no space for the append; nothing changed, and a
  //                        later commit succeeds once space returns
  //   kReadOnly            the file system refused the append
  //   kIoError             the append failed, or the fsync did: then the
  //                        commit's outcome is unknown (it is in memory and
  //                        may or may not survive a restart), and every
  //                        later commit fails until the server restarts
  // Every such message starts with `table "NAME": `.
  // Keys are checked for the statement as a whole: an UPDATE that shifts
  // keys (SET id = id + 1) succeeds when the final keys are unique; unique
  // indexes are judged the same way, on the batch's final state.
  // REQUIRES: `lock` is this table's exclusive lock. It is released before
  // waiting for durability.
  protocol::Result<uint64_t> Commit(ExclusiveLock lock, std::vector<Change> changes);

  // Inserts `rows` as one atomic, durable commit, as Commit() with only
  // kInsert changes would, with the same errors; built for large batches
  // (COPY): keys are checked by sorting rather than through a map, and rows
  // enter the tree in key order (table_bulk.cc). On an error about one row,
  // `*failed_row` is its index in `rows` (else it is left alone).
  // REQUIRES: `lock` is this table's exclusive lock; released before
  // waiting for durability.
  protocol::Result<uint64_t> BulkInsert(ExclusiveLock lock, std::vector<protocol::Row> rows,
                                        size_t* failed_row);

  // Writes the live rows as a snapshot that replaces every file up to a
  // rollover point (see table_compaction.cc). Readers and writers carry on
  // meanwhile. Returns the number of rows in the snapshot. kUndefinedTable
  // when the table is dropped meanwhile, kIoError. A memory-only table
  // has no files: it returns its row count and does nothing.
  protocol::Result<uint64_t> Compact();
  // Compact() of every partition (or of the table itself) past a threshold
  // of Options (NeedsCompaction()): the background thread's call.
  protocol::Result<uint64_t> CompactIfNeeded();
  // True when a compaction threshold of Options is passed (dead fraction
  // of the lines in the live files, or the number of segments).
  bool NeedsCompaction() const;
  // Lines (put and del) in the live files, and how many of them are live
  // rows: the rest are dead, which compaction reclaims.
  uint64_t line_count() const { return lines_.load(std::memory_order_relaxed); }
  // The files holding this table's data, for a backup. REQUIRES: a lock
  // from LockShared() or LockExclusive() is held. Empty for a memory-only
  // or a partitioned table (each partition has its own).
  SegmentSetFiles Files() const;
  // For a backup (backup.cc): starts a new active segment when the current
  // one holds at least `min_bytes`, so that the backup links the sealed file
  // instead of copying it. Takes the exclusive lock for the rollover. OK and
  // nothing done for a dropped table; kIoError.
  protocol::Status SealActiveSegment(uint64_t min_bytes);
  // For a backup, once the group commit's round after its cut is done: OK
  // when this table (every partition) takes writes, else the failure that
  // refuses them. After a failed round write the file lacks commits that
  // memory holds, so a copy of it would not be the state at the cut.
  protocol::Status CheckFilesHoldCommits() const;

  // ---- For Database only --------------------------------------------------
  // Reads the manifest's files back into memory; cuts a torn tail off the
  // last one (and, with options.repair, damage anywhere, saved aside).
  protocol::Status Recover(uint64_t* max_seq);
  // Opens the active segment for appending (creating it if needed).
  protocol::Status OpenForWrites();
  // Called (without the table's lock) after a commit that leaves the table
  // past a compaction threshold.
  void SetCompactionHint(std::function<void()> hint);
  // Reads indexes.csv (if any) and builds every index from the rows.
  // Called by Recover() once the rows are back. kCorruption for a bad file
  // or a unique index the rows violate.
  protocol::Status LoadIndexes();
  // Builds `index` under the exclusive lock, rewrites indexes.csv with it,
  // then publishes it. kDuplicateKey (unique violation), kUndefinedTable
  // (dropped meanwhile), kIoError; on error nothing changed.
  // REQUIRES: the name is free in the database (Database checks, under its
  // DDL mutex) and the schema is valid for this table.
  protocol::Status AddIndex(IndexSchema index);
  // Rewrites indexes.csv without the index named `name`, then forgets it.
  // REQUIRES: the index exists (Database checks).
  protocol::Status RemoveIndex(std::string_view name);
  // Marks the table dropped: later commits fail with kUndefinedTable.
  // REQUIRES: exclusive lock held.
  void MarkDropped();
  // The global commit sequence, shared by all tables of a database.
  void SetSequence(std::atomic<uint64_t>* sequence);

 private:
  // A batch checked against the table and resolved into the final state
  // of every key it touches (Commit's step 1), then written and applied.
  struct Staged {
    std::map<Key, std::optional<protocol::Row>, KeyLess> final_state;
    uint64_t affected = 0;
    int64_t next_rowid = 0;
    std::shared_ptr<SegmentWriter> writer;  // after WriteStaged
  };
  // What reading a table's files at start-up yields, before it is applied.
  struct RecoveredChange {
    bool is_delete = false;
    Key key;
    protocol::Row row;
  };
  struct RecoveryLog {
    std::vector<RecoveredChange> changes;  // of complete commits, file order
    // A part of a multi-part commit: its changes are changes[begin, end).
    struct Part {
      uint64_t seq = 0;
      std::vector<size_t> partitions;  // every partition the commit touched
      size_t begin = 0;
      size_t end = 0;
    };
    std::vector<Part> parts;
    std::vector<uint64_t> aborted;  // commits an `abort` line voids
  };

  // Steps of Commit(); REQUIRES: exclusive lock held.
  protocol::Result<Staged> Stage(std::vector<Change> changes);
  // Encodes and appends the batch as commit `seq` ending with `commit_op`;
  // a failed write changes nothing in memory.
  protocol::Status WriteStaged(Staged* staged, uint64_t seq, std::string_view commit_op);
  void ApplyStaged(Staged* staged, uint64_t seq);
  // A partitioned table's Commit (table_partitions.cc).
  protocol::Result<uint64_t> CommitPartitioned(ExclusiveLock lock, std::vector<Change> changes);
  // Appends `seq,abort` and fsyncs: this partition's part of commit `seq`
  // is void (table_partitions.cc).
  protocol::Status AppendAbort(uint64_t seq);
  // Creates the child Tables of a partitioned schema.
  void CreatePartitions();
  // Recover() of a partitioned table: every partition's files, then which
  // multi-part commits are whole (table_partitions.cc).
  protocol::Status RecoverPartitions(uint64_t* max_seq);
  // Reads the live files into `*log` (Recover's first half).
  protocol::Status ReadFiles(uint64_t* max_seq, RecoveryLog* log);
  // Index definitions from indexes.csv (none without the file).
  protocol::Result<std::vector<IndexSchema>> ReadIndexFile() const;
  // Builds `definitions` from the rows; `ids` (if not empty) gives each
  // index its id. kCorruption naming indexes.csv on a unique violation.
  protocol::Status BuildIndexes(std::vector<IndexSchema> definitions,
                                const std::vector<uint64_t>& ids);
  // A partitioned table's AddIndex and RemoveIndex.
  protocol::Status AddIndexToPartitions(IndexSchema schema);
  protocol::Status RemoveIndexFromPartitions(std::string_view name);
  // Statistics() of a partitioned table: the partitions' summed.
  TableStatistics PartitionStatistics() const;
  protocol::Status CheckRow(const protocol::Row& row) const;
  // `status` with `table "NAME": ` before its message (OK stays OK).
  protocol::Status WithTableName(protocol::Status status) const;
  std::string HeaderLine() const;
  // Reads one file, appending the changes of its complete commits to
  // `*log` in file order.
  protocol::Status RecoverSegment(const std::filesystem::path& path, bool is_last,
                                  uint64_t* max_seq, RecoveryLog* log);
  // Builds the row tree from every recovered change: the last change of
  // each key wins, and the surviving rows are loaded in key order.
  void ApplyRecovered(std::vector<RecoveredChange> changes);
  // Moves the bytes of `path` from `offset` on into a .damaged-<time> file
  // beside it (kopfd --repair).
  protocol::Status CutDamagedTail(const std::filesystem::path& path, uint64_t offset,
                                  const protocol::Status& damage) const;
  // Names of the files in the folder that are not the segment set's.
  static std::vector<std::string_view> KnownFiles();
  // Appends one segment line to `*buffer`.
  void AppendLine(std::string* buffer, uint64_t seq, std::string_view op, const Key& key,
                  const protocol::Row* row) const;
  // Compaction: writes the snapshot file's rows at commit `seq`, walking
  // the rows under the shared lock in chunks. Returns the row count.
  protocol::Result<uint64_t> WriteSnapshot(const std::filesystem::path& path, uint64_t seq);
  // AppendLine to line_buffer_ for a put or a tombstone, refusing
  // (kInvalidValue) a line longer than recovery can read back.
  protocol::Status AppendRowLine(uint64_t seq, const Key& key, const protocol::Row* row);
  // Before a commit: an earlier fsync (or rollover) failure makes the table
  // refuse writes until a restart (see GroupCommit). OK for memory-only.
  protocol::Status CheckWritable() const;
  // Remembers `refusal` (see RefusalAfter) as the answer to every later
  // write; returns it with the table's name.
  protocol::Status NoteFailure(const protocol::Status& refusal);
  // For an error of a rollover or an append: a full or read-only disk
  // changes nothing and passes; anything else may come from an fsync, after
  // which the segment's state on disk is unknown, so it is noted
  // (NoteFailure(RefusalAfter(status))). Returns the error with the
  // table's name.
  protocol::Status NoteIfInDoubt(protocol::Status status);
  // Appends the commit in line_buffer_ holding `changed_lines` put/del
  // lines to the active segment, rolling over first when it is full.
  // Returns the writer that received it (null for a memory-only table).
  // A failed write changes nothing.
  protocol::Result<std::shared_ptr<SegmentWriter>> AppendCommit(uint64_t changed_lines);
  // Registers `writer`'s bytes with the group commit, releases `lock`,
  // wakes the compaction thread when a threshold is passed, then waits as
  // the sync mode says. Nothing to do for a memory-only table.
  // `outer` (a partitioned table's lock, for a partition's commit) is
  // released with `lock`.
  protocol::Status FinishCommit(ExclusiveLock lock, std::shared_ptr<SegmentWriter> writer,
                                ExclusiveLock outer = ExclusiveLock());
  // BulkInsert of a table without partitions (or of one partition), with
  // `outer` released with `lock` before the durability wait.
  protocol::Result<uint64_t> BulkInsertUnder(ExclusiveLock lock, ExclusiveLock outer,
                                             std::vector<protocol::Row> rows, size_t* failed_row);
  // Writes indexes.csv holding `indexes`. REQUIRES: exclusive lock held.
  protocol::Status WriteIndexFile(const std::vector<IndexSchema>& indexes) const;
  // Refreshes stats_ from the indexes. REQUIRES: exclusive lock held.
  void PublishStatistics(bool index_list_changed);

  const TableSchema schema_;
  const std::filesystem::path folder_;
  GroupCommit* const group_commit_;
  const Options options_;
  std::atomic<uint64_t>* sequence_ = nullptr;
  std::function<void()> compaction_hint_;
  std::mutex compaction_mutex_;  // one compaction of this table at a time

  mutable std::shared_mutex mutex_;
  RowTree rows_;                            // GUARDED_BY(mutex_)
  int64_t next_rowid_ = 1;                  // GUARDED_BY(mutex_), rowid tables only
  bool dropped_ = false;                    // GUARDED_BY(mutex_)
  std::unique_ptr<SegmentSet> segments_;    // appends GUARDED_BY(mutex_) exclusive
  std::atomic<uint64_t> lines_{0};          // put/del lines in the live files
  std::string line_buffer_;                 // GUARDED_BY(mutex_), reused per commit
  mutable std::mutex failure_mu_;
  protocol::Status failure_ = protocol::Status::Ok();  // GUARDED_BY(failure_mu_): sticky
  std::vector<std::unique_ptr<SecondaryIndex>> indexes_;  // GUARDED_BY(mutex_)
  // The newest commit applied to this table: a partition's snapshot
  // carries it (not the global sequence) so a snapshot never appears to
  // cover a multi-part commit whose part this partition lacks.
  std::atomic<uint64_t> last_commit_{0};

  // Partitioned tables only.
  std::vector<std::unique_ptr<Table>> partitions_;
  bool is_partition_ = false;  // a child: no schema or index file of its own
  // A child: flushes every partition's active segment (its compaction's
  // step 3, see table_compaction.cc).
  std::function<protocol::Status()> sync_siblings_;
  // Parts of torn multi-part commits found at recovery, voided with an
  // abort line by OpenForWrites before any write: (partition, commit).
  std::vector<std::pair<size_t, uint64_t>> torn_parts_;

  // A copy of the statistics for callers without the table's lock,
  // refreshed after every change while the exclusive lock is still held.
  std::atomic<uint64_t> row_count_{0};
  mutable std::mutex stats_mutex_;
  TableStatistics stats_;  // GUARDED_BY(stats_mutex_)
};

}  // namespace kopf::cerebrum
