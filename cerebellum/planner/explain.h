// ExplainPlan: a planned statement as a readable tree, one line per row of
// EXPLAIN's answer, e.g.
//
//   Query
//     Sort: 1 key
//     Join: hash join of 2 tables
//       t: primary key lookup, 1 filter
//       u: full scan
//
// Thread-safety: a pure function of the statement.
#pragma once

#include <string>
#include <vector>

#include "cerebellum/binder/bound_statement.h"

namespace kopf::cerebellum {

std::vector<std::string> ExplainPlan(const BoundStatement& statement);

}  // namespace kopf::cerebellum
