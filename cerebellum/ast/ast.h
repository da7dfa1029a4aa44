// The abstract syntax tree: kopf's own representation of a parsed SQL
// statement, produced by cerebellum/parser and consumed by the binder.
//
// No ANTLR type appears here. Names are already case-folded: unquoted
// identifiers are lower-cased, "quoted" identifiers keep their case. Every
// node that can be the subject of an error carries `position`, the 0-based
// byte offset in the SQL text where it starts, so errors can point at it.
//
// Statements and expressions are std::variants: adding an alternative makes
// every std::visit that lacks a case fail to build. The tree is move-only.
//
// Thread-safety: plain data; no shared state.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/value.h"

namespace kopf::cerebellum::ast {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;
struct Select;
using SelectPtr = std::unique_ptr<Select>;

enum class UnaryOp { kNegate, kPlus, kNot };

enum class BinaryOp {
  kAdd, kSubtract, kMultiply, kDivide, kModulo, kConcat,  // + - * / % ||
  kEqual, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual,  // = <> < <= > >=
  kAnd, kOr,
};

// A constant: 42, 4.5, 'text', TRUE, NULL. Integer literals too large for
// int64 become DOUBLE, as in SQLite.
struct Literal {
  protocol::Value value;
};

// Parameter markers are numbered $1 .. $kMaxParameters (the wire carries
// the parameter count as a u16).
inline constexpr uint32_t kMaxParameters = 65535;

// A parameter marker of a prepared statement: $1 has index 1. Its value
// comes with each EXECUTE; its type is inferred when the statement is
// prepared (see cerebellum/binder/parameters.h).
struct Parameter {
  uint32_t index = 0;
};

// A column name, optionally qualified: `price` or `t.price`.
struct ColumnRef {
  std::string table;  // empty when unqualified
  std::string column;
};

struct Unary {
  UnaryOp op;
  ExprPtr operand;
};

struct Binary {
  BinaryOp op;
  ExprPtr left;
  ExprPtr right;
};

// x IS NULL, x IS NOT NULL
struct IsNull {
  ExprPtr operand;
  bool negated = false;
};

// x [NOT] BETWEEN low AND high
struct Between {
  ExprPtr operand;
  ExprPtr low;
  ExprPtr high;
  bool negated = false;
};

// x [NOT] IN (a, b, c). The list may be empty: `x IN ()` is false and
// `x NOT IN ()` true, even for a NULL x (as in SQLite).
struct InList {
  ExprPtr operand;
  std::vector<ExprPtr> items;
  bool negated = false;
};

// x [NOT] LIKE pattern
struct Like {
  ExprPtr operand;
  ExprPtr pattern;
  bool negated = false;
};

// CASE [operand] WHEN .. THEN .. [ELSE ..] END
struct Case {
  ExprPtr operand;  // null for the searched form
  std::vector<std::pair<ExprPtr, ExprPtr>> whens;
  ExprPtr else_result;  // null when absent
};

// CAST(x AS type)
struct Cast {
  ExprPtr operand;
  protocol::Type type;
};

// name(args), name(*), name(DISTINCT x). The name is lower-cased.
struct FunctionCall {
  std::string name;
  std::vector<ExprPtr> args;
  bool star = false;      // count(*)
  bool distinct = false;  // count(DISTINCT x)
};

// (SELECT ...) used as a value: one column, at most one row (NULL if none).
struct ScalarSubquery {
  SelectPtr query;
};

// [NOT] EXISTS (SELECT ...)
struct Exists {
  SelectPtr query;
  bool negated = false;
};

// x [NOT] IN (SELECT ...). SQLite's shorthand `x IN t` arrives here as
// `x IN (SELECT * FROM t)`.
struct InSubquery {
  ExprPtr operand;
  SelectPtr query;
  bool negated = false;
};

struct Expr {
  using Node = std::variant<Literal, ColumnRef, Unary, Binary, IsNull, Between, InList, Like,
                            Case, Cast, FunctionCall, ScalarSubquery, Exists, InSubquery,
                            Parameter>;
  Node node;
  int32_t position = -1;
};

// ---- Statements ----------------------------------------------------------

// A column type as written: the kopf type plus the text the user wrote
// ("VARCHAR(20)", "DOUBLE PRECISION") for DESCRIBE.
struct TypeName {
  protocol::Type type = protocol::Type::kText;
  std::string declared;
};

struct ColumnDef {
  std::string name;
  TypeName type;
  bool primary_key = false;  // column-level PRIMARY KEY
  bool not_null = false;
  ExprPtr default_value;     // null when there is no DEFAULT
  int32_t position = -1;
};

// UNIQUE (a, b), or UNIQUE on one column.
struct UniqueKey {
  std::vector<std::string> columns;
  int32_t position = -1;
};

// PARTITION BY of CREATE TABLE. kNone: no such clause.
struct PartitionBy {
  enum class Kind { kNone, kHash, kRange };
  struct RangePartition {
    std::string name;
    int32_t position = -1;
    ExprPtr bound;  // null: MAXVALUE
  };
  Kind kind = Kind::kNone;
  std::string column;
  int32_t column_position = -1;
  int64_t count = 0;  // HASH: PARTITIONS n
  int32_t count_position = -1;
  std::vector<RangePartition> partitions;  // RANGE
};

struct CreateTable {
  std::string table;
  int32_t table_position = -1;
  bool if_not_exists = false;
  std::vector<ColumnDef> columns;
  // Table-level PRIMARY KEY (a, b); empty when absent.
  std::vector<std::string> primary_key;
  int32_t primary_key_position = -1;
  // UNIQUE constraints, column- or table-level; each becomes a unique index.
  std::vector<UniqueKey> unique_keys;
  PartitionBy partition_by;
};

struct DropTable {
  std::string table;
  int32_t table_position = -1;
  bool if_exists = false;
};

struct Insert {
  std::string table;
  int32_t table_position = -1;
  std::vector<std::string> columns;  // empty: all columns in table order
  std::vector<int32_t> column_positions;
  std::vector<std::vector<ExprPtr>> rows;  // VALUES (...), (...); empty with `select`
  SelectPtr select;                        // INSERT ... SELECT; null with VALUES
};

struct SelectItem {
  ExprPtr expr;        // null when `star` is set
  std::string alias;   // empty when absent
  bool star = false;   // * or t.*
  std::string star_table;  // t for t.*, else empty
  int32_t position = -1;
};

struct TableRef {
  std::string table;
  std::string alias;  // empty when absent
  int32_t position = -1;
};

enum class JoinKind {
  kCross,  // a comma, CROSS JOIN, or the first table of the FROM clause
  kInner,  // [INNER] JOIN ... ON
  kLeft,   // LEFT [OUTER] JOIN ... ON
};

// One table of the FROM clause and how it joins everything to its left.
// `FROM a JOIN b ON x, c LEFT JOIN d ON y` is the list
//   {a, kCross}, {b, kInner, x}, {c, kCross}, {d, kLeft, y}
// evaluated left to right.
struct FromItem {
  TableRef table;
  JoinKind join = JoinKind::kCross;
  ExprPtr on;  // null for kCross; JOIN ... USING is not supported
};

struct OrderItem {
  ExprPtr expr;
  bool descending = false;
  std::optional<bool> nulls_first;  // absent: NULLs first ascending, last descending
};

enum class SetOperator { kUnion, kUnionAll, kIntersect, kExcept };

struct CompoundTerm {
  SetOperator op = SetOperator::kUnion;
  SelectPtr select;  // a plain SELECT: no compound, ORDER BY or LIMIT of its own
  int32_t position = -1;
};

// SELECT. In a compound (`SELECT .. UNION SELECT .. ORDER BY .. LIMIT ..`)
// the first SELECT holds the `compound` terms, applied left to right with
// equal precedence as SQLite does, and the ORDER BY / LIMIT / OFFSET that
// apply to the whole result.
struct Select {
  bool distinct = false;
  std::vector<SelectItem> items;
  std::vector<FromItem> from;  // empty for SELECT 1+1
  ExprPtr where;               // null when absent
  std::vector<ExprPtr> group_by;
  ExprPtr having;
  std::vector<CompoundTerm> compound;
  std::vector<OrderItem> order_by;
  ExprPtr limit;   // null when absent
  ExprPtr offset;  // null when absent
  int32_t position = -1;
};

struct Assignment {
  std::string column;
  ExprPtr value;
  int32_t position = -1;
};

struct Update {
  std::string table;
  int32_t table_position = -1;
  std::vector<Assignment> assignments;
  ExprPtr where;
};

struct Delete {
  std::string table;
  int32_t table_position = -1;
  ExprPtr where;
};

struct ShowTables {};

// SHOW INDEXES [FROM table]; an empty table means every table.
struct ShowIndexes {
  std::string table;
  int32_t table_position = -1;
};

// SHOW PARTITIONS [FROM table]; an empty table means every table.
struct ShowPartitions {
  std::string table;
  int32_t table_position = -1;
};

struct Describe {
  std::string table;
  int32_t table_position = -1;
};

struct IndexColumn {
  std::string column;
  bool descending = false;
  int32_t position = -1;
};

// CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (col [ASC|DESC], ...)
struct CreateIndex {
  std::string name;
  int32_t name_position = -1;
  std::string table;
  int32_t table_position = -1;
  std::vector<IndexColumn> columns;
  bool unique = false;
  bool if_not_exists = false;
};

// DROP INDEX [IF EXISTS] name
struct DropIndex {
  std::string name;
  int32_t name_position = -1;
  bool if_exists = false;
};

// The options of COPY's WITH list, checked by the builder: HEADER,
// DELIMITER, NULL, QUOTE (FORMAT csv is accepted and ignored).
struct CopyOptions {
  bool header = false;  // FROM: skip the first record. TO: write column names
  char delimiter = ',';
  std::string null_text;  // an unquoted field equal to it is NULL
  char quote = '"';
};

// COPY t [(cols)] FROM 'file', COPY t [(cols)] TO 'file',
// COPY (SELECT ...) TO 'file'; with STDIN / STDOUT instead of 'file' the
// data comes from / goes to the client (the copy sub-protocol, 1.2).
struct Copy {
  std::string table;  // empty with `query`
  int32_t table_position = -1;
  std::vector<std::string> columns;  // empty: every column in table order
  std::vector<int32_t> column_positions;
  SelectPtr query;   // COPY (SELECT ...) TO; null otherwise
  bool from = true;  // FROM a file into the table; false: TO a file
  std::string path;  // as written, quotes undone; empty with `client`
  int32_t path_position = -1;  // of the path, or of STDIN / STDOUT
  bool client = false;         // FROM STDIN or TO STDOUT
  CopyOptions options;
};

// COMPACT TABLE table
struct CompactTable {
  std::string table;
  int32_t table_position = -1;
};

// BACKUP TO 'folder'
struct Backup {
  std::string target;  // the string literal's text, quotes undone
  int32_t target_position = -1;
};

// SHOW BACKUPS
struct ShowBackups {};

struct Explain;

using Statement = std::variant<CreateTable, DropTable, Insert, Select, Update, Delete, ShowTables,
                               Describe, CreateIndex, DropIndex, Explain, Copy,
                               CompactTable, Backup, ShowBackups, ShowIndexes, ShowPartitions>;

// EXPLAIN statement: the plan of the statement, which is not run.
struct ExplainTarget;
struct Explain {
  std::unique_ptr<ExplainTarget> target;
};
struct ExplainTarget {
  Statement statement;
};

}  // namespace kopf::cerebellum::ast
