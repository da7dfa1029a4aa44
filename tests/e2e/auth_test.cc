// Authentication and roles against the real kopfd: users made with the real
// `kopf user` command, SCRAM logins through the client library and raw
// frames, role checks on every kind of statement, and the users file
// changing under a running server.
#include "protocol/auth.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <doctest/doctest.h>

#include "protocol/client.h"
#include "protocol/message.h"
#include "protocol/users_file.h"
#include "tests/support/raw_connection.h"
#include "tests/support/test_support.h"

namespace kopf {
namespace {

using protocol::Client;
using protocol::ClientOptions;
using protocol::ErrorCode;
using testing::RawConnection;
using testing::RunProcess;
using testing::ServerProcess;
using testing::TempDir;

// Runs `kopf user ARGS --data DATA` with `password` on standard input.
testing::ProcessResult KopfUser(const std::filesystem::path& data, std::vector<std::string> args,
                                const std::string& password = "") {
  std::vector<std::string> argv = {testing::BinaryPath("kopf"), "user"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--data");
  argv.push_back(data.string());
  return RunProcess(argv, password);
}

void AddUser(const std::filesystem::path& data, const std::string& name, const std::string& role,
             const std::string& password) {
  auto r = KopfUser(data, {"add", name, "--role", role}, password + "\n");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
}

protocol::Result<std::unique_ptr<Client>> Login(const ServerProcess& server,
                                                const std::string& user,
                                                const std::string& password) {
  ClientOptions options;
  options.user = user;
  options.password = password;
  return Client::Connect("127.0.0.1", server.port(), options);
}

std::unique_ptr<Client> MustLogin(const ServerProcess& server, const std::string& user,
                                  const std::string& password) {
  auto client = Login(server, user, password);
  REQUIRE_MESSAGE(client.ok(), client.status().ToString());
  return std::move(client).value();
}

// A data directory with one user of each role.
struct Fixture {
  TempDir dir;
  std::filesystem::path data = dir.path() / "data";
  Fixture() {
    AddUser(data, "root", "admin", "root-pw");
    AddUser(data, "writer", "read-write", "writer-pw");
    AddUser(data, "reader", "read-only", "reader-pw");
  }
};

// Sends HELLO for `user` over a raw connection and returns the challenge.
protocol::AuthChallenge Challenge(RawConnection& raw, protocol::scram::ScramClient& scram,
                                  const std::string& user) {
  protocol::Hello hello;
  hello.client_name = "raw";
  hello.user = user;
  hello.scram_first = scram.client_first();
  REQUIRE(raw.Send({0, 0, hello}));
  auto reply = raw.Receive();
  REQUIRE(reply.has_value());
  auto* challenge = std::get_if<protocol::AuthChallenge>(&reply->message);
  REQUIRE_MESSAGE(challenge != nullptr, protocol::Describe(*reply));
  CHECK(reply->client_id == 0);
  return *challenge;
}

// Reads the ERROR that ends a handshake, checks its code and that the
// server then closes; returns its message.
std::string ExpectErrorAndClose(RawConnection& raw, ErrorCode code) {
  auto reply = raw.Receive();
  REQUIRE(reply.has_value());
  auto* error = std::get_if<protocol::ErrorMessage>(&reply->message);
  REQUIRE_MESSAGE(error != nullptr, protocol::Describe(*reply));
  CHECK(error->code == code);
  CHECK(raw.WaitClosed());
  return error->message;
}

TEST_SUITE("e2e/auth") {
  TEST_CASE("kopf user adds, lists, changes and removes users, refusing bad requests") {
    TempDir dir;
    auto data = dir.path() / "data";
    auto added = KopfUser(data, {"add", "alice", "--role", "admin"}, "pw1\n");
    REQUIRE_MESSAGE(added.exit_code == 0, added.err);
    CHECK(added.out.find("added user alice (admin)") != std::string::npos);
    CHECK(KopfUser(data, {"add", "bob"}, "pw2\n").exit_code == 0);  // read-only by default

    auto listed = KopfUser(data, {"list"});
    CHECK(listed.exit_code == 0);
    CHECK(listed.out == "alice,admin\nbob,read-only\n");

    auto again = KopfUser(data, {"add", "alice"}, "x\n");
    CHECK(again.exit_code == 1);
    CHECK(again.err.find("already exists") != std::string::npos);
    CHECK(KopfUser(data, {"passwd", "bob", "--role", "read-write"}, "pw3\n").exit_code == 0);
    CHECK(KopfUser(data, {"list"}).out == "alice,admin\nbob,read-write\n");
    CHECK(KopfUser(data, {"remove", "alice"}).exit_code == 0);
    CHECK(KopfUser(data, {"list"}).out == "bob,read-write\n");

    auto missing = KopfUser(data, {"remove", "alice"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("no user \"alice\"") != std::string::npos);
    auto empty = KopfUser(data, {"add", "carol"}, "\n");
    CHECK(empty.exit_code == 1);
    CHECK(empty.err.find("password is empty") != std::string::npos);
    auto bad_role = KopfUser(data, {"add", "carol", "--role", "root"}, "pw\n");
    CHECK(bad_role.exit_code == 2);
    CHECK(bad_role.err.find("unknown role \"root\"") != std::string::npos);
    auto bad_name = KopfUser(data, {"add", "car ol"}, "pw\n");
    CHECK(bad_name.exit_code == 2);
    CHECK(bad_name.err.find("may only hold") != std::string::npos);
    CHECK(KopfUser(data, {"list"}).out == "bob,read-write\n");  // nothing changed
  }

  TEST_CASE("the right password logs in, a wrong one or an unknown user get the same refusal") {
    Fixture f;
    auto server = ServerProcess::Start(f.data);
    auto root = MustLogin(*server, "root", "root-pw");
    CHECK(root->Query("SELECT 1").ok());

    auto wrong = Login(*server, "root", "not-it");
    auto unknown = Login(*server, "nobody", "not-it");
    CHECK(wrong.status().code() == ErrorCode::kAuthenticationFailed);
    CHECK(unknown.status().code() == ErrorCode::kAuthenticationFailed);
    CHECK(wrong.status().message() == "authentication failed for user \"root\"");
    CHECK(unknown.status().message() == "authentication failed for user \"nobody\"");

    auto anonymous = Client::Connect("127.0.0.1", server->port());
    CHECK(anonymous.status().code() == ErrorCode::kAuthenticationFailed);
    CHECK(anonymous.status().message().find("requires a user name and password") !=
          std::string::npos);
    CHECK(root->Query("SELECT 2").ok());  // the server kept serving
  }

  TEST_CASE("an unknown user gets a challenge shaped like a real one, stable across tries") {
    Fixture f;
    auto server = ServerProcess::Start(f.data);
    auto shape = [&](const std::string& user) {
      RawConnection raw(server->port());
      auto scram = protocol::scram::ScramClient::Start(user, "guess");
      REQUIRE(scram.ok());
      protocol::AuthChallenge challenge = Challenge(raw, *scram, user);
      CHECK(challenge.mechanism == "SCRAM-SHA-256");
      auto response = scram->OnServerFirst(challenge.data);
      REQUIRE(response.ok());
      REQUIRE(raw.Send({0, 0, protocol::AuthResponse{*response}}));
      CHECK(ExpectErrorAndClose(raw, ErrorCode::kAuthenticationFailed) ==
            "authentication failed for user \"" + user + "\"");
      // "r=<nonce>,s=<salt>,i=<n>": the salt and iteration count.
      return challenge.data.substr(challenge.data.find(",s="));
    };
    std::string real = shape("reader");
    std::string ghost = shape("ghost");
    CHECK(ghost.size() == real.size());  // same salt length, same iteration count
    CHECK(ghost.substr(ghost.find(",i=")) == real.substr(real.find(",i=")));
    CHECK(shape("ghost") == ghost);  // asking again does not reveal a random decoy
    CHECK(shape("reader") == real);
  }

  TEST_CASE("each role may run its statements and gets PermissionDenied beyond them") {
    Fixture f;
    auto server = ServerProcess::Start(f.data);
    auto root = MustLogin(*server, "root", "root-pw");
    auto writer = MustLogin(*server, "writer", "writer-pw");
    auto reader = MustLogin(*server, "reader", "reader-pw");

    REQUIRE(root->Query("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)").ok());
    REQUIRE(writer->Query("INSERT INTO t VALUES (1, 'a'), (2, 'b')").ok());
    CHECK(writer->Query("UPDATE t SET v = 'c' WHERE id = 2").ok());
    CHECK(writer->Query("DELETE FROM t WHERE id = 2").ok());

    for (const char* read : {"SELECT * FROM t", "SHOW TABLES", "SHOW INDEXES", "DESCRIBE t",
                             "EXPLAIN SELECT * FROM t", "EXPLAIN DELETE FROM t"}) {
      INFO(read);
      auto r = reader->Query(read);
      CHECK_MESSAGE(r.ok(), r.status().ToString());
    }
    for (const char* write : {"INSERT INTO t VALUES (3, 'x')", "UPDATE t SET v = 'x'",
                              "DELETE FROM t", "DROP TABLE t", "CREATE INDEX i ON t (v)"}) {
      INFO(write);
      auto r = reader->Query(write);
      CHECK(r.status().code() == ErrorCode::kPermissionDenied);
    }
    auto denied = reader->Query("INSERT INTO t VALUES (3, 'x')");
    CHECK(denied.status().message() ==
          "permission denied: INSERT needs the read-write role, this user is read-only");
    for (const char* ddl :
         {"CREATE TABLE u (id INT PRIMARY KEY)", "DROP TABLE t", "CREATE INDEX i ON t (v)",
          "COMPACT TABLE t"}) {
      INFO(ddl);
      auto r = writer->Query(ddl);
      CHECK(r.status().code() == ErrorCode::kPermissionDenied);
      CHECK(r.status().message().find("needs the admin role, this user is read-write") !=
            std::string::npos);
    }
    // Nothing the refused statements tried is there, and the connections live on.
    auto rows = reader->Query("SELECT id, v FROM t ORDER BY id");
    REQUIRE(rows.ok());
    REQUIRE(rows->rows.size() == 1);
    CHECK(rows->rows[0][1].as_text() == "a");
    CHECK(root->Query("SHOW TABLES")->rows.size() == 1);
    CHECK(root->Query("CREATE INDEX i ON t (v)").ok());
    CHECK(root->Query("COMPACT TABLE t").ok());
    CHECK(root->Query("DROP TABLE t").ok());
  }

  TEST_CASE("BACKUP TO needs the admin role, SHOW BACKUPS read-only, kopf backup logs in") {
    Fixture f;
    const std::filesystem::path backups = f.dir.path() / "backups";
    std::filesystem::create_directories(backups);
    auto server = ServerProcess::Start(f.data, {"--backup-dir", backups.string()});
    auto root = MustLogin(*server, "root", "root-pw");
    auto writer = MustLogin(*server, "writer", "writer-pw");
    auto reader = MustLogin(*server, "reader", "reader-pw");
    REQUIRE(root->Query("CREATE TABLE t (id INT PRIMARY KEY)").ok());
    REQUIRE(writer->Query("INSERT INTO t VALUES (1)").ok());

    auto denied = writer->Query("BACKUP TO 'w'");
    CHECK(denied.status().code() == ErrorCode::kPermissionDenied);
    CHECK(denied.status().message() ==
          "permission denied: BACKUP needs the admin role, this user is read-write");
    CHECK(!std::filesystem::exists(backups / "w"));
    CHECK(root->Query("BACKUP TO 'r'").ok());
    auto listed = reader->Query("SHOW BACKUPS");
    REQUIRE_MESSAGE(listed.ok(), listed.status().ToString());
    REQUIRE(listed->rows.size() == 1);
    CHECK(listed->rows[0][0].as_text() == "r");

    // kopf backup takes its credentials from a connection string.
    const std::string kopf = testing::BinaryPath("kopf");
    const std::string port = std::to_string(server->port());
    auto anonymous = RunProcess({kopf, "-p", port, "backup", "--to", "anon"});
    CHECK(anonymous.exit_code != 0);
    auto as_reader = RunProcess(
        {kopf, "-d", "kopf://reader:reader-pw@127.0.0.1:" + port, "backup", "--to", "rd"});
    CHECK(as_reader.exit_code == 1);
    CHECK_MESSAGE(as_reader.err.find("needs the admin role") != std::string::npos, as_reader.err);
    auto as_root = RunProcess(
        {kopf, "-d", "kopf://root:root-pw@127.0.0.1:" + port, "backup", "--to", "cli"});
    CHECK_MESSAGE(as_root.exit_code == 0, as_root.err);
    CHECK(std::filesystem::exists(backups / "cli" / "backup.csv"));
    CHECK(!std::filesystem::exists(backups / "anon"));
    CHECK(!std::filesystem::exists(backups / "rd"));
  }

  TEST_CASE("a client that vanishes or misbehaves mid-handshake does not disturb the server") {
    Fixture f;
    auto server = ServerProcess::Start(f.data);
    auto root = MustLogin(*server, "root", "root-pw");
    {
      RawConnection raw(server->port());
      auto scram = protocol::scram::ScramClient::Start("root", "root-pw");
      REQUIRE(scram.ok());
      Challenge(raw, *scram, "root");
    }  // closed after the challenge, before answering
    {
      RawConnection raw(server->port());
      auto scram = protocol::scram::ScramClient::Start("root", "root-pw");
      REQUIRE(scram.ok());
      Challenge(raw, *scram, "root");
      REQUIRE(raw.Send({0, 0, protocol::Query{"SELECT 1"}}));  // not AUTH_RESPONSE
      CHECK(
          ExpectErrorAndClose(raw, ErrorCode::kProtocolViolation).find("expected AUTH_RESPONSE") !=
          std::string::npos);
    }
    {
      RawConnection raw(server->port());
      auto scram = protocol::scram::ScramClient::Start("root", "root-pw");
      REQUIRE(scram.ok());
      Challenge(raw, *scram, "root");
      REQUIRE(raw.Send({0, 0, protocol::AuthResponse{"c=biws,r=forged,p=AAAA"}}));
      CHECK(ExpectErrorAndClose(raw, ErrorCode::kProtocolViolation)
                .find("not this exchange's nonce") != std::string::npos);
    }
    {
      RawConnection raw(server->port());  // HELLO whose SCRAM message names someone else
      auto scram = protocol::scram::ScramClient::Start("root", "x");
      REQUIRE(scram.ok());
      protocol::Hello hello;
      hello.user = "reader";
      hello.scram_first = scram->client_first();
      REQUIRE(raw.Send({0, 0, hello}));
      CHECK(ExpectErrorAndClose(raw, ErrorCode::kProtocolViolation)
                .find("its SCRAM client-first-message names \"root\"") != std::string::npos);
    }
    {
      RawConnection raw(server->port());  // a user name no users file can hold
      std::string huge(100000, 'x');
      auto scram = protocol::scram::ScramClient::Start(huge, "x");
      REQUIRE(scram.ok());
      protocol::Hello hello;
      hello.user = huge;
      hello.scram_first = scram->client_first();
      REQUIRE(raw.Send({0, 0, hello}));
      CHECK(ExpectErrorAndClose(raw, ErrorCode::kAuthenticationFailed) ==
            "authentication failed: a user name is 1 to 64 letters, digits and _ . @ -");
    }
    CHECK(root->Query("SELECT 1").ok());
    CHECK(MustLogin(*server, "reader", "reader-pw")->Query("SELECT 1").ok());
  }

  TEST_CASE("a client that stalls mid-handshake is closed after the handshake timeout") {
    Fixture f;
    auto server = ServerProcess::Start(f.data, {"--handshake-timeout-ms", "300"});
    auto root = MustLogin(*server, "root", "root-pw");
    RawConnection silent(server->port());  // sends nothing at all
    RawConnection stalled(server->port());
    auto scram = protocol::scram::ScramClient::Start("root", "root-pw");
    REQUIRE(scram.ok());
    Challenge(stalled, *scram, "root");  // and never answers it
    CHECK(silent.WaitClosed());
    CHECK(stalled.WaitClosed());
    // The login that completed in time outlives the timeout.
    CHECK(root->Query("CREATE TABLE t (id INT PRIMARY KEY)").ok());
    std::ifstream log(server->log_path());
    std::string text((std::istreambuf_iterator<char>(log)), {});
    CHECK(text.find("no complete handshake within 300 ms") != std::string::npos);
  }

  TEST_CASE("a running server sees users added, re-passworded and removed") {
    Fixture f;
    auto server = ServerProcess::Start(f.data);
    CHECK(Login(*server, "dave", "d1").status().code() == ErrorCode::kAuthenticationFailed);
    AddUser(f.data, "dave", "read-write", "d1");
    auto dave = MustLogin(*server, "dave", "d1");
    REQUIRE(KopfUser(f.data, {"passwd", "dave", "--role", "read-only"}, "d2\n").exit_code == 0);
    CHECK(Login(*server, "dave", "d1").status().code() == ErrorCode::kAuthenticationFailed);
    auto dave2 = MustLogin(*server, "dave", "d2");
    CHECK(dave2->Query("CREATE TABLE x (id INT PRIMARY KEY)").status().code() ==
          ErrorCode::kPermissionDenied);
    REQUIRE(KopfUser(f.data, {"remove", "dave"}).exit_code == 0);
    CHECK(Login(*server, "dave", "d2").status().code() == ErrorCode::kAuthenticationFailed);
    CHECK(dave->Query("SELECT 1").ok());  // open connections keep their login

    // A damaged file is logged and the users read before stay in force.
    { std::ofstream(f.data / "users.csv") << "garbage\n"; }
    CHECK(MustLogin(*server, "root", "root-pw")->Query("SELECT 1").ok());
  }

  TEST_CASE("kopfd refuses to start beyond loopback without users, or with a bad users file") {
    TempDir dir;
    auto r = RunProcess({testing::BinaryPath("kopfd"), "--port", "0", "--host", "0.0.0.0", "--data",
                         (dir.path() / "data").string()});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("--host 0.0.0.0 is not a loopback address, and there is no users file") !=
          std::string::npos);
    auto missing = RunProcess({testing::BinaryPath("kopfd"), "--port", "0", "--users",
                               (dir.path() / "absent.csv").string(), "--data",
                               (dir.path() / "data").string()});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("absent.csv") != std::string::npos);
    std::filesystem::create_directories(dir.path() / "data");
    { std::ofstream(dir.path() / "data" / "users.csv") << "name,password\nroot,hunter2\n"; }
    auto damaged = RunProcess({testing::BinaryPath("kopfd"), "--port", "0", "--data",
                               (dir.path() / "data").string()});
    CHECK(damaged.exit_code == 1);
    CHECK(damaged.err.find("users.csv:1: the header must be") != std::string::npos);
  }

  TEST_CASE("with a users file kopfd listens on any address and clients log in") {
    Fixture f;
    auto server = ServerProcess::Start(f.data, {"--host", "0.0.0.0"});
    CHECK(MustLogin(*server, "reader", "reader-pw")->Query("SELECT 1").ok());
  }
}

}  // namespace
}  // namespace kopf
