// kopf-bench against a kopfd it spawns: every workload runs and reports a
// table row without errors; bad flags are refused with a clear message.
#include <string>
#include <vector>

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
                     "µs/op | server CPU µs/op |") != std::string::npos);
    for (const char* row : {"| select | prepared | 1 | 1 | ", "| range | prepared | 2 | 4 | ",
                            "| insert | prepared | 1 | 1 | ", "| update | prepared | 2 | 4 | ",
                            "| mixed70 | prepared | 2 | 4 | "}) {
      CAPTURE(row);
      CHECK(r.out.find(row) != std::string::npos);
    }
  }

  TEST_CASE("kopf-bench reports its own and the spawned server's CPU time per request") {
    // Long enough for the server's CPU time to span several clock ticks.
    auto r = RunProcess({BinaryPath("kopf-bench"), "--spawn=" + BinaryPath("kopfd"), "--rows",
                         "1000", "-n", "20000", "-c", "4", "-P", "16", "-w", "select"});
    CHECK(r.err == "");
    REQUIRE(r.exit_code == 0);
    size_t start = r.out.find("| select | prepared | 4 | 16 | ");
    REQUIRE(start != std::string::npos);
    std::string row = r.out.substr(start, r.out.find('\n', start) - start);
    // | workload | mode | -c | -P | ops/s | p50 | p99 | p99.9 | bench CPU | server CPU |
    std::vector<std::string> cells;
    for (size_t at = 1, bar; (bar = row.find('|', at)) != std::string::npos; at = bar + 1) {
      cells.push_back(row.substr(at, bar - at));
    }
    REQUIRE(cells.size() == 10);
    CAPTURE(row);
    CHECK(std::stod(cells[8]) > 0);
    CHECK(std::stod(cells[9]) > 0);
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
