#include <set>

#include <fmt/format.h>

#include "cerebellum/binder/bind_expr.h"
#include "cerebellum/binder/binder.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;

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
    for (int n = 2; db.FindIndex(index.name); ++n) index.name += std::to_string(n);
    out.unique_indexes.push_back(std::move(index));
  }
  return BoundStatement(std::move(out));
}

}  // namespace kopf::cerebellum
