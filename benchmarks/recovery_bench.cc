// recovery_bench: how fast Database::Open rebuilds tables from disk.
//
// Creates N rows of a 4-column table (id INT PRIMARY KEY, name TEXT, age
// INT, city TEXT) through the cerebrum API in a temporary folder, closes
// the database, and times reopening it twice: from segments only, and after
// COMPACT (from a snapshot). Then the same rows split over several tables,
// to show recovery running tables in parallel, and in one table of
// --partitions hash partitions (on id), written by the same commits, each
// one a multi-part commit. Prints rows/s (median of --runs reopenings) for
// each.
//
//   build/bin/recovery_bench [--rows N] [--tables T] [--partitions P] [--runs R] [--dir PATH]
//                            [--keep 1]
//
// --keep 1 measures segments only, leaves the data in --dir and, when it is
// there already, reuses it (to profile the reopening alone: run once, then
// under perf).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <time.h>

#include "benchmarks/people_table.h"
#include "cerebrum/database.h"

namespace {

using kopf::cerebrum::Change;
using kopf::cerebrum::Database;
using kopf::cerebrum::Options;
using kopf::protocol::Value;
namespace fs = std::filesystem;

using kopf::benchmarks::PeopleSchema;
using kopf::benchmarks::PersonRow;

std::unique_ptr<Database> OpenOrDie(const Options& options) {
  auto db = Database::Open(options);
  if (!db.ok()) {
    std::fprintf(stderr, "recovery_bench: %s\n", db.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(db).value();
}

// Fills `tables` tables with `rows` rows in all, in commits of 10,000 rows
// (keys in a scattered order, as real inserts come), then updates every
// tenth row once so the segments hold some history. `partitions` > 0 makes
// each table hash partitioned on id.
void Fill(const Options& options, uint64_t rows, int tables, int partitions) {
  auto db = OpenOrDie(options);
  for (int t = 0; t < tables; ++t) {
    std::string name = fmt::format("people{}", t);
    kopf::cerebrum::TableSchema schema = PeopleSchema(name);
    if (partitions > 0) {
      schema.partitioning.kind = kopf::cerebrum::PartitionSpec::Kind::kHash;
      schema.partitioning.column = 0;
      for (int p = 0; p < partitions; ++p) {
        schema.partitioning.partitions.push_back({fmt::format("p{}", p), std::nullopt});
      }
    }
    if (!db->CreateTable(schema).ok()) std::exit(1);
    auto table = db->FindTable(name);
    const uint64_t n = rows / static_cast<uint64_t>(tables);
    std::vector<Change> batch;
    auto flush = [&] {
      auto r = table->Commit(table->LockExclusive(), std::move(batch));
      if (!r.ok()) {
        std::fprintf(stderr, "recovery_bench: %s\n", r.status().ToString().c_str());
        std::exit(1);
      }
      batch.clear();
    };
    for (uint64_t i = 0; i < n; ++i) {
      int64_t id = static_cast<int64_t>((i * 2654435761u) % n);
      batch.push_back({Change::Kind::kInsert, {}, PersonRow(id)});
      if (batch.size() == 10000) flush();
    }
    if (!batch.empty()) flush();
    for (uint64_t id = 0; id < n; id += 10) {
      batch.push_back({Change::Kind::kUpdate,
                       {Value::Integer(static_cast<int64_t>(id))},
                       {Value::Integer(static_cast<int64_t>(id)), Value::Text("renamed"),
                        Value::Integer(99), Value::Text("Bern")}});
      if (batch.size() == 10000) flush();
    }
    if (!batch.empty()) flush();
  }
}

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Timing {
  double wall = 0;  // seconds
  double cpu = 0;   // seconds of CPU over all threads
};

// Median timings of `runs` reopenings; checks the row count each time.
Timing TimeOpen(const Options& options, int runs, uint64_t expected_rows) {
  std::vector<Timing> timings;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    double cpu_start = CpuSeconds();
    auto db = OpenOrDie(options);
    Timing t{std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
             CpuSeconds() - cpu_start};
    uint64_t total = 0;
    for (const std::string& name : db->TableNames()) total += db->FindTable(name)->row_count();
    if (total != expected_rows) {
      std::fprintf(stderr, "recovery_bench: %llu rows recovered, expected %llu\n",
                   static_cast<unsigned long long>(total),
                   static_cast<unsigned long long>(expected_rows));
      std::exit(1);
    }
    timings.push_back(t);
  }
  std::sort(timings.begin(), timings.end(),
            [](const Timing& a, const Timing& b) { return a.wall < b.wall; });
  return timings[timings.size() / 2];
}

uint64_t FolderBytes(const fs::path& dir) {
  uint64_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) bytes += e.file_size();
  }
  return bytes;
}

