// Bound statements: the binder's output and the executor's input. Names are
// resolved to catalog objects and column indexes, expressions are typed, and
// everything the executor needs is decided (defaults filled in, ORDER BY
// items resolved to output columns or source expressions).
//
// Thread-safety: immutable once bound; the tables they hold are shared.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cerebellum/binder/bound_expr.h"
#include "cerebellum/planner/access_path.h"
#include "cerebrum/schema.h"
#include "cerebrum/secondary_index.h"
#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::cerebrum {
class Database;
class Table;
}  // namespace kopf::cerebrum

namespace kopf::cerebellum {

class CopyClient;  // copy_in_stream.h

struct BoundCreateTable {
  cerebrum::TableSchema schema;
  bool if_not_exists = false;
  std::vector<cerebrum::IndexSchema> unique_indexes;  // from UNIQUE constraints
};

struct BoundDropTable {
  std::string table;
  bool if_exists = false;
};

// An aggregate call of a query; its value sits at slot `width + i` of the
// query's extended row (see BoundSelect).
struct BoundAggregate {
  enum class Function { kCount, kCountStar, kSum, kTotal, kAvg, kMin, kMax, kGroupConcat };
  Function function = Function::kCountStar;
  BoundExprPtr arg;           // null for count(*)
  std::string separator = ",";  // group_concat
  bool distinct = false;
  protocol::Type type = protocol::Type::kInteger;  // of the result
};

struct BoundOrderItem {
  BoundExprPtr expr;                    // over the (extended) source row, or null when
  std::optional<size_t> output_column;  // it names a column of the result
  bool descending = false;
  bool nulls_first = true;
};

// One table of a FROM clause. Its columns occupy slots [offset, offset +
// column count) of the combined row.
struct BoundFromTable {
  std::shared_ptr<cerebrum::Table> table;
  std::string qualifier;
  size_t offset = 0;
  ast::JoinKind join = ast::JoinKind::kCross;
  BoundExprPtr on;     // over the combined row; null unless kInner/kLeft
  // Set by the planner: the conditions on this table alone (over the
  // combined row, only this table's slots filled), and how to reach them.
  std::vector<BoundExprPtr> filters;
  AccessPath access;
};

// A SELECT (and, through `compound`, a UNION/INTERSECT/EXCEPT chain).
//
// Rows flow: FROM tables joined into combined rows of `width` slots ->
// WHERE -> (aggregate: groups by `group_by`; each group yields one extended
// row = a representative combined row + the aggregate values) -> HAVING ->
// `outputs` -> DISTINCT -> compound terms -> ORDER BY -> OFFSET/LIMIT.
struct BoundSelect {
  std::vector<BoundFromTable> from;
  size_t width = 0;
  BoundExprPtr where;  // the planner moves it into `from[i].filters` and `residual`
  std::vector<BoundExprPtr> residual;  // conditions left for the joined rows
  bool aggregate = false;
  std::vector<BoundExprPtr> group_by;
  std::vector<BoundAggregate> aggregates;
  BoundExprPtr having;
  std::vector<BoundExprPtr> outputs;
  std::vector<protocol::ColumnInfo> columns;
  bool distinct = false;
  struct CompoundPart {
    ast::SetOperator op = ast::SetOperator::kUnion;
    std::unique_ptr<BoundSelect> select;
  };
  std::vector<CompoundPart> compound;
  std::vector<BoundOrderItem> order_by;
  std::optional<uint64_t> limit;
  uint64_t offset = 0;
};

// Tables a statement reads besides its target, to be locked (shared) for
// the whole statement, subqueries included.
using TableSet = std::vector<std::shared_ptr<cerebrum::Table>>;

struct BoundInsert {
  std::shared_ptr<cerebrum::Table> table;
  // VALUES: one expression per table column for each row (defaults filled
  // in), already coerced to the column's type.
  std::vector<std::vector<BoundExprPtr>> rows;
  // INSERT ... SELECT: the query, the table column of each output column,
  // and the value of every other column.
  std::unique_ptr<BoundSelect> select;
  std::vector<size_t> targets;
  std::vector<protocol::Value> defaults;
  TableSet reads;
};

// A query statement: the query and every table it reads.
struct BoundQuery {
  std::unique_ptr<BoundSelect> select;
  TableSet reads;
};

struct BoundUpdate {
  std::shared_ptr<cerebrum::Table> table;
  AccessPath access;
  std::vector<std::pair<size_t, BoundExprPtr>> assignments;  // column index, value
  BoundExprPtr where;
  TableSet reads;  // read by subqueries
};

struct BoundDelete {
  std::shared_ptr<cerebrum::Table> table;
  AccessPath access;
  BoundExprPtr where;
  TableSet reads;  // read by subqueries
};

struct BoundCreateIndex {
  cerebrum::IndexSchema index;  // columns resolved to positions in the table
  bool if_not_exists = false;
};

struct BoundDropIndex {
  std::string name;
  bool if_exists = false;
};

// EXPLAIN: the plan of the inner statement, one line per row.
struct BoundExplain {
  std::vector<std::string> lines;
};

// COPY between a table (or a query) and a server-side CSV file.
struct BoundCopy {
  bool from = true;  // FROM the file into `table`; false: TO the file
  // FROM, and TO of a whole table: the table and, in file order, the
  // table column of each CSV field.
  std::shared_ptr<cerebrum::Table> table;
  std::vector<size_t> columns;
  // FROM: a full row of defaults (DEFAULT or NULL) for the columns the file
  // does not give.
  std::vector<protocol::Value> defaults;
  // TO of a query: the query and every table it reads.
  std::unique_ptr<BoundSelect> select;
  TableSet reads;
  // The name errors use: the table's, or "query".
  std::string name;
  // The path as written, and where it is in the statement. The engine
  // resolves it against the import directories (ConfineCopyPath) into `file`.
  std::string path;
  int32_t path_position = -1;
  std::filesystem::path file;
  ast::CopyOptions options;
  // FROM STDIN / TO STDOUT: the data comes from / goes to the client of
  // request `payload_id` (set by ConnectCopyClient) instead of a file.
  bool client = false;
  CopyClient* copy_client = nullptr;
  uint64_t payload_id = 0;
};

struct BoundShowTables {};

// SHOW INDEXES [FROM t]: the one table, or null for every table.
struct BoundShowIndexes {
  std::shared_ptr<cerebrum::Table> table;
};

// SHOW PARTITIONS [FROM t]: the one table, or null for every table.
struct BoundShowPartitions {
  std::shared_ptr<cerebrum::Table> table;
};

// BACKUP TO: the folder, resolved and confined to the backup directory.
struct BoundBackup {
  std::filesystem::path target;
};

struct BoundShowBackups {};

struct BoundDescribe {
  std::shared_ptr<cerebrum::Table> table;
};

struct BoundCompactTable {
  std::shared_ptr<cerebrum::Table> table;
};

using BoundStatement =
    std::variant<BoundCreateTable, BoundDropTable, BoundInsert, BoundQuery, BoundUpdate,
                 BoundDelete, BoundShowTables, BoundDescribe, BoundExplain, BoundCreateIndex,
                 BoundDropIndex, BoundCopy, BoundCompactTable, BoundBackup, BoundShowBackups,
                 BoundShowIndexes, BoundShowPartitions>;

}  // namespace kopf::cerebellum
