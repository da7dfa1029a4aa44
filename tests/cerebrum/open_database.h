// OpenDb: the storage tests' way to open (or create) a data directory with
// default options, failing the test case when it cannot.
#pragma once

#include <filesystem>
#include <memory>

#include <doctest/doctest.h>

#include "cerebrum/database.h"

namespace kopf::cerebrum {

inline std::unique_ptr<Database> OpenDb(const std::filesystem::path& dir) {
  Options options;
  options.data_dir = dir;
  auto db = Database::Open(options);
  REQUIRE_MESSAGE(db.ok(), db.status().ToString());
  return std::move(db).value();
}

}  // namespace kopf::cerebrum
