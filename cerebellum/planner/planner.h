// The planner: decides how a bound statement reaches its rows — which
// conditions filter which table before joins, and each table's access path
// (see access_path.h). Subqueries are planned as they are bound.
//
// Thread-safety: pure functions of the statement.
#pragma once

#include "cerebellum/binder/bound_statement.h"

namespace kopf::cerebellum {

void Plan(BoundStatement* statement);

// Plans one query (and its compound terms) in place.
void PlanSelect(BoundSelect* select);

}  // namespace kopf::cerebellum
