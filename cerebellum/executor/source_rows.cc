// SourceRows: the FROM clause. Tables are joined one at a time into
// combined rows; each is scanned along its access path and pre-filtered by
// the conditions pushed down to it when it joins, unless it is probed:
//   - with inner and cross joins only, the order is chosen greedily: start
//     from the table expected to give the fewest rows, then prefer a table
//     tied to the joined ones by an equality, smallest first;
//   - an equality whose column on the new table leads its primary key or an
//     index, with few joined rows, is an index nested loop: each joined row
//     looks its matches up; other equalities are hash joins;
//   - a LEFT JOIN keeps the written order and pads unmatched rows with NULL.
// A residual condition is applied as soon as every table it reads is joined.
#include <algorithm>
#include <functional>
#include <unordered_map>

#include <fmt/format.h>

#include "cerebellum/executor/cancel.h"
#include "cerebellum/executor/evaluator.h"
#include "cerebellum/executor/query_runner.h"
#include "cerebellum/executor/scan.h"
#include "cerebellum/planner/partition_pruning.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Row;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

// The most values (rows x slots) a join may hold at once. A cross product
// past it fails with kInvalidValue instead of exhausting memory: 16 Mi
// values are roughly 1 GiB.
constexpr size_t kMaxJoinValues = size_t{16} << 20;

Status TooLarge(size_t rows, size_t width) {
  return Status::InvalidValue(fmt::format(
      "the join produces more than {} rows of {} columns; add join conditions or LIMIT the tables",
      rows, width));
}

// An index nested loop is chosen when the table is expected to give more
// than this many times as many rows as there are probes.
constexpr uint64_t kProbeFactor = 4;

// The access path that looks up one value of `column` through the primary
// key or an index it leads, planned once with a stand-in value; a full scan
// when no key or index starts with the column.
AccessPath ProbePath(const cerebrum::Table& table, size_t column) {
  const auto& schema = table.schema();
  Type type = schema.columns[column].type;
  Value stand_in = type == Type::kText      ? Value::Text("")
                   : type == Type::kDouble  ? Value::Double(0)
                   : type == Type::kBoolean ? Value::Boolean(false)
                                            : Value::Integer(0);
  BoundExpr equal;
  equal.type = Type::kBoolean;
  auto left = std::make_unique<BoundExpr>();
  left->node = bound::Column{column, 0};
  left->type = type;
  auto right = std::make_unique<BoundExpr>();
  right->node = bound::Constant{stand_in};
  right->type = type;
  equal.node = bound::Binary{ast::BinaryOp::kEqual, std::move(left), std::move(right)};
  AccessPath path = ChooseAccessPath(table, &equal);
  if (path.prefix.size() != 1 || !path.in_values.empty() || path.lower || path.upper) {
    return AccessPath{};
  }
  // The stand-in chose no partitions: each probe prunes by its own value.
  path.partitions.reset();
  path.partition_names.clear();
  return path;
}

// A hash consistent with Compare() equality: 1, 1.0 and TRUE hash alike.
size_t HashValue(const Value& v) {
  switch (v.type()) {
    case Type::kNull: return 0;
    case Type::kBoolean: return std::hash<int64_t>()(v.as_boolean() ? 1 : 0);
    case Type::kInteger: return std::hash<int64_t>()(v.as_integer());
    case Type::kDouble: {
      double d = v.as_double();
      if (d >= -9.2e18 && d <= 9.2e18 && d == static_cast<double>(static_cast<int64_t>(d))) {
        return std::hash<int64_t>()(static_cast<int64_t>(d));
      }
      return std::hash<double>()(d);
    }
    case Type::kText: return std::hash<std::string>()(v.as_text());
  }
  return 0;
}

struct Condition {
  const BoundExpr* expr;
  std::vector<size_t> tables;  // FROM tables it reads; empty: apply last
  bool applied = false;
};

size_t TableOf(const BoundSelect& q, size_t column) {
  for (size_t i = 0; i < q.from.size(); ++i) {
    const auto& f = q.from[i];
    if (column >= f.offset && column < f.offset + f.table->schema().columns.size()) return i;
  }
  return q.from.size();
}

