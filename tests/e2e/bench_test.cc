// kopf-bench against a kopfd it spawns: every workload runs and reports a
// table row without errors; bad flags are refused with a clear message.
#include <string>

#include <doctest/doctest.h>

#include "tests/support/test_support.h"

namespace kopf {
namespace {

using testing::BinaryPath;
using testing::RunProcess;

TEST_SUITE("e2e/bench") {
  TEST_CASE("kopf-bench --spawn runs each workload and prints its figures") {
    auto r = RunProcess({BinaryPath("kopf-bench"), "--spawn=" + BinaryPath("kopfd"), "--rows",
                         "1000", "-n", "300", "--configs", "1x1,2x4", "-w",
                         "select,range,insert,update,mixed70"});
    CHECK(r.err == "");
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("loaded 1000 rows into kv") != std::string::npos);
    CHECK(r.out.find("| workload | -c | -P | ops/s | p50 µs | p99 µs | p99.9 µs |") !=
          std::string::npos);
    for (const char* row : {"| select | 1 | 1 | ", "| range | 2 | 4 | ", "| insert | 1 | 1 | ",
                            "| update | 2 | 4 | ", "| mixed70 | 2 | 4 | "}) {
      CAPTURE(row);
      CHECK(r.out.find(row) != std::string::npos);
    }
  }

  TEST_CASE("kopf-bench refuses bad flags before connecting") {
    auto unknown = RunProcess({BinaryPath("kopf-bench"), "-w", "select,scan"});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("unknown workload \"scan\"") != std::string::npos);
    auto configs = RunProcess({BinaryPath("kopf-bench"), "--configs", "8x"});
    CHECK(configs.exit_code == 2);
    CHECK(configs.err.find("--configs: \"8x\" is not CxP") != std::string::npos);
    auto url = RunProcess({BinaryPath("kopf-bench"), "kopf://h:0"});
    CHECK(url.exit_code == 2);
    CHECK(url.err.find("the port \"0\"") != std::string::npos);
  }
}

}  // namespace
}  // namespace kopf
