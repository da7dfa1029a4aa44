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
    CHECK(r.out.find("; prepared statements\n") != std::string::npos);
    CHECK(r.out.find("| workload | mode | -c | -P | ops/s | p50 µs | p99 µs | p99.9 µs | bench CPU "
                     "µs/op |") != std::string::npos);
    for (const char* row : {"| select | prepared | 1 | 1 | ", "| range | prepared | 2 | 4 | ",
                            "| insert | prepared | 1 | 1 | ", "| update | prepared | 2 | 4 | ",
                            "| mixed70 | prepared | 2 | 4 | "}) {
      CAPTURE(row);
      CHECK(r.out.find(row) != std::string::npos);
    }
  }

  TEST_CASE("kopf-bench --compare runs prepared and simple side by side on a durable server") {
    auto r =
        RunProcess({BinaryPath("kopf-bench"), "--spawn=" + BinaryPath("kopfd"), "--spawn-sync",
                    "always", "--rows", "1000", "-n", "200", "--compare", "-w", "insert,select"});
    CHECK(r.err == "");
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("(spawned, sync always)") != std::string::npos);
    for (const char* row :
         {"| insert | prepared | 1 | 1 | ", "| insert | simple | 1 | 1 | ",
          "| insert | prepared/simple | 1 | 1 | ", "| select | simple | 1 | 1 | "}) {
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
    auto sync = RunProcess({BinaryPath("kopf-bench"), "--spawn-sync", "sometimes"});
    CHECK(sync.exit_code == 2);
    CHECK(sync.err.find("--spawn-sync needs none or always, got \"sometimes\"") !=
          std::string::npos);
    auto url = RunProcess({BinaryPath("kopf-bench"), "kopf://h:0"});
    CHECK(url.exit_code == 2);
    CHECK(url.err.find("the port \"0\"") != std::string::npos);
  }
}

}  // namespace
}  // namespace kopf
