// CREATE INDEX and DROP INDEX: names against the catalog.
#include <fmt/format.h>

#include "cerebellum/binder/binder.h"
#include "cerebellum/binder/bound_index.h"
#include "cerebrum/database.h"
#include "cerebrum/table.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;

Result<BoundStatement> BindCreateIndex(ast::CreateIndex& stmt, const cerebrum::Database& db) {
  KOPF_ASSIGN_OR_RETURN(auto table, LookUpTable(db, stmt.table, stmt.table_position));
  const cerebrum::TableSchema& schema = table->schema();
  BoundCreateIndex out;
  out.if_not_exists = stmt.if_not_exists;
  out.index.name = stmt.name;
  out.index.table = schema.name;
  out.index.unique = stmt.unique;
  for (const ast::IndexColumn& column : stmt.columns) {
    auto position = schema.FindColumn(column.column);
    if (!position) {
      return Status::UndefinedColumn(
          fmt::format("column \"{}\" of table \"{}\" does not exist", column.column, schema.name),
          column.position);
    }
    for (size_t existing : out.index.columns) {
      if (existing == *position) {
        return Status::DuplicateColumn(
            fmt::format("column \"{}\" appears twice in index \"{}\"", column.column, stmt.name),
            column.position);
      }
    }
    out.index.columns.push_back(*position);
    out.index.descending.push_back(column.descending);
  }
  if (stmt.unique) {
    KOPF_RETURN_IF_ERROR(CheckUniqueHasPartitionColumn(
        schema, out.index.columns, fmt::format("unique index \"{}\"", stmt.name),
        stmt.name_position));
  }
  if (!stmt.if_not_exists && db.FindIndex(stmt.name)) {
    return Status::DuplicateTable(fmt::format("index \"{}\" already exists", stmt.name),
                                  stmt.name_position);
  }
  return BoundStatement(std::move(out));
}

Result<BoundStatement> BindDropIndex(ast::DropIndex& stmt, const cerebrum::Database& db) {
  if (!stmt.if_exists && !db.FindIndex(stmt.name)) {
    return Status::UndefinedTable(fmt::format("index \"{}\" does not exist", stmt.name),
                                  stmt.name_position);
  }
  return BoundStatement(BoundDropIndex{stmt.name, stmt.if_exists});
}

}  // namespace kopf::cerebellum
