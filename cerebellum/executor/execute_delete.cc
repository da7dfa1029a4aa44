// DELETE: find the rows and commit their tombstones as one change.
#include "cerebellum/executor/change_rows.h"
#include "cerebellum/executor/executor.h"

namespace kopf::cerebellum {

protocol::Result<StatementResult> ExecuteDelete(BoundDelete& s, cerebrum::Database& db) {
  return ChangeMatchingRows(db, *s.table, s.reads, s.access, s.where.get(), "DELETE",
                            [](Evaluator&, const cerebrum::Key& key, const protocol::Row&) {
                              return cerebrum::Change{cerebrum::Change::Kind::kDelete, key, {}};
                            });
}

}  // namespace kopf::cerebellum
