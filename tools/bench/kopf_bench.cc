// kopf-bench: a first load generator. One connection, one statement at a
// time: N single-row INSERTs into a fresh table, then N point SELECTs by
// primary key in random order. Prints throughput and latency percentiles.
//
//   kopf-bench [-h HOST] [-p PORT] [-n ROWS] [--table NAME]
//
// It creates (and at the end drops) its own table, so it can run against a
// server holding other data.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "protocol/client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string host = "127.0.0.1";
  uint16_t port = 5433;
  int rows = 100000;
  std::string table = "kopf_bench";
};

void Report(const char* name, std::vector<double>& micros, double seconds) {
  std::sort(micros.begin(), micros.end());
  auto pct = [&](double p) {
    return micros[std::min(micros.size() - 1, static_cast<size_t>(p * micros.size()))];
  };
  fmt::print("{:<28} {:>9} ops  {:>10.0f} ops/s  p50 {:>7.1f} us  p99 {:>7.1f} us  p99.9 {:>7.1f} us\n",
             name, micros.size(), micros.size() / seconds, pct(0.50), pct(0.99), pct(0.999));
}

bool Run(kopf::protocol::Client& client, const std::string& sql, std::vector<double>* micros) {
  auto start = Clock::now();
  auto r = client.Query(sql);
  auto end = Clock::now();
  if (!r.ok()) {
    fmt::print(stderr, "kopf-bench: {}: {}\n", sql, r.status().ToString());
    return false;
  }
  if (micros) micros->push_back(std::chrono::duration<double, std::micro>(end - start).count());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "kopf-bench: {} needs a value\n", a);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "-h") args.host = value();
    else if (a == "-p") args.port = static_cast<uint16_t>(std::stoi(value()));
    else if (a == "-n") args.rows = std::stoi(value());
    else if (a == "--table") args.table = value();
    else {
      fmt::print(stderr, "usage: kopf-bench [-h HOST] [-p PORT] [-n ROWS] [--table NAME]\n");
      return 2;
    }
  }
  auto connected = kopf::protocol::Client::Connect(args.host, args.port);
  if (!connected.ok()) {
    fmt::print(stderr, "kopf-bench: {}\n", connected.status().ToString());
    return 2;
  }
  auto& client = **connected;
  Run(client, fmt::format("DROP TABLE IF EXISTS {}", args.table), nullptr);
  if (!Run(client,
           fmt::format("CREATE TABLE {} (id INT PRIMARY KEY, name TEXT, score DOUBLE, ok BOOLEAN)",
                       args.table),
           nullptr)) {
    return 1;
  }

  std::vector<double> micros;
  micros.reserve(args.rows);
  auto start = Clock::now();
  for (int i = 0; i < args.rows; ++i) {
    if (!Run(client,
             fmt::format("INSERT INTO {} VALUES ({}, 'name-{}', {}.5, TRUE)", args.table, i, i, i),
             &micros)) {
      return 1;
    }
  }
  Report("insert (1 row, durable)", micros,
         std::chrono::duration<double>(Clock::now() - start).count());

  std::vector<int> keys(args.rows);
  for (int i = 0; i < args.rows; ++i) keys[i] = i;
  std::shuffle(keys.begin(), keys.end(), std::mt19937(42));
  micros.clear();
  start = Clock::now();
  for (int k : keys) {
    if (!Run(client, fmt::format("SELECT id, name, score, ok FROM {} WHERE id = {}", args.table, k),
             &micros)) {
      return 1;
    }
  }
  Report("select by primary key", micros,
         std::chrono::duration<double>(Clock::now() - start).count());
  Run(client, fmt::format("DROP TABLE {}", args.table), nullptr);
  return 0;
}
