#include "cerebellum/permission.h"

#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace kopf::cerebellum {

using protocol::Role;

namespace {

// The statement's name for messages and the role it needs.
std::pair<std::string_view, Role> Classify(const BoundStatement& statement) {
  struct Visitor {
    std::pair<std::string_view, Role> operator()(const BoundQuery&) {
      return {"SELECT", Role::kReadOnly};
    }
    std::pair<std::string_view, Role> operator()(const BoundShowTables&) {
      return {"SHOW TABLES", Role::kReadOnly};
    }
    std::pair<std::string_view, Role> operator()(const BoundShowIndexes&) {
      return {"SHOW INDEXES", Role::kReadOnly};
    }
    std::pair<std::string_view, Role> operator()(const BoundShowPartitions&) {
      return {"SHOW PARTITIONS", Role::kReadOnly};
    }
    std::pair<std::string_view, Role> operator()(const BoundDescribe&) {
      return {"DESCRIBE", Role::kReadOnly};
    }
    std::pair<std::string_view, Role> operator()(const BoundExplain&) {
      return {"EXPLAIN", Role::kReadOnly};
    }
    std::pair<std::string_view, Role> operator()(const BoundShowBackups&) {
      return {"SHOW BACKUPS", Role::kReadOnly};
    }
    std::pair<std::string_view, Role> operator()(const BoundInsert&) {
      return {"INSERT", Role::kReadWrite};
    }
    std::pair<std::string_view, Role> operator()(const BoundUpdate&) {
      return {"UPDATE", Role::kReadWrite};
    }
    std::pair<std::string_view, Role> operator()(const BoundDelete&) {
      return {"DELETE", Role::kReadWrite};
    }
    // FROM changes a table, and TO a file writes a file on the server
    // (inside an import directory the operator allowed): both need
    // read-write. TO STDOUT only reads, like the SELECT it amounts to.
    std::pair<std::string_view, Role> operator()(const BoundCopy& copy) {
      if (copy.from) return {copy.client ? "COPY FROM STDIN" : "COPY FROM", Role::kReadWrite};
      if (copy.client) return {"COPY TO STDOUT", Role::kReadOnly};
      return {"COPY TO", Role::kReadWrite};
    }
    std::pair<std::string_view, Role> operator()(const BoundCreateTable&) {
      return {"CREATE TABLE", Role::kAdmin};
    }
    std::pair<std::string_view, Role> operator()(const BoundDropTable&) {
      return {"DROP TABLE", Role::kAdmin};
    }
    std::pair<std::string_view, Role> operator()(const BoundCreateIndex&) {
      return {"CREATE INDEX", Role::kAdmin};
    }
    std::pair<std::string_view, Role> operator()(const BoundDropIndex&) {
      return {"DROP INDEX", Role::kAdmin};
    }
    // Rewrites a table's files and costs a full pass over its rows: an
    // operator's decision, like the DDL above.
    std::pair<std::string_view, Role> operator()(const BoundCompactTable&) {
      return {"COMPACT TABLE", Role::kAdmin};
    }
    // Writes a copy of every table into a folder on the server.
    std::pair<std::string_view, Role> operator()(const BoundBackup&) {
      return {"BACKUP", Role::kAdmin};
    }
  };
  return std::visit(Visitor{}, statement);
}

}  // namespace

Role RequiredRole(const BoundStatement& statement) { return Classify(statement).second; }

protocol::Status CheckPermission(const BoundStatement& statement, Role role) {
  auto [name, needed] = Classify(statement);
  if (protocol::RoleAllows(role, needed)) return protocol::Status::Ok();
  return protocol::Status::PermissionDenied(
      fmt::format("permission denied: {} needs the {} role, this user is {}", name,
                  protocol::RoleName(needed), protocol::RoleName(role)));
}

}  // namespace kopf::cerebellum
