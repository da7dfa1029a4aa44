// BoundExpr: an expression after binding — names resolved to column
// indexes, every node typed, functions resolved. The executor's evaluator
// walks it directly.
//
// Static types: every node has the type of the values it yields, or kNull
// when it can only yield NULL (a bare NULL literal). Values at run time are
// either NULL or of the node's type.
//
// Thread-safety: immutable after binding; evaluate from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "cerebellum/ast/ast.h"
#include "protocol/value.h"

namespace kopf::cerebellum {

struct BoundExpr;
using BoundExprPtr = std::unique_ptr<BoundExpr>;
struct BoundSelect;

enum class ScalarFunction {
  kAbs, kLength, kLower, kUpper, kCoalesce, kNullIf, kRound, kSubstr, kTrim, kLtrim, kRtrim,
  kIfNull, kTypeOf,
  kExactInteger,  // internal: DOUBLE to INTEGER when integral, else an error
};

namespace bound {

struct Constant {
  protocol::Value value;
};
// A column of the row being evaluated (depth 0), or of the row of an
// enclosing query (depth 1 = the query around this one, ...): a correlated
// reference. In an aggregate query, slots past the source columns hold the
// aggregate values.
struct Column {
  size_t index;
  size_t depth = 0;
};
struct Unary {
  ast::UnaryOp op;
  BoundExprPtr operand;
};
struct Binary {
  ast::BinaryOp op;
  BoundExprPtr left;
  BoundExprPtr right;
  // Comparisons only, SQLite's numeric affinity: 1 converts the left
  // operand to a number when it is text that reads as one, 2 the right.
  int affinity = 0;
};
struct IsNull {
  BoundExprPtr operand;
  bool negated;
};
struct Between {
  BoundExprPtr operand;
  BoundExprPtr low;
  BoundExprPtr high;
  bool negated;
};
struct InList {
  BoundExprPtr operand;
  std::vector<BoundExprPtr> items;
  bool negated;
  // SQLite's numeric affinity: the operand is a numeric column, so text
  // items that read as numbers are compared as numbers.
  bool numeric_affinity = false;
};
struct Like {
  BoundExprPtr operand;
  BoundExprPtr pattern;
  bool negated;
};
struct Case {
  BoundExprPtr operand;  // may be null
  std::vector<std::pair<BoundExprPtr, BoundExprPtr>> whens;
  BoundExprPtr else_result;  // may be null
};
struct Cast {
  BoundExprPtr operand;
};
struct Function {
  ScalarFunction function;
  std::vector<BoundExprPtr> args;
};
// A subquery used as a value (kScalar), a test (kExists) or a set (kIn).
struct Subquery {
  enum class Kind { kScalar, kExists, kIn };
  Kind kind = Kind::kScalar;
  std::shared_ptr<const BoundSelect> query;
  BoundExprPtr operand;  // kIn only
  bool negated = false;  // kExists, kIn
  bool correlated = false;  // reads columns of an enclosing query
};

// A parameter marker ($index) of a statement being prepared: only PREPARE's
// bind makes these, to learn the parameter types; EXECUTE binds markers to
// constants, so the evaluator never meets one.
struct Parameter {
  uint32_t index = 0;
};

}  // namespace bound

struct BoundExpr {
  using Node = std::variant<bound::Constant, bound::Column, bound::Unary, bound::Binary,
                            bound::IsNull, bound::Between, bound::InList, bound::Like,
                            bound::Case, bound::Cast, bound::Function, bound::Subquery,
                            bound::Parameter>;
  Node node;
  protocol::Type type = protocol::Type::kNull;
  int32_t position = -1;
};

// True when `expr` reads no column and holds no subquery (its value is the
// same for every row and needs no database).
bool IsConstant(const BoundExpr& expr);

// A deep copy (subquery plans are shared, not copied).
BoundExprPtr CloneExpr(const BoundExpr& expr);

// A copy with every depth-0 column index lowered by `offset`.
BoundExprPtr RebaseExpr(const BoundExpr& expr, size_t offset);

// Moves the AND-ed parts of `expr` into `out`.
void SplitConjuncts(BoundExprPtr expr, std::vector<BoundExprPtr>* out);

// Adds the indexes of the depth-0 columns `expr` reads to `out`. Returns
// false when `expr` holds a subquery (whose reads are not listed).
bool CollectColumns(const BoundExpr& expr, std::vector<size_t>* out);

}  // namespace kopf::cerebellum
