#include "cerebellum/prepared_statement.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <optional>
#include <span>

#include <fmt/format.h>

#include "cerebellum/binder/binder.h"
#include "cerebellum/binder/parameters.h"
#include "cerebellum/executor/executor.h"
#include "cerebellum/parser/parser.h"
#include "cerebellum/permission.h"
#include "cerebellum/planner/planner.h"
#include "cerebrum/database.h"
#include "cerebrum/partitioning.h"
#include "cerebrum/prefetch.h"
#include "cerebrum/table.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Row;
using protocol::Status;

namespace {

// Binds `statement` with one row of values (already checked).
Result<BoundStatement> BindWithValues(const PreparedStatement& prepared, const Row& values,
                                      const cerebrum::Database& db) {
  ParameterSet set;
  set.types = prepared.parameter_types;
  set.values = &values;
  ParameterScope scope(&set);
  return Bind(*prepared.statement, db);
}

Result<StatementResult> RunOne(const PreparedStatement& prepared, const Row& values,
                               cerebrum::Database& db) {
  KOPF_ASSIGN_OR_RETURN(BoundStatement bound, BindWithValues(prepared, values, db));
  Plan(&bound);
  return Execute(bound, db);
}

// All parameter rows as the rows of one INSERT: one atomic commit.
Result<StatementResult> RunInsertValues(const PreparedStatement& prepared,
                                        const std::vector<Row>& rows, cerebrum::Database& db) {
  std::optional<BoundStatement> all;
  for (const Row& values : rows) {
    KOPF_ASSIGN_OR_RETURN(BoundStatement bound, BindWithValues(prepared, values, db));
    if (!all) {
      std::get<BoundInsert>(bound).rows.reserve(rows.size());
      all = std::move(bound);
      continue;
    }
    auto& into = std::get<BoundInsert>(*all).rows;
    for (auto& row : std::get<BoundInsert>(bound).rows) into.push_back(std::move(row));
  }
  Plan(&*all);
  return Execute(*all, db);
}

// Collects the conjuncts of `e` (a AND b AND ...) into `out`.
void Conjuncts(const BoundExpr& e, std::vector<const BoundExpr*>* out) {
  const auto* b = std::get_if<bound::Binary>(&e.node);
  if (b != nullptr && b->op == ast::BinaryOp::kAnd) {
    Conjuncts(*b->left, out);
    Conjuncts(*b->right, out);
    return;
  }
  out->push_back(&e);
}

// The PointRead of `query` (bound at PREPARE, without values), if it is
// one: one table with a primary key, a WHERE that is exactly one
// `key column = parameter` per key column (of the column's own type, so
// the B+Tree's order is the comparison's), plain columns out, nothing
// else (no join, grouping, DISTINCT, ORDER BY, OFFSET, compound, subquery).
std::optional<PointRead> FindPointRead(const BoundQuery& query) {
  const BoundSelect& s = *query.select;
  if (query.reads.size() != 1 || s.from.size() != 1 || s.aggregate || s.distinct ||
      !s.compound.empty() || !s.order_by.empty() || s.having || !s.group_by.empty() ||
      s.offset != 0 || (s.limit && *s.limit == 0) || !s.where || !s.residual.empty()) {
    return std::nullopt;
  }
  const BoundFromTable& from = s.from.front();
  if (from.on || !from.filters.empty() || from.offset != 0 || !from.table) return std::nullopt;
  const cerebrum::TableSchema& schema = from.table->schema();
  if (!schema.has_primary_key()) return std::nullopt;

  PointRead point;
  point.key_parameters.assign(schema.primary_key.size(), UINT32_MAX);
  std::vector<const BoundExpr*> conjuncts;
  Conjuncts(*s.where, &conjuncts);
  for (const BoundExpr* c : conjuncts) {
    const auto* eq = std::get_if<bound::Binary>(&c->node);
    if (eq == nullptr || eq->op != ast::BinaryOp::kEqual || eq->affinity != 0) return std::nullopt;
    const auto* column = std::get_if<bound::Column>(&eq->left->node);
    const auto* parameter = std::get_if<bound::Parameter>(&eq->right->node);
    if (column == nullptr) {
      column = std::get_if<bound::Column>(&eq->right->node);
      parameter = std::get_if<bound::Parameter>(&eq->left->node);
    }
    if (column == nullptr || parameter == nullptr || column->depth != 0 ||
        column->index >= schema.columns.size() || parameter->index == 0) {
      return std::nullopt;
    }
    auto key = std::find(schema.primary_key.begin(), schema.primary_key.end(), column->index);
    if (key == schema.primary_key.end()) return std::nullopt;
    uint32_t& slot = point.key_parameters[static_cast<size_t>(key - schema.primary_key.begin())];
    if (slot != UINT32_MAX) return std::nullopt;  // the same key column twice
    slot = parameter->index - 1;
  }
  for (uint32_t p : point.key_parameters) {
    if (p == UINT32_MAX) return std::nullopt;  // a key column left open: a range
  }
  for (const BoundExprPtr& out : s.outputs) {
    const auto* column = std::get_if<bound::Column>(&out->node);
    if (column == nullptr || column->depth != 0 || column->index >= schema.columns.size()) {
      return std::nullopt;
    }
    point.outputs.push_back(column->index);
  }
  point.key_is_parameters = true;
  for (size_t i = 0; i < point.key_parameters.size(); ++i) {
    point.key_is_parameters = point.key_is_parameters && point.key_parameters[i] == i;
  }
  if (schema.partitioned()) {
    auto key = std::find(schema.primary_key.begin(), schema.primary_key.end(),
                         schema.partitioning.column);
    if (key == schema.primary_key.end()) return std::nullopt;  // CREATE TABLE refuses this
    point.partition_parameter =
        point.key_parameters[static_cast<size_t>(key - schema.primary_key.begin())];
  }
  point.table = from.table;
  point.table_name = schema.name;
  return point;
}

// The DirectInsert plan of a one-row INSERT bound at PREPARE, when each
// column's expression is a constant or a parameter of the column's own type
// (no coercion left to do at EXECUTE); std::nullopt otherwise.
std::optional<DirectInsert> FindDirectInsert(const BoundInsert& insert,
                                             const std::vector<protocol::Type>& parameter_types) {
  if (insert.rows.size() != 1 || insert.select || !insert.reads.empty()) return std::nullopt;
  const auto& columns = insert.table->schema().columns;
  const std::vector<BoundExprPtr>& exprs = insert.rows.front();
  DirectInsert direct;
  direct.table = insert.table;
  direct.table_name = insert.table->schema().name;
  direct.parameters.resize(exprs.size());
  direct.constants.resize(exprs.size());
  for (size_t c = 0; c < exprs.size(); ++c) {
    const BoundExpr& e = *exprs[c];
    if (const auto* constant = std::get_if<bound::Constant>(&e.node)) {
      if (!constant->value.is_null() && constant->value.type() != columns[c].type) {
        return std::nullopt;
      }
      direct.constants[c] = constant->value;
    } else if (const auto* parameter = std::get_if<bound::Parameter>(&e.node)) {
      const uint32_t i = parameter->index - 1;
      if (i >= parameter_types.size() || parameter_types[i] != columns[c].type) return std::nullopt;
      direct.parameters[c] = i;
    } else {
      return std::nullopt;
    }
  }
  return direct;
}

// Whether `a` and `b` point to the same table object, or were made from
// pointers to it (owner equality: a table created since under the same
// name is another one).
template <typename A, typename B>
bool SameOwner(const A& a, const B& b) {
  return !a.owner_before(b) && !b.owner_before(a);
}

// The table a plan was prepared for (`prepared`, found by `name`), if the
// catalog still holds that very table under its name; else null.
std::shared_ptr<cerebrum::Table> CurrentTable(const std::weak_ptr<cerebrum::Table>& prepared,
                                              const std::string& name,
                                              const cerebrum::Database& db) {
  std::shared_ptr<cerebrum::Table> table = db.FindTable(name);
  if (!table || !SameOwner(table, prepared)) return nullptr;
  return table;
}
std::shared_ptr<cerebrum::Table> CurrentTable(const PointRead& point,
                                              const cerebrum::Database& db) {
  return CurrentTable(point.table, point.table_name, db);
}

// Where the row `values` ask `point` for would be: the table or partition
// that can hold it (null when none can: a NULL key value, or a value no
// partition takes) and its key, in `values` or built in `*scratch`, which
// may be null when KeyIsValues.
struct PointReadKey {
  const cerebrum::Table* holder;
  std::span<const protocol::Value> key;
};
// Whether `values` are themselves the key `point` looks up.
bool KeyIsValues(const PointRead& point, const Row& values) {
  return point.key_is_parameters && values.size() == point.key_parameters.size();
}
PointReadKey KeyOf(const PointRead& point, const cerebrum::Table& table, const Row& values,
                   cerebrum::Key* scratch) {
  for (uint32_t p : point.key_parameters) {
    if (values[p].is_null()) return {nullptr, {}};  // `key = NULL` is never true
  }
  // A partitioned table keeps its rows in its partitions; the key's value
  // of the partition column names the one that can hold the row.
  const cerebrum::Table* holder = &table;
  if (point.partition_parameter) {
    std::optional<size_t> partition =
        cerebrum::PartitionFor(table.schema().partitioning, values[*point.partition_parameter]);
    if (!partition) return {nullptr, {}};
    holder = table.partitions()[*partition].get();
  }
  if (KeyIsValues(point, values)) return {holder, std::span<const protocol::Value>(values)};
  scratch->clear();
  for (uint32_t p : point.key_parameters) scratch->push_back(values[p]);
  return {holder, std::span<const protocol::Value>(*scratch)};
}

// The table's read lock if a read may run now without waiting: the lock
// is free, and (as ExecuteQueryWithoutWaiting) every visible write is
// durable, so while it is held no write can become visible and whatever
// is read is durable too. Else an unlocked lock.
cerebrum::Table::SharedLock LockForPointRead(const cerebrum::Table& table,
                                             const cerebrum::Database& db) {
  cerebrum::Table::SharedLock lock = table.TryLockShared();
  if (lock.owns_lock() && !db.VisibleWritesAreDurable()) lock.unlock();
  return lock;
}

// Looks `point` up in `table` with `values` (already checked) if it can
// run without waiting: true after handing the row to `sink` when the key
// exists, false when not; std::nullopt when it would have to wait, and
// nothing was done.
std::optional<bool> RunPointRead(const PointRead& point, const cerebrum::Table& table,
                                 const Row& values, cerebrum::Database& db, PointReadSink* sink) {
  cerebrum::Table::SharedLock lock = LockForPointRead(table, db);
  if (!lock.owns_lock()) return std::nullopt;
  cerebrum::Key scratch;
  PointReadKey where = KeyOf(point, table, values, &scratch);
  if (where.holder == nullptr) return false;
  const Row* row = where.holder->rows().Find(where.key);
  if (row == nullptr) return false;
  sink->Found(*row, point.outputs);
  return true;
}

// Whether two PointReads were prepared for the same table.
bool SameTable(const PointRead& a, const PointRead& b) { return SameOwner(a.table, b.table); }

// Starts loading the rows jobs found (rows[i] for jobs[i], or null): their
// values and the bytes of the TEXT values they output, which may be on the
// heap. A row is a heap block of its own, rarely in cache for a random key.
// The blocks first, for every row; by the time the second pass reads a
// block to find its strings, it has had the first pass's time to arrive.
void PrefetchRows(std::span<const Row* const> rows, std::span<const PointReadJob> jobs) {
  for (const Row* row : rows) {
    if (row == nullptr) continue;
    const char* p = reinterpret_cast<const char*>(row->data());
    const char* end = reinterpret_cast<const char*>(row->data() + row->size());
    for (; p < end; p += 64) cerebrum::Prefetch(p);
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row* row = rows[i];
    if (row == nullptr) continue;
    for (size_t column : jobs[i].statement->point_read->outputs) {
      const protocol::Value& value = (*row)[column];
      if (value.type() == protocol::Type::kText) cerebrum::Prefetch(value.as_text().data());
    }
  }
}

// A PointReadSink that copies the output values into a Row.
class CopyRow final : public PointReadSink {
 public:
  explicit CopyRow(Row* out) : out_(out) {}
  void Found(const Row& stored, std::span<const size_t> outputs) override {
    out_->resize(outputs.size());
    for (size_t i = 0; i < outputs.size(); ++i) (*out_)[i] = stored[outputs[i]];
  }

