// backup_load: what a backup costs a running server. Loads a table, then
// runs single-row INSERT clients continuously and, side by side in one run,
// measures their latency for a while without a backup and then while
// BACKUP TO runs. Prints the backup's time and size and both latency
// distributions.
//
//   backup_load [-h HOST] [-p PORT] [--rows N] [--writers N] [--rounds R]
//               [--baseline-seconds S] [--to PREFIX]
//
// Each of R rounds is S seconds without a backup, then BACKUP TO
// 'PREFIX-<round>'. The server must run with --backup-dir; PREFIX defaults
// to "bench-<time>". The table backup_load is dropped and created afresh.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "protocol/client.h"

namespace {

using Clock = std::chrono::steady_clock;
using kopf::protocol::Client;

struct Args {
  std::string host = "127.0.0.1";
  uint16_t port = 5433;
  int64_t rows = 1000000;
  int writers = 2;
  double baseline_seconds = 1;  // quiet window before each backup
  int rounds = 5;
  std::string to;
};

// One INSERT's start time and latency.
struct Sample {
  Clock::time_point start;
  double micros = 0;
};

void Report(const char* name, std::vector<double> micros, double seconds) {
  if (micros.empty()) {
    fmt::print("{:<22} no inserts\n", name);
    return;
  }
  std::sort(micros.begin(), micros.end());
  auto pct = [&](double p) {
    return micros[std::min(micros.size() - 1, static_cast<size_t>(p * micros.size()))];
  };
  fmt::print("{:<22} {:>7} inserts {:>8.0f}/s  p50 {:>8.1f} us  p99 {:>8.1f} us  max {:>9.1f} us\n",
             name, micros.size(), micros.size() / seconds, pct(0.50), pct(0.99), micros.back());
}

std::unique_ptr<Client> ConnectOrDie(const Args& args) {
  auto c = Client::Connect(args.host, args.port);
  if (!c.ok()) {
    fmt::print(stderr, "backup_load: {}\n", c.status().ToString());
    std::exit(2);
  }
  return std::move(c).value();
}

kopf::protocol::QueryResult QueryOrDie(Client& c, const std::string& sql) {
  auto r = c.Query(sql);
  if (!r.ok()) {
    fmt::print(stderr, "backup_load: {}: {}\n", sql.substr(0, 60), r.status().ToString());
    std::exit(1);
  }
  return std::move(r).value();
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      fmt::print(stderr, "backup_load: {} needs a value\n", a);
      return 1;
    }
    const std::string v = argv[++i];
    if (a == "-h") {
      args.host = v;
    } else if (a == "-p") {
      args.port = static_cast<uint16_t>(std::stoi(v));
    } else if (a == "--rows") {
      args.rows = std::stoll(v);
    } else if (a == "--writers") {
      args.writers = std::stoi(v);
    } else if (a == "--baseline-seconds") {
      args.baseline_seconds = std::stod(v);
    } else if (a == "--rounds") {
      args.rounds = std::stoi(v);
    } else if (a == "--to") {
      args.to = v;
    } else {
      fmt::print(stderr, "backup_load: unknown option {}\n", a);
      return 1;
    }
  }
  if (args.to.empty()) {
    args.to = fmt::format("bench-{}", std::chrono::system_clock::now().time_since_epoch().count());
  }

  auto admin = ConnectOrDie(args);
  QueryOrDie(*admin, "DROP TABLE IF EXISTS backup_load");
  QueryOrDie(*admin, "CREATE TABLE backup_load (id INT PRIMARY KEY, writer INT, payload TEXT)");
  const auto load_start = Clock::now();
  constexpr int64_t kBatch = 2000;
  for (int64_t first = 0; first < args.rows; first += kBatch) {
    std::string sql = "INSERT INTO backup_load VALUES ";
    for (int64_t id = first; id < std::min(args.rows, first + kBatch); ++id) {
      sql += fmt::format("{}({}, -1, 'row {} of the initial load')", id == first ? "" : ", ", id,
                         id);
    }
    QueryOrDie(*admin, sql);
  }
  fmt::print("loaded {} rows in {:.1f} s\n", args.rows,
             std::chrono::duration<double>(Clock::now() - load_start).count());

  // Writers insert single rows until told to stop, noting every latency.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<Sample> samples;  // GUARDED_BY(mu)
  std::vector<std::thread> writers;
  for (int w = 0; w < args.writers; ++w) {
    writers.emplace_back([&, w] {
      auto c = ConnectOrDie(args);
      std::vector<Sample> mine;
      for (int64_t n = 0; !stop; ++n) {
        const int64_t id = args.rows + int64_t{w} * 1000000000 + n;
        const auto start = Clock::now();
        QueryOrDie(*c, fmt::format("INSERT INTO backup_load VALUES ({}, {}, 'insert {}')", id, w,
                                   n));
        mine.push_back({start, std::chrono::duration<double, std::micro>(Clock::now() - start)
                                   .count()});
      }
      std::lock_guard lock(mu);
      samples.insert(samples.end(), mine.begin(), mine.end());
    });
  }

  // Rounds of a quiet window then a backup, so both distributions come
  // from the same minutes of the same run.
  struct Window {
    Clock::time_point start, end;
  };
  std::vector<Window> quiet, busy;
  for (int round = 0; round < args.rounds; ++round) {
    const auto quiet_start = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(args.baseline_seconds));
    const auto backup_start = Clock::now();
    quiet.push_back({quiet_start, backup_start});
    auto backup = QueryOrDie(*admin, fmt::format("BACKUP TO '{}-{}'", args.to, round + 1));
    const auto backup_end = Clock::now();
    busy.push_back({backup_start, backup_end});
    const auto& row = backup.rows.at(0);
    fmt::print("backup {}: commit {}, {} files, {:.1f} MiB, {:.3f} s\n", row[0].ToString(),
               row[1].ToString(), row[2].ToString(),
               static_cast<double>(row[3].as_integer()) / (1 << 20),
               std::chrono::duration<double>(backup_end - backup_start).count());
  }
  stop = true;
  for (auto& t : writers) t.join();

  auto collect = [&](const std::vector<Window>& windows, double* seconds) {
    std::vector<double> micros;
    *seconds = 0;
    for (const Window& w : windows) {
      *seconds += std::chrono::duration<double>(w.end - w.start).count();
      for (const Sample& s : samples) {
        if (s.start >= w.start && s.start < w.end) micros.push_back(s.micros);
      }
    }
    return micros;
  };
  double quiet_seconds = 0;
  double busy_seconds = 0;
  std::vector<double> before = collect(quiet, &quiet_seconds);
  std::vector<double> during = collect(busy, &busy_seconds);
  Report("inserts without backup", before, quiet_seconds);
  Report("inserts during backup", during, busy_seconds);
  QueryOrDie(*admin, "DROP TABLE backup_load");
  return 0;
}
