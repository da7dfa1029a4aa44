// Binding of expressions: resolves column names against the table in scope,
// computes each node's static type and rejects ill-typed expressions with a
// kTypeMismatch that points at the offending node.
//
// Typing rules (SQLite-like values, statically checked):
//   + - * / %      numeric operands; INTEGER if both are, else DOUBLE
//   ||             any operands, TEXT
//   = <> < ...     both numeric/BOOLEAN, or both TEXT; yields BOOLEAN
//   AND OR NOT     BOOLEAN or numeric (non-zero is true); yields BOOLEAN
//   NULL literal   fits anywhere
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cerebellum/ast/ast.h"
#include "cerebellum/binder/bound_expr.h"
#include "cerebrum/schema.h"
#include "protocol/status.h"

namespace kopf::cerebrum {
class Database;
class Table;
}  // namespace kopf::cerebrum

namespace kopf::cerebellum {

class Scope;
struct BoundAggregate;

// Where aggregate calls go while binding the select list, HAVING and ORDER
// BY of a query: each call is appended to `aggregates` and replaced by a
// column at slot `width + i` of the extended row.
struct AggregateSink {
  size_t width = 0;
  std::vector<BoundAggregate>* aggregates = nullptr;
};

// What an expression may refer to while it is bound.
struct BindContext {
  const cerebrum::Database* db = nullptr;  // null: no subqueries (DEFAULT, LIMIT)
  Scope* scope = nullptr;                  // null: no columns at all
  AggregateSink* aggregates = nullptr;     // null: aggregate calls are an error
  std::string_view clause = "WHERE";       // names the clause in error messages
  // Collects the tables read by subqueries, for locking.
  std::vector<std::shared_ptr<cerebrum::Table>>* reads = nullptr;
};

// Binds `expr`. Fails with kUndefinedColumn, kTypeMismatch or
// kNotSupported, positioned at the node at fault.
protocol::Result<BoundExprPtr> BindExpr(const ast::Expr& expr, BindContext& context);

// Binds a condition (WHERE, ON, HAVING): BOOLEAN, numeric or NULL.
protocol::Result<BoundExprPtr> BindCondition(const ast::Expr& expr, BindContext& context);

// True when `name` is an aggregate function (count, sum, avg, ...).
bool IsAggregateName(std::string_view name, size_t argument_count);

// Makes `expr` assignable to `column`: INTEGER widens to DOUBLE; any other
// type difference is kTypeMismatch at `position`.
protocol::Result<BoundExprPtr> CoerceToColumn(BoundExprPtr expr,
                                              const cerebrum::ColumnSchema& column,
                                              int32_t position);

// Evaluates a constant expression (DEFAULT, LIMIT). kInvalidValue when it
// reads a column.
protocol::Result<protocol::Value> EvaluateConstant(const BoundExpr& expr);

}  // namespace kopf::cerebellum
