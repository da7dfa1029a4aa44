// Runs SQL test scripts (tests/sql/**/*.test) against any executor: the
// in-process engine (tests/cerebellum) or the real server (tests/e2e).
//
// Format, in the spirit of sqllogictest (records separated by blank lines,
// '#' starts a comment line):
//
//   statement ok
//   CREATE TABLE t (id INT PRIMARY KEY, name TEXT)
//
//   statement error UndefinedColumn        expected ErrorCodeName
//   INSERT INTO t (id, nam) VALUES (1, 'a')
//
//   statement count 2                      rows affected
//   UPDATE t SET name = 'x'
//
//   query [rowsort]                        rowsort: compare sorted rows
//   SELECT id, name FROM t ORDER BY id
//   ----
//   1<TAB>a                                 one line per row, TAB between
//   2<TAB>NULL                              values; NULL, (empty) for ''
//
//   restart                                the executor restarts its server
//
// Thread-safety: none.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "protocol/client.h"
#include "protocol/status.h"

namespace kopf::testing {

struct ScriptHooks {
  // Runs one statement.
  std::function<protocol::Result<protocol::QueryResult>(const std::string& sql)> execute;
  // Restarts the server keeping its data (null: `restart` fails the script).
  std::function<void()> restart;
};

// Runs the script and returns one message per failed record ("file:line:
// what"), empty when everything passed. `records_run` counts records.
std::vector<std::string> RunSqlScript(const std::filesystem::path& path, const ScriptHooks& hooks,
                                      int* records_run = nullptr);

// Every *.test under tests/sql, sorted.
std::vector<std::filesystem::path> AllSqlScripts();

// A value as scripts write it: NULL, (empty), or Value::ToString().
std::string ScriptText(const protocol::Value& v);

}  // namespace kopf::testing
