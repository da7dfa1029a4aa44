// StatementResult: the answer to one statement, as the executor produces it
// and the brainstem encodes it (ROW_DESCRIPTION, ROW_BATCHes, COMPLETE).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/value.h"

namespace kopf::cerebellum {

// The answer to one statement.
struct StatementResult {
  std::vector<protocol::ColumnInfo> columns;  // empty when no rows are returned
  std::vector<protocol::Row> rows;
  std::string tag;     // "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE TABLE", ...
  uint64_t count = 0;  // rows returned or affected
};

}  // namespace kopf::cerebellum
