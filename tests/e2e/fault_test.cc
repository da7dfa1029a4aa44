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
using testing::Connect;
using testing::FaultInjection;
using testing::RunProcess;
using testing::ServerProcess;
using testing::TempDir;

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

// Checks that `status` has `code` and a message holding every one of `parts`.
void CheckError(const protocol::Status& status, ErrorCode code,
                std::initializer_list<std::string_view> parts) {
  CHECK_MESSAGE(status.code() == code, status.ToString());
  for (std::string_view part : parts) {
    CHECK_MESSAGE(status.message().find(part) != std::string::npos, status.ToString());
  }
}

// A kopfd on a fresh data directory whose files fail as `faults` says.
struct FaultyServer {
  explicit FaultyServer(const std::vector<std::string>& args = {})
      : data(dir.path() / "data"),
        faults(data),
        server(ServerProcess::Start(data, args, faults.Environment())),
        client(Connect(*server)) {}
  TempDir dir;
  fs::path data;
  FaultInjection faults;
  std::unique_ptr<ServerProcess> server;
  std::unique_ptr<Client> client;
};

fs::path Segment(const fs::path& data, const std::string& table) {
  return data / "tables" / table / "segment-000001.csv";
}

// An INSERT of rows (id, v) whose v is `bytes` long.
std::string InsertWide(const std::string& table, std::initializer_list<int> ids, size_t bytes) {
  std::string sql = "INSERT INTO " + table + " VALUES ";
  for (int id : ids) {
    sql += fmt::format("{}({}, '{}')", sql.back() == ' ' ? "" : ", ", id, std::string(bytes, 'x'));
  }
  return sql;
}

// With sync = always a commit's space is taken (zeros written ahead of the
// commits, in steps of the segment size here) when it is appended, and its
// bytes are written by its fsync round. A commit larger than the step
// always needs more space, so a full or read-only disk refuses it then,
// whole, before anything is applied.
const std::vector<std::string> kSmallSteps = {"--segment-max-bytes", "4096"};

