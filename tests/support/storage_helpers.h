// Helpers for the storage-layer suites (tests/cerebrum): the two-column
// key/value table most of them write, opening a database, and reading such
// a table back. Header-only, because only the suites that link kopf_cerebrum
// include it (kopf_test_support itself does not link the storage layer).
//
// Thread-safety: none needed; plain functions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <doctest/doctest.h>

#include "cerebrum/database.h"

namespace kopf::testing {

// NAME (k INT PRIMARY KEY, v TEXT).
inline cerebrum::TableSchema KeyValueSchema(std::string name) {
  cerebrum::TableSchema s;
  s.name = std::move(name);
  s.columns = {{"k", protocol::Type::kInteger, "INT", true, {}},
               {"v", protocol::Type::kText, "TEXT", false, {}}};
  s.primary_key = {0};
  return s;
}

// Opens (recovers) the database; fails the test when that fails.
inline std::unique_ptr<cerebrum::Database> OpenDatabase(const cerebrum::Options& options) {
  auto db = cerebrum::Database::Open(options);
  REQUIRE_MESSAGE(db.ok(), db.status().ToString());
  return std::move(db).value();
}

// Opens (recovers or creates) the data directory `dir` with default
// options; fails the test when that fails.
inline std::unique_ptr<cerebrum::Database> OpenDatabase(const std::filesystem::path& dir) {
  cerebrum::Options options;
  options.data_dir = dir;
  return OpenDatabase(options);
}

// The rows of a KeyValueSchema table: k -> v.
inline std::map<int64_t, std::string> KeyValueContents(cerebrum::Table& table) {
  auto lock = table.LockShared();
  std::map<int64_t, std::string> out;
  for (auto it = table.rows().Begin(); it.Valid(); it.Next()) {
    out[it.value()[0].as_integer()] = it.value()[1].as_text();
  }
  return out;
}

}  // namespace kopf::testing
