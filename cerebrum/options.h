// Options for the storage layer. Every field has its default here with the
// trade-off it controls; brainstem/main.cc fills it from flags and config.
#pragma once

#include <filesystem>

namespace kopf::cerebrum {

struct Options {
  // Folder holding the catalog and one sub-folder per table. Created if
  // missing.
  std::filesystem::path data_dir = "data";
  // fsync each commit before it is acknowledged (concurrent commits share
  // one fsync: group commit). Off trades durability for speed: a crash may
  // lose recent acknowledged writes (never half a statement).
  bool sync = true;
};

}  // namespace kopf::cerebrum
