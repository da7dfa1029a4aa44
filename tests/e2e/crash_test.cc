// Durability under a real crash: kill -9 the server while several clients
// stream acknowledged writes, restart it, and check that every
// acknowledged statement is there and that no statement is half applied.
//
// The second and third cases run with tiny segments, so rollover happens
// all the time and compaction (background and COMPACT TABLE) runs
// alongside the writes; the third on a table of 4 hash partitions, where
// most statements are multi-part commits. They do a few cycles in CI; set
// KOPF_CRASH_CYCLES for more:
//   KOPF_CRASH_CYCLES=60 build/bin/e2e_tests -tc='*rollover*'
//   KOPF_CRASH_CYCLES=60 build/bin/e2e_tests -tc='*multi-partition*'
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <random>
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

TEST_SUITE("e2e/crash") {
  // Prepared single-row INSERTs are appended on the server's network thread
  // and answered from the end of their fsync round, unless their segment
  // is full: tiny segments make both paths run, and the rollovers between.
  TEST_CASE("kill -9 during prepared single-row inserts on eight connections loses nothing") {
    constexpr int kConnections = 8;
    TempDir dir;
    auto data = dir.path() / "data";
    const std::vector<std::string> args = {"--segment-max-bytes", "4096"};
    auto server = ServerProcess::Start(data, args);
    REQUIRE(testing::Connect(*server)->Query("CREATE TABLE t (id INT PRIMARY KEY, w INT)").ok());
    std::set<int64_t> acknowledged;
    for (int cycle = 0; cycle < 2; ++cycle) {
      std::mutex mu;
      std::condition_variable cv;
      std::set<int64_t> sent;
      int acks = 0;
      std::vector<std::thread> writers;
      for (int w = 0; w < kConnections; ++w) {
        writers.emplace_back([&, w] {
          auto client = Client::Connect("127.0.0.1", server->port());
          if (!client.ok()) return;
          auto insert = (*client)->Prepare("INSERT INTO t VALUES ($1, $2)");
          if (!insert.ok()) return;
          for (int64_t n = 0;; ++n) {
            const int64_t id = (int64_t{cycle} * kConnections + w) * 1000000 + n;
            {
              std::lock_guard lock(mu);
              sent.insert(id);
            }
            auto result = (*client)->Execute(
                *insert, protocol::Row{protocol::Value::Integer(id), protocol::Value::Integer(w)});
            std::lock_guard lock(mu);
            if (!result.ok()) return;  // the server is gone
            acknowledged.insert(id);
            ++acks;
            cv.notify_all();
          }
        });
      }
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return acks >= kAcksBeforeKill * 2; });
      }
      server->Kill();
      for (auto& t : writers) t.join();

      server = ServerProcess::Start(data, args);
      auto rows = testing::Connect(*server)->Query("SELECT id FROM t");
      REQUIRE_MESSAGE(rows.ok(), rows.status().ToString());
      std::set<int64_t> found;
      for (const auto& row : rows->rows) found.insert(row[0].as_integer());
      int lost = 0, phantom = 0;
      for (int64_t id : acknowledged) lost += found.count(id) == 0;
      for (int64_t id : found) phantom += acknowledged.count(id) == 0 && sent.count(id) == 0;
      INFO("cycle " << cycle << ": " << acknowledged.size() << " acknowledged inserts");
      CHECK(lost == 0);
      CHECK(phantom == 0);
      acknowledged = std::move(found);  // an insert in flight at the kill is settled now
    }
    // A graceful stop reports how the commits shared their fsyncs: this
    // server ran one commit (the SELECT above needs none).
    REQUIRE(testing::Connect(*server)->Query("INSERT INTO t VALUES (-1, -1)").ok());
    CHECK(server->Stop() == 0);
    std::string log = testing::ReadTextFile(server->log_path());
    CHECK_MESSAGE(log.find("group commit: 1 commits in 1 fsync rounds (1.00 per round") !=
                      std::string::npos,
                  log);
  }
}

