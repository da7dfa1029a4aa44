// COPY: resolve the table and its columns (or bind the query), and confine
// the file path to the server's import directories.
#include <system_error>

#include <fmt/format.h>

#include "cerebellum/binder/binder.h"
#include "cerebellum/binder/scope.h"
#include "cerebrum/database.h"
#include "cerebrum/table.h"

namespace kopf::cerebellum {

namespace fs = std::filesystem;
using protocol::Result;
using protocol::Status;
using protocol::Value;

namespace {

// True when canonical `path` is `dir` itself or lies below it. Both are
// canonical, so comparing whole components is enough.
bool IsInside(const fs::path& path, const fs::path& dir) {
  auto p = path.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++p) {
    if (d->empty()) continue;  // the trailing "" of "/dir/"
    if (p == path.end() || *p != *d) return false;
  }
  return true;
}

}  // namespace

Result<BoundStatement> BindCopy(ast::Copy& stmt, const cerebrum::Database& db) {
  BoundCopy out;
  out.from = stmt.from;
  out.path = stmt.path;
  out.path_position = stmt.path_position;
  out.options = stmt.options;
  out.client = stmt.client;
  if (stmt.query) {
    Scope scope;
    KOPF_ASSIGN_OR_RETURN(out.select, BindQuerySelect(*stmt.query, db, &scope, &out.reads));
    out.name = "query";
    return BoundStatement(std::move(out));
  }
  KOPF_ASSIGN_OR_RETURN(out.table, LookUpTable(db, stmt.table, stmt.table_position));
  const cerebrum::TableSchema& schema = out.table->schema();
  out.name = schema.name;
  KOPF_ASSIGN_OR_RETURN(out.columns,
                        ResolveTargetColumns(schema, stmt.columns, stmt.column_positions));
  if (out.from) {
    std::vector<bool> given(schema.columns.size(), false);
    for (size_t c : out.columns) given[c] = true;
    for (size_t c = 0; c < schema.columns.size(); ++c) {
      const cerebrum::ColumnSchema& column = schema.columns[c];
      out.defaults.push_back(column.default_value.value_or(Value()));
      if (!given[c] && column.not_null && !column.default_value) {
        return Status::ConstraintViolation(
            fmt::format("column \"{}\" of table \"{}\" is NOT NULL without a default, so COPY "
                        "must give it",
                        column.name, schema.name),
            stmt.table_position);
      }
    }
  }
  return BoundStatement(std::move(out));
}

Status ConnectCopyClient(BoundCopy* copy, CopyClient* client, uint64_t payload_id) {
  if (client == nullptr) {
    return Status::NotSupported(
        fmt::format("COPY {} streams its data over the connection, which needs protocol 1.2 "
                    "(kopf clients from that version on; the shell's \\copy uses it); "
                    "this connection cannot",
                    copy->from ? "FROM STDIN" : "TO STDOUT"),
        copy->path_position);
  }
  copy->copy_client = client;
  copy->payload_id = payload_id;
  return Status::Ok();
}

Status ConfineCopyPath(BoundCopy* copy, const std::vector<fs::path>& import_dirs) {
  const int32_t at = copy->path_position;
  if (import_dirs.empty()) {
    return Status::NotSupported(
        "COPY with a server-side file is disabled: start kopfd with --import-dir DIR to allow "
        "files inside DIR",
        at);
  }
  if (copy->path.empty()) return Status::InvalidValue("COPY: the file name is empty", at);
  fs::path written(copy->path);
  fs::path full = written.is_absolute() ? written : import_dirs.front() / written;
  std::error_code ec;
  fs::path resolved;
  if (copy->from) {
    resolved = fs::canonical(full, ec);
    if (ec) {
      return Status::InvalidValue(
          fmt::format("COPY: cannot open \"{}\": {}", copy->path, ec.message()), at);
    }
    if (!fs::is_regular_file(resolved, ec)) {
      return Status::InvalidValue(fmt::format("COPY: \"{}\" is not a regular file", copy->path),
                                  at);
    }
  } else {
    // The file may not exist yet: resolve its folder, keep its name. The
    // rename that publishes the file replaces a directory entry of that
    // folder, whatever the old entry was (a symlink is replaced, not
    // followed), so the file cannot land outside.
    fs::path name = full.filename();
    if (name.empty() || name == "." || name == "..") {
      return Status::InvalidValue(fmt::format("COPY: \"{}\" does not name a file", copy->path), at);
    }
    fs::path folder = fs::canonical(full.parent_path(), ec);
    if (ec) {
      return Status::InvalidValue(
          fmt::format("COPY: cannot write \"{}\": {}", copy->path, ec.message()), at);
    }
    resolved = folder / name;
    if (fs::is_directory(resolved, ec)) {
      return Status::InvalidValue(fmt::format("COPY: \"{}\" is a directory", copy->path), at);
    }
  }
  for (const fs::path& dir : import_dirs) {
    fs::path canonical_dir = fs::canonical(dir, ec);
    if (!ec && IsInside(resolved, canonical_dir)) {
      copy->file = resolved;
      return Status::Ok();
    }
  }
  return Status::InvalidValue(
      fmt::format("COPY: \"{}\" is outside the import directories (resolved to \"{}\"); start "
                  "kopfd with --import-dir to allow another directory",
                  copy->path, resolved.string()),
      at);
}

}  // namespace kopf::cerebellum
