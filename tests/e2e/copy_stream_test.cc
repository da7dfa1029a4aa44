// COPY FROM STDIN / TO STDOUT (the copy sub-protocol, protocol 1.2) against
// the real kopfd: the shell's \copy of a 100,000-row file there and back,
// byte for byte; a bad value reported with line and column and nothing
// loaded; COPY_FAIL; a client that vanishes mid-copy; frames the server
// must refuse; a 1.1 client; and the roles each direction needs.
#include <sstream>
#include <utility>  // before Asio: its C++20 coroutine support needs it

#include <boost/asio.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "protocol/async_client.h"
#include "protocol/client.h"
#include "protocol/message.h"
#include "protocol/users_file.h"
#include "tests/support/raw_connection.h"
#include "tests/support/test_support.h"

namespace kopf {
namespace {

namespace fs = std::filesystem;
using protocol::Client;
using protocol::ErrorCode;
using protocol::Status;
using testing::BinaryPath;
using testing::Connect;
using testing::CountRows;
using testing::RawConnection;
using testing::ReadTextFile;
using testing::RunProcess;
using testing::ServerProcess;
using testing::TempDir;
using testing::WriteTextFile;

// `rows` records of (id, name, score), with NULLs, non-ASCII text and (with
// `quoted`) quoted fields holding line breaks on the way, in the form COPY
// TO writes them back.
std::string MakeCsv(int rows, bool quoted = true) {
  std::string csv;
  for (int i = 1; i <= rows; ++i) {
    if (quoted && i % 1000 == 7) {
      csv += fmt::format("{},\"comma, \"\"quote\"\" and\nnewline\",\n", i);
    } else {
      csv += fmt::format("{},name-{}-é,{}\n", i, i, i % 97 == 0 ? "" : fmt::format("{}.5", i));
    }
  }
  return csv;
}

const char* kCreate = "CREATE TABLE t (id INT PRIMARY KEY, name TEXT, score DOUBLE)";

// The next frame on `raw`, which must be of type M.
template <class M>
M Expect(RawConnection& raw) {
  auto frame = raw.Receive();
  REQUIRE(frame.has_value());
  auto* m = std::get_if<M>(&frame->message);
  REQUIRE_MESSAGE(m != nullptr, protocol::Describe(*frame));
  return *m;
}

TEST_SUITE("e2e/copy_stream") {
  TEST_CASE(
      "the shell's \\copy loads 100,000 rows from a local file and writes them back byte for "
      "byte") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");  // no --import-dir
    const std::string port = std::to_string(server->port());
    const std::string csv = MakeCsv(100000);
    WriteTextFile(dir.path() / "in.csv", csv);
    REQUIRE(RunProcess({BinaryPath("kopf"), "-p", port, "-c", kCreate}).exit_code == 0);

    auto in = RunProcess({BinaryPath("kopf"), "-p", port, "-c",
                          fmt::format("\\copy t from '{}'", (dir.path() / "in.csv").string())});
    CHECK_MESSAGE(in.exit_code == 0, in.err);
    CHECK(in.out == "COPY 100000\n");
    CHECK(in.err.empty());  // no progress line without a terminal

    auto out_path = dir.path() / "out.csv";
    auto out = RunProcess(
        {BinaryPath("kopf"), "-p", port, "-c", fmt::format("\\copy t to '{}'", out_path.string())});
    CHECK_MESSAGE(out.exit_code == 0, out.err);
    CHECK(out.out == "COPY 100000\n");
    CHECK(ReadTextFile(out_path) == csv);

    // A query and options, to standard output; and standard input back in.
    auto query = RunProcess({BinaryPath("kopf"), "-p", port, "-c",
                             "\\copy (SELECT id, score FROM t WHERE id <= 3 ORDER BY id) to stdout "
                             "with (header, delimiter ';')"});
    CHECK(query.out == "id;score\n1;1.5\n2;2.5\n3;3.5\nCOPY 3\n");
    auto piped =
        RunProcess({BinaryPath("kopf"), "-p", port, "-c", "\\copy t (id, name) from stdin"},
                   "200001,piped\n200002,\"two\"\n");
    CHECK_MESSAGE(piped.out == "COPY 2\n", piped.err);
    auto client = Connect(*server);
    CHECK(CountRows(*client, "t") == 100002);
  }

