// ScanRows: walks the rows of a table along an AccessPath.
//
// REQUIRES: the caller holds the table's shared or exclusive lock for the
// whole walk. `visit(key, row)` returns false to stop early.
#pragma once

#include "cerebellum/planner/access_path.h"
#include "cerebrum/table.h"

namespace kopf::cerebellum {

template <typename Visit>
void ScanRows(const cerebrum::Table& table, const AccessPath& path, Visit&& visit) {
  const cerebrum::RowTree& rows = table.rows();
  switch (path.kind) {
    case AccessPath::Kind::kEmpty: return;
    case AccessPath::Kind::kFullScan:
      for (auto it = rows.Begin(); it.Valid(); it.Next()) {
        if (!visit(it.key(), it.value())) return;
      }
      return;
    case AccessPath::Kind::kKeyRange: {
      const size_t k = path.prefix.size();
      cerebrum::Key start = path.prefix;
      if (path.lower && k < table.schema().primary_key.size()) start.push_back(*path.lower);
      for (auto it = rows.LowerBound(start); it.Valid(); it.Next()) {
        const cerebrum::Key& key = it.key();
        for (size_t i = 0; i < k; ++i) {
          if (protocol::Compare(key[i], path.prefix[i]) != 0) return;
        }
        if (path.upper && k < key.size() && protocol::Compare(key[k], *path.upper) > 0) return;
        if (!visit(key, it.value())) return;
      }
      return;
    }
  }
}

}  // namespace kopf::cerebellum
