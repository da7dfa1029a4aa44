// compaction_bench: what a running compaction costs readers and writers.
//
// Loads N rows of a 4-column table (id INT PRIMARY KEY, name TEXT, age INT,
// city TEXT) through the cerebrum API, then measures, side by side in one
// run, the latency of point reads by primary key (shared lock + lookup)
// and of single-row inserts (Table::Commit) on two threads for --seconds
// each:
//   idle        no compaction
//   compacting  a third thread runs Table::Compact back to back
// and prints p50 / p99 / max and the operation count of each.
//
//   build/bin/compaction_bench [--rows N] [--seconds S] [--sync 0|1] [--dir PATH]
//
// --sync 1 fsyncs every insert (the server's default), which makes insert
// latency mostly the disk's; the default 0 isolates the cost of locking
// and CPU sharing.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "benchmarks/people_table.h"
#include "cerebrum/database.h"

namespace {

using kopf::cerebrum::Change;
using kopf::cerebrum::Database;
using kopf::cerebrum::Options;
using kopf::cerebrum::Table;
using kopf::protocol::Value;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

using kopf::benchmarks::PeopleSchema;
using kopf::benchmarks::PersonRow;

void Die(const kopf::protocol::Status& s) {
  std::fprintf(stderr, "compaction_bench: %s\n", s.ToString().c_str());
  std::exit(1);
}

struct Latencies {
  std::vector<double> micros;
  std::string Summary() {
    if (micros.empty()) return "no operations";
    std::sort(micros.begin(), micros.end());
    auto at = [&](double q) { return micros[static_cast<size_t>(q * (micros.size() - 1))]; };
    return fmt::format("p50 {:8.1f} us   p99 {:8.1f} us   max {:9.1f} us   ({} ops)", at(0.5),
                       at(0.99), micros.back(), micros.size());
  }
};

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

// Runs the reader and the inserter for `seconds`, with compactions back to
// back on a third thread when `compact` is set.
void Measure(Database& db, Table& table, int64_t rows, int64_t* next_id, double seconds,
             bool compact, const char* label) {
  std::atomic<bool> stop{false};
  Latencies reads, inserts;
  int compactions = 0;
  std::thread reader([&] {
    uint64_t x = 88172645463325252ull;
    while (!stop.load(std::memory_order_relaxed)) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      Value key = Value::Integer(static_cast<int64_t>(x % static_cast<uint64_t>(rows)));
      auto start = Clock::now();
      {
        auto lock = table.LockShared();
        if (table.rows().Find(std::vector<Value>{key}) == nullptr)
          Die(kopf::protocol::Status::Internal("row missing"));
      }
      reads.micros.push_back(MicrosSince(start));
    }
  });
  std::thread inserter([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      auto start = Clock::now();
      auto r = table.Commit(table.LockExclusive(),
                            {{Change::Kind::kInsert, {}, PersonRow((*next_id)++)}});
      if (!r.ok()) Die(r.status());
      inserts.micros.push_back(MicrosSince(start));
    }
  });
  std::thread compactor([&] {
    while (compact && !stop.load()) {
      auto r = db.CompactTable("people");
      if (!r.ok()) Die(r.status());
      ++compactions;
    }
  });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the measuring window
  stop.store(true);
  reader.join();
  inserter.join();
  compactor.join();
  std::printf("%-11s point read  %s\n", label, reads.Summary().c_str());
  std::printf("%-11s insert      %s\n", label, inserts.Summary().c_str());
  if (compact)
    std::printf("%-11s %d compactions of ~%lld rows\n", label, compactions,
                static_cast<long long>(rows));
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 1000000;
  double seconds = 5;
  bool sync = false;
  fs::path dir = fs::temp_directory_path() / fmt::format("kopf-compaction-bench-{}", ::getpid());
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--rows") {
      rows = std::max<int64_t>(1, std::atoll(argv[i + 1]));
    } else if (flag == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (flag == "--sync") {
      sync = std::atoi(argv[i + 1]) != 0;
    } else if (flag == "--dir") {
      dir = argv[i + 1];
    } else {
      std::fprintf(stderr,
                   "usage: compaction_bench [--rows N] [--seconds S] [--sync 0|1] [--dir P]\n");
      return 2;
    }
  }
  fs::remove_all(dir);
  Options options;
  options.data_dir = dir;
  options.sync = sync ? kopf::cerebrum::SyncMode::kAlways : kopf::cerebrum::SyncMode::kNone;
  options.compact_dead_fraction = 0;  // only the compactions this program starts
  options.compact_max_segments = 0;
  auto opened = Database::Open(options);
  if (!opened.ok()) Die(opened.status());
  auto db = std::move(opened).value();
  if (auto s = db->CreateTable(PeopleSchema("people")); !s.ok()) Die(s);
  auto table = db->FindTable("people");
  std::vector<Change> batch;
  for (int64_t id = 0; id < rows; ++id) {
    batch.push_back({Change::Kind::kInsert, {}, PersonRow(id)});
    if (batch.size() == 10000 || id + 1 == rows) {
      auto r = table->Commit(table->LockExclusive(), std::move(batch));
      if (!r.ok()) Die(r.status());
      batch.clear();
    }
  }
  std::printf("%lld rows, %.1f s per phase, sync %s\n", static_cast<long long>(rows), seconds,
              sync ? "on" : "off");
  int64_t next_id = rows;
  Measure(*db, *table, rows, &next_id, seconds, /*compact=*/false, "idle");
  Measure(*db, *table, rows, &next_id, seconds, /*compact=*/true, "compacting");
  Measure(*db, *table, rows, &next_id, seconds, /*compact=*/false, "idle again");
  db.reset();
  fs::remove_all(dir);
  return 0;
}
