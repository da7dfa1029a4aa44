// PrunePartitions: which partitions of a partitioned table a WHERE clause
// leaves, from conditions on the partition column with constants (a
// prepared statement's parameters are constants by then: EXECUTE binds
// the values before it plans):
//
//   HASH   col = c, col IN (c, ...)
//   RANGE  col = c, <, <=, >, >=, BETWEEN, IN
//   both   ANDs of the above (intersection), ORs of them (union)
//
// Conservative like access paths: a condition it does not understand (other
// shapes, a constant of another type than the column, NOT, IS NULL) leaves
// every partition; the executor filters every row anyway.
//
// Thread-safety: pure function of its arguments.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "cerebellum/binder/bound_expr.h"
#include "cerebrum/schema.h"

namespace kopf::cerebellum {

// The partitions `where` (columns of this table at depth 0; may be null)
// can match, ascending; nothing when it may match rows of every partition.
// REQUIRES: schema.partitioned().
std::optional<std::vector<size_t>> PrunePartitions(const cerebrum::TableSchema& schema,
                                                   const BoundExpr* where);

// The partitions `column = value` can match (a join's probe, where `value`
// comes from the other table's row), as above; nothing when `column` is
// not the partition column or the value cannot be judged.
std::optional<std::vector<size_t>> PrunePartitionsForEqual(const cerebrum::TableSchema& schema,
                                                           size_t column,
                                                           const protocol::Value& value);

}  // namespace kopf::cerebellum