TEST_SUITE("e2e/fault") {
  TEST_CASE("a full disk fails the write whole, keeps reads, and writes resume when space returns") {
    FaultyServer f(kSmallSteps);
    auto& [dir, data, faults, server, client] = f;
    Run(*client, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    Run(*client, "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
    uintmax_t size_before = fs::file_size(Segment(data, "t"));

    // Each failing write first stores half its bytes, so half of the space
    // the commit needs is written before ENOSPC.
    faults.Set("write ENOSPC");
    protocol::Status full = Failure(*client, InsertWide("t", {3, 4}, 5000));
    CheckError(full, ErrorCode::kDiskFull, {"table \"t\"", "no space left on device"});
    CHECK(fs::file_size(Segment(data, "t")) == size_before);  // cut back: nothing half-written
    CHECK(Ids(*client, "t") == "1 2");
    CHECK(Failure(*client, "CREATE TABLE u (id INT PRIMARY KEY)").code() == ErrorCode::kDiskFull);

    faults.Clear();
    Run(*client, InsertWide("t", {3, 4}, 5000));
    Run(*client, "CREATE TABLE u (id INT PRIMARY KEY)");
    Run(*client, "INSERT INTO u VALUES (7)");
    server->Kill();

    server = ServerProcess::Start(data);
    client = Connect(*server);
    CHECK(Ids(*client, "t") == "1 2 3 4");
    CHECK(Ids(*client, "u") == "7");
  }

  TEST_CASE("a failed fsync refuses later writes to that table only, until a restart") {
    FaultyServer f;
    auto& [dir, data, faults, server, client] = f;
    Run(*client, "CREATE TABLE a (id INT PRIMARY KEY)");
    Run(*client, "CREATE TABLE b (id INT PRIMARY KEY)");
    Run(*client, "INSERT INTO a VALUES (1)");
    Run(*client, "INSERT INTO b VALUES (1)");

    faults.Set("sync EIO");
    protocol::Status failed = Failure(*client, "INSERT INTO a VALUES (2)");
    CheckError(failed, ErrorCode::kIoError, {"table \"a\"", "cannot fsync"});
    faults.Clear();

    // The disk answers again, but what the failed fsync lost is unknown.
    protocol::Status refused = Failure(*client, "INSERT INTO a VALUES (3)");
    CheckError(refused, ErrorCode::kIoError, {"table \"a\"", "until the server restarts"});
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

  TEST_CASE("a prepared single-row INSERT whose fsync fails is answered IoError, not OK") {
    // Such an INSERT is appended on the network thread and answered from
    // the end of its fsync round: the answer must be that round's outcome.
    FaultyServer f;
    auto& [dir, data, faults, server, client] = f;
    Run(*client, "CREATE TABLE a (id INT PRIMARY KEY)");
    auto insert = client->Prepare("INSERT INTO a VALUES ($1)");
    REQUIRE_MESSAGE(insert.ok(), insert.status().ToString());
    REQUIRE(client->Execute(*insert, protocol::Row{protocol::Value::Integer(1)}).ok());

    faults.Set("sync EIO");
    auto failed = client->Execute(*insert, protocol::Row{protocol::Value::Integer(2)});
    REQUIRE(!failed.ok());
    CheckError(failed.status(), ErrorCode::kIoError, {"table \"a\"", "cannot fsync"});
    faults.Clear();
    auto refused = client->Execute(*insert, protocol::Row{protocol::Value::Integer(3)});
    REQUIRE(!refused.ok());
    CheckError(refused.status(), ErrorCode::kIoError, {"until the server restarts"});
    CHECK(Ids(*client, "a").starts_with("1"));
  }

  TEST_CASE("a failed fsync at a segment rollover refuses later writes like a commit's") {
    // sync = none: no commit is fsync'ed, so the only fsync is the one that
    // seals the full segment before the next one starts.
    FaultyServer f({"--sync", "none", "--segment-max-bytes", "1"});
    auto& [dir, data, faults, server, client] = f;
    Run(*client, "CREATE TABLE a (id INT PRIMARY KEY)");
    Run(*client, "CREATE TABLE b (id INT PRIMARY KEY)");
    Run(*client, "INSERT INTO a VALUES (1)");
    Run(*client, "INSERT INTO b VALUES (1)");

    faults.Set("sync EIO");
    protocol::Status failed = Failure(*client, "INSERT INTO a VALUES (2)");
    CheckError(failed, ErrorCode::kIoError,
               {"table \"a\"", "cannot fsync", "until the server restarts"});
    faults.Clear();

    // A later rollover would succeed, but the first segment's state is unknown.
    protocol::Status refused = Failure(*client, "INSERT INTO a VALUES (3)");
    CheckError(refused, ErrorCode::kIoError, {"table \"a\"", "until the server restarts"});
    CheckError(Failure(*client, "COMPACT TABLE a"), ErrorCode::kIoError,
               {"until the server restarts"});
    Run(*client, "INSERT INTO b VALUES (2)");
    CHECK(Ids(*client, "b") == "1 2");
    CHECK(Ids(*client, "a") == "1");  // the failed rollover came before any append
    CHECK(server->Stop() == 0);

    server = ServerProcess::Start(data);
    client = Connect(*server);
    Run(*client, "INSERT INTO a VALUES (4)");
    CHECK(Ids(*client, "a") == "1 4");
    CHECK(Ids(*client, "b") == "1 2");
  }

  TEST_CASE("half a commit that cannot be taken back never reaches a later start") {
    FaultyServer f;
    auto& [dir, data, faults, server, client] = f;
    Run(*client, "CREATE TABLE a (id INT PRIMARY KEY, note TEXT)");
    Run(*client, "CREATE TABLE b (id INT PRIMARY KEY)");
    Run(*client, "INSERT INTO a VALUES (1, 'one')");
    Run(*client, "INSERT INTO b VALUES (1)");

    // The disk fills up mid-append (half the bytes get written) and the
    // bytes cannot be taken back (neither zeroed nor cut off): half a
    // commit stays at the end of the segment. A commit this large is
    // written when it is appended, not by its fsync round.
    faults.Set("write ENOSPC\ntruncate EIO");
    CheckError(Failure(*client, InsertWide("a", {2}, 100 * 1024)), ErrorCode::kDiskFull,
               {"table \"a\"", Segment(data, "a").string(), "no space left on device"});
    faults.Clear();

    // Space is back, and writes go on (a full disk is not a failed fsync).
    // A compaction rolls the segment over with the half commit still in it
    // (Seal cuts the file at its last commit) and then replaces the file;
    // the next start must find neither damage nor the half commit.
    Run(*client, "COMPACT TABLE a");
    Run(*client, "INSERT INTO a VALUES (3, 'three')");
    Run(*client, "INSERT INTO b VALUES (2)");
    CHECK(Ids(*client, "a") == "1 3");
    server->Kill();

    server = ServerProcess::Start(data);
    client = Connect(*server);
    CHECK(Ids(*client, "a") == "1 3");
    CHECK(Ids(*client, "b") == "1 2");
    Run(*client, "INSERT INTO a VALUES (4, 'four')");
    CHECK(Ids(*client, "a") == "1 3 4");
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
    CHECK_MESSAGE(result.err.find("kopfd.lock: read-only file system") != std::string::npos,
                  result.err);
    CHECK(result.out.find("listening") == std::string::npos);
  }

  TEST_CASE("a data directory that turns read-only fails writes with ReadOnly and keeps reads") {
    FaultyServer f(kSmallSteps);
    auto& [dir, data, faults, server, client] = f;
    Run(*client, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)");
    Run(*client, InsertWide("t", {1}, 5000));

    faults.Set("open EROFS\nmkdir EROFS\nwrite EROFS");
    protocol::Status refused = Failure(*client, InsertWide("t", {2}, 5000));
    CheckError(refused, ErrorCode::kReadOnly, {"table \"t\"", "read-only file system"});
    CheckError(Failure(*client, "CREATE TABLE u (id INT)"), ErrorCode::kReadOnly, {});
    CHECK(Ids(*client, "t") == "1");

    faults.Clear();
    Run(*client, InsertWide("t", {2}, 5000));
    CHECK(Ids(*client, "t") == "1 2");
  }

  TEST_CASE("a failed write of an fsync round fails its commits and refuses writes until a restart") {
    // A small commit's bytes wait in memory for its fsync round, which
    // writes them (one write for every commit of the round) before the
    // fdatasync. When that write fails, the commits are applied in memory
    // but not in the file: like a failed fsync, their outcome is unknown to
    // the client, and the table refuses writes until a restart recovers it
    // from the file. Other tables carry on; a backup, whose copy of the
    // file would lack the commits, is refused.
    TempDir backups;
    FaultyServer f({"--backup-dir", backups.path().string()});
    auto& [dir, data, faults, server, client] = f;
    Run(*client, "CREATE TABLE a (id INT PRIMARY KEY)");
    Run(*client, "CREATE TABLE b (id INT PRIMARY KEY)");
    auto insert = client->Prepare("INSERT INTO a VALUES ($1)");
    REQUIRE_MESSAGE(insert.ok(), insert.status().ToString());
    REQUIRE(client->Execute(*insert, protocol::Row{protocol::Value::Integer(1)}).ok());
    Run(*client, "INSERT INTO b VALUES (1)");

    faults.Set("write EIO");
    auto failed = client->Execute(*insert, protocol::Row{protocol::Value::Integer(2)});
    REQUIRE(!failed.ok());
    CheckError(failed.status(), ErrorCode::kIoError,
               {"table \"a\"", "cannot write commits to", "until the server restarts"});
    faults.Clear();
    auto refused = client->Execute(*insert, protocol::Row{protocol::Value::Integer(3)});
    REQUIRE(!refused.ok());
    CheckError(refused.status(), ErrorCode::kIoError, {"until the server restarts"});
    CheckError(Failure(*client, "INSERT INTO a VALUES (4)"), ErrorCode::kIoError,
               {"until the server restarts"});
    Run(*client, "INSERT INTO b VALUES (2)");
    CHECK(Ids(*client, "b") == "1 2");
    CheckError(Failure(*client, "BACKUP TO 'after'"), ErrorCode::kIoError,
               {"table \"a\"", "until the server restarts"});
    server->Kill();

    // The write that failed stored nothing (EIO), so 2 is gone, and the
    // file holds no damage: the next start takes writes again.
    server = ServerProcess::Start(data);
    client = Connect(*server);
    CHECK(Ids(*client, "a") == "1");
    Run(*client, "INSERT INTO a VALUES (5)");
    CHECK(Ids(*client, "a") == "1 5");
    CHECK(Ids(*client, "b") == "1 2");
  }

  TEST_CASE("sync = interval acknowledges at once and fsyncs in the background") {
    FaultyServer f({"--sync", "interval", "--sync-interval-ms", "20"});
    auto& [dir, data, faults, server, client] = f;
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
    CheckError(refused, ErrorCode::kIoError, {"cannot fsync"});
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
