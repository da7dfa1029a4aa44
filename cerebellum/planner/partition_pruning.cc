#include "cerebellum/planner/partition_pruning.h"

#include <algorithm>
#include <iterator>

#include "cerebrum/partitioning.h"

namespace kopf::cerebellum {

using cerebrum::ColumnBound;
using cerebrum::PartitionSpec;
using protocol::Type;
using protocol::Value;

namespace {

using Set = std::optional<std::vector<size_t>>;  // nothing: every partition

class Pruner {
 public:
  explicit Pruner(const cerebrum::TableSchema& schema)
      : spec_(schema.partitioning), type_(schema.columns[spec_.column].type) {}

  Set Of(const BoundExpr& e) const {
    if (const auto* b = std::get_if<bound::Binary>(&e.node)) {
      if (b->op == ast::BinaryOp::kAnd) return Intersect(Of(*b->left), Of(*b->right));
      if (b->op == ast::BinaryOp::kOr) return Union(Of(*b->left), Of(*b->right));
      return Comparison(*b);
    }
    if (const auto* between = std::get_if<bound::Between>(&e.node)) {
      const Value* low = ConstantOf(*between->low);
      const Value* high = ConstantOf(*between->high);
      if (between->negated || !IsPartitionColumn(*between->operand) || !low || !high) return {};
      return Between(ColumnBound{*low, true}, ColumnBound{*high, true});
    }
    if (const auto* in = std::get_if<bound::InList>(&e.node)) {
      // Numeric affinity only matters for text items, which ConstantOf refuses
      // for a numeric column.
      if (in->negated || !IsPartitionColumn(*in->operand)) return {};
      std::vector<size_t> out;
      for (const BoundExprPtr& item : in->items) {
        const Value* v = ConstantOf(*item);
        if (!v) return {};
        if (v->is_null()) continue;  // x IN (NULL) is never true
        Set one = Equal(*v);
        if (!one) return {};
        out.insert(out.end(), one->begin(), one->end());
      }
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      return out;
    }
    return {};
  }

  // column = v, for a value of any type.
  Set EqualTo(const Value& v) const {
    if (!Judgeable(v)) return {};
    if (v.is_null()) return std::vector<size_t>();
    return Equal(v);
  }

 private:
  bool IsPartitionColumn(const BoundExpr& e) const {
    const auto* c = std::get_if<bound::Column>(&e.node);
    return c && c->depth == 0 && c->index == spec_.column;
  }

  // A constant the partitions can be judged by: of the column's kind
  // (numbers for an INTEGER column, text for TEXT) or NULL.
  const Value* ConstantOf(const BoundExpr& e) const {
    const auto* k = std::get_if<bound::Constant>(&e.node);
    return k && Judgeable(k->value) ? &k->value : nullptr;
  }

  bool Judgeable(const Value& v) const {
    if (v.is_null()) return true;
    if (type_ == Type::kText) return v.type() == Type::kText;
    if (v.type() == Type::kInteger) return true;
    // RANGE compares numbers by value; HASH needs the exact integer.
    return spec_.kind == PartitionSpec::Kind::kRange && v.type() == Type::kDouble;
  }

  Set Comparison(const bound::Binary& b) const {
    ast::BinaryOp op = b.op;
    const BoundExpr* column = b.left.get();
    const BoundExpr* constant = b.right.get();
    if (!IsPartitionColumn(*column)) {
      std::swap(column, constant);
      switch (op) {  // c < col is col > c
        case ast::BinaryOp::kLess:
          op = ast::BinaryOp::kGreater;
          break;
        case ast::BinaryOp::kLessEqual:
          op = ast::BinaryOp::kGreaterEqual;
          break;
        case ast::BinaryOp::kGreater:
          op = ast::BinaryOp::kLess;
          break;
        case ast::BinaryOp::kGreaterEqual:
          op = ast::BinaryOp::kLessEqual;
          break;
        default:
          break;
      }
    }
    if (!IsPartitionColumn(*column)) return {};
    const Value* v = ConstantOf(*constant);
    if (!v) return {};
    if (v->is_null()) {  // a comparison with NULL is never true
      switch (op) {
        case ast::BinaryOp::kEqual:
        case ast::BinaryOp::kLess:
        case ast::BinaryOp::kLessEqual:
        case ast::BinaryOp::kGreater:
        case ast::BinaryOp::kGreaterEqual:
          return std::vector<size_t>();
        default:
          return {};
      }
    }
    switch (op) {
      case ast::BinaryOp::kEqual:
        return Equal(*v);
      case ast::BinaryOp::kLess:
        return Between({}, ColumnBound{*v, false});
      case ast::BinaryOp::kLessEqual:
        return Between({}, ColumnBound{*v, true});
      case ast::BinaryOp::kGreater:
        return Between(ColumnBound{*v, false}, {});
      case ast::BinaryOp::kGreaterEqual:
        return Between(ColumnBound{*v, true}, {});
      default:
        return {};
    }
  }

  Set Equal(const Value& v) const {
    if (spec_.kind == PartitionSpec::Kind::kHash && v.type() != type_) return {};
    std::optional<size_t> p = cerebrum::PartitionFor(spec_, v);
    if (!p) return std::vector<size_t>();
    return std::vector<size_t>{*p};
  }

  Set Between(const std::optional<ColumnBound>& lower,
              const std::optional<ColumnBound>& upper) const {
    if (spec_.kind != PartitionSpec::Kind::kRange) return {};
    return cerebrum::RangePartitionsBetween(spec_, lower, upper);
  }

  static Set Intersect(Set a, Set b) {
    if (!a) return b;
    if (!b) return a;
    std::vector<size_t> out;
    std::set_intersection(a->begin(), a->end(), b->begin(), b->end(), std::back_inserter(out));
    return out;
  }

  static Set Union(Set a, Set b) {
    if (!a || !b) return {};
    std::vector<size_t> out;
    std::set_union(a->begin(), a->end(), b->begin(), b->end(), std::back_inserter(out));
    return out;
  }

  const PartitionSpec& spec_;
  const Type type_;
};

}  // namespace

std::optional<std::vector<size_t>> PrunePartitions(const cerebrum::TableSchema& schema,
                                                   const BoundExpr* where) {
  if (where == nullptr) return std::nullopt;
  Set kept = Pruner(schema).Of(*where);
  if (kept && kept->size() == schema.partitioning.partitions.size()) return std::nullopt;
  return kept;
}

std::optional<std::vector<size_t>> PrunePartitionsForEqual(const cerebrum::TableSchema& schema,
                                                           size_t column, const Value& value) {
  if (column != schema.partitioning.column) return std::nullopt;
  return Pruner(schema).EqualTo(value);
}

}  // namespace kopf::cerebellum
