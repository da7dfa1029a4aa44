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

#include <string>

#include "cerebellum/ast/ast.h"
#include "cerebellum/binder/bound_expr.h"
#include "cerebrum/schema.h"
#include "protocol/status.h"

namespace kopf::cerebellum {

// The names an expression may use: the columns of at most one table,
// reachable unqualified or qualified by `qualifier` (the alias, or the
// table's name when it has none).
struct Scope {
  const cerebrum::TableSchema* table = nullptr;  // null: no FROM clause
  std::string qualifier;
};

// Binds `expr`. Fails with kUndefinedColumn, kTypeMismatch or
// kNotSupported, positioned at the node at fault.
protocol::Result<BoundExprPtr> BindExpr(const ast::Expr& expr, const Scope& scope);

// Binds a condition (WHERE): its type must be BOOLEAN, numeric or NULL.
protocol::Result<BoundExprPtr> BindCondition(const ast::Expr& expr, const Scope& scope);

// Makes `expr` assignable to `column`: INTEGER widens to DOUBLE; any other
// type difference is kTypeMismatch at `position`.
protocol::Result<BoundExprPtr> CoerceToColumn(BoundExprPtr expr,
                                              const cerebrum::ColumnSchema& column,
                                              int32_t position);

// Evaluates a constant expression (DEFAULT, LIMIT). kInvalidValue when it
// reads a column.
protocol::Result<protocol::Value> EvaluateConstant(const BoundExpr& expr);

}  // namespace kopf::cerebellum
