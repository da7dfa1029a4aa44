// INSERT: evaluate every row (VALUES, or the rows of a query), then commit
// them as one change.
#include <fmt/format.h>

#include "cerebellum/executor/evaluator.h"
#include "cerebellum/executor/executor.h"
#include "cerebellum/executor/query_runner.h"
#include "cerebellum/executor/statement_locks.h"
#include "cerebrum/database.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Row;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

// The rows of INSERT ... VALUES as changes.
Status ValuesChanges(const BoundInsert& s, std::vector<cerebrum::Change>* changes) {
  changes->reserve(s.rows.size());
  Evaluator evaluator;
  Row empty;
  for (const auto& exprs : s.rows) {
    cerebrum::Change change;
    change.kind = cerebrum::Change::Kind::kInsert;
    change.row.reserve(exprs.size());
    for (const BoundExprPtr& e : exprs) change.row.push_back(evaluator.Evaluate(*e, empty));
    KOPF_RETURN_IF_ERROR(evaluator.status());
    changes->push_back(std::move(change));
  }
  return Status::Ok();
}

Result<StatementResult> CommitInsert(cerebrum::Table& table, cerebrum::Table::ExclusiveLock lock,
                                     std::vector<cerebrum::Change> changes) {
  KOPF_ASSIGN_OR_RETURN(uint64_t count, table.Commit(std::move(lock), std::move(changes)));
  StatementResult result;
  result.tag = "INSERT";
  result.count = count;
  return result;
}

// The exclusive lock of `table` when an insert into it cannot block (see
// ExecuteInsertWithoutWaiting); an empty lock when it could.
cerebrum::Table::ExclusiveLock LockUnlessWaiting(cerebrum::Table& table) {
  if (table.partitioned()) return {};
  cerebrum::Table::ExclusiveLock lock = table.TryLockExclusive();
  if (lock.owns_lock() && table.NextCommitSyncs()) lock.unlock();
  return lock;
}

}  // namespace

std::optional<Result<StatementResult>> ExecuteInsertWithoutWaiting(BoundInsert& s) {
  if (s.select || !s.reads.empty()) return std::nullopt;
  cerebrum::Table::ExclusiveLock lock = LockUnlessWaiting(*s.table);
  if (!lock.owns_lock()) return std::nullopt;
  std::vector<cerebrum::Change> changes;
  KOPF_RETURN_IF_ERROR(ValuesChanges(s, &changes));
  return CommitInsert(*s.table, std::move(lock), std::move(changes));
}

std::optional<Result<StatementResult>> InsertRowWithoutWaiting(cerebrum::Table& table, Row row) {
  cerebrum::Table::ExclusiveLock lock = LockUnlessWaiting(table);
  if (!lock.owns_lock()) return std::nullopt;
  std::vector<cerebrum::Change> changes(1);
  changes.front().kind = cerebrum::Change::Kind::kInsert;
  changes.front().row = std::move(row);
  return CommitInsert(table, std::move(lock), std::move(changes));
}

Result<StatementResult> ExecuteInsert(BoundInsert& s, cerebrum::Database& db) {
  std::vector<cerebrum::Change> changes;
  StatementLocks locks(s.reads, s.table.get());
  if (s.select) {
    ExecContext context(&db);
    KOPF_ASSIGN_OR_RETURN(std::vector<Row> rows, RunQuery(*s.select, context));
    const auto& columns = s.table->schema().columns;
    changes.reserve(rows.size());
    for (Row& source : rows) {
      cerebrum::Change change;
      change.kind = cerebrum::Change::Kind::kInsert;
      change.row = s.defaults;
      for (size_t i = 0; i < s.targets.size(); ++i) {
        Value v = std::move(source[i]);
        Type want = columns[s.targets[i]].type;
        if (v.type() == Type::kInteger && want == Type::kDouble) {
          v = Value::Double(static_cast<double>(v.as_integer()));
        }
        change.row[s.targets[i]] = std::move(v);
      }
      changes.push_back(std::move(change));
    }
  } else {
    KOPF_RETURN_IF_ERROR(ValuesChanges(s, &changes));
  }
  return CommitInsert(*s.table, locks.TakeExclusive(), std::move(changes));
}

}  // namespace kopf::cerebellum
