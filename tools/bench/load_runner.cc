#include "tools/bench/load_runner.h"

#include <algorithm>
#include <array>
#include <bit>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include "protocol/async_client.h"

namespace kopf::bench {

namespace {

using Clock = std::chrono::steady_clock;

// CPU time the calling thread has used, user and system.
double ThreadCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU time process `pid` has used, user and system, all threads; -1 when
// /proc cannot tell (the process is gone). Fields 14 and 15 of
// /proc/PID/stat, in clock ticks; field 2, the command, is in parentheses
// and may hold spaces, so counting starts after its ')'.
double ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 1));
  std::string skip;
  for (int field = 3; field < 14; ++field) fields >> skip;
  unsigned long long user = 0, system = 0;
  if (!(fields >> user >> system)) return -1;
  return static_cast<double>(user + system) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Request latencies in nanoseconds, each counted in a bucket no wider than
// 1/128 of its values (the buckets of an HDR histogram): recording one is
// an increment, whatever the run's length, and percentiles need no sort.
class LatencyHistogram {
 public:
  LatencyHistogram() : counts_(Bucket(~uint64_t{0}) + 1) {}

  void Record(uint64_t ns) {
    ++counts_[Bucket(ns)];
    ++total_;
  }
  uint64_t total() const { return total_; }

  // The latency below which a share `p` of the recorded ones lie, in
  // microseconds: the middle of the bucket holding the one at index
  // p * total (as a sorted list would give it); 0 when nothing was recorded.
  double PercentileUs(double p) const {
    if (total_ == 0) return 0;
    uint64_t rank = std::min(total_ - 1, static_cast<uint64_t>(p * static_cast<double>(total_)));
    uint64_t seen = 0;
    for (size_t b = 0; b < counts_.size(); ++b) {
      seen += counts_[b];
      if (seen > rank) return static_cast<double>(Middle(b)) / 1000.0;
    }
    return 0;  // not reached: the counts sum to total_
  }

 private:
  static constexpr int kBits = 8;  // values below 2^kBits have a bucket each

  // Values below 2^kBits are their own bucket. Above, a value keeps its top
  // kBits bits: its mantissa (2^(kBits-1) ..  2^kBits - 1) and the shift
  // that drops the rest, and each shift has 2^(kBits-1) buckets.
  static size_t Bucket(uint64_t v) {
    int shift = std::max(0, static_cast<int>(std::bit_width(v)) - kBits);
    if (shift == 0) return static_cast<size_t>(v);
    return (static_cast<size_t>(shift) << (kBits - 1)) + static_cast<size_t>(v >> shift);
  }
  static uint64_t Middle(size_t bucket) {
    if (bucket < (size_t{1} << kBits)) return bucket;
    size_t shift = (bucket >> (kBits - 1)) - 1;
    uint64_t mantissa = bucket - (shift << (kBits - 1));
    return (mantissa << shift) + (uint64_t{1} << (shift - 1));
  }

  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
};

// The state of one run, shared by every connection's callbacks (all on the
// run's one thread).
struct Run {
  Clock::time_point start;
  Clock::time_point deadline;
  uint64_t max_requests = 0;  // 0: until the deadline
  uint64_t sent = 0;
  LatencyHistogram latencies;
  uint64_t errors = 0;
  std::string first_error;

  bool Done(Clock::time_point now) const {
    return max_requests > 0 ? sent >= max_requests : now >= deadline;
  }
};

// One connection with its workload; keeps its pipeline full until the run
// is done.
struct Connection {
  std::shared_ptr<protocol::AsyncClient> client;
  std::unique_ptr<Workload> workload;
  bool simple = false;
  // By WorkloadKind (kSelect..kUpdate): the statements prepared for it.
  std::array<protocol::PreparedStatement, std::size(kStatementKinds)> statements;
  protocol::Row params;  // reused for every EXECUTE
  int in_flight = 0;
  Run* run_of = nullptr;  // the run under way

  // Sends the next request; `now` is its send time (the caller read the
  // clock already, so one read per request serves both its reply and the
  // request that replaces it).
  void SendNext(Run& run, Clock::time_point now) {
    ++run.sent;
    ++in_flight;
    Clock::time_point sent_at = now;
    // Two words, so std::function holds it without an allocation; it takes
    // the response by reference, so the client moves nothing to call it.
    auto done = [this, sent_at](const protocol::Response& r) { OnReply(*run_of, sent_at, r); };
    if (simple) {
      client->AsyncQuery(workload->NextRequest(), std::move(done));
    } else {
      WorkloadKind kind = workload->NextParameters(&params);
      client->AsyncExecute(statements[static_cast<size_t>(kind)], params, std::move(done));
    }
  }

