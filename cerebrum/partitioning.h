// Partitioning: which partition of a table a row belongs to, which
// partitions a condition on the partition column can reach, and
// partitions.csv, the file that keeps a table's PartitionSpec.
//
//   HASH:  a NULL goes to the first partition; an integer or a text value
//          to hash(value) mod N, with a hash fixed by this file (never
//          std::hash): rows must land in the same partition after an
//          upgrade.
//   RANGE: the first partition whose bound the value sorts below
//          (protocol::Compare); a NULL sorts below every bound, so it goes
//          to the first partition. No partition (no MAXVALUE and a value at
//          or above the last bound) refuses the row.
//
// partitions.csv (absent for a table without partitions):
//   partition,method,column,less_than
//   p0,range,id,100
//   p1,range,id,          (an empty less_than: MAXVALUE)
// Each partition's rows live in a sub-folder of the table's folder named
// after the partition (EncodeFileName).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cerebrum/key_range.h"
#include "cerebrum/schema.h"
#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::cerebrum {

inline constexpr std::string_view kPartitionFileName = "partitions.csv";
inline constexpr size_t kMaxHashPartitions = 1024;

// The partition `value` (of the partition column) belongs to, or nothing
// when no RANGE partition takes it.
std::optional<size_t> PartitionFor(const PartitionSpec& spec, const protocol::Value& value);

// The RANGE partitions that can hold a non-NULL value between `lower` and
// `upper` (either may be absent: unbounded), in partition order.
// REQUIRES: spec.kind == kRange.
std::vector<size_t> RangePartitionsBetween(const PartitionSpec& spec,
                                           const std::optional<ColumnBound>& lower,
                                           const std::optional<ColumnBound>& upper);

// "PARTITION BY HASH (id) PARTITIONS 4" or "PARTITION BY RANGE (id)
// (PARTITION p0 VALUES LESS THAN (100), ...)", for DESCRIBE and SHOW.
std::string PartitionSpecText(const TableSchema& schema);

std::string EncodePartitionFile(const TableSchema& schema);
// Fills schema->partitioning from `contents`; kCorruption naming `path`.
protocol::Status DecodePartitionFile(const std::string& contents, TableSchema* schema,
                                     const std::filesystem::path& path);

}  // namespace kopf::cerebrum
