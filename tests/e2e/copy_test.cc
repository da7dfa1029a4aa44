// COPY against the real kopfd: files in a temp directory allowed with
// --import-dir, a round trip across a restart, the refusal without that
// flag, and kill -9 at several moments of a large COPY FROM (after a
// restart either every row is there or none).
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "protocol/client.h"
#include "tests/support/test_support.h"

namespace kopf {
namespace {

namespace fs = std::filesystem;
using protocol::Client;
using protocol::ErrorCode;
using testing::ReadTextFile;
using testing::Connect;
using testing::CountRows;
using testing::ServerProcess;
using testing::TempDir;
using testing::WriteTextFile;

// An inotify watch set up before the action it waits for, so the event
// cannot be missed.
class FileEvent {
 public:
  FileEvent(const fs::path& path, uint32_t mask) {
    fd_ = inotify_init1(IN_CLOEXEC);
    REQUIRE(fd_ >= 0);
    REQUIRE(inotify_add_watch(fd_, path.c_str(), mask) >= 0);
  }
  ~FileEvent() { close(fd_); }
  // Blocks until the event happens (false after 60 s).
  bool Wait() {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, 60000) == 1;
  }

 private:
  int fd_ = -1;
};

TEST_SUITE("e2e/copy") {
  TEST_CASE("COPY FROM and TO over the wire, across a restart") {
    TempDir dir;
    fs::path imports = dir.path() / "imports";
    fs::create_directories(imports);
    auto data = dir.path() / "data";
    const std::vector<std::string> flags = {"--import-dir", imports.string()};
    auto server = ServerProcess::Start(data, flags);
    auto client = Connect(*server);
    const std::string csv =
        "id,name,score\n1,\"comma, inside\",1.5\n2,,\n3,\"\",-0.25\n4,\"quote \"\" and\nnewline\","
        "1e+100\n5,Ünïcødé ✓,0.1\n";
    WriteTextFile(imports / "in.csv", csv);
    REQUIRE(client->Query("CREATE TABLE t (id INT PRIMARY KEY, name TEXT, score DOUBLE)").ok());
    auto loaded = client->Query("COPY t FROM 'in.csv' WITH (HEADER)");
    REQUIRE_MESSAGE(loaded.ok(), loaded.status().ToString());
    CHECK(loaded->tag == "COPY");
    CHECK(loaded->count == 5);

    client.reset();
    CHECK(server->Stop() == 0);
    server = ServerProcess::Start(data, flags);
    client = Connect(*server);
    auto out = client->Query("COPY t TO 'out.csv' WITH (HEADER)");
    REQUIRE_MESSAGE(out.ok(), out.status().ToString());
    CHECK(out->count == 5);
    CHECK(ReadTextFile(imports / "out.csv") ==
          "id,name,score\n1,\"comma, inside\",1.5\n2,,\n3,\"\",-0.25\n4,\"quote \"\" and\n"
          "newline\",1e+100\n5,Ünïcødé ✓,0.1\n");

    auto bad = client->Query("COPY t FROM '../in.csv'");
    REQUIRE(!bad.ok());
    CHECK(bad.status().code() == ErrorCode::kInvalidValue);
    CHECK(bad.status().position() == 12);
    CHECK(CountRows(*client, "t") == 5);
  }

  TEST_CASE("kopfd without --import-dir refuses COPY with a file and keeps serving") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    auto client = Connect(*server);
    WriteTextFile(dir.path() / "in.csv", "1\n");
    REQUIRE(client->Query("CREATE TABLE t (id INT PRIMARY KEY)").ok());
    auto r = client->Query(fmt::format("COPY t FROM '{}'", (dir.path() / "in.csv").string()));
    REQUIRE(!r.ok());
    CHECK(r.status().code() == ErrorCode::kNotSupported);
    CHECK(r.status().message().find("--import-dir") != std::string::npos);
    CHECK(CountRows(*client, "t") == 0);
  }

  TEST_CASE("kill -9 during a large COPY FROM leaves every row or none") {
    constexpr int kRows = 300000;
    TempDir dir;
    fs::path imports = dir.path() / "imports";
    fs::create_directories(imports);
    std::string csv;
    for (int i = 1; i <= kRows; ++i)
      csv += fmt::format("{},name_{},{},\"x,{}\"\n", i, i, i % 90, i);
    WriteTextFile(imports / "big.csv", csv);
    auto data = dir.path() / "data";
    const std::vector<std::string> flags = {"--import-dir", imports.string()};
    auto server = ServerProcess::Start(data, flags);

    // The moments of the kill: while the server reads the file, right after
    // it appended the commit to the table's segment, and after the answer.
    enum class Moment { kReading, kAppended, kAnswered };
    const std::pair<Moment, std::string> moments[] = {{Moment::kReading, "reading"},
                                                      {Moment::kAppended, "appended"},
                                                      {Moment::kAnswered, "answered"}};
    int table_number = 0;
    for (const auto& [moment, name] : moments) {
      CAPTURE(name);
      std::string table = fmt::format("big{}", ++table_number);
      {
        auto client = Connect(*server);
        REQUIRE(client
                    ->Query(fmt::format("CREATE TABLE {} (id INT PRIMARY KEY, name TEXT, age INT, "
                                        "city TEXT)",
                                        table))
                    .ok());
      }
      std::unique_ptr<FileEvent> event;
      if (moment == Moment::kReading) {
        event = std::make_unique<FileEvent>(imports / "big.csv", IN_ACCESS);
      } else if (moment == Moment::kAppended) {
        event = std::make_unique<FileEvent>(data / "tables" / table, IN_MODIFY);
      }
      bool answered = false;
      std::thread loader([&, table = table] {
        auto client = Client::Connect("127.0.0.1", server->port());
        if (!client.ok()) return;
        auto r = (*client)->Query(fmt::format("COPY {} FROM 'big.csv'", table));
        answered = r.ok() && r->count == kRows;
      });
      if (event) {
        REQUIRE(event->Wait());
      } else {
        loader.join();
        REQUIRE(answered);
      }
      server->Kill();
      if (loader.joinable()) loader.join();

      server = ServerProcess::Start(data, flags);
      auto client = Connect(*server);
      int64_t count = CountRows(*client, table);
      INFO("rows after the restart: " << count);
      CHECK((count == 0 || count == kRows));
      if (answered) CHECK(count == kRows);
    }
  }
}

}  // namespace
}  // namespace kopf
