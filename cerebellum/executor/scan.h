// ScanRows: walks the rows of a table along an AccessPath.
//
// kFullScan and kKeyRange visit rows in primary key order; kIndexRange in
// the index's order (and primary key order among equal index values), each
// IN value's range after the previous one. No row is visited twice.
//
// An index path planned for an index that has since been dropped (or
// dropped and created again under the same name) falls back to a full
// scan: the executor filters every row anyway, so the answer stays right.
//
// A partitioned table is walked one partition after another, in partition
// order, visiting only the partitions the path keeps (path.partitions);
// within each the path applies as above (indexes are local to a
// partition), so order is per partition.
//
// REQUIRES: the caller holds the table's shared or exclusive lock for the
// whole walk, and `visit` does not change the table. `visit(key, row)`
// returns false to stop early; both references are valid during the call.
#pragma once

#include <span>

#include "cerebellum/planner/access_path.h"
#include "cerebrum/key_range.h"
#include <functional>
#include <set>

#include "cerebrum/secondary_index.h"
#include "cerebrum/table.h"

namespace kopf::cerebellum {

// The walk within one table without partitions (or one partition).
template <typename Visit>
void ScanTableRows(const cerebrum::Table& table, const AccessPath& path, Visit&& visit) {
  const cerebrum::RowTree& rows = table.rows();
  auto full_scan = [&] {
    for (auto it = rows.Begin(); it.Valid(); it.Next()) {
      if (!visit(it.key(), it.value())) return;
    }
  };
  switch (path.kind) {
    case AccessPath::Kind::kEmpty: return;
    case AccessPath::Kind::kFullScan: full_scan(); return;
    case AccessPath::Kind::kUnion: {
      // Each alternative in turn; a row several of them reach is visited
      // once. (A std::function, so the recursion instantiates one template.)
      auto less = [](const cerebrum::Key& a, const cerebrum::Key& b) {
        return cerebrum::KeyCompare()(a, b) < 0;
      };
      std::set<cerebrum::Key, decltype(less)> seen(less);
      bool stopped = false;
      std::function<bool(const cerebrum::Key&, const protocol::Row&)> once =
          [&](const cerebrum::Key& key, const protocol::Row& row) {
            if (!seen.insert(key).second) return true;
            if (visit(key, row)) return true;
            stopped = true;
            return false;
          };
      for (const AccessPath& alternative : path.union_of) {
        ScanTableRows(table, alternative, once);
        if (stopped) return;
      }
      return;
    }
    case AccessPath::Kind::kKeyRange:
      for (const cerebrum::KeyRange& range : path.Ranges()) {
        bool more = cerebrum::ScanKeyRange(
            rows, range, [&](const auto& it) { return visit(it.key(), it.value()); });
        if (!more) return;
      }
      return;
    case AccessPath::Kind::kIndexRange: {
      const cerebrum::SecondaryIndex* index = table.FindIndex(path.index);
      if (index == nullptr || index->id() != path.index_id) {
        full_scan();
        return;
      }
      for (const cerebrum::KeyRange& range : path.Ranges()) {
        bool more = index->Scan(range, [&](std::span<const protocol::Value> pk) {
          auto it = rows.LowerBound(pk);
          // Every entry has its row (both change under the same lock).
          if (!it.Valid() || cerebrum::KeyCompare()(it.key(), pk) != 0) return true;
          return visit(it.key(), it.value());
        });
        if (!more) return;
      }
      return;
    }
  }
}

template <typename Visit>
void ScanRows(const cerebrum::Table& table, const AccessPath& path, Visit&& visit) {
  if (!table.partitioned()) {
    ScanTableRows(table, path, visit);
    return;
  }
  bool stopped = false;
  auto until_stopped = [&](const cerebrum::Key& key, const protocol::Row& row) {
    if (visit(key, row)) return true;
    stopped = true;
    return false;
  };
  const auto& partitions = table.partitions();
  for (size_t i = 0; i < partitions.size() && !stopped; ++i) {
    if (path.VisitsPartition(i)) ScanTableRows(*partitions[i], path, until_stopped);
  }
}

}  // namespace kopf::cerebellum
