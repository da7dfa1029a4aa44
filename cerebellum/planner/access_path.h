// AccessPath: how a statement reaches the rows of its table, chosen from the
// WHERE clause by ChooseAccessPath():
//
//   kFullScan   walk every row in key order
//   kKeyRange   walk the primary key from `lower` while the key's first
//               `prefix.size()` columns equal `prefix` and the next column
//               is <= `upper` (a point lookup is a range whose prefix is
//               the whole key)
//   kEmpty      the WHERE clause can match nothing (key = NULL)
//
// The bounds are conservative: the executor still applies the whole WHERE
// clause to every row the path yields, so the path only has to make sure no
// matching row is skipped.
//
// Thread-safety: plain data; ChooseAccessPath is a pure function.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cerebellum/binder/bound_expr.h"
#include "cerebrum/schema.h"
#include "protocol/value.h"

namespace kopf::cerebellum {

struct AccessPath {
  enum class Kind { kFullScan, kKeyRange, kEmpty };
  Kind kind = Kind::kFullScan;
  std::vector<protocol::Value> prefix;         // equal key columns, in key order
  std::optional<protocol::Value> lower;        // on key column prefix.size()
  std::optional<protocol::Value> upper;        // on key column prefix.size()

  bool is_point(size_t key_columns) const {
    return kind == Kind::kKeyRange && prefix.size() == key_columns;
  }
  // "full scan", "primary key lookup", "primary key range".
  std::string Describe(size_t key_columns) const;
};

// Picks the cheapest path for `where` (may be null) over `schema`.
AccessPath ChooseAccessPath(const cerebrum::TableSchema& schema, const BoundExpr* where);

}  // namespace kopf::cerebellum
