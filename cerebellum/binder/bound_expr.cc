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
          return bound::InList{Copy(*n.operand, offset), std::move(items), n.negated,
                               n.numeric_affinity};
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
        } else if constexpr (std::is_same_v<T, bound::Parameter>) {
          return n;
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

bool IsConstant(const BoundExpr& expr) {
  struct Visitor {
    bool operator()(const bound::Constant&) const { return true; }
    bool operator()(const bound::Column&) const { return false; }
    bool operator()(const bound::Unary& n) const { return IsConstant(*n.operand); }
    bool operator()(const bound::Binary& n) const {
      return IsConstant(*n.left) && IsConstant(*n.right);
    }
    bool operator()(const bound::IsNull& n) const { return IsConstant(*n.operand); }
    bool operator()(const bound::Between& n) const {
      return IsConstant(*n.operand) && IsConstant(*n.low) && IsConstant(*n.high);
    }
    bool operator()(const bound::InList& n) const {
      if (!IsConstant(*n.operand)) return false;
      for (const auto& i : n.items) {
        if (!IsConstant(*i)) return false;
      }
      return true;
    }
    bool operator()(const bound::Like& n) const {
      return IsConstant(*n.operand) && IsConstant(*n.pattern);
    }
    bool operator()(const bound::Case& n) const {
      if (n.operand && !IsConstant(*n.operand)) return false;
      if (n.else_result && !IsConstant(*n.else_result)) return false;
      for (const auto& [w, t] : n.whens) {
        if (!IsConstant(*w) || !IsConstant(*t)) return false;
      }
      return true;
    }
    bool operator()(const bound::Cast& n) const { return IsConstant(*n.operand); }
    bool operator()(const bound::Function& n) const {
      for (const auto& a : n.args) {
        if (!IsConstant(*a)) return false;
      }
      return true;
    }
    bool operator()(const bound::Subquery&) const { return false; }
    // Its value is not known until EXECUTE, so nothing may fold it.
    bool operator()(const bound::Parameter&) const { return false; }
  };
  return std::visit(Visitor{}, expr.node);
}

bool CollectColumns(const BoundExpr& expr, std::vector<size_t>* out) {
  bool ok = true;
  auto walk = [&](const BoundExpr& e, auto&& self) -> void {
    std::visit(
        [&](const auto& n) {
          using T = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<T, bound::Column>) {
            if (n.depth == 0) out->push_back(n.index);
            else ok = false;  // an outer reference: not this row's column
          } else if constexpr (std::is_same_v<T, bound::Constant>) {
          } else if constexpr (std::is_same_v<T, bound::Unary>) {
            self(*n.operand, self);
          } else if constexpr (std::is_same_v<T, bound::Binary>) {
            self(*n.left, self);
            self(*n.right, self);
          } else if constexpr (std::is_same_v<T, bound::IsNull>) {
            self(*n.operand, self);
          } else if constexpr (std::is_same_v<T, bound::Between>) {
            self(*n.operand, self);
            self(*n.low, self);
            self(*n.high, self);
          } else if constexpr (std::is_same_v<T, bound::InList>) {
            self(*n.operand, self);
            for (const auto& i : n.items) self(*i, self);
          } else if constexpr (std::is_same_v<T, bound::Like>) {
            self(*n.operand, self);
            self(*n.pattern, self);
          } else if constexpr (std::is_same_v<T, bound::Case>) {
            if (n.operand) self(*n.operand, self);
            for (const auto& [w, t] : n.whens) {
              self(*w, self);
              self(*t, self);
            }
            if (n.else_result) self(*n.else_result, self);
          } else if constexpr (std::is_same_v<T, bound::Cast>) {
            self(*n.operand, self);
          } else if constexpr (std::is_same_v<T, bound::Function>) {
            for (const auto& a : n.args) self(*a, self);
          } else if constexpr (std::is_same_v<T, bound::Subquery>) {
            ok = false;
          } else if constexpr (std::is_same_v<T, bound::Parameter>) {
          }
        },
        e.node);
  };
  walk(expr, walk);
  return ok;
}

}  // namespace kopf::cerebellum
