// Scope: the names an expression may use — the columns of the tables in a
// query's FROM clause, laid out side by side in one combined row, and,
// through `parent`, the columns of enclosing queries (correlated
// references).
//
// A name resolves in the innermost scope that has it; an unqualified name
// found in two tables of one scope is ambiguous. Resolving records how far
// out a reference reached (`escape`), which makes a subquery correlated.
//
// Thread-safety: used by one binding thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "cerebellum/ast/ast.h"
#include "cerebrum/schema.h"
#include "protocol/status.h"

namespace kopf::cerebellum {

struct ScopeTable {
  const cerebrum::TableSchema* schema = nullptr;
  std::string qualifier;  // the alias, or the table's name
  size_t offset = 0;      // first slot of its columns in the combined row
};

class Scope {
 public:
  explicit Scope(Scope* parent = nullptr) : parent_(parent) {}

  // Adds a table; kDuplicateTable when `qualifier` is already used here.
  protocol::Status AddTable(const cerebrum::TableSchema* schema, std::string qualifier,
                            int32_t position);

  struct Resolved {
    size_t index = 0;
    size_t depth = 0;  // 0: this scope; 1: the enclosing query; ...
    protocol::Type type = protocol::Type::kNull;
  };
  // Resolves a column name; kUndefinedColumn / kUndefinedTable / kSyntaxError
  // (ambiguous) at `position`.
  protocol::Result<Resolved> Resolve(const ast::ColumnRef& ref, int32_t position);

  const std::vector<ScopeTable>& tables() const { return tables_; }
  size_t width() const { return width_; }
  Scope* parent() const { return parent_; }
  // How many scopes out the deepest reference made from here reached.
  size_t escape() const { return escape_; }
  void NoteEscape(size_t depth) {
    if (depth > escape_) escape_ = depth;
  }

 private:
  Scope* parent_;
  std::vector<ScopeTable> tables_;
  size_t width_ = 0;
  size_t escape_ = 0;
};

}  // namespace kopf::cerebellum
