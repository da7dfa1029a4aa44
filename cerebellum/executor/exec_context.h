// ExecContext: what one statement's execution shares across its
// expressions and subqueries — the database, the rows of enclosing queries
// (for correlated references), and the cached results of uncorrelated
// subqueries, which run once per statement.
//
// Thread-safety: one statement on one thread.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "cerebellum/binder/bound_expr.h"
#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::cerebrum {
class Database;
}

namespace kopf::cerebellum {

// A subquery's result, with its first column sorted for IN tests.
struct SubqueryRows {
  std::vector<protocol::Row> rows;
  std::vector<protocol::Value> sorted;  // non-NULL first-column values, sorted
  bool has_null = false;                // a NULL among the first-column values
};

class ExecContext {
 public:
  explicit ExecContext(cerebrum::Database* db) : db_(db) {}

  cerebrum::Database* db() const { return db_; }

  // Rows of the enclosing queries, innermost last.
  std::vector<const protocol::Row*>& outer() { return outer_; }

  // Runs the subquery of `node` with `current` as the innermost outer row.
  protocol::Result<std::shared_ptr<const SubqueryRows>> RunSubquery(const bound::Subquery& node,
                                                                    const protocol::Row& current);

 private:
  cerebrum::Database* db_;
  std::vector<const protocol::Row*> outer_;
  std::map<const BoundSelect*, std::shared_ptr<const SubqueryRows>> cache_;
};

}  // namespace kopf::cerebellum
