// FaultInjection: switches the faults of tests/support/fault_inject.c (an
// LD_PRELOAD library) on and off for a kopfd started with Environment().
// Faults apply to files under one folder and follow a control file beside
// it: Set("write ENOSPC") makes every write there fail as on a full disk
// until Clear(). See fault_inject.c for the operations and errors.
//
// Thread-safety: none; use from the test's own thread.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace kopf::testing {

class FaultInjection {
 public:
  // Faults will hit files under `dir` (which need not exist yet); the
  // control file is `dir` + ".faults", outside it.
  explicit FaultInjection(const std::filesystem::path& dir);
  ~FaultInjection();  // Clear()
  FaultInjection(const FaultInjection&) = delete;
  FaultInjection& operator=(const FaultInjection&) = delete;

  // "NAME=value" entries for ServerProcess::Start: LD_PRELOAD and the two
  // variables the library reads.
  std::vector<std::string> Environment() const;
  // The same as a prefix for RunProcess: {"/usr/bin/env", "NAME=value"...}.
  std::vector<std::string> EnvCommand() const;

  // Replaces the active faults with `lines` ("OP ERRNO" per line), at once
  // for the running server (the file is replaced atomically).
  void Set(const std::string& lines);
  // No more faults.
  void Clear();

 private:
  std::filesystem::path dir_;
  std::filesystem::path control_;
};

}  // namespace kopf::testing
