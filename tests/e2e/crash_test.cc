// Durability under a real crash: kill -9 the server while several clients
// stream acknowledged multi-row INSERTs, restart it, and check that every
// acknowledged statement is there and that no statement is half applied.
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "protocol/client.h"
#include "tests/support/test_support.h"

namespace kopf {
namespace {

using protocol::Client;
using testing::ServerProcess;
using testing::TempDir;

constexpr int kWriters = 4;
constexpr int kRowsPerStatement = 10;
constexpr int kCycles = 3;
constexpr int kAcksBeforeKill = 150;

TEST_SUITE("e2e/crash") {
  TEST_CASE("kill -9 during acknowledged multi-row inserts loses nothing and splits nothing") {
    TempDir dir;
    auto data = dir.path() / "data";
    auto server = ServerProcess::Start(data);
    {
      auto c = Client::Connect("127.0.0.1", server->port());
      REQUIRE(c.ok());
      REQUIRE((*c)->Query("CREATE TABLE t (id INT PRIMARY KEY, stmt INT NOT NULL)").ok());
    }
    std::set<int64_t> acknowledged;  // statement numbers, over all cycles
    std::set<int64_t> in_flight;     // sent, not answered when the server died

    for (int cycle = 0; cycle < kCycles; ++cycle) {
      std::mutex mu;
      std::condition_variable cv;
      int acks = 0;
      std::vector<std::thread> writers;
      for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
          auto client = Client::Connect("127.0.0.1", server->port());
          if (!client.ok()) return;
          for (int64_t n = 0;; ++n) {
            int64_t stmt = (int64_t{cycle} * kWriters + w) * 1000000 + n;
            std::string sql = "INSERT INTO t (id, stmt) VALUES ";
            for (int r = 0; r < kRowsPerStatement; ++r) {
              sql += fmt::format("{}({}, {})", r ? ", " : "", stmt * kRowsPerStatement + r, stmt);
            }
            {
              std::lock_guard lock(mu);
              in_flight.insert(stmt);
            }
            auto result = (*client)->Query(sql);
            std::lock_guard lock(mu);
            if (!result.ok()) return;  // the server is gone; stmt stays in flight
            in_flight.erase(stmt);
            acknowledged.insert(stmt);
            ++acks;
            cv.notify_all();
          }
        });
      }
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return acks >= kAcksBeforeKill; });
      }
      server->Kill();
      for (auto& t : writers) t.join();

      server = ServerProcess::Start(data);
      auto client = Client::Connect("127.0.0.1", server->port());
      REQUIRE(client.ok());
      auto rows = (*client)->Query("SELECT stmt, id FROM t");
      REQUIRE_MESSAGE(rows.ok(), rows.status().ToString());
      std::map<int64_t, int> rows_per_stmt;
      for (const auto& row : rows->rows) ++rows_per_stmt[row[0].as_integer()];
      int lost = 0, torn = 0, phantom = 0;
      for (int64_t stmt : acknowledged) lost += rows_per_stmt.count(stmt) == 0;
      for (const auto& [stmt, count] : rows_per_stmt) {
        torn += count != kRowsPerStatement;
        phantom += acknowledged.count(stmt) == 0 && in_flight.count(stmt) == 0;
      }
      INFO("cycle " << cycle << ": " << acknowledged.size() << " acknowledged statements");
      CHECK(lost == 0);
      CHECK(torn == 0);
      CHECK(phantom == 0);
      // A statement in flight at the crash either made it or not; both are
      // fine, but from now on its fate is fixed.
      for (int64_t stmt : in_flight) {
        if (rows_per_stmt.count(stmt)) acknowledged.insert(stmt);
      }
      in_flight.clear();
    }
  }
}

}  // namespace
}  // namespace kopf
