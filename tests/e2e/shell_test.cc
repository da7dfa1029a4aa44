// The kopf shell against the real server: -c, -f, standard input, --csv,
// error reporting and exit codes.
#include <fstream>

#include <doctest/doctest.h>

#include "tests/support/test_support.h"

namespace kopf {
namespace {

using testing::BinaryPath;
using testing::RunProcess;
using testing::ServerProcess;
using testing::TempDir;

TEST_SUITE("e2e/shell") {
  TEST_CASE("a script on standard input creates, fills and queries a table") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string port = std::to_string(server->port());
    auto r = RunProcess({BinaryPath("kopf"), "-p", port},
                        "CREATE TABLE pets (id INT PRIMARY KEY, name TEXT, weight DOUBLE);\n"
                        "INSERT INTO pets VALUES (1, 'Rex', 31.5),\n"
                        "  (2, 'Tom', NULL);\n"
                        "SELECT id, name, weight FROM pets ORDER BY id;\n");
    CHECK(r.exit_code == 0);
    CHECK(r.err == "");
    CHECK(r.out.find("CREATE TABLE") != std::string::npos);
    CHECK(r.out.find("INSERT 2") != std::string::npos);
    CHECK(r.out.find(" id | name | weight") != std::string::npos);
    CHECK(r.out.find("  1 | Rex  |   31.5") != std::string::npos);
    CHECK(r.out.find("(2 rows)") != std::string::npos);
  }

  TEST_CASE("--csv prints RFC 4180 with NULL empty and the empty string quoted") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string port = std::to_string(server->port());
    auto setup = RunProcess({BinaryPath("kopf"), "-p", port, "-c",
                             "CREATE TABLE t (id INT PRIMARY KEY, s TEXT); "
                             "INSERT INTO t VALUES (1, 'a,\"b\"'), (2, ''), (3, NULL)"});
    REQUIRE(setup.exit_code == 0);
    auto r = RunProcess(
        {BinaryPath("kopf"), "-p", port, "--csv", "-c", "SELECT id, s FROM t ORDER BY id"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "id,s\n1,\"a,\"\"b\"\"\"\n2,\"\"\n3,\n");
  }

  TEST_CASE("-f runs a file and a failing statement sets exit status 1 and shows a caret") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string port = std::to_string(server->port());
    auto script = dir.path() / "script.sql";
    std::ofstream(script) << "CREATE TABLE t (id INT PRIMARY KEY);\n"
                             "SELECT id FROM t WHERE idd = 1;\n"
                             "INSERT INTO t VALUES (7);\n";
    auto r = RunProcess({BinaryPath("kopf"), "-p", port, "-f", script.string()});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("column \"idd\" does not exist") != std::string::npos);
    CHECK(r.err.find("UndefinedColumn") != std::string::npos);
    CHECK(r.err.find("^") != std::string::npos);
    // The statements after the failure still ran.
    auto check = RunProcess({BinaryPath("kopf"), "-p", port, "--csv", "-c", "SELECT id FROM t"});
    CHECK(check.out == "id\n7\n");
  }

  TEST_CASE("a server that is not there is exit status 2 with a clear message") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string port = std::to_string(server->port());
    server->Stop();
    auto r = RunProcess({BinaryPath("kopf"), "-p", port, "-c", "SELECT 1"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("127.0.0.1") != std::string::npos);
  }
}

}  // namespace
}  // namespace kopf