  TEST_CASE("a bad value in line N is reported with line and column, and nothing is loaded") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    auto client = Connect(*server);
    REQUIRE(client->Query(kCreate).ok());
    std::string csv = MakeCsv(50000, /*quoted=*/false);  // one line per record
    // Line 40,000's score becomes text: far past the first chunks sent.
    size_t at = csv.find("\n40000,") + 1;
    size_t comma = csv.find(',', csv.find(',', at) + 1);
    csv.insert(comma + 1, "oops");
    std::istringstream in(csv);
    auto r = client->CopyIn("COPY t FROM STDIN", in);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kInvalidValue);
    CHECK_MESSAGE(r.status().message().find("line 40000, column \"score\"") != std::string::npos,
                  r.status().message());
    CHECK(r.status().position() == 12);  // at STDIN
    CHECK(CountRows(*client, "t") == 0);

    // The same through the shell: the server's report, exit status 1.
    WriteTextFile(dir.path() / "bad.csv", csv);
    auto shell = RunProcess({BinaryPath("kopf"), "-p", std::to_string(server->port()), "-c",
                             fmt::format("\\copy t from '{}'", (dir.path() / "bad.csv").string())});
    CHECK(shell.exit_code == 1);
    CHECK_MESSAGE(
        shell.err.find("line 40000, column \"score\": invalid double") != std::string::npos,
        shell.err);
    auto missing = RunProcess({BinaryPath("kopf"), "-p", std::to_string(server->port()), "-c",
                               "\\copy t from 'no-such-file.csv'"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err == "\\copy: cannot open \"no-such-file.csv\": No such file or directory\n");
    CHECK(CountRows(*client, "t") == 0);
  }