 private:
  Row* out_;
};

}  // namespace

Result<std::shared_ptr<const PreparedStatement>> PrepareStatement(std::string_view sql,
                                                                  const cerebrum::Database& db,
                                                                  protocol::Role role) {
  KOPF_ASSIGN_OR_RETURN(ast::Statement parsed, ParseStatement(sql));
  auto prepared = std::make_shared<PreparedStatement>();
  prepared->statement = std::make_unique<ast::Statement>(std::move(parsed));
  ast::Statement& statement = *prepared->statement;
  if (auto* insert = std::get_if<ast::Insert>(&statement)) {
    prepared->is_insert_values = !insert->select && insert->rows.size() == 1;
  } else if (std::holds_alternative<ast::Select>(statement)) {
    prepared->is_write = false;
    prepared->maybe_quick = true;
  } else if (!std::holds_alternative<ast::Update>(statement) &&
             !std::holds_alternative<ast::Delete>(statement)) {
    return Status::NotSupported(
        "only SELECT, INSERT, UPDATE and DELETE can be prepared; send other statements as QUERY");
  }
  ParameterSet set;
  Result<BoundStatement> bound = [&] {
    ParameterScope scope(&set);
    return Bind(statement, db);
  }();
  if (!bound.ok()) return bound.status();
  KOPF_RETURN_IF_ERROR(CheckPermission(*bound, role));
  KOPF_RETURN_IF_ERROR(CheckParameterTypes(set));
  prepared->parameter_types = std::move(set.types);
  if (auto* query = std::get_if<BoundQuery>(&*bound)) {
    prepared->columns = query->select->columns;
    prepared->point_read = FindPointRead(*query);
  }
  if (auto* insert = std::get_if<BoundInsert>(&*bound); insert && prepared->is_insert_values) {
    prepared->direct_insert = FindDirectInsert(*insert, prepared->parameter_types);
  }
  return std::shared_ptr<const PreparedStatement>(std::move(prepared));
}

