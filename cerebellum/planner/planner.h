// The planner: decides how a bound statement reaches its rows — which
// conditions filter which table before joins, and each table's access path
// (see access_path.h). Subqueries are planned as they are bound.
//
// Thread-safety: pure functions of the statement.
#pragma once

#include "cerebellum/binder/bound_statement.h"

namespace kopf::cerebellum {

void Plan(BoundStatement* statement);

// True for a planned query that reads at most a few rows of one table and
// nothing else: one FROM table reached by a point path (primary key or
// unique index lookup, or a short IN list of them), no subquery anywhere,
// no aggregation, compound, ORDER BY or DISTINCT. Such a query costs about
// as much as handing it to another thread, so the server may run it in
// place (see Engine::TryExecuteInline).
bool IsQuickRead(const BoundQuery& query);

// Plans one query (and its compound terms) in place.
void PlanSelect(BoundSelect* select);

}  // namespace kopf::cerebellum
