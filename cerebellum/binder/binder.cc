#include "cerebellum/binder/binder.h"

#include "cerebellum/binder/bound_backup.h"
#include "cerebellum/binder/bound_index.h"

#include <fmt/format.h>

#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;

Result<std::shared_ptr<cerebrum::Table>> LookUpTable(const cerebrum::Database& db,
                                                     const std::string& name, int32_t position) {
  std::shared_ptr<cerebrum::Table> table = db.FindTable(name);
  if (!table) {
    return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", name), position);
  }
  return table;
}

Result<std::vector<size_t>> ResolveTargetColumns(const cerebrum::TableSchema& schema,
                                                 const std::vector<std::string>& names,
                                                 const std::vector<int32_t>& positions) {
  std::vector<size_t> targets;
  if (names.empty()) {
    for (size_t i = 0; i < schema.columns.size(); ++i) targets.push_back(i);
    return targets;
  }
  std::vector<bool> seen(schema.columns.size(), false);
  for (size_t i = 0; i < names.size(); ++i) {
    int32_t pos = i < positions.size() ? positions[i] : -1;
    auto index = schema.FindColumn(names[i]);
    if (!index) {
      return Status::UndefinedColumn(
          fmt::format("column \"{}\" of table \"{}\" does not exist", names[i], schema.name), pos);
    }
    if (seen[*index]) {
      return Status::DuplicateColumn(
          fmt::format("column \"{}\" specified more than once", names[i]), pos);
    }
    seen[*index] = true;
    targets.push_back(*index);
  }
  return targets;
}

Result<BoundStatement> Bind(ast::Statement& statement, const cerebrum::Database& db) {
  struct Visitor {
    const cerebrum::Database& db;
    Result<BoundStatement> operator()(ast::CreateTable& s) { return BindCreateTable(s, db); }
    Result<BoundStatement> operator()(ast::DropTable& s) {
      return BoundStatement(BoundDropTable{s.table, s.if_exists});
    }
    Result<BoundStatement> operator()(ast::Insert& s) { return BindInsert(s, db); }
    Result<BoundStatement> operator()(ast::Select& s) { return BindSelect(s, db); }
    Result<BoundStatement> operator()(ast::Update& s) { return BindUpdate(s, db); }
    Result<BoundStatement> operator()(ast::Delete& s) { return BindDelete(s, db); }
    Result<BoundStatement> operator()(ast::ShowTables&) { return BoundStatement(BoundShowTables{}); }
    Result<BoundStatement> operator()(ast::CreateIndex& s) { return BindCreateIndex(s, db); }
    Result<BoundStatement> operator()(ast::DropIndex& s) { return BindDropIndex(s, db); }
    Result<BoundStatement> operator()(ast::Backup& s) { return BindBackup(s, db); }
    Result<BoundStatement> operator()(ast::ShowBackups&) {
      return BoundStatement(BoundShowBackups{});
    }
    Result<BoundStatement> operator()(ast::Explain&) {
      return Status::Internal("EXPLAIN is planned by the engine, not bound directly");
    }
    Result<BoundStatement> operator()(ast::Copy& s) { return BindCopy(s, db); }
    Result<BoundStatement> operator()(ast::CompactTable& s) {
      KOPF_ASSIGN_OR_RETURN(auto table, LookUpTable(db, s.table, s.table_position));
      return BoundStatement(BoundCompactTable{std::move(table)});
    }
    Result<BoundStatement> operator()(ast::ShowPartitions& s) {
      if (s.table.empty()) return BoundStatement(BoundShowPartitions{});
      KOPF_ASSIGN_OR_RETURN(auto table, LookUpTable(db, s.table, s.table_position));
      return BoundStatement(BoundShowPartitions{std::move(table)});
    }
    Result<BoundStatement> operator()(ast::ShowIndexes& s) {
      if (s.table.empty()) return BoundStatement(BoundShowIndexes{});
      KOPF_ASSIGN_OR_RETURN(auto table, LookUpTable(db, s.table, s.table_position));
      return BoundStatement(BoundShowIndexes{std::move(table)});
    }
    Result<BoundStatement> operator()(ast::Describe& s) {
      KOPF_ASSIGN_OR_RETURN(auto table, LookUpTable(db, s.table, s.table_position));
      return BoundStatement(BoundDescribe{std::move(table)});
    }
  };
  return std::visit(Visitor{db}, statement);
}

}  // namespace kopf::cerebellum
