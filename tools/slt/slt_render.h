// How kopf-slt turns a query's answer into the lines a .test file expects:
// values rendered by the type letters of the record, sorted as the record
// asks, and abbreviated to an MD5 hash line when there are many.
//
// The rules are ../shared/sqllogictest/README.md, "How values are rendered"
// and "Sorting, hashing and comparing". Everything here works on values and
// strings only (no sockets), so the unit tests cover it directly.
//
// Thread-safety: plain functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/client.h"
#include "protocol/value.h"
#include "tools/slt/slt_parser.h"

namespace kopf::slt {

// The default value threshold of a file without a "hash-threshold" line.
constexpr size_t kDefaultHashThreshold = 8;

// Renders `value` by the type letter `type` as SQLite's reference harness
// would: 'I' as an integer, 'R' as "%.3f", anything else ('T') as text.
// NULL is "NULL" for every letter; booleans are 1 and 0 (SQLite has none).
std::string RenderValue(const protocol::Value& value, char type);

// Sorts `values` (rows of `columns` values each, row by row) in place:
// kRowSort orders whole rows column by column, kValueSort orders all
// values as one list, kNoSort leaves them. Comparison is bytewise, like
// strcmp. REQUIRES: columns > 0 or values is empty.
void SortValues(SortMode mode, size_t columns, std::vector<std::string>* values);

// "N values hashing to <md5>", the MD5 taken over every value followed by
// '\n'.
std::string HashLine(const std::vector<std::string>& values);

// The lines to compare with a record's expected lines: HashLine(values)
// alone when threshold > 0 and there are more than `threshold` values,
// else the values themselves.
std::vector<std::string> ResultLines(std::vector<std::string> values, size_t threshold);

// The verdict on one query record.
struct QueryCheck {
  bool passed = false;
  std::string message;  // why it failed; empty when passed
};

// Checks `result` against the query record `record` under the current hash
// threshold: the column count must equal the length of the types string,
// and the rendered, sorted (and perhaps hashed) values must equal the
// expected lines. REQUIRES: record.kind == Record::Kind::kQuery.
QueryCheck CheckQuery(const Record& record, const protocol::QueryResult& result, size_t threshold);

}  // namespace kopf::slt
