// LoadRunner: drives one workload over C connections with P requests in
// flight on each, on one thread, and measures every request's latency.
//
// Each connection is an AsyncClient. Unless the run is `simple`, it first
// prepares the workload's statements (not timed) and then sends EXECUTEs;
// a simple run sends SQL text instead. It starts with P requests; each reply
// records the time from its send to its reply and sends the next request,
// until the run's limit (a duration or a total count) is reached; the
// connections then drain and close. Latency therefore includes the time a
// request waits behind the others of its pipeline, as in redis-benchmark.
//
// Thread-safety: Run() blocks the calling thread; one run at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/status.h"
#include "tools/bench/workload.h"

namespace kopf::bench {

struct RunLimit {
  std::chrono::duration<double> duration{5.0};  // used when requests == 0
  uint64_t requests = 0;                         // total over all connections
};

struct RunFigures {
  uint64_t ops = 0;  // replies that succeeded
  double seconds = 0;
  double ops_per_second = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0;
  // kopf-bench's own CPU time (user + system, its one thread) per reply:
  // what the load generator takes from the cores it shares with the server.
  double client_cpu_us = 0;
  // The server's CPU time (user + system, all its threads) per reply, when
  // Target::server_pid names it; 0 otherwise.
  double server_cpu_us = 0;
  uint64_t errors = 0;
  std::string first_error;  // empty when errors == 0
};

struct Target {
  std::string host;
  uint16_t port = 0;
  std::string user;      // empty: no login (a server without a users file)
  std::string password;
  // The server's process id when kopf-bench started it (so its CPU time
  // can be read from /proc); 0 for a server elsewhere.
  int server_pid = 0;
};

// Runs `spec` with `connections` x `depth` requests in flight, as prepared
// statements or, when `simple`, as SQL text. Fails only when a connection
// cannot be made or a statement cannot be prepared; failed requests count
// as errors.
protocol::Result<RunFigures> RunLoad(const Target& target, const WorkloadSpec& spec, int64_t rows,
                                     int connections, int depth, bool simple, const RunLimit& limit,
                                     int64_t* next_insert_id, uint64_t seed);

// The median of each figure over several runs (ops and errors are summed).
RunFigures Median(const std::vector<RunFigures>& runs);

}  // namespace kopf::bench
