// COMPACT TABLE t: the table's live rows become a snapshot file and the
// files it covers are retired (cerebrum::Table::Compact). Readers and
// writers of the table carry on meanwhile; the answer counts the rows in
// the snapshot.
#include "cerebellum/executor/executor.h"
#include "cerebrum/table.h"

namespace kopf::cerebellum {

protocol::Result<StatementResult> ExecuteCompactTable(BoundCompactTable& s, cerebrum::Database&) {
  StatementResult result;
  result.tag = "COMPACT";
  KOPF_ASSIGN_OR_RETURN(result.count, s.table->Compact());
  return result;
}

}  // namespace kopf::cerebellum
