// kopf-slt as a program: spawn mode and connect mode against the real
// kopfd, and the timeouts against a fake server that never answers.
#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol/client.h"
#include "protocol/frame_decoder.h"
#include "protocol/frame_encoder.h"
#include "protocol/message.h"
#include "tests/support/test_support.h"

namespace kopf::slt {
namespace {

using testing::BinaryPath;
using testing::RunProcess;
using testing::TempDir;

const std::string kBasic = std::string(KOPF_SOURCE_DIR) + "/tests/tools/data/slt_basic.test";

std::string WriteFile(const TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = (dir.path() / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string LastLine(const std::string& out) {
  std::string trimmed = out;
  while (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
  return trimmed.substr(trimmed.rfind('\n') + 1);
}

// A server that completes the handshake and answers SHOW TABLES with no
// tables, but never answers any other statement.
class SilentServer {
 public:
  SilentServer() {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(listen(listener_, 8) == 0);
    socklen_t length = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~SilentServer() {
    stop_ = true;
    thread_.join();
    for (int fd : connections_) close(fd);
    close(listener_);
  }
  uint16_t port() const { return port_; }

 private:
  void Serve() {
    std::vector<protocol::FrameDecoder> decoders;
    while (!stop_) {
      std::vector<pollfd> fds = {{listener_, POLLIN, 0}};
      for (int fd : connections_) fds.push_back({fd, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        connections_.push_back(accept(listener_, nullptr, nullptr));
        decoders.emplace_back();
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        char buffer[4096];
        ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
        if (n <= 0) continue;  // closed: the poll keeps reporting it, harmless
        decoders[i - 1].Append(std::string_view(buffer, static_cast<size_t>(n)));
        for (;;) {
          auto next = decoders[i - 1].Next();
          if (!next.ok() || !next->has_value()) break;
          Answer(fds[i].fd, **next);
        }
      }
    }
  }

  void Answer(int fd, const protocol::Envelope& request) {
    std::string frame;
    if (std::holds_alternative<protocol::Hello>(request.message)) {
      protocol::EncodeFrame(
          {7, 0,
           protocol::Welcome{7, protocol::kProtocolMajor, protocol::kProtocolMinor, "silent 0"}},
          &frame);
    } else if (auto* query = std::get_if<protocol::Query>(&request.message);
               query != nullptr && query->sql == "SHOW TABLES") {
      protocol::EncodeFrame(
          {7, request.payload_id, protocol::RowDescription{{{"name", protocol::Type::kText}}}},
          &frame);
      protocol::EncodeFrame({7, request.payload_id, protocol::Complete{"SHOW", 0}}, &frame);
    }
    if (!frame.empty()) (void)!write(fd, frame.data(), frame.size());
  }

  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<int> connections_;  // used by the serving thread only
  std::thread thread_;
};

TEST_SUITE("tools/slt_end_to_end") {
  TEST_CASE("spawn mode runs a file against a fresh kopfd and every record passes") {
    auto result = RunProcess({BinaryPath("kopf-slt"), "--spawn", BinaryPath("kopfd"), kBasic});
    INFO(result.out, result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("slt_basic.test: 11/11 (skipped 2)\n") != std::string::npos);
    CHECK(LastLine(result.out) == "11 passed, 0 failed");
  }

  TEST_CASE("spawn mode gives each file its own database") {
    // The file creates t1, so the second run fails unless t1 is gone.
    auto result = RunProcess(
        {BinaryPath("kopf-slt"), "--spawn", BinaryPath("kopfd"), "--summary", kBasic, kBasic});
    INFO(result.out, result.err);
    CHECK(result.exit_code == 0);
    CHECK(LastLine(result.out) == "22 passed, 0 failed");
    CHECK(result.out.find("mean per-file pass rate: 100.0% over 2 files") != std::string::npos);
  }

  TEST_CASE("failures set the exit status and -v lists them with file and line") {
    TempDir dir;
    std::string path = WriteFile(dir, "mixed.test",
                                 "statement ok\nCREATE TABLE t(a INTEGER)\n\n"
                                 "statement ok\nINSERT INTO t VALUES (1)\n\n"
                                 "query I nosort\nSELECT a + 1 FROM t\n----\n3\n\n"
                                 "query II nosort\nSELECT a FROM t\n----\n1\n1\n\n"
                                 "statement ok\nSELECT * FROM nowhere\n");
    auto result = RunProcess({BinaryPath("kopf-slt"), "--spawn", BinaryPath("kopfd"), "-v", path});
    INFO(result.out, result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.out.find("mixed.test: 2/5\n") != std::string::npos);
    CHECK(result.out.find("mixed.test:7: SELECT a + 1 FROM t\n      expected [3] got [2]") !=
          std::string::npos);
    CHECK(result.out.find("mixed.test:12: SELECT a FROM t\n      expected 2 columns") !=
          std::string::npos);
    CHECK(result.out.find("mixed.test:18: SELECT * FROM nowhere\n      UndefinedTable") !=
          std::string::npos);
    CHECK(LastLine(result.out) == "2 passed, 3 failed");

    auto allowed = RunProcess(
        {BinaryPath("kopf-slt"), "--spawn", BinaryPath("kopfd"), "--allow-failures", path});
    CHECK(allowed.exit_code == 0);
    CHECK(LastLine(allowed.out) == "2 passed, 3 failed");
  }

  TEST_CASE("connect mode drops every table before the first file and after each file") {
    TempDir dir;
    auto server = testing::ServerProcess::Start(dir.path() / "data");
    {
      auto client = protocol::Client::Connect("127.0.0.1", server->port());
      REQUIRE(client.ok());
      REQUIRE((*client)->Query("CREATE TABLE t1(x INTEGER)").ok());
      REQUIRE((*client)->Query("CREATE TABLE \"Odd Name\"(x INTEGER)").ok());
    }
    std::string port = std::to_string(server->port());
    auto result = RunProcess({BinaryPath("kopf-slt"), "-p", port, kBasic, kBasic});
    INFO(result.out, result.err);
    CHECK(result.exit_code == 0);
    CHECK(LastLine(result.out) == "22 passed, 0 failed");
    auto client = protocol::Client::Connect("127.0.0.1", server->port());
    REQUIRE(client.ok());
    auto tables = (*client)->Query("SHOW TABLES");
    REQUIRE(tables.ok());
    CHECK(tables->rows.empty());
  }

  TEST_CASE("a record that gets no answer times out and the file goes on") {
    SilentServer server;
    TempDir dir;
    std::string path = WriteFile(dir, "slow.test",
                                 "statement ok\nCREATE TABLE t(a INTEGER)\n\n"
                                 "query I\nSELECT 1\n----\n1\n");
    auto start = std::chrono::steady_clock::now();
    auto result = RunProcess({BinaryPath("kopf-slt"), "-p", std::to_string(server.port()),
                              "--record-timeout", "0.3", "-v", path});
    auto took = std::chrono::steady_clock::now() - start;
    INFO(result.out, result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.out.find("slow.test: 0/2\n") != std::string::npos);
    CHECK(result.out.find("timeout") != std::string::npos);
    CHECK(LastLine(result.out) == "0 passed, 2 failed");
    CHECK(took < std::chrono::seconds(10));
  }

  TEST_CASE("the file timeout fails the records left without running them") {
    SilentServer server;
    TempDir dir;
    std::string path = WriteFile(dir, "slower.test",
                                 "statement ok\nA\n\nstatement ok\nB\n\nstatement ok\nC\n\n"
                                 "statement ok\nD\n");
    auto result = RunProcess({BinaryPath("kopf-slt"), "-p", std::to_string(server.port()),
                              "--record-timeout", "0.4", "--file-timeout", "0.6", "-v", path});
    INFO(result.out, result.err);
    CHECK(result.exit_code == 1);
    CHECK(LastLine(result.out) == "0 passed, 4 failed");
    CHECK(result.out.find("2 later records failed without running") != std::string::npos);
  }

  TEST_CASE("usage errors exit with status 2") {
    CHECK(RunProcess({BinaryPath("kopf-slt"), kBasic}).exit_code == 2);
    CHECK(RunProcess({BinaryPath("kopf-slt"), "-p", "1", "--spawn", "x", kBasic}).exit_code == 2);
    CHECK(RunProcess({BinaryPath("kopf-slt"), "--spawn", BinaryPath("kopfd")}).exit_code == 2);
    CHECK(RunProcess({BinaryPath("kopf-slt"), "--record-timeout", "zero", "-p", "1", kBasic})
              .exit_code == 2);
  }
}

}  // namespace
}  // namespace kopf::slt
