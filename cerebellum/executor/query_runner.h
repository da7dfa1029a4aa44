// Running a bound, planned query to its result rows. Used by SELECT, by
// INSERT ... SELECT and for subqueries.
//
//   SourceRows    FROM: scan each table along its access path and filters,
//                 then join them (hash join on equalities, nested loops
//                 otherwise), then the residual conditions
//   AggregateRows GROUP BY / aggregates / HAVING
//   RunQuery      the whole pipeline to ordered, limited output rows
//
// REQUIRES: the caller holds (at least shared) locks on every table the
// query reads, subqueries included, for the whole run.
//
// Thread-safety: one query on one thread; tables are only read.
#pragma once

#include <vector>

#include "cerebellum/binder/bound_statement.h"
#include "cerebellum/executor/exec_context.h"
#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::cerebellum {

// Combined rows of `query.width` slots that pass every condition.
protocol::Result<std::vector<protocol::Row>> SourceRows(const BoundSelect& query,
                                                        ExecContext& context);

// One extended row per group (combined row + aggregate values) that passes
// HAVING.
protocol::Result<std::vector<protocol::Row>> AggregateRows(const BoundSelect& query,
                                                           std::vector<protocol::Row> rows,
                                                           ExecContext& context);

// The query's result rows.
protocol::Result<std::vector<protocol::Row>> RunQuery(const BoundSelect& query,
                                                      ExecContext& context);

}  // namespace kopf::cerebellum
