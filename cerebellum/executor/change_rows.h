// ChangeMatchingRows: the skeleton UPDATE and DELETE share. Under the
// statement's locks (the table exclusive, tables its subqueries read
// shared), walk the table along `access`, keep the rows `where` accepts,
// turn each into a change with `change_for`, and commit them all as one
// atomic, durable change. Returns the statement's result with `tag`.
//
// `change_for(evaluator, key, row)` returns the row's Change; it may
// evaluate expressions with the evaluator (errors are checked after each row).
#pragma once

#include <string>
#include <vector>

#include "cerebellum/binder/bound_statement.h"
#include "cerebellum/executor/evaluator.h"
#include "cerebellum/executor/exec_context.h"
#include "cerebellum/executor/scan.h"
#include "cerebellum/executor/statement_locks.h"
#include "cerebellum/statement_result.h"
#include "cerebrum/table.h"

namespace kopf::cerebellum {

template <typename ChangeFor>
protocol::Result<StatementResult> ChangeMatchingRows(cerebrum::Database& db,
                                                     cerebrum::Table& table,
                                                     const TableSet& reads,
                                                     const AccessPath& access,
                                                     const BoundExpr* where, std::string tag,
                                                     ChangeFor change_for) {
  StatementLocks locks(reads, &table);
  ExecContext context(&db);
  Evaluator evaluator(&context);
  std::vector<cerebrum::Change> changes;
  ScanRows(table, access, [&](const cerebrum::Key& key, const protocol::Row& row) {
    if (where && !evaluator.IsTrue(*where, row)) return evaluator.status().ok();
    changes.push_back(change_for(evaluator, key, row));
    changes.back().partition = table.PartitionOfRow(row).value_or(0);
    return evaluator.status().ok();
  });
  KOPF_RETURN_IF_ERROR(evaluator.status());
  KOPF_ASSIGN_OR_RETURN(uint64_t count, table.Commit(locks.TakeExclusive(), std::move(changes)));
  StatementResult result;
  result.tag = std::move(tag);
  result.count = count;
  return result;
}

}  // namespace kopf::cerebellum