  // Records a reply and keeps the pipeline full.
  void OnReply(Run& run, Clock::time_point sent_at, const protocol::Response& r) {
    Clock::time_point now = Clock::now();
    --in_flight;
    if (r.status.ok()) {
      run.latencies.Record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - sent_at).count()));
    } else if (run.errors++ == 0) {
      run.first_error = r.status.ToString();
    }
    if (!run.Done(now) && r.status.code() != protocol::ErrorCode::kProtocolViolation) {
      SendNext(run, now);
    } else if (in_flight == 0) {
      client->Close();
    }
  }
};

// Prepares every statement kind on every connection, running `io` until
// all are answered.
protocol::Status PrepareAll(boost::asio::io_context& io,
                            std::vector<std::unique_ptr<Connection>>& conns) {
  size_t waiting = 0;
  protocol::Status failed;
  for (auto& conn : conns) {
    for (WorkloadKind kind : kStatementKinds) {
      ++waiting;
      conn->client->AsyncPrepare(
          PreparedSql(kind),
          [&, c = conn.get(), kind](protocol::Result<protocol::PreparedStatement> r) {
            --waiting;
            if (r.ok()) {
              c->statements[static_cast<size_t>(kind)] = std::move(*r);
            } else if (failed.ok()) {
              failed = protocol::Status(r.status().code(), "cannot prepare \"" +
                                                               std::string(PreparedSql(kind)) +
                                                               "\": " + r.status().message());
            }
          });
    }
  }
  while (waiting > 0) io.run_one();
  return failed;
}

}  // namespace

protocol::Result<RunFigures> RunLoad(const Target& target, const WorkloadSpec& spec, int64_t rows,
                                     int connections, int depth, bool simple, const RunLimit& limit,
                                     int64_t* next_insert_id, uint64_t seed) {
  boost::asio::io_context io;
  protocol::ClientOptions options;
  options.client_name = "kopf-bench";
  options.user = target.user;
  options.password = target.password;
  std::vector<std::unique_ptr<Connection>> conns;
  for (int i = 0; i < connections; ++i) {
    KOPF_ASSIGN_OR_RETURN(auto client, protocol::AsyncClient::Connect(
                                           io.get_executor(), target.host, target.port, options));
    auto conn = std::make_unique<Connection>();
    conn->client = std::move(client);
    conn->workload = std::make_unique<Workload>(spec, rows, next_insert_id, seed + i);
    conn->simple = simple;
    conns.push_back(std::move(conn));
  }
  if (!simple) KOPF_RETURN_IF_ERROR(PrepareAll(io, conns));

  Run run;
  run.max_requests = limit.requests;
  run.start = Clock::now();
  run.deadline = run.start + std::chrono::duration_cast<Clock::duration>(limit.duration);
  for (auto& conn : conns) {
    conn->run_of = &run;
    for (int k = 0; k < depth && !run.Done(run.start); ++k) conn->SendNext(run, Clock::now());
    if (conn->in_flight == 0) conn->client->Close();
  }
  double server_before = target.server_pid > 0 ? ProcessCpuSeconds(target.server_pid) : -1;
  double cpu_before = ThreadCpuSeconds();
  io.run();
  double cpu_seconds = ThreadCpuSeconds() - cpu_before;
  double server_after = target.server_pid > 0 ? ProcessCpuSeconds(target.server_pid) : -1;
  double seconds = std::chrono::duration<double>(Clock::now() - run.start).count();

  RunFigures f;
  f.ops = run.latencies.total();
  f.seconds = seconds;
  f.ops_per_second = seconds > 0 ? static_cast<double>(f.ops) / seconds : 0;
  f.p50_us = run.latencies.PercentileUs(0.50);
  f.p99_us = run.latencies.PercentileUs(0.99);
  f.p999_us = run.latencies.PercentileUs(0.999);
  auto per_op = [&f](double cpu) { return f.ops > 0 ? cpu * 1e6 / static_cast<double>(f.ops) : 0; };
  f.client_cpu_us = per_op(cpu_seconds);
  if (server_before >= 0 && server_after >= 0) f.server_cpu_us = per_op(server_after - server_before);
  f.errors = run.errors;
  f.first_error = std::move(run.first_error);
  return f;
}

RunFigures Median(const std::vector<RunFigures>& runs) {
  auto median = [&runs](double RunFigures::*field) {
    std::vector<double> v;
    for (const RunFigures& r : runs) v.push_back(r.*field);
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  RunFigures m;
  for (const RunFigures& r : runs) {
    m.ops += r.ops;
    m.errors += r.errors;
    if (m.first_error.empty()) m.first_error = r.first_error;
  }
  m.seconds = median(&RunFigures::seconds);
  m.ops_per_second = median(&RunFigures::ops_per_second);
  m.p50_us = median(&RunFigures::p50_us);
  m.p99_us = median(&RunFigures::p99_us);
  m.p999_us = median(&RunFigures::p999_us);
  m.client_cpu_us = median(&RunFigures::client_cpu_us);
  m.server_cpu_us = median(&RunFigures::server_cpu_us);
  return m;
}

}  // namespace kopf::bench
