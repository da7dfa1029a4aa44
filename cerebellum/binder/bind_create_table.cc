#include <set>

#include <fmt/format.h>

#include "cerebellum/binder/bind_expr.h"
#include "cerebellum/binder/binder.h"
#include "cerebrum/database.h"
#include "cerebrum/partitioning.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;

namespace {

// PARTITION BY: the column exists and has a type partitions can split, a
// HASH count in 1..1024, RANGE names unique and bounds strictly increasing
// with MAXVALUE only last.
Status BindPartitionBy(const ast::PartitionBy& by, cerebrum::TableSchema* schema) {
  using Kind = cerebrum::PartitionSpec::Kind;
  cerebrum::PartitionSpec& spec = schema->partitioning;
  auto column = schema->FindColumn(by.column);
  if (!column) {
    return Status::UndefinedColumn(
        fmt::format("column \"{}\" named in PARTITION BY does not exist", by.column),
        by.column_position);
  }
  const cerebrum::ColumnSchema& c = schema->columns[*column];
  if (c.type != protocol::Type::kInteger && c.type != protocol::Type::kText) {
    return Status::TypeMismatch(
        fmt::format("partition column \"{}\" is {}: PARTITION BY takes an INTEGER, BIGINT or "
                    "TEXT column",
                    c.name, c.declared_type),
        by.column_position);
  }
  spec.column = *column;
  if (by.kind == ast::PartitionBy::Kind::kHash) {
    if (by.count < 1 || by.count > static_cast<int64_t>(cerebrum::kMaxHashPartitions)) {
      return Status::InvalidValue(
          fmt::format("PARTITIONS {}: a table has 1 to {} hash partitions",
                      by.count > 1000000 ? std::string("(too many)") : std::to_string(by.count),
                      cerebrum::kMaxHashPartitions),
          by.count_position);
    }
    spec.kind = Kind::kHash;
    for (int64_t i = 0; i < by.count; ++i) spec.partitions.push_back({fmt::format("p{}", i), {}});
    return Status::Ok();
  }
  spec.kind = Kind::kRange;
  std::set<std::string> names;
  for (size_t i = 0; i < by.partitions.size(); ++i) {
    const ast::PartitionBy::RangePartition& p = by.partitions[i];
    if (!names.insert(p.name).second) {
      return Status::DuplicateTable(
          fmt::format("partition \"{}\" specified more than once", p.name), p.position);
    }
    cerebrum::PartitionDef def{p.name, {}};
    if (p.bound == nullptr) {
      if (i + 1 != by.partitions.size()) {
        return Status::InvalidValue(
            fmt::format("partition \"{}\": only the last partition may be LESS THAN (MAXVALUE)",
                        p.name),
            p.position);
      }
    } else {
      BindContext constant;
      constant.clause = "VALUES LESS THAN";
      KOPF_ASSIGN_OR_RETURN(BoundExprPtr value, BindExpr(*p.bound, constant));
      KOPF_ASSIGN_OR_RETURN(value, CoerceToColumn(std::move(value), c, p.bound->position));
      KOPF_ASSIGN_OR_RETURN(protocol::Value v, EvaluateConstant(*value));
      if (v.is_null()) {
        return Status::InvalidValue(
            fmt::format("partition \"{}\": a bound cannot be NULL", p.name), p.bound->position);
      }
      if (!spec.partitions.empty() &&
          protocol::Compare(v, *spec.partitions.back().less_than) <= 0) {
        return Status::InvalidValue(
            fmt::format("partition \"{}\": bound {} must be greater than the previous "
                        "partition's ({})",
                        p.name, v.ToString(), spec.partitions.back().less_than->ToString()),
            p.bound->position);
      }
      def.less_than = std::move(v);
    }
    spec.partitions.push_back(std::move(def));
  }
  return Status::Ok();
}

}  // namespace

Status CheckUniqueHasPartitionColumn(const cerebrum::TableSchema& schema,
                                     const std::vector<size_t>& columns, std::string_view what,
                                     int32_t position) {
  if (!schema.partitioned()) return Status::Ok();
  for (size_t c : columns) {
    if (c == schema.partitioning.column) return Status::Ok();
  }
  return Status::InvalidValue(
      fmt::format("{} of partitioned table \"{}\" must include the partition column \"{}\" "
                  "(uniqueness is checked within each partition)",
                  what, schema.name, schema.columns[schema.partitioning.column].name),
      position);
}

