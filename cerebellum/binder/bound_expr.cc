#include "cerebellum/binder/bound_expr.h"

namespace kopf::cerebellum {

namespace {

BoundExprPtr Copy(const BoundExpr& e, size_t offset);

BoundExprPtr CopyOrNull(const BoundExprPtr& e, size_t offset) {
  return e ? Copy(*e, offset) : nullptr;
}

BoundExprPtr Copy(const BoundExpr& e, size_t offset) {
  auto out = std::make_unique<BoundExpr>();
  out->type = e.type;
  out->position = e.position;
  out->node = std::visit(
      [&](const auto& n) -> BoundExpr::Node {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, bound::Constant>) {
          return n;
        } else if constexpr (std::is_same_v<T, bound::Column>) {
          return bound::Column{n.depth == 0 ? n.index - offset : n.index, n.depth};
        } else if constexpr (std::is_same_v<T, bound::Unary>) {
          return bound::Unary{n.op, Copy(*n.operand, offset)};
        } else if constexpr (std::is_same_v<T, bound::Binary>) {
          return bound::Binary{n.op, Copy(*n.left, offset), Copy(*n.right, offset), n.affinity};
        } else if constexpr (std::is_same_v<T, bound::IsNull>) {
          return bound::IsNull{Copy(*n.operand, offset), n.negated};
        } else if constexpr (std::is_same_v<T, bound::Between>) {
          return bound::Between{Copy(*n.operand, offset), Copy(*n.low, offset),
                                Copy(*n.high, offset), n.negated};
        } else if constexpr (std::is_same_v<T, bound::InList>) {
          std::vector<BoundExprPtr> items;
          for (const auto& i : n.items) items.push_back(Copy(*i, offset));
          return bound::InList{Copy(*n.operand, offset), std::move(items), n.negated};
        } else if constexpr (std::is_same_v<T, bound::Like>) {
          return bound::Like{Copy(*n.operand, offset), Copy(*n.pattern, offset), n.negated};
        } else if constexpr (std::is_same_v<T, bound::Case>) {
          std::vector<std::pair<BoundExprPtr, BoundExprPtr>> whens;
          for (const auto& [w, t] : n.whens) whens.emplace_back(Copy(*w, offset), Copy(*t, offset));
          return bound::Case{CopyOrNull(n.operand, offset), std::move(whens),
                             CopyOrNull(n.else_result, offset)};
        } else if constexpr (std::is_same_v<T, bound::Cast>) {
          return bound::Cast{Copy(*n.operand, offset)};
        } else if constexpr (std::is_same_v<T, bound::Function>) {
          std::vector<BoundExprPtr> args;
          for (const auto& a : n.args) args.push_back(Copy(*a, offset));
          return bound::Function{n.function, std::move(args)};
        } else {
          return bound::Subquery{n.kind, n.query, CopyOrNull(n.operand, offset), n.negated,
                                 n.correlated};
        }
      },
      e.node);
  return out;
}

}  // namespace

BoundExprPtr CloneExpr(const BoundExpr& expr) { return Copy(expr, 0); }

BoundExprPtr RebaseExpr(const BoundExpr& expr, size_t offset) { return Copy(expr, offset); }

void SplitConjuncts(BoundExprPtr expr, std::vector<BoundExprPtr>* out) {
  if (!expr) return;
  if (auto* b = std::get_if<bound::Binary>(&expr->node); b && b->op == ast::BinaryOp::kAnd) {
    SplitConjuncts(std::move(b->left), out);
    SplitConjuncts(std::move(b->right), out);
    return;
  }
  out->push_back(std::move(expr));
}

}  // namespace kopf::cerebellum
