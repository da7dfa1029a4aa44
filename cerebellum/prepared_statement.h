// PreparedStatement: a statement with $1, $2, ... parameter markers, parsed
// and checked once (PREPARE) and run many times with values (EXECUTE).
//
// PREPARE parses the text and binds it without values, which checks every
// name and infers each parameter's type from its context
// (binder/parameters.h). The parsed tree is kept; EXECUTE never parses
// again. It binds the tree with the values, which makes every marker a
// constant, then plans and executes: the plan of `WHERE id = $1` depends on
// the value (a key lookup for it), and binding plus planning a short
// statement costs a few microseconds, far less than parsing it.
// The exception is a point read by the whole primary key (PointRead): its
// plan is the same for every value, so PREPARE records it and a quick
// EXECUTE only checks the value, looks the key up and copies the columns,
// about a tenth of the work of binding and planning again.
//
// One EXECUTE may carry many parameter rows:
//   - INSERT ... VALUES (...) with one VALUES row: all parameter rows go
//     into one INSERT, committed atomically (all rows or none), with one
//     durability wait: the way to load data fast.
//   - SELECT: the statement runs once per row; the results are concatenated
//     into one response.
//   - UPDATE, DELETE, INSERT ... SELECT: each row runs as its own statement,
//     in order, stopping at the first error, whose message says how many
//     rows took effect before it.
//
// Thread-safety: immutable once prepared; EXECUTEs of one statement may run
// concurrently (binding only reads the tree).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cerebellum/ast/ast.h"
#include "cerebellum/statement_result.h"
#include "protocol/role.h"
#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::cerebrum {
class Database;
class Table;
}

namespace kopf::cerebellum {

// A SELECT that reads one row by its whole primary key, every key column
// equal to a parameter (`SELECT a, b FROM t WHERE id = $1`), and returns
// plain columns of it. Found at PREPARE; an EXECUTE then looks the row up
// in the table's B+Tree directly, without binding and planning again.
struct PointRead {
  // The table as bound at PREPARE. A weak reference: a dropped table's rows
  // are not kept alive by the statements that read it. An EXECUTE uses the
  // plan only while the catalog still holds this very table under its name;
  // otherwise it binds afresh (and finds the new table, or none).
  std::weak_ptr<cerebrum::Table> table;
  std::string table_name;
  // For each primary key column, in key order: the parameter it equals.
  std::vector<uint32_t> key_parameters;
  // True when the key is exactly $1, $2, ... in order (no copy needed).
  bool key_is_parameters = false;
  // A partitioned table: the parameter its partition column equals (the
  // primary key holds that column), which names the one partition to look
  // in. Unset for a table without partitions.
  std::optional<uint32_t> partition_parameter;
  // The table column of each output column.
  std::vector<size_t> outputs;
};

// A one-row INSERT ... VALUES whose values are all parameters of their
// columns' types or constants, planned at PREPARE: an EXECUTE builds the
// row from its values without binding the statement again.
struct DirectInsert {
  // As PointRead::table: the plan holds only while the catalog still has
  // this very table under its name (tables are never altered in place).
  std::weak_ptr<cerebrum::Table> table;
  std::string table_name;
  // For each table column: the parameter (0-based) that gives its value,
  // or none, and then `constants` holds it (a literal or the default).
  std::vector<std::optional<uint32_t>> parameters;
  protocol::Row constants;
};

struct PreparedStatement {
  // The parsed text. Held by pointer so that a const PreparedStatement can
  // still hand the binder the non-const reference it takes; binding never
  // writes to it.
  std::unique_ptr<ast::Statement> statement;
  // The type of $1, $2, ... (never kNull).
  std::vector<protocol::Type> parameter_types;
  // The columns of the rows it returns; empty for INSERT, UPDATE, DELETE.
  std::vector<protocol::ColumnInfo> columns;
  bool is_write = true;
  // INSERT ... VALUES with one row: a multi-row EXECUTE is one atomic INSERT.
  bool is_insert_values = false;
  // A SELECT that may plan as a quick read (planner.h, IsQuickRead); turned
  // off the first time it does not, so TryExecuteQuickRead stops trying.
  mutable std::atomic<bool> maybe_quick{false};
  // Set when the statement is a point read by primary key (see PointRead).
  std::optional<PointRead> point_read;
  // Set when a one-row INSERT can skip the bind per EXECUTE (DirectInsert).
  std::optional<DirectInsert> direct_insert;
};

// Parses and binds `sql`. Fails with the parser's and binder's errors, with
// kNotSupported for a statement other than SELECT, INSERT, UPDATE or
// DELETE, with kTypeMismatch for a parameter whose type its context does
// not tell, and with kPermissionDenied when `role` may not run it (checked
// once here: a session's role never changes, so its EXECUTEs need no check).
protocol::Result<std::shared_ptr<const PreparedStatement>> PrepareStatement(
    std::string_view sql, const cerebrum::Database& db,
    protocol::Role role = protocol::Role::kAdmin);

// Runs `statement` once per row of `parameter_rows` (see the top of this
// file). Each row must match the parameter types: kInvalidValue for a wrong
// count, kTypeMismatch for a wrong type (an INTEGER for a DOUBLE parameter
// is widened in place).
protocol::Result<StatementResult> ExecutePrepared(const PreparedStatement& statement,
                                                  std::vector<protocol::Row>& parameter_rows,
                                                  cerebrum::Database& db);

// Runs `statement` with one row of values right here if it is a quick read
// (a point lookup, see IsQuickRead) that needs no waiting: no lock held by
// a writer, nothing visible still waiting for an fsync. std::nullopt when
// it is not, and nothing was run; the caller then queues it as usual.
std::optional<protocol::Result<StatementResult>> TryExecuteQuickRead(
    const PreparedStatement& statement, protocol::Row& values, cerebrum::Database& db);

// Takes the row a point read found, while the table's read lock is held,
// so the caller can use it where it lies instead of copying it: `stored` is
// the table's whole row, `outputs` the column of each output value. Both
// are valid only during the call.
class PointReadSink {
 public:
  virtual void Found(const protocol::Row& stored, std::span<const size_t> outputs) = 0;

