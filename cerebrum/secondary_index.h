// SecondaryIndex: a B+Tree over some columns of a table, mapping their
// values to the primary keys of the rows that hold them.
//
// Entries. Each row has exactly one entry, the Key
//     (index column values..., primary key values...)
// (the primary key is {row id} for tables without one). Appending the
// primary key makes entries unique even when many rows share the indexed
// values, so the tree needs no lists of duplicates, and all rows with equal
// indexed values sit next to each other in primary key order. The tree's
// value is empty: a lookup yields primary keys, and the row is one more
// lookup in the table's row tree (row pointers would not survive the
// entries moving between B+Tree nodes).
//
// NULLs are indexed like any value (they sort first), so `col IS NULL` can
// use an index; a range with a bound never yields them (see KeyRange).
//
// DESC columns are stored ascending like the others: a B+Tree walks both
// ways, so an ORDER BY ... DESC can read the leaves backwards. The flag is
// kept in the definition for what the user asked (and for a future
// on-disk index, where the order of the pages would matter).
//
// UNIQUE: no two rows may have equal values in every index column unless
// one of those values is NULL (NULLs never conflict, as in SQLite and
// PostgreSQL). Table::Commit checks a batch against this before it writes;
// Build() checks the existing rows.
//
// Statistics: distinct(i) is the exact number of distinct values of the
// first i+1 index columns (NULL counted as one value), kept by every
// Insert/Erase by looking at the entry's two neighbours: a new entry adds a
// distinct prefix of length l exactly when neither neighbour shares its
// first l columns. That costs one extra seek per change and never drifts.
//
// Thread-safety: none inside; the owning Table's lock protects it (const
// methods under the shared lock, the others under the exclusive one).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cerebrum/btree.h"
#include "cerebrum/key_range.h"
#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::cerebrum {

// The definition of an index, as CREATE INDEX gives it and indexes.csv
// keeps it.
struct IndexSchema {
  std::string name;              // unique within the database
  std::string table;             // the indexed table
  std::vector<size_t> columns;   // column positions in the table, in index order
  std::vector<bool> descending;  // one per column (empty: all ascending)
  bool unique = false;
  bool operator==(const IndexSchema&) const = default;
};

// The tree's value: nothing (the entry's key says it all).
struct IndexEntry {};

using IndexTree = BPlusTree<Key, IndexEntry, KeyCompare>;

class SecondaryIndex {
 public:
  // Each index gets an id, unique within the process, that tells it apart
  // from a later index of the same name (an access path planned for the
  // old one must not be used with the new one).
  explicit SecondaryIndex(IndexSchema schema);
  // With a given id: the partitions of a table share one id per index, so
  // a plan made from the table's statistics finds it in every partition.
  SecondaryIndex(IndexSchema schema, uint64_t id);
  SecondaryIndex(const SecondaryIndex&) = delete;
  SecondaryIndex& operator=(const SecondaryIndex&) = delete;

  const IndexSchema& schema() const { return schema_; }
  uint64_t id() const { return id_; }
  size_t width() const { return schema_.columns.size(); }
  const IndexTree& tree() const { return tree_; }
  size_t size() const { return tree_.size(); }
  // Distinct values of the first `columns` index columns (1..width()).
  uint64_t distinct(size_t columns) const { return distinct_[columns - 1]; }

  // The indexed values of `row`, in index order.
  Key ValuesOf(const protocol::Row& row) const;
  // True when `a` and `b` have equal values in every index column.
  bool SameValues(const protocol::Row& a, const protocol::Row& b) const;

  // Fills an empty index with one entry per row of `rows` (a tree of
  // primary key -> row). kDuplicateKey when the index is unique and two
  // rows conflict; the index is then left empty.
  template <typename RowTree>
  protocol::Status Build(const RowTree& rows) {
    std::vector<Key> entries;
    entries.reserve(rows.size());
    for (auto it = rows.Begin(); it.Valid(); it.Next()) {
      entries.push_back(EntryOf(it.value(), it.key()));
    }
    return BuildFromEntries(std::move(entries));
  }

  // Adds / removes the entry of `row` stored under primary key `pk`.
  void Insert(const protocol::Row& row, std::span<const protocol::Value> pk);
  void Erase(const protocol::Row& row, std::span<const protocol::Value> pk);

  // The primary key of every row whose index values equal `values` (the
  // first values.size() columns), in primary key order; `visit(pk)` returns
  // false to stop. Returns false when stopped.
  template <typename Visit>
  bool ForEachWithValues(std::span<const protocol::Value> values, Visit&& visit) const {
    KeyRange range;
    range.prefix.assign(values.begin(), values.end());
    return Scan(range, visit);
  }

  // Walks the entries in `range` (over the index columns; see key_range.h)
  // in index order, calling visit(pk) with each row's primary key (a span
  // valid during the call only). Returns false when `visit` stopped it.
  template <typename Visit>
  bool Scan(const KeyRange& range, Visit&& visit) const {
    const size_t w = width();
    return ScanKeyRange(tree_, range, [&](const IndexTree::ConstIterator& it) {
      std::span<const protocol::Value> entry(it.key());
      return visit(entry.subspan(w));
    });
  }

  // The "(v1, v2)" text of a key, and the error a unique index reports.
  static std::string KeyText(std::span<const protocol::Value> values);
  protocol::Status DuplicateError(std::span<const protocol::Value> values) const;

  // Verifies the tree and that the distinct counts match a recount. O(n).
  protocol::Status TEST_CheckInvariants() const;

 private:
  Key EntryOf(const protocol::Row& row, std::span<const protocol::Value> pk) const;
  protocol::Status BuildFromEntries(std::vector<Key> entries);
  // For the entry at `key` (present in the tree): the longest prefix of
  // index columns it shares with either neighbour.
  size_t SharedWithNeighbours(const Key& key) const;

  const IndexSchema schema_;
  const uint64_t id_;
  IndexTree tree_;
  std::vector<uint64_t> distinct_;  // distinct_[i]: of the first i+1 columns
};

}  // namespace kopf::cerebrum
