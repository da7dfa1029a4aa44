#include "cerebellum/binder/scope.h"

#include <fmt/format.h>

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;

Status Scope::AddTable(const cerebrum::TableSchema* schema, std::string qualifier,
                       int32_t position) {
  for (const ScopeTable& t : tables_) {
    if (t.qualifier == qualifier) {
      return Status::DuplicateTable(
          fmt::format("table name \"{}\" specified more than once", qualifier), position);
    }
  }
  tables_.push_back({schema, std::move(qualifier), width_});
  width_ += schema->columns.size();
  return Status::Ok();
}

Result<Scope::Resolved> Scope::Resolve(const ast::ColumnRef& ref, int32_t position) {
  size_t depth = 0;
  bool saw_qualifier = false;
  for (Scope* scope = this; scope != nullptr; scope = scope->parent_, ++depth) {
    std::optional<Resolved> found;
    for (const ScopeTable& t : scope->tables_) {
      if (!ref.table.empty()) {
        if (t.qualifier != ref.table) continue;
        saw_qualifier = true;
      }
      auto column = t.schema->FindColumn(ref.column);
      if (!column) continue;
      if (found) {
        return Status::SyntaxError(
            fmt::format("column reference \"{}\" is ambiguous", ref.column), position);
      }
      found = Resolved{t.offset + *column, depth, t.schema->columns[*column].type};
    }
    if (found) {
      // Every scope between here and the one that owns the name escapes.
      size_t d = depth;
      for (Scope* s = this; d > 0; s = s->parent_, --d) s->NoteEscape(d);
      return *found;
    }
    if (saw_qualifier) break;  // the table exists but lacks the column
  }
  if (!ref.table.empty() && !saw_qualifier) {
    return Status::UndefinedTable(
        fmt::format("missing FROM-clause entry for table \"{}\"", ref.table), position);
  }
  std::string where = ref.table.empty() ? "" : fmt::format(" in table \"{}\"", ref.table);
  if (ref.table.empty() && tables_.size() == 1 && parent_ == nullptr) {
    where = fmt::format(" in table \"{}\"", tables_[0].schema->name);
  }
  if (tables_.empty() && parent_ == nullptr) where = " (the query has no FROM clause)";
  return Status::UndefinedColumn(fmt::format("column \"{}\" does not exist{}", ref.column, where),
                                 position);
}

}  // namespace kopf::cerebellum