// The active segment of table `name` (the manifest's last line) and its
// bytes.
std::string ActiveSegment(const std::filesystem::path& data, const std::string& name) {
  auto folder = data / "tables" / name;
  std::ifstream manifest(folder / "manifest.csv");
  std::string line, last;
  while (std::getline(manifest, line)) last = line;
  std::ifstream in(folder / last.substr(last.find(',') + 1), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_SUITE("e2e/crash") {
  TEST_CASE("kill -9 while the active segment has unused preallocated space loses nothing") {
    TempDir dir;
    auto data = dir.path() / "data";
    auto server = ServerProcess::Start(data);
    int64_t next = 0;
    auto insert_rows = [&](int count) {
      auto client = testing::Connect(*server);
      for (int i = 0; i < count; ++i, ++next) {
        REQUIRE(client->Query(fmt::format("INSERT INTO t VALUES ({}, 'row {}')", next, next)).ok());
      }
    };
    REQUIRE(testing::Connect(*server)->Query("CREATE TABLE t (id INT PRIMARY KEY, v TEXT)").ok());
    for (int cycle = 0; cycle < 2; ++cycle) {
      insert_rows(50);
      // Acknowledged commits, then zeros written ahead of them: the state a
      // crash must cope with.
      std::string before = ActiveSegment(data, "t");
      REQUIRE(before.ends_with('\0'));
      const size_t committed = before.find_last_not_of('\0') + 1;
      CHECK(before.substr(0, committed).ends_with(",commit,,\n"));
      server->Kill();
      CHECK(ActiveSegment(data, "t") == before);  // kill -9 leaves the file as it was

      server = ServerProcess::Start(data);
      auto rows = testing::Connect(*server)->Query("SELECT count(*), max(id) FROM t");
      REQUIRE_MESSAGE(rows.ok(), rows.status().ToString());
      CHECK(rows->rows[0][0].as_integer() == next);
      CHECK(rows->rows[0][1].as_integer() == next - 1);
      // Recovery cut the zeros off silently: the file is plain CSV again,
      // and the next commits follow the last one.
      CHECK(ActiveSegment(data, "t") == before.substr(0, committed));
      std::ifstream log(server->log_path());
      std::string logged(std::istreambuf_iterator<char>(log), {});
      CHECK(logged.find("discarding") == std::string::npos);
    }
    insert_rows(1);
    CHECK(server->Stop() == 0);
    // A graceful stop leaves no zeros either.
    std::string after = ActiveSegment(data, "t");
    CHECK(after.ends_with(",commit,,\n"));
    CHECK(after.find('\0') == std::string::npos);
  }
}

// One writer's keys and what it knows of them. Writers own disjoint key
// ranges, so each one's model is exact without coordination.
struct WriterModel {
  std::map<int64_t, int64_t> rows;  // key -> v, as acknowledged
  // The statement in flight when the server died: the state of its keys
  // if it was applied (nullopt: deleted).
  std::map<int64_t, std::optional<int64_t>> in_flight;
  int64_t acked = 0;
};

// Builds the next random statement of writer `w` over its keys
// [w * 1000, w * 1000 + kKeys): an INSERT of absent keys, an UPDATE or a
// DELETE of present ones, 1..4 keys each. Returns the SQL and fills
// `*after` with the touched keys' intended state.
std::string NextStatement(int w, int64_t stmt, const WriterModel& m, std::mt19937_64* rng,
                          std::map<int64_t, std::optional<int64_t>>* after) {
  constexpr int64_t kKeys = 60;
  after->clear();
  const int kind = static_cast<int>((*rng)() % 3);
  const int want = 1 + static_cast<int>((*rng)() % 4);
  std::vector<int64_t> keys;
  for (int tries = 0; tries < 40 && static_cast<int>(keys.size()) < want; ++tries) {
    int64_t k = w * 1000 + static_cast<int64_t>((*rng)() % kKeys);
    bool present = m.rows.contains(k);
    if ((kind == 0) == present || after->contains(k)) continue;
    keys.push_back(k);
    (*after)[k] = kind == 2 ? std::nullopt : std::optional<int64_t>(stmt);
  }
  if (keys.empty()) {  // nothing fits: insert-or-nothing on a free key
    return "SELECT 1";
  }
  std::string list;
  for (size_t i = 0; i < keys.size(); ++i) list += fmt::format("{}{}", i ? ", " : "", keys[i]);
  if (kind == 0) {
    std::string values;
    for (size_t i = 0; i < keys.size(); ++i) {
      values += fmt::format("{}({}, {}, 'w{} s{}')", i ? ", " : "", keys[i], stmt, w, stmt);
    }
    return "INSERT INTO kv (k, v, note) VALUES " + values;
  }
  if (kind == 1) return fmt::format("UPDATE kv SET v = {} WHERE k IN ({})", stmt, list);
  return fmt::format("DELETE FROM kv WHERE k IN ({})", list);
}

int CrashCycles() {
  const char* env = std::getenv("KOPF_CRASH_CYCLES");
  int n = env != nullptr ? std::atoi(env) : 0;
  return n > 0 ? n : 4;
}

// Kills the server again and again while writers run random statements on
// `kv` (made by `create`) and COMPACT TABLE runs; after each restart checks
// the rows against what was acknowledged. `files` is the folder whose
// manifest.csv must show that rollover and compaction happened: a snapshot,
// and no longer `retired` (the start of a segment name).
void RunMixedWriteCrashCycles(const std::string& create, const std::filesystem::path& files,
                              const std::string& retired) {
  {
    constexpr int kMixedWriters = 4;
    const int cycles = CrashCycles();
    const std::vector<std::string> args = {"--segment-max-bytes", "1500", "--compact-max-segments",
                                           "3"};
    TempDir dir;
    auto data = dir.path() / "data";
    auto server = ServerProcess::Start(data, args);
    {
      auto c = Client::Connect("127.0.0.1", server->port());
      REQUIRE(c.ok());
      REQUIRE((*c)->Query(create).ok());
    }
    std::vector<WriterModel> models(kMixedWriters);
    std::mt19937_64 rng(std::random_device{}());
    int64_t compactions = 0;
    int64_t total_acked = 0;
    for (int cycle = 0; cycle < cycles; ++cycle) {
      std::mutex mu;
      std::condition_variable cv;
      int acks = 0;
      const int kill_after = 40 + static_cast<int>(rng() % 260);
      std::atomic<bool> server_gone{false};
      std::vector<std::thread> threads;
      for (int w = 0; w < kMixedWriters; ++w) {
        threads.emplace_back([&, w, seed = rng()] {
          std::mt19937_64 wrng(seed);
          WriterModel& m = models[w];
          auto client = Client::Connect("127.0.0.1", server->port());
          if (!client.ok()) return;
          for (int64_t n = 0;; ++n) {
            const int64_t stmt = (int64_t{cycle} * kMixedWriters + w) * 1000000 + n + 1;
            std::map<int64_t, std::optional<int64_t>> after;
            std::string sql = NextStatement(w, stmt, m, &wrng, &after);
            m.in_flight = after;
            auto result = (*client)->Query(sql);
            if (!result.ok()) return;  // the server is gone; in_flight stays
            m.in_flight.clear();
            for (const auto& [k, v] : after) {
              if (v) {
                m.rows[k] = *v;
              } else {
                m.rows.erase(k);
              }
            }
            ++m.acked;
            std::lock_guard lock(mu);
            ++acks;
            cv.notify_all();
          }
        });
      }
      threads.emplace_back([&] {  // COMPACT TABLE now and then
        auto client = Client::Connect("127.0.0.1", server->port());
        if (!client.ok()) return;
        while (!server_gone.load()) {
          auto r = (*client)->Query("COMPACT TABLE kv");
          if (!r.ok()) return;
          // Let some writes through before compacting again.
          std::unique_lock lock(mu);
          ++compactions;
          const int target = acks + 25;
          cv.wait(lock, [&] { return acks >= target || server_gone.load(); });
        }
      });
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return acks >= kill_after; });
      }
      server->Kill();
      {
        std::lock_guard lock(mu);
        server_gone.store(true);
      }
      cv.notify_all();
      for (auto& t : threads) t.join();

      server = ServerProcess::Start(data, args);
      auto client = Client::Connect("127.0.0.1", server->port());
      REQUIRE(client.ok());
      auto rows = (*client)->Query("SELECT k, v FROM kv");
      REQUIRE_MESSAGE(rows.ok(), rows.status().ToString());
      std::vector<std::map<int64_t, int64_t>> found(kMixedWriters);
      for (const auto& row : rows->rows) {
        int64_t k = row[0].as_integer();
        REQUIRE(k / 1000 < kMixedWriters);
        found[k / 1000][k] = row[1].as_integer();
      }
      int lost = 0, torn = 0;
      for (int w = 0; w < kMixedWriters; ++w) {
        WriterModel& m = models[w];
        // The statement in flight was applied whole or not at all.
        int applied = 0;
        for (const auto& [k, v] : m.in_flight) {
          auto it = found[w].find(k);
          std::optional<int64_t> now =
              it == found[w].end() ? std::nullopt : std::optional<int64_t>(it->second);
          applied += now == v;
        }
        if (applied == static_cast<int>(m.in_flight.size())) {
          for (const auto& [k, v] : m.in_flight) {
            if (v) {
              m.rows[k] = *v;
            } else {
              m.rows.erase(k);
            }
          }
        } else if (applied != 0) {
          ++torn;
        }
        m.in_flight.clear();
        lost += found[w] != m.rows;
      }
      INFO("cycle " << cycle << " after " << kill_after << " acknowledged statements");
      CHECK(torn == 0);
      CHECK(lost == 0);
    }
    for (const WriterModel& m : models) total_acked += m.acked;
    MESSAGE(cycles << " crash cycles, " << total_acked << " acknowledged statements, "
                   << compactions << " COMPACT TABLE, zero lost or torn");
    // Rollover and compaction really happened: the manifest starts with a
    // snapshot, and segments were numbered past the first.
    std::ifstream in(data / files / "manifest.csv");
    std::string manifest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(manifest);
    CHECK(manifest.find("\nsnapshot,snapshot-") != std::string::npos);
    CHECK(manifest.find(retired) == std::string::npos);
  }
}

TEST_SUITE("e2e/crash") {
  TEST_CASE("kill -9 during mixed writes with constant rollover and compaction loses nothing") {
    RunMixedWriteCrashCycles("CREATE TABLE kv (k INT PRIMARY KEY, v INT NOT NULL, note TEXT)",
                             std::filesystem::path("tables") / "kv", "segment-00000");
  }

  // The same on a partitioned table: most statements touch 1 to 4 keys of
  // 4 partitions, so they are multi-part commits, and each partition rolls
  // over and compacts on its own. No statement may be half applied.
  TEST_CASE("kill -9 during multi-partition writes loses nothing and splits nothing") {
    RunMixedWriteCrashCycles(
        "CREATE TABLE kv (k INT PRIMARY KEY, v INT NOT NULL, note TEXT) "
        "PARTITION BY HASH (k) PARTITIONS 4",
        std::filesystem::path("tables") / "kv" / "p0", "segment-000001.csv");
  }
}

}  // namespace
}  // namespace kopf
