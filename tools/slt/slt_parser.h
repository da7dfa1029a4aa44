// The sqllogictest record format: turns the text of a .test file into a
// list of records for the runner.
//
// The rules are those of ../shared/sqllogictest/README.md ("Format rules a
// runner must implement"): a trailing '\r' is removed from every line,
// blank lines separate records, lines starting with '#' are dropped wherever
// they stand, and "skipif NAME" / "onlyif NAME" lines before a record make
// it conditional. The parser never fails: a record it cannot make sense of
// becomes Kind::kUnknown with a message, and the runner counts it as a
// failure.
//
// Thread-safety: plain functions and values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kopf::slt {

enum class SortMode { kNoSort, kRowSort, kValueSort };

// One "skipif NAME" or "onlyif NAME" line.
struct Condition {
  bool only_if = false;  // onlyif when true, skipif when false
  std::string engine;    // as written; compared case-insensitively
};

struct Record {
  enum class Kind {
    kStatement,      // statement ok | statement error
    kQuery,          // query <types> [<sort>] [<label>]
    kHashThreshold,  // hash-threshold N
    kHalt,           // halt
    kUnknown,        // anything else; `error` says what
  };

  Kind kind = Kind::kUnknown;
  size_t line = 0;  // 1-based line of the record's first line (after its conditions)
  std::vector<Condition> conditions;

  // kStatement and kQuery: the SQL lines joined with '\n', as written.
  std::string sql;
  // kStatement: true for "statement ok", false for "statement error".
  bool expect_ok = true;

  // kQuery.
  std::string types;  // one letter per column: I, T or R
  SortMode sort = SortMode::kNoSort;
  std::string label;                  // empty when none
  std::vector<std::string> expected;  // the lines after "----"; empty when none

  // kHashThreshold.
  size_t threshold = 0;

  // kUnknown: why the record was not understood.
  std::string error;

  // True when the conditions let an engine named `engine` run this record:
  // no skipif names it and no onlyif names another engine.
  bool AppliesTo(std::string_view engine) const;
};

// Splits `text` (a whole .test file) into records, in file order.
std::vector<Record> ParseScript(std::string_view text);

}  // namespace kopf::slt
