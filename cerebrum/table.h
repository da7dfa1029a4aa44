// Table: one table's rows in memory, its primary B+Tree, and the segment it
// appends to.
//
// Rows live in a B+Tree keyed by the primary key columns, or by a hidden
// row id for tables without one. Every change goes through Commit(), which
// checks the whole batch, appends it to the segment as one commit (see
// segment_format.h), applies it to the tree, and waits until it is durable.
//
// Locking: a std::shared_mutex per table. Readers hold LockShared() while
// they walk rows(); a statement that writes holds LockExclusive() from its
// first read to Commit(), so "read rows, decide, write" is atomic. Commit()
// releases the lock before waiting for the fsync, so writers of the same
// table share fsyncs (group commit) instead of queueing behind them.
//
// Thread-safety: as above; schema() is immutable and lock-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "cerebrum/btree.h"
#include "cerebrum/schema.h"
#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::cerebrum {

class GroupCommit;
class SegmentWriter;

// A primary key value: the key columns' values in key order, or {row id}.
using Key = std::vector<protocol::Value>;

struct KeyCompare {
  std::strong_ordering operator()(const Key& a, const Key& b) const {
    size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      auto c = protocol::Compare(a[i], b[i]);
      if (c != 0) return c;
    }
    return a.size() <=> b.size();
  }
};

using RowTree = BPlusTree<Key, protocol::Row, KeyCompare>;

// One row change of a statement.
struct Change {
  enum class Kind { kInsert, kUpdate, kDelete };
  Kind kind = Kind::kInsert;
  Key key;           // kUpdate, kDelete: the row's current key. kInsert: ignored
  protocol::Row row; // kInsert, kUpdate: the full new image
};

class Table {
 public:
  using SharedLock = std::shared_lock<std::shared_mutex>;
  using ExclusiveLock = std::unique_lock<std::shared_mutex>;

  // Used by Database when it creates or recovers a table.
  Table(TableSchema schema, std::filesystem::path folder, GroupCommit* group_commit);
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const TableSchema& schema() const { return schema_; }
  const std::filesystem::path& folder() const { return folder_; }

  SharedLock LockShared() const { return SharedLock(mutex_); }
  ExclusiveLock LockExclusive() { return ExclusiveLock(mutex_); }

  // REQUIRES: a lock from LockShared() or LockExclusive() is held.
  const RowTree& rows() const { return rows_; }

  // The key of `row`. REQUIRES: schema().has_primary_key().
  Key KeyOf(const protocol::Row& row) const;

  // Applies `changes` as one atomic, durable commit and returns the number
  // of rows changed. Either every change is applied or none:
  //   kDuplicateKey        an inserted or updated key already exists
  //   kConstraintViolation a NOT NULL column is NULL
  //   kTypeMismatch        a value's type is not its column's
  //   kInvalidValue        a row too long for a segment line, NUL in text
  //   kUndefinedTable      the table was dropped meanwhile
  //   kIoError             the append or the fsync failed
  // Keys are checked for the statement as a whole: an UPDATE that shifts
  // keys (SET id = id + 1) succeeds when the final keys are unique.
  // REQUIRES: `lock` is this table's exclusive lock. It is released before
  // waiting for durability.
  protocol::Result<uint64_t> Commit(ExclusiveLock lock, std::vector<Change> changes);

  // ---- For Database only --------------------------------------------------
  // Reads the segments back into memory; cuts a torn tail off the last one.
  protocol::Status Recover(uint64_t* max_seq);
  // Opens the segment for appending (creating it if needed).
  protocol::Status OpenForWrites();
  // Marks the table dropped: later commits fail with kUndefinedTable.
  // REQUIRES: exclusive lock held.
  void MarkDropped() { dropped_ = true; }
  // The global commit sequence, shared by all tables of a database.
  void SetSequence(std::atomic<uint64_t>* sequence) { sequence_ = sequence; }

 private:
  protocol::Status CheckRow(const protocol::Row& row) const;
  std::string HeaderLine() const;
  protocol::Status RecoverSegment(const std::filesystem::path& path, bool is_last,
                                  uint64_t* max_seq);
  void AppendLine(uint64_t seq, std::string_view op, const Key& key, const protocol::Row* row);

  const TableSchema schema_;
  const std::filesystem::path folder_;
  GroupCommit* const group_commit_;
  std::atomic<uint64_t>* sequence_ = nullptr;

  mutable std::shared_mutex mutex_;
  RowTree rows_;                            // GUARDED_BY(mutex_)
  int64_t next_rowid_ = 1;                  // GUARDED_BY(mutex_), rowid tables only
  bool dropped_ = false;                    // GUARDED_BY(mutex_)
  std::shared_ptr<SegmentWriter> writer_;   // GUARDED_BY(mutex_)
  std::string line_buffer_;                 // GUARDED_BY(mutex_), reused per commit
};

}  // namespace kopf::cerebrum
