// The planner: where each condition of a query is applied, and how each
// table of its FROM clause is reached.
//
// 1. WHERE (and the ON of inner joins, which means the same) is split into
//    its AND-ed conditions.
// 2. A condition that reads only one table is pushed down to that table:
//    it filters the table's rows before any join, and the access path is
//    chosen from it (primary key, later secondary indexes). Conditions on
//    the nullable side of a LEFT JOIN stay above the join, where a NULL
//    row can still fail them.
// 3. What remains is `residual`, applied to the joined rows. The executor
//    uses the equalities among them to hash-join tables.
#include "cerebellum/planner/planner.h"

#include <algorithm>

#include "cerebrum/table.h"

namespace kopf::cerebellum {

namespace {

BoundExprPtr AndAll(const std::vector<BoundExprPtr>& parts, size_t offset) {
  BoundExprPtr out;
  for (const BoundExprPtr& p : parts) {
    BoundExprPtr copy = RebaseExpr(*p, offset);
    if (!out) {
      out = std::move(copy);
      continue;
    }
    auto both = std::make_unique<BoundExpr>();
    both->type = protocol::Type::kBoolean;
    both->node = bound::Binary{ast::BinaryOp::kAnd, std::move(out), std::move(copy)};
    out = std::move(both);
  }
  return out;
}

// The FROM table whose slots hold every column in `columns`, if one does.
std::optional<size_t> SingleTable(const BoundSelect& s, const std::vector<size_t>& columns) {
  std::optional<size_t> owner;
  for (size_t column : columns) {
    for (size_t i = 0; i < s.from.size(); ++i) {
      const auto& f = s.from[i];
      if (column >= f.offset && column < f.offset + f.table->schema().columns.size()) {
        if (owner && *owner != i) return std::nullopt;
        owner = i;
      }
    }
  }
  return owner;
}

}  // namespace

void PlanSelect(BoundSelect* s) {
  std::vector<BoundExprPtr> conditions;
  SplitConjuncts(std::move(s->where), &conditions);
  for (BoundFromTable& f : s->from) {
    if (f.join == ast::JoinKind::kInner) {
      SplitConjuncts(std::move(f.on), &conditions);
    } else if (f.join == ast::JoinKind::kLeft) {
      // Conditions of the ON on the right table alone pre-filter it.
      std::vector<BoundExprPtr> on;
      SplitConjuncts(std::move(f.on), &on);
      std::vector<BoundExprPtr> keep;
      size_t width = f.table->schema().columns.size();
      for (BoundExprPtr& c : on) {
        std::vector<size_t> columns;
        bool local = CollectColumns(*c, &columns) && !columns.empty() &&
                     std::all_of(columns.begin(), columns.end(), [&](size_t col) {
                       return col >= f.offset && col < f.offset + width;
                     });
        (local ? f.filters : keep).push_back(std::move(c));
      }
      for (BoundExprPtr& c : keep) {
        if (!f.on) {
          f.on = std::move(c);
          continue;
        }
        auto both = std::make_unique<BoundExpr>();
        both->type = protocol::Type::kBoolean;
        both->node = bound::Binary{ast::BinaryOp::kAnd, std::move(f.on), std::move(c)};
        f.on = std::move(both);
      }
    }
  }
  for (BoundExprPtr& c : conditions) {
    std::vector<size_t> columns;
    std::optional<size_t> owner;
    if (CollectColumns(*c, &columns) && !columns.empty()) owner = SingleTable(*s, columns);
    if (owner && s->from[*owner].join != ast::JoinKind::kLeft) {
      s->from[*owner].filters.push_back(std::move(c));
    } else {
      s->residual.push_back(std::move(c));
    }
  }
  for (BoundFromTable& f : s->from) {
    BoundExprPtr local = AndAll(f.filters, f.offset);
    f.access = ChooseAccessPath(*f.table, local.get());
  }
  for (auto& part : s->compound) PlanSelect(part.select.get());
}

void Plan(BoundStatement* statement) {
  struct Visitor {
    void operator()(BoundQuery& q) const { PlanSelect(q.select.get()); }
    void operator()(BoundInsert& s) const {
      if (s.select) PlanSelect(s.select.get());
    }
    void operator()(BoundUpdate& s) const {
      s.access = ChooseAccessPath(*s.table, s.where.get());
    }
    void operator()(BoundDelete& s) const {
      s.access = ChooseAccessPath(*s.table, s.where.get());
    }
    void operator()(BoundCreateTable&) const {}
    void operator()(BoundDropTable&) const {}
    void operator()(BoundShowTables&) const {}
    void operator()(BoundShowIndexes&) const {}
    void operator()(BoundShowPartitions&) const {}
    void operator()(BoundDescribe&) const {}
    void operator()(BoundCompactTable&) const {}
    void operator()(BoundExplain&) const {}
    void operator()(BoundCreateIndex&) const {}
    void operator()(BoundDropIndex&) const {}
    void operator()(BoundCopy& s) const {
      if (s.select) PlanSelect(s.select.get());
    }
    void operator()(BoundBackup&) const {}
    void operator()(BoundShowBackups&) const {}
  };
  std::visit(Visitor{}, *statement);
}

bool IsQuickRead(const BoundQuery& query) {
  // A handful of lookups at most: an IN list of this many keys still is.
  constexpr size_t kMaxQuickLookups = 16;
  const BoundSelect& s = *query.select;
  if (query.reads.size() != 1 || s.from.size() != 1 || s.aggregate || s.distinct ||
      !s.compound.empty() || !s.order_by.empty() || s.having || !s.group_by.empty()) {
    return false;
  }
  const AccessPath& path = s.from.front().access;
  bool point = (path.kind == AccessPath::Kind::kKeyRange ||
                (path.kind == AccessPath::Kind::kIndexRange && path.index_unique)) &&
               path.is_point() && path.in_values.size() <= kMaxQuickLookups;
  if (!point && path.kind != AccessPath::Kind::kEmpty) return false;
  // CollectColumns says false for subqueries and outer references.
  std::vector<size_t> columns;
  auto plain = [&](const BoundExprPtr& e) { return !e || CollectColumns(*e, &columns); };
  if (!plain(s.where)) return false;
  for (const BoundExprPtr& e : s.from.front().filters) {
    if (!plain(e)) return false;
  }
  for (const BoundExprPtr& e : s.residual) {
    if (!plain(e)) return false;
  }
  for (const BoundExprPtr& e : s.outputs) {
    if (!plain(e)) return false;
  }
  return true;
}

}  // namespace kopf::cerebellum
