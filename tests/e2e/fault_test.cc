// Disk faults against the real kopfd: a full disk, a failed fsync, a
// read-only data directory, made real by an LD_PRELOAD library
// (tests/support/fault_inject.c) since the tests run as root. Also the
// storage and sync modes whose behaviour only a running server shows:
// memory-only storage and the background fsync of sync = interval.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "protocol/client.h"
#include "tests/support/fault_injection.h"
#include "tests/support/test_support.h"

namespace kopf {
namespace {

namespace fs = std::filesystem;
using protocol::Client;
using protocol::ErrorCode;
using testing::FaultInjection;
using testing::RunProcess;
using testing::ServerProcess;
using testing::TempDir;

std::unique_ptr<Client> Connect(const ServerProcess& server) {
  auto client = Client::Connect("127.0.0.1", server.port());
  REQUIRE_MESSAGE(client.ok(), client.status().ToString());
  return std::move(client).value();
}

void Run(Client& client, const std::string& sql) {
  auto result = client.Query(sql);
  REQUIRE_MESSAGE(result.ok(), sql << ": " << result.status().ToString());
}

// The ids of `table`, in order, as one string: "1 2 3".
std::string Ids(Client& client, const std::string& table) {
  auto result = client.Query("SELECT id FROM " + table + " ORDER BY id");
  REQUIRE_MESSAGE(result.ok(), result.status().ToString());
  std::string ids;
  for (const auto& row : result->rows) ids += (ids.empty() ? "" : " ") + row[0].ToString();
  return ids;
}

// The error `sql` fails with; fails the test when it succeeds.
protocol::Status Failure(Client& client, const std::string& sql) {
  auto result = client.Query(sql);
  REQUIRE_MESSAGE(!result.ok(), sql << " succeeded");
  return result.status();
}

fs::path Segment(const fs::path& data, const std::string& table) {
  return data / "tables" / table / "segment-000001.csv";
}

TEST_SUITE("e2e/fault") {
  TEST_CASE("a full disk fails the write whole, keeps reads, and writes resume when space returns") {
    TempDir dir;
    fs::path data = dir.path() / "data";
    FaultInjection faults(data);
    auto server = ServerProcess::Start(data, {}, faults.Environment());
    auto client = Connect(*server);
    Run(*client, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    Run(*client, "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
    uintmax_t size_before = fs::file_size(Segment(data, "t"));

    // Each failing write first stores half its bytes, so all of the commit
    // but its last byte reaches the file before ENOSPC.
    faults.Set("write ENOSPC");
    protocol::Status full = Failure(*client, "INSERT INTO t VALUES (3, 'c'), (4, 'd')");
    CHECK(full.code() == ErrorCode::kDiskFull);
    CHECK_MESSAGE(full.message().find("table \"t\"") != std::string::npos, full.message());
    CHECK_MESSAGE(full.message().find("no space left on device") != std::string::npos,
                  full.message());
    CHECK(fs::file_size(Segment(data, "t")) == size_before);  // cut back: nothing half-written
    CHECK(Ids(*client, "t") == "1 2");
    CHECK(Failure(*client, "CREATE TABLE u (id INT PRIMARY KEY)").code() == ErrorCode::kDiskFull);

    faults.Clear();
    Run(*client, "INSERT INTO t VALUES (3, 'c'), (4, 'd')");
    Run(*client, "CREATE TABLE u (id INT PRIMARY KEY)");
    Run(*client, "INSERT INTO u VALUES (7)");
    server->Kill();

    server = ServerProcess::Start(data);
    client = Connect(*server);
    CHECK(Ids(*client, "t") == "1 2 3 4");
    CHECK(Ids(*client, "u") == "7");
  }

  TEST_CASE("a failed fsync refuses later writes to that table only, until a restart") {
    TempDir dir;
    fs::path data = dir.path() / "data";
    FaultInjection faults(data);
    auto server = ServerProcess::Start(data, {}, faults.Environment());
    auto client = Connect(*server);
    Run(*client, "CREATE TABLE a (id INT PRIMARY KEY)");
    Run(*client, "CREATE TABLE b (id INT PRIMARY KEY)");
    Run(*client, "INSERT INTO a VALUES (1)");
    Run(*client, "INSERT INTO b VALUES (1)");

    faults.Set("sync EIO");
    protocol::Status failed = Failure(*client, "INSERT INTO a VALUES (2)");
    CHECK(failed.code() == ErrorCode::kIoError);
    CHECK_MESSAGE(failed.message().find("table \"a\"") != std::string::npos, failed.message());
    CHECK_MESSAGE(failed.message().find("cannot fsync") != std::string::npos, failed.message());
    faults.Clear();

    // The disk answers again, but what the failed fsync lost is unknown.
    protocol::Status refused = Failure(*client, "INSERT INTO a VALUES (3)");
    CHECK(refused.code() == ErrorCode::kIoError);
    CHECK_MESSAGE(refused.message().find("until the server restarts") != std::string::npos,
                  refused.message());
    Run(*client, "INSERT INTO b VALUES (2)");
    CHECK(Ids(*client, "b") == "1 2");
    CHECK(Ids(*client, "a").starts_with("1"));  // already durable rows stay readable
    CHECK(server->Stop() == 0);

    server = ServerProcess::Start(data);
    client = Connect(*server);
    Run(*client, "INSERT INTO a VALUES (4)");
    CHECK(Ids(*client, "b") == "1 2");
    std::string a = Ids(*client, "a");  // 2's outcome was unknown: either is right
    CHECK_MESSAGE((a == "1 4" || a == "1 2 4"), a);
  }

  TEST_CASE("a read-only data directory refuses the start with a clear message") {
    TempDir dir;
    fs::path data = dir.path() / "data";
    {
      auto server = ServerProcess::Start(data);
      auto client = Connect(*server);
      Run(*client, "CREATE TABLE t (id INT PRIMARY KEY)");
      CHECK(server->Stop() == 0);
    }
    FaultInjection faults(data);
    faults.Set("open EROFS\nmkdir EROFS\nwrite EROFS");
    std::vector<std::string> command = faults.EnvCommand();
    for (std::string arg : {testing::BinaryPath("kopfd"), std::string("--port"), std::string("0"),
                            std::string("--data"), data.string()}) {
      command.push_back(arg);
    }
    auto result = RunProcess(command);
    CHECK(result.exit_code == 1);
    CHECK_MESSAGE(result.err.find("read-only file system") != std::string::npos, result.err);
    CHECK_MESSAGE(result.err.find("kopfd.lock") != std::string::npos, result.err);
    CHECK(result.out.find("listening") == std::string::npos);
  }

  TEST_CASE("a data directory that turns read-only fails writes with ReadOnly and keeps reads") {
    TempDir dir;
    fs::path data = dir.path() / "data";
    FaultInjection faults(data);
    auto server = ServerProcess::Start(data, {}, faults.Environment());
    auto client = Connect(*server);
    Run(*client, "CREATE TABLE t (id INT PRIMARY KEY)");
    Run(*client, "INSERT INTO t VALUES (1)");

    faults.Set("open EROFS\nmkdir EROFS\nwrite EROFS");
    protocol::Status refused = Failure(*client, "INSERT INTO t VALUES (2)");
    CHECK(refused.code() == ErrorCode::kReadOnly);
    CHECK_MESSAGE(refused.message().find("table \"t\"") != std::string::npos, refused.message());
    CHECK_MESSAGE(refused.message().find("read-only file system") != std::string::npos,
                  refused.message());
    protocol::Status create = Failure(*client, "CREATE TABLE u (id INT)");
    CHECK_MESSAGE(create.code() == ErrorCode::kReadOnly, create.ToString());
    CHECK(Ids(*client, "t") == "1");

    faults.Clear();
    Run(*client, "INSERT INTO t VALUES (2)");
    CHECK(Ids(*client, "t") == "1 2");
  }

  TEST_CASE("sync = interval acknowledges at once and fsyncs in the background") {
    TempDir dir;
    fs::path data = dir.path() / "data";
    FaultInjection faults(data);
    auto server = ServerProcess::Start(data, {"--sync", "interval", "--sync-interval-ms", "20"},
                                       faults.Environment());
    auto client = Connect(*server);
    Run(*client, "CREATE TABLE t (id INT PRIMARY KEY)");

    // With every fsync failing, writes are still acknowledged (nobody waits
    // for the fsync) until the background round has failed on the table's
    // file; from then on its writes are refused.
    faults.Set("sync EIO");
    Run(*client, "INSERT INTO t VALUES (0)");
    protocol::Status refused;
    for (int id = 1; id < 1000000 && refused.ok(); ++id) {
      auto result = client->Query(fmt::format("INSERT INTO t VALUES ({})", id));
      refused = result.status();
    }
    CHECK(refused.code() == ErrorCode::kIoError);
    CHECK_MESSAGE(refused.message().find("cannot fsync") != std::string::npos, refused.message());
    CHECK(Ids(*client, "t").starts_with("0"));
  }

  TEST_CASE("storage = memory writes nothing and forgets every table at exit") {
    TempDir dir;
    fs::path data = dir.path() / "data";
    auto server = ServerProcess::Start(data, {"--memory"});
    auto client = Connect(*server);
    Run(*client, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    Run(*client, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    Run(*client, "CREATE UNIQUE INDEX tv ON t (v)");
    CHECK(Failure(*client, "INSERT INTO t VALUES (4, 'a')").code() == ErrorCode::kDuplicateKey);
    Run(*client, "DELETE FROM t WHERE id = 2");
    CHECK(Ids(*client, "t") == "1 3");
    Run(*client, "DROP TABLE t");
    Run(*client, "CREATE TABLE t (id INT PRIMARY KEY)");
    Run(*client, "INSERT INTO t VALUES (9)");
    CHECK(!fs::exists(data));
    CHECK(server->Stop() == 0);

    server = ServerProcess::Start(data, {"--memory"});
    client = Connect(*server);
    CHECK(Failure(*client, "SELECT id FROM t").code() == ErrorCode::kUndefinedTable);
    CHECK(!fs::exists(data));
  }
}

}  // namespace
}  // namespace kopf
