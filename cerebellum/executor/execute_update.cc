// UPDATE: find the rows, compute their new images, and commit them as one
// change.
#include "cerebellum/executor/change_rows.h"
#include "cerebellum/executor/executor.h"

namespace kopf::cerebellum {

protocol::Result<StatementResult> ExecuteUpdate(BoundUpdate& s, cerebrum::Database& db) {
  return ChangeMatchingRows(
      db, *s.table, s.reads, s.access, s.where.get(), "UPDATE",
      [&](Evaluator& evaluator, const cerebrum::Key& key, const protocol::Row& row) {
        cerebrum::Change change{cerebrum::Change::Kind::kUpdate, key, row};
        // Every assignment reads the old row, as SQL requires (SET a = b, b = a swaps).
        for (const auto& [column, expr] : s.assignments) {
          change.row[column] = evaluator.Evaluate(*expr, row);
        }
        return change;
      });
}

}  // namespace kopf::cerebellum
