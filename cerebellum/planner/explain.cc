#include "cerebellum/planner/explain.h"

#include <fmt/format.h>

#include "cerebrum/table.h"

namespace kopf::cerebellum {

namespace {

std::string Plural(size_t n, std::string_view what) {
  return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s");
}

void DescribeSelect(const BoundSelect& q, int depth, std::vector<std::string>* out) {
  auto line = [&](int d, const std::string& text) {
    out->push_back(std::string(static_cast<size_t>(d) * 2, ' ') + text);
  };
  line(depth, q.compound.empty() ? "Query" : "Compound query");
  int d = depth + 1;
  if (q.limit || q.offset) {
    line(d, fmt::format("Limit: {}{}", q.limit ? std::to_string(*q.limit) : "all",
                        q.offset ? fmt::format(" offset {}", q.offset) : ""));
  }
  if (!q.order_by.empty()) line(d, fmt::format("Sort: {}", Plural(q.order_by.size(), "key")));
  for (const auto& part : q.compound) {
    std::string_view op = part.op == ast::SetOperator::kUnion       ? "UNION"
                          : part.op == ast::SetOperator::kUnionAll  ? "UNION ALL"
                          : part.op == ast::SetOperator::kIntersect ? "INTERSECT"
                                                                    : "EXCEPT";
    line(d, std::string(op));
    DescribeSelect(*part.select, d + 1, out);
  }
  if (q.distinct) line(d, "Distinct");
  if (q.aggregate) {
    line(d, fmt::format("Aggregate: {}, {}{}", Plural(q.group_by.size(), "group key"),
                        Plural(q.aggregates.size(), "aggregate"), q.having ? ", HAVING" : ""));
  }
  if (!q.residual.empty()) line(d, fmt::format("Filter: {}", Plural(q.residual.size(), "condition")));
  if (q.from.empty()) {
    line(d, "One row (no FROM)");
    return;
  }
  if (q.from.size() > 1) {
    bool left = false;
    for (const auto& f : q.from) left = left || f.join == ast::JoinKind::kLeft;
    line(d, fmt::format("Join: {} ({})", Plural(q.from.size(), "table"),
                        left ? "in written order, nested loops" : "hash join on equalities"));
    ++d;
  }
  for (const auto& f : q.from) {
    std::string text = fmt::format("{}: {}", f.qualifier, f.access.Describe());
    if (!f.filters.empty()) text += fmt::format(", {}", Plural(f.filters.size(), "filter"));
    if (f.join == ast::JoinKind::kLeft) text += ", LEFT JOIN";
    line(d, text);
  }
}

}  // namespace

std::vector<std::string> ExplainPlan(const BoundStatement& statement) {
  std::vector<std::string> out;
  struct Visitor {
    std::vector<std::string>* out;
    void operator()(const BoundQuery& q) const { DescribeSelect(*q.select, 0, out); }
    void operator()(const BoundInsert& s) const {
      out->push_back(fmt::format("Insert into {}", s.table->schema().name));
      if (s.select) DescribeSelect(*s.select, 1, out);
    }
    void operator()(const BoundUpdate& s) const {
      out->push_back(fmt::format("Update {}", s.table->schema().name));
      out->push_back("  " + s.access.Describe());
    }
    void operator()(const BoundDelete& s) const {
      out->push_back(fmt::format("Delete from {}", s.table->schema().name));
      out->push_back("  " + s.access.Describe());
    }
    void operator()(const BoundCreateTable&) const { out->push_back("Create table"); }
    void operator()(const BoundDropTable&) const { out->push_back("Drop table"); }
    void operator()(const BoundShowTables&) const { out->push_back("Show tables"); }
    void operator()(const BoundShowIndexes&) const { out->push_back("Show indexes"); }
    void operator()(const BoundShowPartitions&) const { out->push_back("Show partitions"); }
    void operator()(const BoundDescribe&) const { out->push_back("Describe table"); }
    void operator()(const BoundCompactTable&) const { out->push_back("Compact table"); }
    void operator()(const BoundExplain&) const { out->push_back("Explain"); }
    void operator()(const BoundCreateIndex&) const { out->push_back("Create index"); }
    void operator()(const BoundDropIndex&) const { out->push_back("Drop index"); }
    void operator()(const BoundCopy& s) const {
      out->push_back(fmt::format("Copy {} {} '{}'", s.name, s.from ? "from" : "to", s.path));
      if (s.select) DescribeSelect(*s.select, 1, out);
    }
    void operator()(const BoundBackup& s) const {
      out->push_back(fmt::format("Backup to {}", s.target.string()));
    }
    void operator()(const BoundShowBackups&) const { out->push_back("Show backups"); }
  };
  std::visit(Visitor{&out}, statement);
  return out;
}

}  // namespace kopf::cerebellum