 protected:
  ~PointReadSink() = default;
};

// The same for a statement with a PointRead, answering with its one row
// instead of a StatementResult (the columns are the statement's): true
// after handing the row to `sink` when the key exists, false when not, an
// error when `values` do not match the parameters. std::nullopt when it
// cannot run here (no PointRead, its table was dropped since, or it would
// wait); nothing was run, and TryExecuteQuickRead may still.
std::optional<protocol::Result<bool>> TryPointRead(const PreparedStatement& statement,
                                                   protocol::Row& values, cerebrum::Database& db,
                                                   PointReadSink* sink);

// One point read of a group run by TryPointReads: a statement with a
// PointRead and its one row of values.
struct PointReadJob {
  const PreparedStatement* statement = nullptr;
  protocol::Row* values = nullptr;
};

// Takes the answers of TryPointReads, in the order of the jobs, while the
// table's read lock is held; what it is handed is valid only during the
// call. Either call may return false to refuse job `i`: it then counts as
// not run, and neither are the jobs after it.
class PointReadAnswers {
 public:
  // Job i found `stored` (null when the key does not exist); `outputs` as
  // PointReadSink::Found.
  virtual bool Found(size_t i, const protocol::Row* stored, std::span<const size_t> outputs) = 0;
  // Job i's values do not match its parameters.
  virtual bool Failed(size_t i, const protocol::Status& status) = 0;

 protected:
  ~PointReadAnswers() = default;
};

// TryPointRead for a group of jobs, answering them in order through
// `answers`. `*answered` counts the jobs answered from the first, kept
// up to date as they are (so it holds even when an answer throws). Stops
// before the first job that cannot run here (TryPointRead's std::nullopt:
// nothing of it was run) or that `answers` refuses. The jobs in a row on
// one table share one taking of its read lock, and their keys are looked up
// side by side (BPlusTree::FindMany) and their rows prefetched before the
// first of them is answered, so their cache misses overlap.
void TryPointReads(std::span<PointReadJob> jobs, cerebrum::Database& db,
                   PointReadAnswers* answers, size_t* answered);

// Runs a prepared INSERT ... VALUES with one row of values right here if
// it cannot block (ExecuteInsertWithoutWaiting): under the caller's
// DurabilityScope its commit is appended and registered, and the caller
// answers once it is durable. std::nullopt when it cannot run here, and
// nothing was done.
std::optional<protocol::Result<StatementResult>> TryExecuteInsert(
    const PreparedStatement& statement, protocol::Row& values, cerebrum::Database& db);

}  // namespace kopf::cerebellum
