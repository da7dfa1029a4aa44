// Bound statements: the binder's output and the executor's input. Names are
// resolved to catalog objects and column indexes, expressions are typed, and
// everything the executor needs is decided (defaults filled in, ORDER BY
// items resolved to output columns or source expressions).
//
// Thread-safety: immutable once bound; the tables they hold are shared.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cerebellum/binder/bound_expr.h"
#include "cerebellum/planner/access_path.h"
#include "cerebrum/schema.h"
#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::cerebrum {
class Database;
class Table;
}  // namespace kopf::cerebrum

namespace kopf::cerebellum {

struct BoundCreateTable {
  cerebrum::TableSchema schema;
  bool if_not_exists = false;
};

struct BoundDropTable {
  std::string table;
  bool if_exists = false;
};

struct BoundInsert {
  std::shared_ptr<cerebrum::Table> table;
  // One expression per table column for each row (defaults filled in),
  // already coerced to the column's type.
  std::vector<std::vector<BoundExprPtr>> rows;
};

struct BoundOrderItem {
  BoundExprPtr expr;                    // over the source row, or null when
  std::optional<size_t> output_column;  // it names a column of the result
  bool descending = false;
  bool nulls_first = true;
};

struct BoundSelect {
  std::shared_ptr<cerebrum::Table> table;  // null: SELECT without FROM
  AccessPath access;
  std::vector<BoundExprPtr> outputs;
  std::vector<protocol::ColumnInfo> columns;
  BoundExprPtr where;  // may be null
  std::vector<BoundOrderItem> order_by;
  bool distinct = false;
  std::optional<uint64_t> limit;
  uint64_t offset = 0;
};

struct BoundUpdate {
  std::shared_ptr<cerebrum::Table> table;
  AccessPath access;
  std::vector<std::pair<size_t, BoundExprPtr>> assignments;  // column index, value
  BoundExprPtr where;
};

struct BoundDelete {
  std::shared_ptr<cerebrum::Table> table;
  AccessPath access;
  BoundExprPtr where;
};

struct BoundShowTables {};

struct BoundDescribe {
  std::shared_ptr<cerebrum::Table> table;
};

using BoundStatement = std::variant<BoundCreateTable, BoundDropTable, BoundInsert, BoundSelect,
                                    BoundUpdate, BoundDelete, BoundShowTables, BoundDescribe>;

}  // namespace kopf::cerebellum
