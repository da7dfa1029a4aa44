#include "cerebellum/prepared_statement.h"

#include <optional>

#include <fmt/format.h>

#include "cerebellum/binder/binder.h"
#include "cerebellum/binder/parameters.h"
#include "cerebellum/executor/executor.h"
#include "cerebellum/parser/parser.h"
#include "cerebellum/permission.h"
#include "cerebellum/planner/planner.h"
#include "cerebrum/database.h"

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
  if (auto* query = std::get_if<BoundQuery>(&*bound)) prepared->columns = query->select->columns;
  return std::shared_ptr<const PreparedStatement>(std::move(prepared));
}

std::optional<Result<StatementResult>> TryExecuteQuickRead(const PreparedStatement& prepared,
                                                           Row& values, cerebrum::Database& db) {
  if (!prepared.maybe_quick.load(std::memory_order_relaxed)) return std::nullopt;
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