std::optional<Result<StatementResult>> TryExecuteQuickRead(const PreparedStatement& prepared,
                                                           Row& values, cerebrum::Database& db) {
  if (!prepared.maybe_quick.load(std::memory_order_relaxed)) return std::nullopt;
  if (prepared.point_read) {
    Row row;
    CopyRow copy(&row);
    std::optional<Result<bool>> found = TryPointRead(prepared, values, db, &copy);
    if (found) {
      if (!found->ok()) return found->status();
      StatementResult result;
      result.tag = "SELECT";
      result.columns = prepared.columns;
      if (**found) result.rows.push_back(std::move(row));
      result.count = result.rows.size();
      return Result<StatementResult>(std::move(result));
    }
  }
  if (Status s = CheckParameterValues(prepared.parameter_types, &values, 1); !s.ok()) return s;
  Result<BoundStatement> bound = BindWithValues(prepared, values, db);
  if (!bound.ok()) return bound.status();
  Plan(&*bound);
  auto* query = std::get_if<BoundQuery>(&*bound);
  if (query == nullptr || !IsQuickRead(*query)) {
    prepared.maybe_quick.store(false, std::memory_order_relaxed);
    return std::nullopt;
  }
  return ExecuteQueryWithoutWaiting(*query, db);
}

std::optional<Result<StatementResult>> TryExecuteInsert(const PreparedStatement& prepared,
                                                        Row& values, cerebrum::Database& db) {
  if (!prepared.is_insert_values) return std::nullopt;
  if (Status s = CheckParameterValues(prepared.parameter_types, &values, 1); !s.ok()) return s;
  if (const std::optional<DirectInsert>& direct = prepared.direct_insert) {
    if (std::shared_ptr<cerebrum::Table> table =
            CurrentTable(direct->table, direct->table_name, db)) {
      Row row = direct->constants;
      for (size_t c = 0; c < row.size(); ++c) {
        if (direct->parameters[c]) row[c] = values[*direct->parameters[c]];
      }
      return InsertRowWithoutWaiting(*table, std::move(row));
    }
    // A table dropped (or created again) since PREPARE: bind afresh below.
  }
  Result<BoundStatement> bound = BindWithValues(prepared, values, db);
  if (!bound.ok()) return bound.status();
  auto* insert = std::get_if<BoundInsert>(&*bound);
  if (insert == nullptr) return std::nullopt;
  return ExecuteInsertWithoutWaiting(*insert);
}

