#include "tests/support/fault_injection.h"

#include <fstream>

#include <doctest/doctest.h>

#include "tests/support/test_support.h"

namespace kopf::testing {

namespace fs = std::filesystem;

FaultInjection::FaultInjection(const fs::path& dir)
    : dir_(fs::absolute(dir)), control_(dir_.string() + ".faults") {
  REQUIRE_MESSAGE(fs::exists(BinaryPath("libkopf_fault_inject.so")),
                  "the fault injection library is not built");
}

FaultInjection::~FaultInjection() { Clear(); }

std::vector<std::string> FaultInjection::Environment() const {
  return {"LD_PRELOAD=" + BinaryPath("libkopf_fault_inject.so"), "KOPF_FAULT_DIR=" + dir_.string(),
          "KOPF_FAULT_CONTROL=" + control_.string(),
          // An AddressSanitizer build would refuse a library preloaded before its runtime.
          "ASAN_OPTIONS=verify_asan_link_order=0"};
}

std::vector<std::string> FaultInjection::EnvCommand() const {
  std::vector<std::string> command = {"/usr/bin/env"};
  for (std::string& entry : Environment()) command.push_back(std::move(entry));
  return command;
}

void FaultInjection::Set(const std::string& lines) {
  fs::path tmp = control_.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << lines << '\n';
    REQUIRE(out.good());
  }
  fs::rename(tmp, control_);
}

void FaultInjection::Clear() {
  std::error_code ec;
  fs::remove(control_, ec);
}

}  // namespace kopf::testing
