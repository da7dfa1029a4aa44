// The schema file of a table: `schema.csv` in the table's folder, one
// record per column, written atomically when the table is created:
//
//   name,type,declared_type,not_null,primary_key,default
//   id,INTEGER,INT,true,1,
//   name,TEXT,VARCHAR(20),false,0,"anon"
//
// `primary_key` is the column's 1-based position in the primary key (0 when
// not part of it). `default` is the default value in the column's type
// (empty: NULL). The table's name is its folder's (decoded) name.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <filesystem>
#include <string>

#include "cerebrum/schema.h"
#include "protocol/status.h"

namespace kopf::cerebrum {

std::string EncodeSchemaFile(const TableSchema& schema);

// Parses a schema file's contents; kCorruption names `path` and the line.
protocol::Result<TableSchema> DecodeSchemaFile(const std::string& contents,
                                               const std::string& table_name,
                                               const std::filesystem::path& path);

}  // namespace kopf::cerebrum