// An equality usable as a hash-join key between the joined set and `table`.
struct JoinKey {
  const BoundExpr* joined_side;
  const BoundExpr* table_side;
};

std::optional<JoinKey> AsJoinKey(const BoundSelect& q, const BoundExpr& e,
                                 const std::vector<bool>& joined, size_t table) {
  const auto* b = std::get_if<bound::Binary>(&e.node);
  if (b == nullptr || b->op != ast::BinaryOp::kEqual || b->affinity != 0) return std::nullopt;
  auto side_of = [&](const BoundExpr& side) -> int {  // 0 joined, 1 table, -1 neither
    std::vector<size_t> columns;
    if (!CollectColumns(side, &columns) || columns.empty()) return -1;
    bool all_joined = true, all_table = true;
    for (size_t c : columns) {
      size_t t = TableOf(q, c);
      all_joined = all_joined && t < joined.size() && joined[t];
      all_table = all_table && t == table;
    }
    return all_table ? 1 : all_joined ? 0 : -1;
  };
  int l = side_of(*b->left), r = side_of(*b->right);
  if (l == 0 && r == 1) return JoinKey{b->left.get(), b->right.get()};
  if (l == 1 && r == 0) return JoinKey{b->right.get(), b->left.get()};
  return std::nullopt;
}

}  // namespace

