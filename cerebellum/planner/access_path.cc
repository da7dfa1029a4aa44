#include "cerebellum/planner/access_path.h"

#include <map>

#include <fmt/format.h>

#include "cerebellum/binder/bind_expr.h"

namespace kopf::cerebellum {

using protocol::Value;

namespace {

struct ColumnBounds {
  std::optional<Value> equal;
  std::optional<Value> lower;
  std::optional<Value> upper;
  bool impossible = false;  // compared with NULL
};

void CollectConjuncts(const BoundExpr& e, std::vector<const BoundExpr*>* out) {
  if (const auto* b = std::get_if<bound::Binary>(&e.node); b && b->op == ast::BinaryOp::kAnd) {
    CollectConjuncts(*b->left, out);
    CollectConjuncts(*b->right, out);
    return;
  }
  out->push_back(&e);
}

std::optional<size_t> ColumnOf(const BoundExpr& e) {
  if (const auto* c = std::get_if<bound::Column>(&e.node)) return c->index;
  return std::nullopt;
}

std::optional<Value> ConstantOf(const BoundExpr& e) {
  if (!IsConstant(e)) return std::nullopt;
  auto v = EvaluateConstant(e);
  if (!v.ok()) return std::nullopt;
  return *v;
}

ast::BinaryOp Flip(ast::BinaryOp op) {
  switch (op) {
    case ast::BinaryOp::kLess: return ast::BinaryOp::kGreater;
    case ast::BinaryOp::kLessEqual: return ast::BinaryOp::kGreaterEqual;
    case ast::BinaryOp::kGreater: return ast::BinaryOp::kLess;
    case ast::BinaryOp::kGreaterEqual: return ast::BinaryOp::kLessEqual;
    default: return op;
  }
}

void Tighten(std::optional<Value>* bound, const Value& v, bool is_lower) {
  if (!bound->has_value()) {
    *bound = v;
    return;
  }
  auto c = protocol::Compare(v, **bound);
  if (is_lower ? c > 0 : c < 0) *bound = v;
}

void Note(ColumnBounds* b, ast::BinaryOp op, const Value& v) {
  if (v.is_null()) {
    b->impossible = true;
    return;
  }
  switch (op) {
    case ast::BinaryOp::kEqual: b->equal = v; break;
    case ast::BinaryOp::kLess:
    case ast::BinaryOp::kLessEqual: Tighten(&b->upper, v, false); break;
    case ast::BinaryOp::kGreater:
    case ast::BinaryOp::kGreaterEqual: Tighten(&b->lower, v, true); break;
    default: break;
  }
}

}  // namespace

std::string AccessPath::Describe(size_t key_columns) const {
  switch (kind) {
    case Kind::kFullScan: return "full scan";
    case Kind::kEmpty: return "no rows (contradiction)";
    case Kind::kKeyRange: return is_point(key_columns) ? "primary key lookup" : "primary key range";
  }
  return "?";
}

AccessPath ChooseAccessPath(const cerebrum::TableSchema& schema, const BoundExpr* where) {
  AccessPath path;
  if (where == nullptr || !schema.has_primary_key()) return path;
  std::vector<const BoundExpr*> conjuncts;
  CollectConjuncts(*where, &conjuncts);
  std::map<size_t, ColumnBounds> bounds;
  for (const BoundExpr* c : conjuncts) {
    if (const auto* b = std::get_if<bound::Binary>(&c->node)) {
      switch (b->op) {
        case ast::BinaryOp::kEqual:
        case ast::BinaryOp::kLess:
        case ast::BinaryOp::kLessEqual:
        case ast::BinaryOp::kGreater:
        case ast::BinaryOp::kGreaterEqual: break;
        default: continue;
      }
      if (auto col = ColumnOf(*b->left)) {
        if (auto v = ConstantOf(*b->right)) Note(&bounds[*col], b->op, *v);
      } else if (auto col2 = ColumnOf(*b->right)) {
        if (auto v = ConstantOf(*b->left)) Note(&bounds[*col2], Flip(b->op), *v);
      }
    } else if (const auto* bt = std::get_if<bound::Between>(&c->node); bt && !bt->negated) {
      if (auto col = ColumnOf(*bt->operand)) {
        auto lo = ConstantOf(*bt->low), hi = ConstantOf(*bt->high);
        if (lo) Note(&bounds[*col], ast::BinaryOp::kGreaterEqual, *lo);
        if (hi) Note(&bounds[*col], ast::BinaryOp::kLessEqual, *hi);
      }
    }
  }
  for (const auto& [col, b] : bounds) {
    if (b.impossible) {
      path.kind = AccessPath::Kind::kEmpty;
      return path;
    }
  }
  for (size_t key_col : schema.primary_key) {
    auto it = bounds.find(key_col);
    if (it == bounds.end()) break;
    if (it->second.equal) {
      path.prefix.push_back(*it->second.equal);
      continue;
    }
    path.lower = it->second.lower;
    path.upper = it->second.upper;
    break;
  }
  if (!path.prefix.empty() || path.lower || path.upper) path.kind = AccessPath::Kind::kKeyRange;
  return path;
}

}  // namespace kopf::cerebellum