  TEST_CASE("COPY_FAIL aborts the copy with nothing loaded, and the connection goes on") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    auto client = Connect(*server);
    REQUIRE(client->Query(kCreate).ok());
    const std::string csv = MakeCsv(20000);
    size_t offset = 0;
    // Hands out half the data, then fails as a file read would.
    auto r = client->CopyIn("COPY t FROM STDIN",
                            [&](char* buffer, size_t capacity) -> protocol::Result<size_t> {
                              if (offset >= csv.size() / 2)
                                return Status::IoError("disk read error");
                              size_t n = std::min(capacity, csv.size() / 2 - offset);
                              csv.copy(buffer, n, offset);
                              offset += n;
                              return n;
                            });
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().ToString() == Status::IoError("disk read error").ToString());
    CHECK(CountRows(*client, "t") == 0);
    CHECK(ReadTextFile(server->log_path()).find("the client aborted the copy: disk read error") !=
          std::string::npos);
    // Nothing is left over: a whole copy on the same connection works.
    std::istringstream in(csv);
    auto again = client->CopyIn("COPY t FROM STDIN", in);
    REQUIRE_MESSAGE(again.ok(), again.status().ToString());
    CHECK(again->count == 20000);
    std::ostringstream out;
    auto back = client->CopyOut("COPY t TO STDOUT", out);
    REQUIRE_MESSAGE(back.ok(), back.status().ToString());
    CHECK(back->count == 20000);
    CHECK(out.str() == csv);
  }

  TEST_CASE("a client that vanishes mid-copy loads nothing, and the server serves the others") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data", {"--workers", "1"});
    auto client = Connect(*server);
    REQUIRE(client->Query(kCreate).ok());
    REQUIRE(client->Query("INSERT INTO t VALUES (0, 'before', 0)").ok());
    const std::string csv = MakeCsv(1000);
    {
      RawConnection raw(server->port());
      uint32_t id = raw.Handshake();
      REQUIRE(id != 0);
      REQUIRE(raw.Send({id, 1, protocol::Query{"COPY t FROM STDIN"}}));
      auto ready = Expect<protocol::CopyInResponse>(raw);
      REQUIRE(ready.columns.size() == 3);
      CHECK(ready.columns[1].name == "name");
      REQUIRE(raw.Send({id, 1, protocol::CopyData{csv.substr(0, 500)}}));
      REQUIRE(raw.Send({id, 1, protocol::CopyData{csv.substr(500, 700)}}));
      // Gone without COPY_DONE: the socket closes as a killed process's does.
    }
    // With one worker, this runs only once the dead copy gave it back.
    CHECK(CountRows(*client, "t") == 1);
    std::istringstream in(csv);
    auto r = client->CopyIn("COPY t FROM STDIN", in);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(CountRows(*client, "t") == 1001);
    CHECK(ReadTextFile(server->log_path()).find("COPY FROM STDIN aborted, nothing loaded") !=
          std::string::npos);
  }

  TEST_CASE("a copy whose client stalls is cancelled after copy_idle_timeout_ms, freeing its worker") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data",
                                       {"--workers", "1", "--copy-idle-timeout-ms", "300"});
    auto client = Connect(*server);
    REQUIRE(client->Query(kCreate).ok());
    RawConnection raw(server->port());
    uint32_t id = raw.Handshake();
    REQUIRE(id != 0);
    REQUIRE(raw.Send({id, 1, protocol::Query{"COPY t FROM STDIN"}}));
    Expect<protocol::CopyInResponse>(raw);
    REQUIRE(raw.Send({id, 1, protocol::CopyData{MakeCsv(100)}}));
    // Then nothing: the copy waits for more, holding the only worker, until
    // the timeout cancels it.
    auto error = Expect<protocol::ErrorMessage>(raw);
    CHECK(error.code == ErrorCode::kCancelled);
    CHECK(error.message == "COPY t, no data from the client for 300 ms (copy_idle_timeout_ms)");
    // The worker is free: other clients' statements run, nothing was loaded,
    // and the stalled connection itself is still usable.
    CHECK(CountRows(*client, "t") == 0);
    REQUIRE(raw.Send({id, 1, protocol::CopyDone{}}));
    REQUIRE(raw.Send({id, 2, protocol::Query{"SELECT count(*) FROM t"}}));
    auto columns = Expect<protocol::RowDescription>(raw);
    CHECK(columns.columns.size() == 1);
  }

  TEST_CASE("a server shutting down mid-copy stops promptly and loads nothing") {
    TempDir dir;
    auto data = dir.path() / "data";
    auto server = ServerProcess::Start(data);
    {
      auto client = Connect(*server);
      REQUIRE(client->Query(kCreate).ok());
    }
    RawConnection raw(server->port());
    uint32_t id = raw.Handshake();
    REQUIRE(raw.Send({id, 1, protocol::Query{"COPY t FROM STDIN"}}));
    Expect<protocol::CopyInResponse>(raw);
    REQUIRE(raw.Send({id, 1, protocol::CopyData{MakeCsv(100)}}));
    // The copy waits for more data on a worker; SIGTERM must not wait for it.
    CHECK(server->Stop() == 0);
    auto error = Expect<protocol::ErrorMessage>(raw);
    CHECK(error.message.find("COPY FROM STDIN aborted, nothing loaded: server shutting down") !=
          std::string::npos);
    server = ServerProcess::Start(data);
    auto client = Connect(*server);
    CHECK(CountRows(*client, "t") == 0);
  }

  TEST_CASE("COPY_DATA nobody waits for, or too large a frame, ends only that connection") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data", {"--max-frame-bytes", "65536"});
    auto client = Connect(*server);
    REQUIRE(client->Query(kCreate).ok());
    {
      RawConnection raw(server->port());
      uint32_t id = raw.Handshake();
      REQUIRE(raw.Send({id, 1, protocol::Query{"SELECT 1"}}));
      REQUIRE(raw.Send({id, 1, protocol::CopyData{"1,a,1\n"}}));
      bool violation = false;
      while (auto frame = raw.Receive()) {
        if (auto* e = std::get_if<protocol::ErrorMessage>(&frame->message)) {
          violation = e->code == ErrorCode::kProtocolViolation &&
                      e->message.find("COPY_DATA for payload 1, which has no COPY FROM STDIN") !=
                          std::string::npos;
        }
      }
      CHECK(violation);
    }
    {
      RawConnection raw(server->port());
      uint32_t id = raw.Handshake();
      REQUIRE(raw.Send({id, 1, protocol::Query{"COPY t FROM STDIN"}}));
      Expect<protocol::CopyInResponse>(raw);
      REQUIRE(raw.Send({id, 1, protocol::CopyData{"1,a,1\n"}}));
      raw.Send({id, 1, protocol::CopyData{std::string(100000, 'x')}});
      auto error = Expect<protocol::ErrorMessage>(raw);
      CHECK(error.code == ErrorCode::kProtocolViolation);
      CHECK(error.message.find("exceeds the limit of 65536 bytes") != std::string::npos);
      CHECK(raw.WaitClosed());
    }
    CHECK(CountRows(*client, "t") == 0);
  }

  TEST_CASE("a 1.1 client is refused COPY FROM STDIN and TO STDOUT with a clear error") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    auto client = Connect(*server);
    REQUIRE(client->Query(kCreate).ok());
    RawConnection raw(server->port());
    protocol::Hello hello;
    hello.minor = 1;
    hello.client_name = "old";
    REQUIRE(raw.Send({0, 0, hello}));
    uint32_t id = Expect<protocol::Welcome>(raw).client_id;
    for (uint64_t payload : {1, 2}) {
      REQUIRE(raw.Send(
          {id, payload, protocol::Query{payload == 1 ? "COPY t FROM STDIN" : "COPY t TO STDOUT"}}));
      auto error = Expect<protocol::ErrorMessage>(raw);
      CHECK(error.code == ErrorCode::kNotSupported);
      CHECK(error.message.find("needs protocol 1.2") != std::string::npos);
    }
    REQUIRE(raw.Send({id, 3, protocol::Query{"SELECT 1"}}));
    Expect<protocol::RowDescription>(raw);
  }

  TEST_CASE("COPY TO STDOUT is encoded only as fast as the client reads it") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    auto client = Connect(*server);
    REQUIRE(client->Query("CREATE TABLE big (id INT PRIMARY KEY, body TEXT)").ok());
    std::string csv;
    for (int i = 0; i < 4000; ++i) csv += fmt::format("{},{}\n", i, std::string(10000, 'a' + i % 26));
    std::istringstream in(csv);
    REQUIRE(client->CopyIn("COPY big FROM STDIN", in).ok());
    // About 40 MB of text; the client reads it frame by frame.
    RawConnection raw(server->port());
    uint32_t id = raw.Handshake();
    REQUIRE(raw.Send({id, 1, protocol::Query{"COPY big TO STDOUT"}}));
    std::string got;
    for (;;) {
      auto frame = raw.Receive();
      REQUIRE(frame.has_value());
      if (auto* data = std::get_if<protocol::CopyData>(&frame->message)) {
        got += data->data;
        continue;
      }
      auto* done = std::get_if<protocol::Complete>(&frame->message);
      REQUIRE_MESSAGE(done != nullptr, protocol::Describe(*frame));
      CHECK(done->count == 4000);
      break;
    }
    CHECK(got == csv);
    REQUIRE(raw.Send({id, 0, protocol::Goodbye{}}));
    CHECK(raw.WaitClosed());
    std::optional<uint64_t> peak = testing::PeakUnsentBytes(*server, id);
    REQUIRE(peak.has_value());
    CHECK(*peak < 2u * 1024 * 1024);
  }

  TEST_CASE("the asynchronous client ends a COPY FROM STDIN it cannot feed, and reads COPY TO") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    auto client = Connect(*server);
    REQUIRE(client->Query(kCreate).ok());
    REQUIRE(client->Query("INSERT INTO t VALUES (1, 'one', 1.5)").ok());
    boost::asio::io_context io;
    auto connected = protocol::AsyncClient::Connect(io.get_executor(), "127.0.0.1", server->port());
    REQUIRE(connected.ok());
    auto async = *connected;
    protocol::Response in, out;
    async->AsyncQuery("COPY t FROM STDIN", [&](protocol::Response r) { in = std::move(r); });
    async->AsyncQuery("COPY t TO STDOUT", [&](protocol::Response r) {
      out = std::move(r);
      async->Close();
    });
    io.run();
    CHECK(in.status.code() == ErrorCode::kCancelled);
    CHECK(in.status.message().find("the asynchronous client cannot send COPY data") !=
          std::string::npos);
    REQUIRE_MESSAGE(out.status.ok(), out.status.ToString());
    CHECK(out.result.copy_data == "1,one,1.5\n");
    CHECK(CountRows(*client, "t") == 1);
  }

  TEST_CASE("COPY FROM STDIN needs the read-write role, COPY TO STDOUT read-only") {
    TempDir dir;
    auto data = dir.path() / "data";
    for (auto [user, role] : {std::pair{"root", "admin"}, std::pair{"reader", "read-only"}}) {
      auto r = RunProcess(
          {BinaryPath("kopf"), "user", "add", user, "--role", role, "--data", data.string()},
          std::string(user) + "-pw\n");
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    }
    auto server = ServerProcess::Start(data);
    auto login = [&](const std::string& user) {
      protocol::ClientOptions options;
      options.user = user;
      options.password = user + "-pw";
      auto c = Client::Connect("127.0.0.1", server->port(), options);
      REQUIRE_MESSAGE(c.ok(), c.status().ToString());
      return std::move(c).value();
    };
    auto root = login("root");
    REQUIRE(root->Query(kCreate).ok());
    REQUIRE(root->Query("INSERT INTO t VALUES (1, 'one', 1.5)").ok());
    auto reader = login("reader");
    std::istringstream in("2,two,2\n");
    auto refused = reader->CopyIn("COPY t FROM STDIN", in);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code() == ErrorCode::kPermissionDenied);
    CHECK(refused.status().message().find("COPY FROM STDIN needs the read-write role") !=
          std::string::npos);
    std::ostringstream out;
    auto allowed = reader->CopyOut("COPY t TO STDOUT", out);
    REQUIRE_MESSAGE(allowed.ok(), allowed.status().ToString());
    CHECK(out.str() == "1,one,1.5\n");
    CHECK(CountRows(*root, "t") == 1);
  }
}

}  // namespace
}  // namespace kopf
