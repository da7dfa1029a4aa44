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

enum class ScalarFunction {
  kAbs, kLength, kLower, kUpper, kCoalesce, kNullIf, kRound, kSubstr, kTrim, kLtrim, kRtrim,
  kIfNull, kTypeOf,
};

namespace bound {

struct Constant {
  protocol::Value value;
};
struct Column {
  size_t index;  // into the row being evaluated
};
struct Unary {
  ast::UnaryOp op;
  BoundExprPtr operand;
};
struct Binary {
  ast::BinaryOp op;
  BoundExprPtr left;
  BoundExprPtr right;
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

}  // namespace bound

struct BoundExpr {
  using Node = std::variant<bound::Constant, bound::Column, bound::Unary, bound::Binary,
                            bound::IsNull, bound::Between, bound::InList, bound::Like,
                            bound::Case, bound::Cast, bound::Function>;
  Node node;
  protocol::Type type = protocol::Type::kNull;
  int32_t position = -1;
};

// True when `expr` reads no column (its value is the same for every row).
bool IsConstant(const BoundExpr& expr);

}  // namespace kopf::cerebellum
