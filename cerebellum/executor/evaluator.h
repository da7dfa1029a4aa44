// Evaluator: computes a bound expression over one row, with SQL's NULL
// logic and SQLite's arithmetic:
//   - any comparison or arithmetic with NULL is NULL; AND/OR are three-valued
//   - integer division truncates toward zero; x/0 and x%0 are NULL
//   - integer overflow is an error (kInvalidValue), never a silent wrap
//   - text compares bytewise; LIKE is case-insensitive for ASCII letters
//   - string functions count characters (code points): text_functions.h
//
// A runtime error does not throw: Evaluate() returns NULL and status()
// holds the first error, which the caller checks once per row.
//
// Thread-safety: one Evaluator per thread; bound expressions are shared.
#pragma once

#include "cerebellum/binder/bound_expr.h"
#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::cerebellum {

class ExecContext;

class Evaluator {
 public:
  // `context` is needed for subqueries and correlated columns; constant
  // expressions evaluate without one.
  explicit Evaluator(ExecContext* context = nullptr) : context_(context) {}

  protocol::Value Evaluate(const BoundExpr& expr, const protocol::Row& row);

  // True when `expr` (a condition) holds for `row`: NULL and false do not.
  bool IsTrue(const BoundExpr& expr, const protocol::Row& row);

  const protocol::Status& status() const { return status_; }

 private:
  protocol::Value Fail(protocol::Status status);
  protocol::Value Arithmetic(ast::BinaryOp op, const protocol::Value& a,
                             const protocol::Value& b, const BoundExpr& expr);
  protocol::Value CastTo(const protocol::Value& v, protocol::Type type);
  // INTEGER to DOUBLE where the static type is DOUBLE; anything else as is.
  protocol::Value Widen(const protocol::Value& v, protocol::Type type);
  protocol::Value CallFunction(const bound::Function& fn, const BoundExpr& expr,
                               const protocol::Row& row);
  protocol::Value OuterColumn(const bound::Column& column);
  protocol::Value Subquery(const bound::Subquery& node, const BoundExpr& expr,
                           const protocol::Row& row);

  ExecContext* context_;
  protocol::Status status_;
};

// SQL truth of a value in a condition: NULL is unknown (nullopt), numbers
// are true when non-zero.
std::optional<bool> Truth(const protocol::Value& v);

// SQLite's numeric affinity for a text compared with a numeric column: the
// text as a number when all of it reads as one, else the text unchanged.
protocol::Value ApplyNumericAffinity(const protocol::Value& v);

}  // namespace kopf::cerebellum