Result<BoundStatement> BindCreateTable(ast::CreateTable& stmt, const cerebrum::Database& db) {
  if (!stmt.if_not_exists && db.FindTable(stmt.table)) {
    return Status::DuplicateTable(fmt::format("table \"{}\" already exists", stmt.table),
                                  stmt.table_position);
  }
  BoundCreateTable out;
  out.if_not_exists = stmt.if_not_exists;
  cerebrum::TableSchema& schema = out.schema;
  schema.name = stmt.table;
  std::set<std::string> names;
  int32_t pk_position = -1;
  for (ast::ColumnDef& def : stmt.columns) {
    if (!names.insert(def.name).second) {
      return Status::DuplicateColumn(
          fmt::format("column \"{}\" specified more than once", def.name), def.position);
    }
    cerebrum::ColumnSchema column;
    column.name = def.name;
    column.type = def.type.type;
    column.declared_type = def.type.declared;
    column.not_null = def.not_null || def.primary_key;
    if (def.default_value) {
      BindContext constant;
      constant.clause = "DEFAULT";
      KOPF_ASSIGN_OR_RETURN(BoundExprPtr value, BindExpr(*def.default_value, constant));
      KOPF_ASSIGN_OR_RETURN(value,
                            CoerceToColumn(std::move(value), column, def.default_value->position));
      KOPF_ASSIGN_OR_RETURN(protocol::Value v, EvaluateConstant(*value));
      if (!v.is_null()) column.default_value = std::move(v);
    }
    if (def.primary_key) {
      if (pk_position >= 0) {
        return Status::SyntaxError(
            fmt::format("multiple primary keys for table \"{}\" are not allowed", stmt.table),
            def.position);
      }
      pk_position = def.position;
      schema.primary_key.push_back(schema.columns.size());
    }
    schema.columns.push_back(std::move(column));
  }
  if (!stmt.primary_key.empty()) {
    if (pk_position >= 0) {
      return Status::SyntaxError(
          fmt::format("multiple primary keys for table \"{}\" are not allowed", stmt.table),
          stmt.primary_key_position);
    }
    for (const std::string& name : stmt.primary_key) {
      auto index = schema.FindColumn(name);
      if (!index) {
        return Status::UndefinedColumn(
            fmt::format("column \"{}\" named in key does not exist", name),
            stmt.primary_key_position);
      }
      for (size_t existing : schema.primary_key) {
        if (existing == *index) {
          return Status::DuplicateColumn(
              fmt::format("column \"{}\" appears twice in primary key", name),
              stmt.primary_key_position);
        }
      }
      schema.primary_key.push_back(*index);
      schema.columns[*index].not_null = true;
    }
  }
  if (stmt.partition_by.kind != ast::PartitionBy::Kind::kNone) {
    KOPF_RETURN_IF_ERROR(BindPartitionBy(stmt.partition_by, &schema));
    if (schema.has_primary_key()) {
      KOPF_RETURN_IF_ERROR(CheckUniqueHasPartitionColumn(
          schema, schema.primary_key, "the primary key",
          stmt.primary_key_position >= 0 ? stmt.primary_key_position : pk_position));
    }
  }
  // UNIQUE constraints become unique indexes named <table>_<columns>_key.
  for (const ast::UniqueKey& key : stmt.unique_keys) {
    cerebrum::IndexSchema index;
    index.table = schema.name;
    index.unique = true;
    index.name = schema.name;
    for (const std::string& name : key.columns) {
      auto column = schema.FindColumn(name);
      if (!column) {
        return Status::UndefinedColumn(
            fmt::format("column \"{}\" named in UNIQUE does not exist", name), key.position);
      }
      index.columns.push_back(*column);
      index.descending.push_back(false);
      index.name += "_" + name;
    }
    index.name += "_key";
    KOPF_RETURN_IF_ERROR(
        CheckUniqueHasPartitionColumn(schema, index.columns, "a UNIQUE constraint", key.position));
    for (int n = 2; db.FindIndex(index.name); ++n) index.name += std::to_string(n);
    out.unique_indexes.push_back(std::move(index));
  }
  return BoundStatement(std::move(out));
}

}  // namespace kopf::cerebellum