std::optional<Result<bool>> TryPointRead(const PreparedStatement& prepared, Row& values,
                                         cerebrum::Database& db, PointReadSink* sink) {
  if (!prepared.point_read) return std::nullopt;
  if (Status s = CheckParameterValues(prepared.parameter_types, &values, 1); !s.ok()) return s;
  // A table dropped (and perhaps created again) since PREPARE is left to
  // the general path, which binds afresh like any other statement.
  std::shared_ptr<cerebrum::Table> table = CurrentTable(*prepared.point_read, db);
  if (!table) return std::nullopt;
  std::optional<bool> found = RunPointRead(*prepared.point_read, *table, values, db, sink);
  if (!found) return std::nullopt;
  return Result<bool>(*found);
}

void TryPointReads(std::span<PointReadJob> jobs, cerebrum::Database& db, PointReadAnswers* answers,
                   size_t* answered) {
  // Jobs looked up together; larger groups keep more rows in cache at once
  // than the first-level cache holds.
  constexpr size_t kGroup = 32;
  *answered = 0;
  while (*answered < jobs.size()) {
    const size_t first = *answered;
    const PointRead& point = *jobs[first].statement->point_read;
    std::shared_ptr<cerebrum::Table> table = CurrentTable(point, db);
    if (!table) return;
    cerebrum::Table::SharedLock lock = LockForPointRead(*table, db);
    if (!lock.owns_lock()) return;
    size_t n = 1;
    while (first + n < jobs.size() && n < kGroup &&
           SameTable(*jobs[first + n].statement->point_read, point)) {
      ++n;
    }
    // Only the errors are kept, in job order, and keys are built only for
    // statements whose key is not their values as they are: both are rare,
    // and storage made and destroyed for every job would cost more than
    // its lookup.
    std::array<bool, kGroup> failed;
    std::vector<Status> errors;
    std::vector<cerebrum::Key> scratch;
    std::array<PointReadKey, kGroup> where;
    std::array<const Row*, kGroup> found;
    for (size_t i = 0; i < n; ++i) {
      const PointReadJob& job = jobs[first + i];
      const PointRead& job_point = *job.statement->point_read;
      found[i] = nullptr;
      Status values_ok = CheckParameterValues(job.statement->parameter_types, job.values, 1);
      failed[i] = !values_ok.ok();
      if (failed[i]) {
        errors.push_back(std::move(values_ok));
        where[i] = {nullptr, {}};
        continue;
      }
      cerebrum::Key* key = nullptr;
      if (!KeyIsValues(job_point, *job.values)) {
        if (scratch.capacity() == 0) scratch.reserve(n);  // no reallocation: keys point in
        key = &scratch.emplace_back();
      }
      where[i] = KeyOf(job_point, *table, *job.values, key);
    }
    // Runs of jobs on one table or partition go down its tree together.
    for (size_t i = 0, end = 0; i < n; i = end) {
      for (end = i + 1; end < n && where[end].holder == where[i].holder;) ++end;
      if (where[i].holder == nullptr) continue;
      std::array<std::span<const protocol::Value>, kGroup> keys;
      for (size_t j = i; j < end; ++j) keys[j - i] = where[j].key;
      where[i].holder->rows().FindMany(
          std::span<const std::span<const protocol::Value>>(keys.data(), end - i),
          std::span<const Row*>(found.data() + i, end - i));
    }
    PrefetchRows(std::span<const Row* const>(found.data(), n), jobs.subspan(first, n));
    for (size_t i = 0, error = 0; i < n; ++i) {
      const PointReadJob& job = jobs[first + i];
      bool taken = failed[i]
                       ? answers->Failed(first + i, errors[error++])
                       : answers->Found(first + i, found[i], job.statement->point_read->outputs);
      if (!taken) return;
      ++*answered;
    }
  }
}

