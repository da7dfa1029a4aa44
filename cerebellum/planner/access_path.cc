#include "cerebellum/planner/access_path.h"
#include "cerebellum/planner/partition_pruning.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cerebellum/binder/bind_expr.h"
#include "cerebrum/table.h"

namespace kopf::cerebellum {

using protocol::Type;
using protocol::Value;

namespace {

// ---- Cost model -------------------------------------------------------------
// Units: reading one row in key order costs 1. A seek (descending a tree
// to start a range) costs kSeekCost; a row reached through a secondary
// index costs kIndexRowCost (its index entry, then a primary key lookup).
constexpr double kSeekCost = 2.0;
constexpr double kIndexRowCost = 2.0;
// Selectivities when statistics say nothing better, as in System R: an
// equality keeps a tenth of the rows, one range bound a third, two a
// quarter.
constexpr double kEqualitySelectivity = 0.1;
constexpr double kOneBoundSelectivity = 1.0 / 3;
constexpr double kTwoBoundSelectivity = 1.0 / 4;
// Tables smaller than this are costed as if they had this many rows, with
// default selectivities: the distinct counts of a handful of rows say
// little, and plans should not flip while a table fills up.
constexpr uint64_t kSmallTable = 100;

// ---- What the WHERE clause says about each column -----------------------------

struct ColumnTerms {
  std::optional<Value> equal;
  bool is_null = false;
  std::optional<std::vector<Value>> in;  // sorted, distinct, no NULL
  std::optional<Value> lower, upper;
  bool lower_inclusive = true, upper_inclusive = true;
  bool impossible = false;
};

using Terms = std::map<size_t, ColumnTerms>;

bool Less(const Value& a, const Value& b) { return protocol::Compare(a, b) < 0; }
bool Same(const Value& a, const Value& b) { return protocol::Compare(a, b) == 0; }

void SortDistinct(std::vector<Value>* values) {
  std::sort(values->begin(), values->end(), Less);
  values->erase(std::unique(values->begin(), values->end(), Same), values->end());
}

std::optional<size_t> ColumnOf(const BoundExpr& e) {
  if (const auto* c = std::get_if<bound::Column>(&e.node); c && c->depth == 0) return c->index;
  return std::nullopt;
}

std::optional<Value> ConstantOf(const BoundExpr& e) {
  if (!IsConstant(e)) return std::nullopt;
  auto v = EvaluateConstant(e);
  if (!v.ok()) return std::nullopt;
  return *v;
}

bool IsComparison(ast::BinaryOp op) {
  switch (op) {
    case ast::BinaryOp::kEqual:
    case ast::BinaryOp::kLess:
    case ast::BinaryOp::kLessEqual:
    case ast::BinaryOp::kGreater:
    case ast::BinaryOp::kGreaterEqual: return true;
    default: return false;
  }
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

// `column op value` for a comparison without affinity (see bound_expr.h:
// with it, the evaluator converts text to numbers first, which the key
// order does not follow, so such comparisons are left to the filter).
std::optional<std::pair<size_t, Value>> ColumnComparison(const bound::Binary& b,
                                                         ast::BinaryOp* op) {
  if (!IsComparison(b.op) || b.affinity != 0) return std::nullopt;
  if (auto col = ColumnOf(*b.left)) {
    if (auto v = ConstantOf(*b.right)) {
      *op = b.op;
      return std::make_pair(*col, std::move(*v));
    }
  } else if (auto col2 = ColumnOf(*b.right)) {
    if (auto v = ConstantOf(*b.left)) {
      *op = Flip(b.op);
      return std::make_pair(*col2, std::move(*v));
    }
  }
  return std::nullopt;
}

// The values of `x IN (constants)`, NULLs dropped (a NULL item never makes
// the test true). Nothing when the items are not all constant, or when the
// evaluator would convert text items to numbers (a numeric column).
std::optional<std::pair<size_t, std::vector<Value>>> ColumnInList(const bound::InList& in) {
  if (in.negated) return std::nullopt;
  auto col = ColumnOf(*in.operand);
  if (!col) return std::nullopt;
  bool numeric = in.operand->type == Type::kInteger || in.operand->type == Type::kDouble;
  std::vector<Value> values;
  for (const BoundExprPtr& item : in.items) {
    auto v = ConstantOf(*item);
    if (!v) return std::nullopt;
    if (numeric && v->type() == Type::kText) return std::nullopt;
    if (!v->is_null()) values.push_back(std::move(*v));
  }
  SortDistinct(&values);
  return std::make_pair(*col, std::move(values));
}

void NoteIn(ColumnTerms* t, std::vector<Value> values) {
  if (!t->in) {
    t->in = std::move(values);
    return;
  }
  std::vector<Value> both;  // x IN a AND x IN b: the intersection
  std::set_intersection(t->in->begin(), t->in->end(), values.begin(), values.end(),
                        std::back_inserter(both), Less);
  t->in = std::move(both);
}

void NoteComparison(ColumnTerms* t, ast::BinaryOp op, const Value& v) {
  if (v.is_null()) {  // x op NULL is never true
    t->impossible = true;
    return;
  }
  auto tighten = [&](std::optional<Value>* bound, bool* inclusive, bool is_lower, bool incl) {
    if (bound->has_value()) {
      auto c = protocol::Compare(v, **bound);
      if (is_lower ? c < 0 : c > 0) return;  // the old bound is tighter
      if (c == 0) {
        *inclusive = *inclusive && incl;
        return;
      }
    }
    *bound = v;
    *inclusive = incl;
  };
  switch (op) {
    case ast::BinaryOp::kEqual:
      if (t->equal && !Same(*t->equal, v)) t->impossible = true;
      t->equal = v;
      break;
    case ast::BinaryOp::kLess: tighten(&t->upper, &t->upper_inclusive, false, false); break;
    case ast::BinaryOp::kLessEqual: tighten(&t->upper, &t->upper_inclusive, false, true); break;
    case ast::BinaryOp::kGreater: tighten(&t->lower, &t->lower_inclusive, true, false); break;
    case ast::BinaryOp::kGreaterEqual: tighten(&t->lower, &t->lower_inclusive, true, true); break;
    default: break;
  }
}

// `a = 1 OR a = 2 OR a IN (3, 4)`: the column and the union of the values.
std::optional<std::pair<size_t, std::vector<Value>>> ColumnDisjunction(const BoundExpr& e) {
  std::vector<const BoundExpr*> parts;
  std::vector<const BoundExpr*> stack{&e};
  while (!stack.empty()) {
    const BoundExpr* x = stack.back();
    stack.pop_back();
    if (const auto* b = std::get_if<bound::Binary>(&x->node); b && b->op == ast::BinaryOp::kOr) {
      stack.push_back(b->right.get());
      stack.push_back(b->left.get());
    } else {
      parts.push_back(x);
    }
  }
  std::optional<size_t> column;
  std::vector<Value> values;
  for (const BoundExpr* p : parts) {
    std::optional<std::pair<size_t, std::vector<Value>>> got;
    if (const auto* b = std::get_if<bound::Binary>(&p->node)) {
      ast::BinaryOp op;
      auto cmp = ColumnComparison(*b, &op);
      if (!cmp || op != ast::BinaryOp::kEqual) return std::nullopt;
      got.emplace(cmp->first, std::vector<Value>{});
      if (!cmp->second.is_null()) got->second.push_back(std::move(cmp->second));
    } else if (const auto* in = std::get_if<bound::InList>(&p->node)) {
      got = ColumnInList(*in);
    }
    if (!got || (column && *column != got->first)) return std::nullopt;
    column = got->first;
    for (Value& v : got->second) values.push_back(std::move(v));
  }
  SortDistinct(&values);
  return std::make_pair(*column, std::move(values));
}

// A constant condition that is never true (WHERE FALSE, WHERE NULL).
bool NeverTrue(const BoundExpr& e) {
  if (!IsConstant(e)) return false;
  auto v = ConstantOf(e);
  if (!v) return false;
  switch (v->type()) {
    case Type::kNull: return true;
    case Type::kBoolean: return !v->as_boolean();
    case Type::kInteger: return v->as_integer() == 0;
    case Type::kDouble: return v->as_double() == 0.0;
    case Type::kText: return false;  // converted by the evaluator; not worth guessing
  }
  return false;
}

// Collects the terms of `where`; returns false when it can match nothing.
bool CollectTerms(const BoundExpr& where, const cerebrum::TableSchema& schema, Terms* terms) {
  std::vector<const BoundExpr*> conjuncts;
  std::vector<const BoundExpr*> stack{&where};
  while (!stack.empty()) {
    const BoundExpr* e = stack.back();
    stack.pop_back();
    if (const auto* b = std::get_if<bound::Binary>(&e->node); b && b->op == ast::BinaryOp::kAnd) {
      stack.push_back(b->right.get());
      stack.push_back(b->left.get());
    } else {
      conjuncts.push_back(e);
    }
  }
  for (const BoundExpr* c : conjuncts) {
    if (NeverTrue(*c)) return false;
    if (const auto* b = std::get_if<bound::Binary>(&c->node)) {
      ast::BinaryOp op;
      if (auto cmp = ColumnComparison(*b, &op)) {
        NoteComparison(&(*terms)[cmp->first], op, cmp->second);
      } else if (b->op == ast::BinaryOp::kOr) {
        if (auto d = ColumnDisjunction(*c)) NoteIn(&(*terms)[d->first], std::move(d->second));
      }
    } else if (const auto* bt = std::get_if<bound::Between>(&c->node); bt && !bt->negated) {
      // x BETWEEN lo AND hi is x >= lo AND x <= hi, also when lo or hi is
      // NULL (it is then never true).
      if (auto col = ColumnOf(*bt->operand)) {
        auto lo = ConstantOf(*bt->low), hi = ConstantOf(*bt->high);
        if (lo) NoteComparison(&(*terms)[*col], ast::BinaryOp::kGreaterEqual, *lo);
        if (hi) NoteComparison(&(*terms)[*col], ast::BinaryOp::kLessEqual, *hi);
      }
    } else if (const auto* in = std::get_if<bound::InList>(&c->node)) {
      if (!in->negated && in->items.empty()) return false;  // x IN () is false
      if (auto list = ColumnInList(*in)) NoteIn(&(*terms)[list->first], std::move(list->second));
    } else if (const auto* n = std::get_if<bound::IsNull>(&c->node); n && !n->negated) {
      if (auto col = ColumnOf(*n->operand)) (*terms)[*col].is_null = true;
    }
  }
  // Normalise each column's terms, spotting contradictions.
  for (auto& [column, t] : *terms) {
    if (t.impossible) return false;
    bool bounded = t.lower || t.upper;
    if (t.is_null) {
      bool not_null = column < schema.columns.size() && schema.columns[column].not_null;
      if (not_null || t.equal || t.in || bounded) return false;
      continue;
    }
    auto within = [&](const Value& v) {
      if (t.lower) {
        auto c = protocol::Compare(v, *t.lower);
        if (c < 0 || (c == 0 && !t.lower_inclusive)) return false;
      }
      if (t.upper) {
        auto c = protocol::Compare(v, *t.upper);
        if (c > 0 || (c == 0 && !t.upper_inclusive)) return false;
      }
      return true;
    };
    if (t.equal) {
      if (!within(*t.equal)) return false;
      if (t.in && std::none_of(t.in->begin(), t.in->end(),
                               [&](const Value& v) { return Same(v, *t.equal); })) {
        return false;
      }
      t.in.reset();
      t.lower.reset();
      t.upper.reset();
      continue;
    }
    if (t.in) {
      std::erase_if(*t.in, [&](const Value& v) { return !within(v); });
      if (t.in->empty()) return false;
      if (t.in->size() == 1) {
        t.equal = t.in->front();
        t.in.reset();
      }
      t.lower.reset();
      t.upper.reset();
      continue;
    }
    if (t.lower && t.upper) {
      auto c = protocol::Compare(*t.lower, *t.upper);
      if (c > 0 || (c == 0 && !(t.lower_inclusive && t.upper_inclusive))) return false;
    }
  }
  return true;
}

// ---- Candidates --------------------------------------------------------------

struct KeyInfo {
  std::vector<size_t> columns;  // table column of each key column
  bool is_primary = false;
  bool unique = false;
  const cerebrum::IndexStatistics* stats = nullptr;  // indexes only
  std::optional<cerebrum::ValueRange> first_range;   // of the first key column
  bool first_is_integer = false;
};

// The share of a numeric first key column's values between the path's
// bounds, assuming them spread evenly between the column's least and
// greatest value. Nothing when that cannot be judged.
std::optional<double> RangeFraction(const AccessPath& path, const KeyInfo& key) {
  if (!path.prefix.empty() || !key.first_range || (!path.lower && !path.upper)) return std::nullopt;
  auto numeric = [](const Value& v) {
    return v.type() == Type::kInteger || v.type() == Type::kDouble;
  };
  if ((path.lower && !numeric(*path.lower)) || (path.upper && !numeric(*path.upper))) {
    return std::nullopt;
  }
  const double min = key.first_range->min, max = key.first_range->max;
  double lo = path.lower ? std::max(path.lower->numeric(), min) : min;
  double hi = path.upper ? std::min(path.upper->numeric(), max) : max;
  if (!(hi >= lo)) return 0.0;  // also NaN bounds
  // Integers: both ends count (a BETWEEN 5 AND 5 holds one value).
  double extra = key.first_is_integer ? 1.0 : 0.0;
  if (max - min + extra <= 0) return 1.0;
  return std::clamp((hi - lo + extra) / (max - min + extra), 0.0, 1.0);
}

// The path over `key` the terms allow, or nothing when they fix no column.
std::optional<AccessPath> PathOver(const KeyInfo& key, const Terms& terms, uint64_t rows) {
  AccessPath path;
  bool null_in_prefix = false;
  for (size_t column : key.columns) {
    auto it = terms.find(column);
    if (it == terms.end()) break;
    const ColumnTerms& t = it->second;
    if (t.equal || t.is_null) {
      path.prefix.push_back(t.equal ? *t.equal : Value());
      null_in_prefix = null_in_prefix || t.is_null;
      continue;
    }
    if (t.in) {
      path.in_values = *t.in;
    } else if (t.lower || t.upper) {
      path.lower = t.lower;
      path.upper = t.upper;
      path.lower_inclusive = t.lower_inclusive;
      path.upper_inclusive = t.upper_inclusive;
    }
    break;
  }
  if (path.prefix.empty() && path.in_values.empty() && !path.lower && !path.upper) {
    return std::nullopt;
  }
  path.kind = key.is_primary ? AccessPath::Kind::kKeyRange : AccessPath::Kind::kIndexRange;

  // Estimate the rows, for the real row count and for the planning one.
  const size_t fixed = path.prefix.size() + (path.in_values.empty() ? 0 : 1);
  const double points = path.in_values.empty() ? 1.0 : static_cast<double>(path.in_values.size());
  double bound_factor = 1.0;
  if (auto fraction = RangeFraction(path, key)) {
    bound_factor = *fraction;
  } else if (path.lower && path.upper) {
    bound_factor = kTwoBoundSelectivity;
  } else if (path.lower || path.upper) {
    bound_factor = kOneBoundSelectivity;
  }
  const bool one_per_point =
      (key.is_primary || key.unique) && fixed == key.columns.size() && !null_in_prefix;
  auto estimate = [&](double n, bool trust_stats) {
    if (one_per_point) return std::min(points, n);
    double selectivity = 1.0;
    if (fixed > 0) {
      uint64_t distinct = key.stats != nullptr ? key.stats->distinct[fixed - 1] : 0;
      if (trust_stats && distinct > 0) {
        selectivity = 1.0 / static_cast<double>(distinct);
      } else {
        selectivity = std::pow(kEqualitySelectivity, static_cast<double>(fixed));
      }
    }
    return std::min(n, points * n * selectivity * bound_factor);
  };
  const bool small = rows < kSmallTable;
  double shown = estimate(static_cast<double>(rows), true);
  path.estimated_rows = static_cast<uint64_t>(std::llround(shown));
  if (rows > 0 && path.estimated_rows == 0) path.estimated_rows = 1;
  double planned = estimate(static_cast<double>(std::max(rows, kSmallTable)), !small);
  path.cost = points * kSeekCost + planned * (key.is_primary ? 1.0 : kIndexRowCost);
  return path;
}

// Orders candidates of equal cost: primary key, unique index, index, scan.
int Rank(const AccessPath& path) {
  switch (path.kind) {
    case AccessPath::Kind::kEmpty: return 0;
    case AccessPath::Kind::kKeyRange: return 1;
    case AccessPath::Kind::kIndexRange: return path.index_unique ? 2 : 3;
    case AccessPath::Kind::kUnion: return 3;
    case AccessPath::Kind::kFullScan: return 4;
  }
  return 4;
}

AccessPath Choose(const cerebrum::TableSchema& schema, const cerebrum::TableStatistics& stats,
                  const BoundExpr* where) {
  const uint64_t rows = stats.row_count;
  AccessPath best;
  best.table = schema.name;
  best.kind = AccessPath::Kind::kFullScan;
  best.estimated_rows = rows;
  best.cost = kSeekCost + static_cast<double>(std::max(rows, kSmallTable));
  if (where == nullptr) return best;

  Terms terms;
  if (!CollectTerms(*where, schema, &terms)) {
    AccessPath empty;
    empty.kind = AccessPath::Kind::kEmpty;
    empty.table = schema.name;
    return empty;
  }
  auto consider = [&](std::optional<AccessPath> candidate, const std::vector<size_t>& columns) {
    if (!candidate) return;
    candidate->table = schema.name;
    for (size_t c : columns) candidate->key_columns.push_back(schema.columns[c].name);
    if (candidate->cost < best.cost ||
        (candidate->cost == best.cost && Rank(*candidate) < Rank(best))) {
      best = std::move(*candidate);
    }
  };
  auto is_integer = [&](size_t column) { return schema.columns[column].type == Type::kInteger; };
  if (schema.has_primary_key()) {
    KeyInfo key;
    key.columns = schema.primary_key;
    key.is_primary = true;
    key.unique = true;
    key.first_range = stats.first_key_column;
    key.first_is_integer = is_integer(schema.primary_key[0]);
    consider(PathOver(key, terms, rows), key.columns);
  }
  for (const cerebrum::IndexStatistics& index : stats.indexes) {
    KeyInfo key;
    key.columns = index.schema.columns;
    key.unique = index.schema.unique;
    key.stats = &index;
    key.first_range = index.first_column;
    key.first_is_integer = is_integer(index.schema.columns[0]);
    auto candidate = PathOver(key, terms, rows);
    if (candidate) {
      candidate->index = index.schema.name;
      candidate->index_id = index.id;
      candidate->index_unique = index.schema.unique;
    }
    consider(std::move(candidate), key.columns);
  }
  // An OR among the conditions: a union of one lookup per alternative pays
  // when every alternative has a path and their costs add up to less.
  std::vector<const BoundExpr*> conjuncts;
  std::vector<const BoundExpr*> pending = {where};
  while (!pending.empty()) {
    const BoundExpr* e = pending.back();
    pending.pop_back();
    const auto* b = std::get_if<bound::Binary>(&e->node);
    if (b != nullptr && b->op == ast::BinaryOp::kAnd) {
      pending.push_back(b->left.get());
      pending.push_back(b->right.get());
    } else if (b != nullptr && b->op == ast::BinaryOp::kOr) {
      conjuncts.push_back(e);
    }
  }
  for (const BoundExpr* disjunction : conjuncts) {
    std::vector<const BoundExpr*> alternatives;
    std::vector<const BoundExpr*> split = {disjunction};
    while (!split.empty()) {
      const BoundExpr* e = split.back();
      split.pop_back();
      const auto* b = std::get_if<bound::Binary>(&e->node);
      if (b != nullptr && b->op == ast::BinaryOp::kOr) {
        split.push_back(b->right.get());
        split.push_back(b->left.get());
      } else {
        alternatives.push_back(e);
      }
    }
    AccessPath either;
    either.kind = AccessPath::Kind::kUnion;
    either.table = schema.name;
    bool usable = true;
    for (const BoundExpr* alternative : alternatives) {
      AccessPath path = Choose(schema, stats, alternative);
      if (path.kind == AccessPath::Kind::kFullScan || path.kind == AccessPath::Kind::kUnion) {
        usable = false;
        break;
      }
      if (path.kind == AccessPath::Kind::kEmpty) continue;
      either.cost += path.cost;
      either.estimated_rows += path.estimated_rows;
      either.union_of.push_back(std::move(path));
    }
    if (!usable) continue;
    either.estimated_rows = std::min(either.estimated_rows, rows);
    if (either.union_of.empty()) either.kind = AccessPath::Kind::kEmpty;
    if (either.cost < best.cost) best = std::move(either);
  }
  return best;
}

std::string Literal(const Value& v) {
  if (v.type() != Type::kText) return v.ToString();
  std::string out = "'";
  for (char c : v.as_text()) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string Rows(uint64_t n) { return fmt::format("~{} row{}", n, n == 1 ? "" : "s"); }

}  // namespace

bool AccessPath::is_point() const {
  if (kind != Kind::kKeyRange && kind != Kind::kIndexRange) return false;
  size_t fixed = prefix.size() + (in_values.empty() ? 0 : 1);
  return fixed == key_columns.size();
}

std::vector<cerebrum::KeyRange> AccessPath::Ranges() const {
  std::vector<cerebrum::KeyRange> out;
  if (!in_values.empty()) {
    out.reserve(in_values.size());
    for (const Value& v : in_values) {
      cerebrum::KeyRange r;
      r.prefix.reserve(prefix.size() + 1);
      r.prefix = prefix;
      r.prefix.push_back(v);
      out.push_back(std::move(r));
    }
    return out;
  }
  cerebrum::KeyRange r;
  r.prefix = prefix;
  if (lower) r.lower = cerebrum::ColumnBound{*lower, lower_inclusive};
  if (upper) r.upper = cerebrum::ColumnBound{*upper, upper_inclusive};
  out.push_back(std::move(r));
  return out;
}

std::string AccessPath::Describe() const {
  std::string text = DescribeWithinPartition();
  if (partition_count == 0) return text;
  if (!partitions) return fmt::format("{}; partitions: all {}", text, partition_count);
  return fmt::format("{}; partitions: {} ({} of {})", text,
                     partition_names.empty() ? std::string("none")
                                             : fmt::format("{}", fmt::join(partition_names, ", ")),
                     partitions->size(), partition_count);
}

std::string AccessPath::DescribeWithinPartition() const {
  switch (kind) {
    case Kind::kFullScan: return fmt::format("full scan of {}, {}", table, Rows(estimated_rows));
    case Kind::kEmpty: return fmt::format("no rows from {} (the condition is never true)", table);
    case Kind::kUnion: {
      std::vector<std::string> parts;
      for (const AccessPath& p : union_of) parts.push_back(p.Describe());
      return fmt::format("union of {} lookups on {}: {}; ~{} rows in all", union_of.size(), table,
                         fmt::join(parts, " | "), estimated_rows);
    }
    case Kind::kKeyRange:
    case Kind::kIndexRange: break;
  }
  auto name = [&](size_t i) { return i < key_columns.size() ? key_columns[i] : "?"; };
  std::vector<std::string> parts;
  for (size_t i = 0; i < prefix.size(); ++i) {
    parts.push_back(prefix[i].is_null() ? fmt::format("{} IS NULL", name(i))
                                        : fmt::format("{} = {}", name(i), Literal(prefix[i])));
  }
  const std::string next = name(prefix.size());
  if (!in_values.empty()) {
    std::vector<std::string> items;
    for (const Value& v : in_values) items.push_back(Literal(v));
    parts.push_back(fmt::format("{} IN ({})", next, fmt::join(items, ", ")));
  }
  if (lower) {
    parts.push_back(fmt::format("{} {} {}", next, lower_inclusive ? ">=" : ">", Literal(*lower)));
  }
  if (upper) {
    parts.push_back(fmt::format("{} {} {}", next, upper_inclusive ? "<=" : "<", Literal(*upper)));
  }
  std::string condition = fmt::format("{}", fmt::join(parts, " AND "));
  bool ranged = lower || upper;
  if (kind == Kind::kKeyRange) {
    return fmt::format("primary key {} on {} ({}), {}", is_point() ? "lookup" : "range", table,
                       condition, Rows(estimated_rows));
  }
  return fmt::format("index {} on {} using {} ({}), {}", ranged ? "range" : "lookup", table, index,
                     condition, Rows(estimated_rows));
}

AccessPath ChooseAccessPath(const cerebrum::Table& table, const BoundExpr* where) {
  cerebrum::TableStatistics stats = table.Statistics();
  AccessPath path = Choose(table.schema(), stats, where);
  const cerebrum::TableSchema& schema = table.schema();
  if (schema.partitioned()) {
    path.partition_count = schema.partitioning.partitions.size();
    path.partitions = PrunePartitions(schema, where);
    if (path.partitions) {
      for (size_t p : *path.partitions) {
        path.partition_names.push_back(schema.partitioning.partitions[p].name);
      }
    }
  }
  return path;
}

}  // namespace kopf::cerebellum
