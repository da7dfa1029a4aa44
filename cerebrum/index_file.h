// The index file of a table: `indexes.csv` in the table's folder, holding
// the definitions of the table's secondary indexes (never their entries,
// which are rebuilt from the rows at start-up). One record per index
// column, the records of an index together and in index-column order:
//
//   index,unique,column,descending
//   by_name,false,name,false
//   by_city_age,true,city,false
//   by_city_age,true,age,true
//
// Columns are stored by name, so the file reads on its own in a
// spreadsheet. A table without indexes has no file (or one holding only
// the header). The file is replaced as a whole with WriteFileAtomically,
// so after a crash it holds either the old or the new set of definitions.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "cerebrum/schema.h"
#include "cerebrum/secondary_index.h"
#include "protocol/status.h"

namespace kopf::cerebrum {

inline constexpr std::string_view kIndexFileName = "indexes.csv";

// REQUIRES: every index belongs to `table` and names existing columns.
std::string EncodeIndexFile(const TableSchema& table, const std::vector<IndexSchema>& indexes);

// Parses an index file's contents; kCorruption names `path` and the line
// (unknown column, an index split in two, inconsistent `unique`).
protocol::Result<std::vector<IndexSchema>> DecodeIndexFile(const std::string& contents,
                                                           const TableSchema& table,
                                                           const std::filesystem::path& path);

}  // namespace kopf::cerebrum