// Wall-clock rows/s, and rows per CPU second (what one idle core gives:
// this machine's cores are shared, so wall time swings with the load).
void Report(std::string_view what, uint64_t rows, Timing t, uint64_t bytes) {
  std::printf("%-52s %7.3f s %10.0f rows/s | cpu %7.3f s %10.0f rows/cpu-s | %6.1f MiB\n",
              std::string(what).c_str(), t.wall, static_cast<double>(rows) / t.wall, t.cpu,
              static_cast<double>(rows) / t.cpu, static_cast<double>(bytes) / (1 << 20));
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t rows = 1000000;
  int tables = 4;
  int partitions = 8;
  int runs = 3;
  bool keep = false;
  fs::path dir = fs::temp_directory_path() / fmt::format("kopf-recovery-bench-{}", ::getpid());
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--rows") {
      rows = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--tables") {
      tables = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--partitions") {
      partitions = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--runs") {
      runs = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--keep") {
      keep = std::atoi(argv[i + 1]) != 0;
    } else if (flag == "--dir") {
      dir = argv[i + 1];
    } else {
      std::fprintf(stderr,
                   "usage: recovery_bench [--rows N] [--tables T] [--partitions P] [--runs R] "
                   "[--dir P]\n");
      return 2;
    }
  }
  if (!keep) fs::remove_all(dir);
  Options options;
  options.sync = kopf::cerebrum::SyncMode::kNone;  // loading speed is not what is measured
  options.compact_dead_fraction = 0;
  options.compact_max_segments = 0;
  const uint64_t rows_per_table[3] = {
      rows, rows / static_cast<uint64_t>(tables) * static_cast<uint64_t>(tables), rows};
  std::printf("recovery of %llu rows (4 columns), median of %d runs\n",
              static_cast<unsigned long long>(rows), runs);
  // Layouts: one table; `tables` tables; one table of `partitions`
  // partitions (recovered in parallel like tables).
  for (int layout = 0; layout < 3; ++layout) {
    const int t = layout == 1 ? tables : 1;
    const int p = layout == 2 ? partitions : 0;
    options.data_dir = dir / fmt::format("t{}p{}", t, p);
    const bool reuse = keep && fs::exists(options.data_dir);
    if (!reuse) Fill(options, rows_per_table[layout], t, p);
    // Times reopening with one recovery thread and (for several tables)
    // one per core.
    auto report = [&](std::string_view source) {
      for (unsigned threads : {1u, 0u}) {
        if (t == 1 && p == 0 && threads == 0) continue;
        options.recovery_threads = threads;
        const std::string thread_text = threads == 0 ? std::string("all") : std::to_string(threads);
        std::string how =
            p > 0   ? fmt::format("1 table, {} partitions, {} thread(s)", p, thread_text)
            : t == 1 ? "1 table"
                     : fmt::format("{} tables, {} thread(s)", t, thread_text);
        Report(fmt::format("{}, {}", source, how), rows_per_table[layout],
               TimeOpen(options, runs, rows_per_table[layout]), FolderBytes(options.data_dir));
      }
    };
    report("segments only");
    if (keep) continue;  // segments only, for profiling
    {
      auto db = OpenOrDie(options);
      for (const std::string& name : db->TableNames()) {
        if (!db->CompactTable(name).ok()) return 1;
      }
    }
    report("snapshot");
  }
  if (!keep) fs::remove_all(dir);
  return 0;
}
