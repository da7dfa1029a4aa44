// Parameters: the $1, $2, ... markers of a prepared statement while the
// binder sees them.
//
// A prepared statement is bound in two ways:
//   - PREPARE binds it without values to learn each parameter's type from
//     its context: `id = $1` gives $1 the type of id, `INSERT INTO t (a)
//     VALUES ($1)` the type of column a, `CAST($1 AS TEXT)` TEXT, `$1 + 1`
//     INTEGER, `$1 || 'x'` and LIKE TEXT, AND/OR/NOT BOOLEAN. A parameter
//     whose context says nothing (`SELECT $1`, `abs($1)`) is an error that
//     asks for a CAST.
//   - EXECUTE binds it again with one row of values: each marker becomes a
//     constant of its parameter's type, so the planner sees `id = 42` and
//     picks a key lookup exactly as for the literal text.
//
// The binder finds the parameters through a ParameterScope on the calling
// thread instead of an argument: binding is synchronous on one thread, and
// this keeps one pointer out of every bind_*.cc signature and BindContext.
// Without a scope a marker is a syntax error (plain QUERY text has no
// parameter values).
//
// Thread-safety: a ParameterSet belongs to one bind on one thread.
#pragma once

#include <cstdint>
#include <vector>

#include "cerebellum/binder/bound_expr.h"
#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::cerebellum {

struct ParameterSet {
  // types[i] is the type of $(i+1); kNull while not yet known (PREPARE).
  std::vector<protocol::Type> types;
  // Where each parameter first appears (for errors); -1 when it does not.
  std::vector<int32_t> positions;
  // EXECUTE: one value per parameter, already checked against `types`.
  // PREPARE: null.
  const protocol::Row* values = nullptr;
};

// Makes `set` the parameters of everything bound on this thread until the
// scope ends. Scopes nest (the inner one wins while it lives).
class ParameterScope {
 public:
  explicit ParameterScope(ParameterSet* set);
  ~ParameterScope();
  ParameterScope(const ParameterScope&) = delete;
  ParameterScope& operator=(const ParameterScope&) = delete;

 private:
  ParameterSet* previous_;
};

// The parameters of the current bind on this thread, or null.
ParameterSet* CurrentParameters();

// Binds marker $index at `position`: with values, a constant of the
// parameter's type; without, a bound::Parameter typed as far as known.
// Fails with kSyntaxError outside a prepared statement.
protocol::Result<BoundExprPtr> BindParameter(uint32_t index, int32_t position);

// When `expr` is a parameter whose type is not known yet, gives it `type`
// (unless kNull). The binder calls it wherever the context fixes a type.
void InferParameterType(BoundExpr* expr, protocol::Type type);

// After PREPARE's bind: every parameter from $1 to the highest used has a
// type. Fails with kTypeMismatch at the first one without (asking for a
// CAST), or kSyntaxError for a number skipped ($1 and $3 without $2).
protocol::Status CheckParameterTypes(const ParameterSet& set);

// Checks one EXECUTE row against the prepared types: the count, and each
// value NULL or of its parameter's type (an INTEGER is accepted for a DOUBLE
// parameter and widened). `row_number` counts from 1, for messages. Fails
// with kInvalidValue (count) or kTypeMismatch.
protocol::Status CheckParameterValues(const std::vector<protocol::Type>& types, protocol::Row* row,
                                      size_t row_number);

}  // namespace kopf::cerebellum
