// StatementResult: the answer to one statement, as the executor produces it
// and the brainstem encodes it (ROW_DESCRIPTION, ROW_BATCHes, COMPLETE).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "protocol/value.h"

namespace kopf::cerebellum {

namespace ast {
struct CopyOptions;
}

// The answer to one statement.
struct StatementResult {
  std::vector<protocol::ColumnInfo> columns;  // empty when no rows are returned
  std::vector<protocol::Row> rows;
  std::string tag;     // "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE TABLE", ...
  uint64_t count = 0;  // rows returned or affected
  // COPY ... TO STDOUT: `rows` go to the client as CSV text in this dialect
  // (COPY_DATA frames) instead of ROW_BATCHes, headed by the names of
  // `columns` when the options ask for a header. Null for everything else.
  std::shared_ptr<const ast::CopyOptions> copy_out;
};

}  // namespace kopf::cerebellum
