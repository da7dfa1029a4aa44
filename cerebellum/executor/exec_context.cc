#include "cerebellum/executor/exec_context.h"

#include <algorithm>

#include "cerebellum/executor/query_runner.h"

namespace kopf::cerebellum {

using protocol::Result;

Result<std::shared_ptr<const SubqueryRows>> ExecContext::RunSubquery(const bound::Subquery& node,
                                                                     const protocol::Row& current) {
  const BoundSelect* query = node.query.get();
  if (!node.correlated) {
    auto it = cache_.find(query);
    if (it != cache_.end()) return it->second;
  }
  outer_.push_back(&current);
  auto rows = RunQuery(*query, *this);
  outer_.pop_back();
  if (!rows.ok()) return rows.status();
  auto result = std::make_shared<SubqueryRows>();
  result->rows = std::move(rows).value();
  if (node.kind == bound::Subquery::Kind::kIn) {
    for (const protocol::Row& row : result->rows) {
      if (row[0].is_null()) {
        result->has_null = true;
      } else {
        result->sorted.push_back(row[0]);
      }
    }
    std::sort(result->sorted.begin(), result->sorted.end(), protocol::ValueLess());
  }
  if (!node.correlated) cache_[query] = result;
  return std::shared_ptr<const SubqueryRows>(result);
}

}  // namespace kopf::cerebellum