Result<std::vector<Row>> SourceRows(const BoundSelect& q, ExecContext& context) {
  Evaluator ev(&context);
  std::vector<Condition> residual;
  for (const BoundExprPtr& c : q.residual) {
    Condition cond{c.get(), {}};
    std::vector<size_t> columns;
    if (CollectColumns(*c, &columns)) {
      for (size_t col : columns) {
        size_t t = TableOf(q, col);
        if (std::find(cond.tables.begin(), cond.tables.end(), t) == cond.tables.end()) {
          cond.tables.push_back(t);
        }
      }
      if (cond.tables.empty()) cond.tables.push_back(0);  // constant: apply early
    }
    residual.push_back(std::move(cond));
  }
  auto passes = [&](const Row& row, bool final_pass, const std::vector<bool>& joined) {
    for (Condition& c : residual) {
      if (c.applied) continue;
      bool ready = final_pass;
      if (!ready && !c.tables.empty()) {
        ready = std::all_of(c.tables.begin(), c.tables.end(),
                            [&](size_t t) { return t < joined.size() && joined[t]; });
      }
      if (ready && !ev.IsTrue(*c.expr, row)) return false;
    }
    return true;
  };
  auto mark_applied = [&](bool final_pass, const std::vector<bool>& joined) {
    for (Condition& c : residual) {
      if (c.applied) continue;
      bool ready = final_pass || (!c.tables.empty() &&
                                  std::all_of(c.tables.begin(), c.tables.end(), [&](size_t t) {
                                    return t < joined.size() && joined[t];
                                  }));
      if (ready) c.applied = true;
    }
  };

  if (q.from.empty()) {
    std::vector<Row> rows;
    Row empty;
    std::vector<bool> none;
    if (passes(empty, true, none)) rows.push_back(empty);
    KOPF_RETURN_IF_ERROR(ev.status());
    return rows;
  }

  // 1. Tables are scanned (along their access path, pre-filtered) only when
  //    they join: a table reached through an index nested-loop join is
  //    never scanned whole.
  std::vector<std::optional<std::vector<Row>>> scanned(q.from.size());
  auto scan = [&](size_t i) -> Result<std::vector<Row>*> {
    if (scanned[i]) return &*scanned[i];
    const BoundFromTable& f = q.from[i];
    std::vector<Row> rows;
    size_t visited = 0;
    bool cancelled = false;
    ScanRows(*f.table, f.access, [&](const cerebrum::Key&, const Row& row) {
      if (CancelledEvery(++visited)) {
        cancelled = true;
        return false;
      }
      Row full(q.width);
      std::copy(row.begin(), row.end(), full.begin() + static_cast<std::ptrdiff_t>(f.offset));
      for (const BoundExprPtr& filter : f.filters) {
        if (!ev.IsTrue(*filter, full)) return ev.status().ok();
      }
      rows.push_back(std::move(full));
      return ev.status().ok();
    });
    if (cancelled) return CancelledStatus();
    KOPF_RETURN_IF_ERROR(ev.status());
    scanned[i] = std::move(rows);
    return &*scanned[i];
  };
  // Rows a table is expected to give: exact once scanned, else the
  // planner's estimate for its access path.
  auto size_of = [&](size_t i) -> uint64_t {
    return scanned[i] ? scanned[i]->size() : q.from[i].access.estimated_rows;
  };

  // 2. Join order.
  const bool has_left = std::any_of(q.from.begin(), q.from.end(),
                                    [](const auto& f) { return f.join == ast::JoinKind::kLeft; });
  std::vector<bool> joined(q.from.size(), false);
  std::vector<size_t> order;
  if (has_left) {
    for (size_t i = 0; i < q.from.size(); ++i) order.push_back(i);
  } else {
    size_t first = 0;
    for (size_t i = 1; i < q.from.size(); ++i) {
      if (size_of(i) < size_of(first)) first = i;
    }
    order.push_back(first);
  }

  KOPF_ASSIGN_OR_RETURN(std::vector<Row>* first_rows, scan(order[0]));
  std::vector<Row> current = std::move(*first_rows);
  joined[order[0]] = true;
  {
    std::vector<Row> kept;
    for (Row& r : current) {
      if (passes(r, false, joined)) kept.push_back(std::move(r));
    }
    KOPF_RETURN_IF_ERROR(ev.status());
    current = std::move(kept);
    mark_applied(false, joined);
  }

  for (size_t step = 1; step < q.from.size(); ++step) {
    size_t next;
    std::vector<JoinKey> keys;
    if (has_left) {
      next = order[step];
    } else {
      // Prefer a table tied by an equality; among those, the smallest.
      std::optional<size_t> best;
      bool best_tied = false;
      for (size_t t = 0; t < q.from.size(); ++t) {
        if (joined[t]) continue;
        bool tied = false;
        for (const Condition& c : residual) {
          if (!c.applied && AsJoinKey(q, *c.expr, joined, t)) tied = true;
        }
        if (!best || (tied && !best_tied) ||
            (tied == best_tied && size_of(t) < size_of(*best))) {
          best = t;
          best_tied = tied;
        }
      }
      next = *best;
    }
    const BoundFromTable& f = q.from[next];
    const size_t offset = f.offset, n = f.table->schema().columns.size();
    for (const Condition& c : residual) {
      if (c.applied) continue;
      if (auto key = AsJoinKey(q, *c.expr, joined, next)) keys.push_back(*key);
    }
    // Index nested loop: when a join key on this table is a bare column
    // that leads its primary key or an index, and few rows probe it, look
    // each probe up instead of scanning the table.
    std::optional<AccessPath> probe_path;
    const BoundExpr* probe_value = nullptr;
    size_t probe_column = 0;
    if (f.join != ast::JoinKind::kLeft && !scanned[next]) {
      for (const JoinKey& k : keys) {
        const auto* column = std::get_if<bound::Column>(&k.table_side->node);
        if (column == nullptr || column->depth != 0) continue;
        if (current.size() * kProbeFactor >= f.access.estimated_rows) break;
        AccessPath path = ProbePath(*f.table, column->index - offset);
        if (path.kind == AccessPath::Kind::kFullScan) continue;
        probe_path = std::move(path);
        probe_value = k.joined_side;
        probe_column = column->index - offset;
        break;
      }
    }
    std::vector<Row>* right = nullptr;
    if (!probe_path) {
      KOPF_ASSIGN_OR_RETURN(right, scan(next));
    }
    std::vector<Row> result;
    auto merge = [&](const Row& left, const Row& r) {
      Row out = left;
      std::copy(r.begin() + static_cast<std::ptrdiff_t>(offset),
                r.begin() + static_cast<std::ptrdiff_t>(offset + n),
                out.begin() + static_cast<std::ptrdiff_t>(offset));
      return out;
    };
    joined[next] = true;
    size_t probes = 0;
    if (probe_path) {
      for (const Row& left : current) {
        if (CancelledEvery(++probes)) return CancelledStatus();
        Value v = ev.Evaluate(*probe_value, left);
        if (v.is_null()) continue;
        AccessPath path = *probe_path;
        if (f.table->partitioned()) {
          path.partitions = PrunePartitionsForEqual(f.table->schema(), probe_column, v);
        }
        path.prefix = {std::move(v)};
        ScanRows(*f.table, path, [&](const cerebrum::Key&, const Row& row) {
          Row out = left;
          std::copy(row.begin(), row.end(), out.begin() + static_cast<std::ptrdiff_t>(offset));
          for (const BoundExprPtr& filter : f.filters) {
            if (!ev.IsTrue(*filter, out)) return ev.status().ok();
          }
          if (passes(out, false, joined)) result.push_back(std::move(out));
          return ev.status().ok();
        });
        KOPF_RETURN_IF_ERROR(ev.status());
        if (result.size() * q.width > kMaxJoinValues) return TooLarge(result.size(), q.width);
      }
    } else if (f.join == ast::JoinKind::kLeft) {
      for (const Row& left : current) {
        // Each left row walks the whole right side: check every time.
        if (Cancelled()) return CancelledStatus();
        bool matched = false;
        for (const Row& r : *right) {
          Row out = merge(left, r);
          if (f.on && !ev.IsTrue(*f.on, out)) continue;
          matched = true;
          result.push_back(std::move(out));
        }
        if (!matched) result.push_back(left);  // the right slots stay NULL
        if (result.size() * q.width > kMaxJoinValues) return TooLarge(result.size(), q.width);
      }
    } else if (!keys.empty()) {
      // Hash join: build on the new table, probe with the joined rows.
      std::unordered_multimap<size_t, size_t> table;
      table.reserve(right->size());
      for (size_t i = 0; i < right->size(); ++i) {
        size_t h = 0;
        bool null_key = false;
        for (const JoinKey& k : keys) {
          Value v = ev.Evaluate(*k.table_side, (*right)[i]);
          null_key = null_key || v.is_null();
          h = h * 1000003u ^ HashValue(v);
        }
        if (!null_key) table.emplace(h, i);
      }
      for (const Row& left : current) {
        if (CancelledEvery(++probes)) return CancelledStatus();
        size_t h = 0;
        bool null_key = false;
        std::vector<Value> probe;
        for (const JoinKey& k : keys) {
          Value v = ev.Evaluate(*k.joined_side, left);
          null_key = null_key || v.is_null();
          h = h * 1000003u ^ HashValue(v);
          probe.push_back(std::move(v));
        }
        if (null_key) continue;
        auto [lo, hi] = table.equal_range(h);
        for (auto it = lo; it != hi; ++it) {
          Row out = merge(left, (*right)[it->second]);
          if (passes(out, false, joined)) result.push_back(std::move(out));
        }
        if (result.size() * q.width > kMaxJoinValues) return TooLarge(result.size(), q.width);
      }
    } else {
      for (const Row& left : current) {
        // Each left row walks the whole right side: check every time.
        if (Cancelled()) return CancelledStatus();
        for (const Row& r : *right) {
          Row out = merge(left, r);
          if (passes(out, false, joined)) result.push_back(std::move(out));
        }
        KOPF_RETURN_IF_ERROR(ev.status());
        if (result.size() * q.width > kMaxJoinValues) return TooLarge(result.size(), q.width);
      }
    }
    KOPF_RETURN_IF_ERROR(ev.status());
    if (f.join == ast::JoinKind::kLeft) {
      std::vector<Row> kept;
      for (Row& r : result) {
        if (passes(r, false, joined)) kept.push_back(std::move(r));
      }
      result = std::move(kept);
    }
    mark_applied(false, joined);
    current = std::move(result);
    if (right) std::vector<Row>().swap(*right);
  }

  // 3. Whatever could not be placed (subqueries, outer references).
  std::vector<Row> rows;
  for (Row& r : current) {
    if (passes(r, true, joined)) rows.push_back(std::move(r));
  }
  KOPF_RETURN_IF_ERROR(ev.status());
  return rows;
}

}  // namespace kopf::cerebellum
