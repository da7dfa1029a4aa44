// The client library's example programs against the real kopfd: the
// blocking example's typed reads, and 10,000 pipelined point reads on one
// asynchronous connection, each reply checked against its request.
#include <doctest/doctest.h>

#include "tests/support/test_support.h"

namespace kopf {
namespace {

using testing::BinaryPath;
using testing::RunProcess;
using testing::ServerProcess;
using testing::TempDir;

TEST_SUITE("e2e/examples") {
  TEST_CASE("the sync example reads typed values and reports a NULL read clearly") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string url = "kopf://127.0.0.1:" + std::to_string(server->port());
    auto r = RunProcess({BinaryPath("kopf-example-sync"), url});
    CHECK(r.exit_code == 0);
    CHECK(r.err == "");
    CHECK(r.out.find("pet 1: Rex, 31.5 kg\npet 2: Tom, weight unknown\n") != std::string::npos);
    CHECK(r.out.find("column 2 (\"weight\") is NULL; read it as std::optional<double>") !=
          std::string::npos);
  }

  TEST_CASE("the async example matches 10000 pipelined replies to their requests") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string url = "kopf://127.0.0.1:" + std::to_string(server->port());
    auto r = RunProcess({BinaryPath("kopf-example-async"), "-n", "10000", url});
    CHECK(r.err == "");
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("10000 replies, all matched, ") != std::string::npos);
    MESSAGE(r.out);
  }

  TEST_CASE("the examples take their address from KOPF_URL and refuse a bad one") {
    auto r = RunProcess({"/usr/bin/env", "KOPF_URL=kopf://h:99999", BinaryPath("kopf-example-sync")});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("the port \"99999\" is not a number from 1 to 65535") != std::string::npos);
  }
}

}  // namespace
}  // namespace kopf
