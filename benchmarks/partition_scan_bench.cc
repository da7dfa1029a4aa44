// partition_scan_bench: what partition pruning saves on a scan.
//
// Loads the same N rows (id, g, name, city; g = id mod 1000) into two
// tables of an in-memory database: `flat`, keyed by id, and `parted`,
// keyed by (id, g) and partitioned BY RANGE (g) into 8 partitions of 125
// g values each; neither key leads with g, so every query scans. Then
// times, through the engine (parse, plan, execute),
//
//   flat      SELECT count(*) FROM flat   WHERE g BETWEEN 250 AND 374
//   pruned    SELECT count(*) FROM parted WHERE g BETWEEN 250 AND 374
//   unpruned  SELECT count(*) FROM parted WHERE g + 0 BETWEEN 250 AND 374
//
// each matching 1/8 of the rows: `pruned` walks one partition, the others
// every row (`g + 0` is a condition the planner does not prune by, and
// costs an addition per row more). Then point reads by key, `SELECT name
// FROM <table> WHERE id = K AND g = K % 1000` on both tables (on `parted`
// one partition, one B+Tree descent), blocks of 2,000 alternating, the
// median block's time per read. The three alternate, round after round, so load from other
// processes hits them alike; prints the median per query and the ratios.
//
//   build/bin/partition_scan_bench [--rows N] [--rounds R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "cerebellum/engine.h"
#include "cerebrum/database.h"

namespace {

using kopf::cerebellum::Engine;
using kopf::cerebrum::Change;
using kopf::cerebrum::Database;
using kopf::protocol::Value;

void Run(Engine& engine, std::string_view sql, int64_t expected) {
  auto r = engine.ExecuteNow(sql);
  if (!r.ok() || (expected >= 0 && r->rows.at(0).at(0).as_integer() != expected)) {
    std::fprintf(stderr, "partition_scan_bench: %.*s: %s\n", static_cast<int>(sql.size()),
                 sql.data(), r.ok() ? "unexpected count" : r.status().ToString().c_str());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 1000000;
  int rounds = 15;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--rows") {
      rows = std::max<int64_t>(8000, std::atoll(argv[i + 1]));
    } else if (flag == "--rounds") {
      rounds = std::max(1, std::atoi(argv[i + 1]));
    } else {
      std::fprintf(stderr, "usage: partition_scan_bench [--rows N] [--rounds R]\n");
      return 2;
    }
  }
  kopf::cerebrum::Options options;
  options.storage = kopf::cerebrum::StorageMode::kMemory;
  auto db_result = Database::Open(options);
  if (!db_result.ok()) return 1;
  std::unique_ptr<Database> db = std::move(db_result).value();
  kopf::cerebellum::Options engine_options;
  engine_options.worker_threads = 1;
  Engine engine(db.get(), engine_options);

  Run(engine, "CREATE TABLE flat (id INT PRIMARY KEY, g INT, name TEXT, city TEXT)", -1);
  std::string parted =
      "CREATE TABLE parted (id INT, g INT, name TEXT, city TEXT, PRIMARY KEY (id, g)) "
      "PARTITION BY RANGE (g) (";
  for (int p = 0; p < 8; ++p) {
    parted += p < 7 ? fmt::format("PARTITION p{} VALUES LESS THAN ({}), ", p, (p + 1) * 125)
                    : "PARTITION p7 VALUES LESS THAN (MAXVALUE))";
  }
  Run(engine, parted, -1);
  for (const char* name : {"flat", "parted"}) {
    auto table = db->FindTable(name);
    std::vector<Change> batch;
    for (int64_t id = 0; id < rows; ++id) {
      batch.push_back({Change::Kind::kInsert,
                       {},
                       {Value::Integer(id), Value::Integer(id % 1000),
                        Value::Text(fmt::format("name{}", id)), Value::Text("Berlin")},
                       0});
      if (batch.size() == 10000 || id + 1 == rows) {
        if (!table->Commit(table->LockExclusive(), std::move(batch)).ok()) return 1;
        batch.clear();
      }
    }
  }

  const int64_t expected = rows / 1000 * 125 + std::clamp<int64_t>(rows % 1000 - 250, 0, 125);
  const std::string queries[3] = {"SELECT count(*) FROM flat WHERE g BETWEEN 250 AND 374",
                                  "SELECT count(*) FROM parted WHERE g BETWEEN 250 AND 374",
                                  "SELECT count(*) FROM parted WHERE g + 0 BETWEEN 250 AND 374"};
  const char* names[3] = {"flat (full scan)", "parted, pruned to 1 of 8", "parted, not pruned"};
  std::vector<double> ms[3];
  for (int r = 0; r < rounds; ++r) {
    for (int q = 0; q < 3; ++q) {
      auto start = std::chrono::steady_clock::now();
      Run(engine, queries[q], expected);
      ms[q].push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
    }
  }
  std::printf("count(*) of %lld matching rows out of %lld, median of %d alternating rounds\n",
              static_cast<long long>(expected), static_cast<long long>(rows), rounds);
  double median[3];
  for (int q = 0; q < 3; ++q) {
    std::sort(ms[q].begin(), ms[q].end());
    median[q] = ms[q][ms[q].size() / 2];
    std::printf("  %-28s %9.2f ms  (%s)\n", names[q], median[q], queries[q].c_str());
  }
  std::printf("  pruned is %.1fx faster than the flat table's scan, %.1fx than the unpruned one\n",
              median[0] / median[1], median[2] / median[1]);

  constexpr int kBlock = 2000;
  std::vector<double> us[2];
  uint64_t next = 1;
  for (int r = 0; r < rounds; ++r) {
    for (int t = 0; t < 2; ++t) {
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < kBlock; ++i) {
        const int64_t id =
            static_cast<int64_t>((next++ * 2654435761u) % static_cast<uint64_t>(rows));
        auto result = engine.ExecuteNow(fmt::format("SELECT name FROM {} WHERE id = {} AND g = {}",
                                                    t == 0 ? "flat" : "parted", id, id % 1000));
        if (!result.ok() || result->rows.size() != 1) return 1;
      }
      us[t].push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
              .count() /
          kBlock);
    }
  }
  for (auto& v : us) std::sort(v.begin(), v.end());
  const double flat_us = us[0][us[0].size() / 2], parted_us = us[1][us[1].size() / 2];
  std::printf("point read by key (parse, plan, execute): flat %.2f us, parted %.2f us (%.2fx)\n",
              flat_us, parted_us, parted_us / flat_us);
  return 0;
}
