// AccessPath: how a statement reaches the rows of one table, chosen from
// the WHERE clause (the conditions on that table alone) by
// ChooseAccessPath():
//
//   kFullScan    walk every row in primary key order
//   kKeyRange    walk the primary key tree over ranges of keys
//   kIndexRange  walk a secondary index over ranges of its entries, and
//                fetch each row by the primary key the entry ends with
//   kEmpty       the WHERE clause can match nothing (key = NULL, a = 1
//                AND a = 2, x IN (), a NOT NULL column IS NULL)
//
// The ranges of kKeyRange and kIndexRange are over the key's columns (the
// primary key's, or the index's): the first prefix.size() columns equal
// `prefix`; then either column prefix.size() equals one of `in_values`
// (sorted and distinct, so the union of point lookups comes out in key
// order without duplicates), or it lies between `lower` and `upper`. A
// NULL in `prefix` stands for IS NULL (indexes only: key columns are never
// NULL). See Ranges().
//
// Choosing: every candidate gets an estimated row count from the table's
// statistics (row count; per index the distinct values of each prefix; the
// least and greatest value of a numeric first key column, so a range on it
// is estimated by interpolation; System R's default selectivities for what
// the statistics do not cover) and a cost (a seek per range, a unit per row read, two per row reached
// through an index, which needs a second lookup). The cheapest wins, ties
// going to the primary key, then a unique index, then any index, then the
// full scan.
//
// The paths are conservative: the executor applies the whole WHERE clause
// to every row a path yields, so a path only has to make sure no matching
// row is skipped. Conditions the planner cannot use (other shapes, SQLite's
// text-to-number affinity) simply leave the path wider.
//
// Thread-safety: plain data; ChooseAccessPath only reads the table's
// immutable schema and its Statistics() snapshot, so it may be called with
// or without the table's lock held.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cerebellum/binder/bound_expr.h"
#include "cerebrum/key_range.h"
#include "cerebrum/schema.h"
#include "protocol/value.h"

namespace kopf::cerebrum {
class Table;
}  // namespace kopf::cerebrum

namespace kopf::cerebellum {

struct AccessPath {
  enum class Kind { kFullScan, kKeyRange, kIndexRange, kUnion, kEmpty };
  Kind kind = Kind::kFullScan;

  // kIndexRange: the index, by name and by id (an index of the same name
  // created after planning has another id; ScanRows then falls back to a
  // full scan rather than use it).
  std::string index;
  uint64_t index_id = 0;
  bool index_unique = false;

  // kKeyRange, kIndexRange: which keys (see the top of this file).
  std::vector<protocol::Value> prefix;
  std::vector<protocol::Value> in_values;
  std::optional<protocol::Value> lower;  // on key column prefix.size()
  std::optional<protocol::Value> upper;  // on key column prefix.size()
  bool lower_inclusive = true;
  bool upper_inclusive = true;

  // kUnion: an OR of conditions, each reached through its own path; a row
  // reached by several is visited once.
  std::vector<AccessPath> union_of;

  // Partitioned tables: the partitions to visit, ascending (absent: every
  // one), and how many the table has. The path applies in each of them
  // (indexes are local to a partition).
  std::optional<std::vector<size_t>> partitions;
  std::vector<std::string> partition_names;  // of `partitions`, for Describe()
  size_t partition_count = 0;

  // For Describe() and the planner's choices.
  std::string table;
  std::vector<std::string> key_columns;  // names of the key's (or index's) columns
  uint64_t estimated_rows = 0;
  double cost = 0;

  // True when every key column is fixed (by `prefix`, or `in_values` on the
  // last one): each range holds at most one row of a primary key or of a
  // unique index.
  bool is_point() const;

  // The key ranges to walk, in key order and disjoint. REQUIRES: kind is
  // kKeyRange or kIndexRange.
  std::vector<cerebrum::KeyRange> Ranges() const;

  // One readable line for EXPLAIN, e.g.
  //   full scan of t, ~1000 rows
  //   primary key lookup on t (id = 5), ~1 row
  //   primary key range on t (id >= 10), ~100 rows
  //   index lookup on t using i_a (a IN (1, 2)), ~6 rows
  //   index range on t using i_ab (a = 1 AND b > 'x'), ~30 rows
  //   union of 2 lookups on t: index lookup ... | primary key lookup ..., ~4 rows
  //   no rows from t (the condition is never true)
  // and for a partitioned table "; partitions: p1, p3 (2 of 8)".
  std::string Describe() const;
  std::string DescribeWithinPartition() const;

  // True when partition `i` may hold rows of the path.
  bool VisitsPartition(size_t i) const {
    return !partitions || std::binary_search(partitions->begin(), partitions->end(), i);
  }
};

// Picks the cheapest path for `where` (may be null) over `table`: primary
// key, secondary indexes or a full scan. `where` reads columns of this
// table only, by their position in it (depth-0 columns).
AccessPath ChooseAccessPath(const cerebrum::Table& table, const BoundExpr* where);


}  // namespace kopf::cerebellum
