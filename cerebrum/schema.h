// TableSchema: the shape of one table as the storage layer knows it.
//
// Column order is the order of fields in every CSV line and every Row. A
// table either has a primary key (one or more columns, the B+Tree key) or
// none, in which case rows are keyed by a hidden, increasing row id that is
// stored in the `_rowid` column of its segments.
//
// Thread-safety: plain data, immutable once the table exists.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "protocol/value.h"

namespace kopf::cerebrum {

struct ColumnSchema {
  std::string name;
  protocol::Type type = protocol::Type::kText;
  std::string declared_type;  // as the user wrote it, e.g. "VARCHAR(20)"
  bool not_null = false;
  std::optional<protocol::Value> default_value;  // absent: NULL
  bool operator==(const ColumnSchema&) const = default;
};

// One partition of a partitioned table. `less_than` is the RANGE bound
// (rows whose partition value sorts below it, and above the previous
// partition's bound); absent for HASH partitions and for RANGE's MAXVALUE.
struct PartitionDef {
  std::string name;
  std::optional<protocol::Value> less_than;
  bool operator==(const PartitionDef&) const = default;
};

// How a table's rows are split into partitions (partitioning.h routes
// them). Kind::kNone: one partition, the table itself.
struct PartitionSpec {
  enum class Kind { kNone, kHash, kRange };
  Kind kind = Kind::kNone;
  size_t column = 0;                     // the partition column
  std::vector<PartitionDef> partitions;  // HASH: p0..pN-1; RANGE: ascending bounds
  bool operator==(const PartitionSpec&) const = default;
};

struct TableSchema {
  std::string name;
  std::vector<ColumnSchema> columns;
  std::vector<size_t> primary_key;  // column indexes, in key order; may be empty
  PartitionSpec partitioning;       // saved in partitions.csv beside schema.csv
  bool operator==(const TableSchema&) const = default;

  bool has_primary_key() const { return !primary_key.empty(); }
  bool partitioned() const { return partitioning.kind != PartitionSpec::Kind::kNone; }
  // Index of the column named `name`, if any (exact, case-sensitive match:
  // the parser has already folded case).
  std::optional<size_t> FindColumn(std::string_view column) const {
    for (size_t i = 0; i < columns.size(); ++i) {
      if (columns[i].name == column) return i;
    }
    return std::nullopt;
  }
};

}  // namespace kopf::cerebrum