Result<StatementResult> ExecutePrepared(const PreparedStatement& prepared,
                                        std::vector<Row>& parameter_rows, cerebrum::Database& db) {
  for (size_t i = 0; i < parameter_rows.size(); ++i) {
    KOPF_RETURN_IF_ERROR(CheckParameterValues(prepared.parameter_types, &parameter_rows[i], i + 1));
  }
  if (parameter_rows.size() == 1) return RunOne(prepared, parameter_rows.front(), db);
  if (prepared.is_insert_values) return RunInsertValues(prepared, parameter_rows, db);

  StatementResult total;
  for (size_t i = 0; i < parameter_rows.size(); ++i) {
    Result<StatementResult> one = RunOne(prepared, parameter_rows[i], db);
    if (!one.ok()) {
      const Status& s = one.status();
      if (!prepared.is_write || i == 0) return s;
      return Status(s.code(),
                    fmt::format("parameter row {} of {}: {} (the {} rows before it took effect)",
                                i + 1, parameter_rows.size(), s.message(), i),
                    s.position());
    }
    if (i == 0) {
      total.columns = std::move(one->columns);
      total.tag = std::move(one->tag);
    }
    total.count += one->count;
    for (Row& row : one->rows) total.rows.push_back(std::move(row));
  }
  return total;
}

}  // namespace kopf::cerebellum
