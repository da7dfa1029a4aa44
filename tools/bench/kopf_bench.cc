// kopf-bench: a load generator for kopfd in the spirit of redis-benchmark
// and pgbench.
//
// 1. Parse the flags; with --spawn, start a private kopfd (tools/slt's
//    KopfdProcess: a fresh temporary data directory, --sync none unless
//    --spawn-sync always asks for durable writes).
// 2. Load kv(id INT PRIMARY KEY, name TEXT, age INT, city TEXT) with ids
//    1..--rows (1000 rows per INSERT), unless --no-load.
// 3. For each workload and each connections x pipeline configuration, run
//    --runs times (RunLoad) and print one Markdown table row: the median of
//    the runs' ops/s, latency percentiles, kopf-bench's own CPU time per
//    request and, when it spawned the server, the server's (all threads,
//    from /proc/PID/stat). Requests are prepared
//    statements, or SQL text with --simple; --compare runs both, alternating
//    run by run, and adds a row with the prepared/simple ratios.
// 4. Exit 0, or 1 when any request failed, 2 when the server cannot be
//    reached or started.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <getopt.h>
#include <signal.h>
#include <unistd.h>

#include "protocol/client.h"
#include "protocol/connection_string.h"
#include "tools/bench/load_runner.h"
#include "tools/bench/workload.h"
#include "tools/slt/kopfd_process.h"

namespace {

using kopf::bench::RunFigures;
using kopf::bench::WorkloadSpec;

constexpr std::string_view kUsage =
    "kopf-bench measures kopfd's throughput and latency.\n"
    "\n"
    "Usage:\n"
    "  kopf-bench [OPTION]... [kopf://HOST:PORT]\n"
    "\n"
    "Options:\n"
    "  -h HOST               server address (default 127.0.0.1; also $KOPF_URL)\n"
    "  -p PORT               server port (default 5433)\n"
    "      --spawn[=KOPFD]   start a private kopfd (default: the one beside kopf-bench)\n"
    "                        on a fresh temporary data directory\n"
    "      --spawn-sync MODE the spawned kopfd's --sync: none (default) or always\n"
    "                        (fsync before each reply: durable writes; prints the\n"
    "                        server's commits per fsync round when it stops)\n"
    "  -c N                  connections (default 1)\n"
    "  -P N                  requests in flight per connection (default 1)\n"
    "      --configs LIST    several CxP pairs instead of -c/-P, e.g. 1x1,8x1,8x16\n"
    "  -T SECONDS            duration of each run (default 5)\n"
    "  -n N                  requests per run instead of a duration\n"
    "  -w LIST               workloads, comma-separated (default all): select, range,\n"
    "                        insert, update, mixed70, mixed50, mixed30 (mixedNN: NN% reads)\n"
    "      --rows N          rows preloaded into kv (default 100000)\n"
    "      --no-load         use the kv table already there (ids 1..--rows)\n"
    "      --runs N          repeat each run N times and print medians (default 1)\n"
    "      --simple          send SQL text (QUERY) instead of prepared statements\n"
    "      --compare         run prepared and --simple side by side, with their ratios\n"
    "      --help            show this help\n";

struct Config {
  int connections = 1;
  int depth = 1;
};

struct Flags {
  kopf::protocol::ConnectionString where;
  std::optional<std::string> spawn;  // kopfd path; "" = beside kopf-bench
  std::string spawn_sync = "none";
  bool simple = false;
  bool compare = false;
  std::vector<Config> configs;
  std::vector<WorkloadSpec> workloads = kopf::bench::AllWorkloads();
  kopf::bench::RunLimit limit;
  int64_t rows = 100000;
  bool load = true;
  int runs = 1;
};

std::optional<int64_t> ParseNumber(std::string_view text, int64_t min, int64_t max) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return std::nullopt;
  }
  return value;
}

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

int UsageError(const std::string& message) {
  fmt::print(stderr, "kopf-bench: {}\nTry \"kopf-bench --help\" for more information.\n", message);
  return 2;
}

// The flags, or the exit status when the program should stop now.
std::variant<Flags, int> ParseFlags(int argc, char** argv) {
  enum { kSpawn = 256, kSpawnSync, kConfigs, kRows, kNoLoad, kRuns, kSimple, kCompare, kHelp };
  static const option kOptions[] = {{"spawn", optional_argument, nullptr, kSpawn},
                                    {"spawn-sync", required_argument, nullptr, kSpawnSync},
                                    {"configs", required_argument, nullptr, kConfigs},
                                    {"rows", required_argument, nullptr, kRows},
                                    {"no-load", no_argument, nullptr, kNoLoad},
                                    {"runs", required_argument, nullptr, kRuns},
                                    {"simple", no_argument, nullptr, kSimple},
                                    {"compare", no_argument, nullptr, kCompare},
                                    {"help", no_argument, nullptr, kHelp},
                                    {nullptr, 0, nullptr, 0}};
  Flags flags;
  if (const char* url = std::getenv("KOPF_URL"); url != nullptr && *url != '\0') {
    auto parsed = kopf::protocol::ParseConnectionString(url);
    if (!parsed.ok()) return UsageError("$KOPF_URL: " + parsed.status().message());
    flags.where = *parsed;
  }
  Config single;
  opterr = 0;
  int opt = 0;
  while ((opt = getopt_long(argc, argv, "h:p:c:P:T:n:w:", kOptions, nullptr)) != -1) {
    std::string_view arg = optarg != nullptr ? optarg : "";
    auto number = [&](int64_t min, int64_t max) -> std::optional<int64_t> {
      return ParseNumber(arg, min, max);
    };
    switch (opt) {
      case 'h': flags.where.host = arg; break;
      case 'p': {
        auto port = number(1, 65535);
        if (!port) return UsageError(fmt::format("invalid port \"{}\"", arg));
        flags.where.port = static_cast<uint16_t>(*port);
        break;
      }
      case 'c': case 'P': {
        auto n = number(1, 10000);
        if (!n) return UsageError(fmt::format("-{} needs a number from 1 to 10000, got \"{}\"",
                                              static_cast<char>(opt), arg));
        (opt == 'c' ? single.connections : single.depth) = static_cast<int>(*n);
        break;
      }
      case 'T': {
        double seconds = 0;
        auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), seconds);
        if (ec != std::errc() || end != arg.data() + arg.size() || !(seconds > 0)) {
          return UsageError(fmt::format("-T needs a positive number of seconds, got \"{}\"", arg));
        }
        flags.limit.duration = std::chrono::duration<double>(seconds);
        break;
      }
      case 'n': {
        auto n = number(1, int64_t{1} << 40);
        if (!n) return UsageError(fmt::format("-n needs a positive count, got \"{}\"", arg));
        flags.limit.requests = static_cast<uint64_t>(*n);
        break;
      }
      case 'w':
        flags.workloads.clear();
        for (std::string_view name : Split(arg, ',')) {
          auto spec = kopf::bench::ParseWorkload(name);
          if (!spec) return UsageError(fmt::format("unknown workload \"{}\"", name));
          flags.workloads.push_back(*spec);
        }
        break;
      case kSpawn: flags.spawn = std::string(arg); break;
      case kSpawnSync:
        if (arg != "none" && arg != "always") {
          return UsageError(fmt::format("--spawn-sync needs none or always, got \"{}\"", arg));
        }
        flags.spawn_sync = arg;
        break;
      case kSimple: flags.simple = true; break;
      case kCompare: flags.compare = true; break;
      case kConfigs:
        for (std::string_view pair : Split(arg, ',')) {
          auto parts = Split(pair, 'x');
          auto c = parts.size() == 2 ? ParseNumber(parts[0], 1, 10000) : std::nullopt;
          auto p = parts.size() == 2 ? ParseNumber(parts[1], 1, 10000) : std::nullopt;
          if (!c || !p) return UsageError(fmt::format("--configs: \"{}\" is not CxP", pair));
          flags.configs.push_back({static_cast<int>(*c), static_cast<int>(*p)});
        }
        break;
      case kRows: {
        auto n = number(100, int64_t{1} << 40);
        if (!n) return UsageError(fmt::format("--rows needs a count of at least 100, got \"{}\"", arg));
        flags.rows = *n;
        break;
      }
      case kNoLoad: flags.load = false; break;
      case kRuns: {
        auto n = number(1, 1000);
        if (!n) return UsageError(fmt::format("--runs needs a number from 1 to 1000, got \"{}\"", arg));
        flags.runs = static_cast<int>(*n);
        break;
      }
      case kHelp: fmt::print("{}", kUsage); return 0;
      default:
        return UsageError(optopt != 0 ? fmt::format("invalid option or missing value: -{}",
                                                    static_cast<char>(optopt))
                                      : fmt::format("invalid option \"{}\"", argv[optind - 1]));
    }
  }
  if (optind + 1 == argc) {
    auto parsed = kopf::protocol::ParseConnectionString(argv[optind]);
    if (!parsed.ok()) return UsageError(parsed.status().message());
    flags.where = *parsed;
  } else if (optind < argc) {
    return UsageError(fmt::format("unexpected argument \"{}\"", argv[optind + 1]));
  }
  if (flags.configs.empty()) flags.configs.push_back(single);
  if (flags.simple && flags.compare) return UsageError("--simple and --compare exclude each other");
  return flags;
}

// The kopfd beside this program (build/bin/kopfd next to build/bin/kopf-bench).
std::string SiblingKopfd() {
  char path[4096];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return "kopfd";
  std::string self(path, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/') + 1) + "kopfd";
}

// Creates kv and loads ids 1..rows.
kopf::protocol::Status Load(kopf::protocol::Client& client, int64_t rows) {
  KOPF_RETURN_IF_ERROR(client.Query("DROP TABLE IF EXISTS kv").status());
  KOPF_RETURN_IF_ERROR(
      client.Query("CREATE TABLE kv (id INT PRIMARY KEY, name TEXT, age INT, city TEXT)").status());
  for (const std::string& sql : kopf::bench::LoadStatements(rows, 1000)) {
    KOPF_RETURN_IF_ERROR(client.Query(sql).status());
  }
  return kopf::protocol::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = ParseFlags(argc, argv);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  Flags& flags = std::get<Flags>(parsed);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<kopf::slt::KopfdProcess> server;
  kopf::bench::Target target{flags.where.host, flags.where.port, flags.where.user,
                             flags.where.password, 0};
  if (flags.spawn) {
    std::string path = flags.spawn->empty() ? SiblingKopfd() : *flags.spawn;
    auto started = kopf::slt::KopfdProcess::Start(path, std::chrono::seconds(30), flags.spawn_sync);
    if (!started.ok()) {
      fmt::print(stderr, "kopf-bench: cannot start {}: {}\n", path, started.status().ToString());
      return 2;
    }
    server = std::move(*started);
    target = {"127.0.0.1", server->port(), "", "", server->pid()};
  }

  kopf::protocol::ClientOptions options;
  options.client_name = "kopf-bench";
  options.user = target.user;
  options.password = target.password;
  auto client = kopf::protocol::Client::Connect(target.host, target.port, options);
  if (!client.ok()) {
    fmt::print(stderr, "kopf-bench: {}\n", client.status().ToString());
    return 2;
  }
  if (flags.load) {
    auto start = std::chrono::steady_clock::now();
    kopf::protocol::Status loaded = Load(**client, flags.rows);
    if (!loaded.ok()) {
      fmt::print(stderr, "kopf-bench: loading kv failed: {}\n", loaded.ToString());
      return 1;
    }
    fmt::print("loaded {} rows into kv in {:.1f} s\n", flags.rows,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::string limit = flags.limit.requests > 0
                          ? fmt::format("{} requests", flags.limit.requests)
                          : fmt::format("{:g} s", flags.limit.duration.count());
  fmt::print("{} at {}:{}{}, kv with {} rows; {} per run, {}; {}\n\n", (*client)->server_version(),
             target.host, target.port,
             server ? fmt::format(" (spawned, sync {})", flags.spawn_sync) : "", flags.rows, limit,
             flags.runs == 1 ? std::string("1 run") : fmt::format("median of {} runs", flags.runs),
             flags.compare  ? "prepared statements and SQL text"
             : flags.simple ? "SQL text"
                            : "prepared statements");
  fmt::print(
      "| workload | mode | -c | -P | ops/s | p50 µs | p99 µs | p99.9 µs | bench CPU µs/op | "
      "server CPU µs/op |\n");
  fmt::print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  std::fflush(stdout);
  // The modes each configuration runs in: true = simple.
  std::vector<bool> modes =
      flags.compare ? std::vector<bool>{false, true} : std::vector<bool>{flags.simple};

  // Inserted ids go above every id already there, so repeated runs against
  // one server (--no-load) never collide with an earlier run's rows.
  int64_t next_insert_id = kopf::bench::kFirstInsertId;
  if (auto top = (*client)->Query("SELECT max(id) FROM kv"); top.ok() && top->rows.size() == 1 &&
                                                                 top->rows[0][0].type() == kopf::protocol::Type::kInteger) {
    next_insert_id = std::max(next_insert_id, top->rows[0][0].as_integer() + 1);
  }
  uint64_t seed = 1;
  bool any_errors = false;
  for (const WorkloadSpec& spec : flags.workloads) {
    for (const Config& config : flags.configs) {
      // Modes alternate run by run, so both see the same server state.
      std::vector<std::vector<RunFigures>> runs(modes.size());
      for (int r = 0; r < flags.runs; ++r) {
        for (size_t m = 0; m < modes.size(); ++m) {
          auto figures =
              kopf::bench::RunLoad(target, spec, flags.rows, config.connections, config.depth,
                                   modes[m], flags.limit, &next_insert_id, seed);
          seed += 1000;
          if (!figures.ok()) {
            fmt::print(stderr, "kopf-bench: {}\n", figures.status().ToString());
            return 2;
          }
          runs[m].push_back(std::move(*figures));
        }
      }
      std::vector<RunFigures> medians;
      for (size_t m = 0; m < modes.size(); ++m) {
        RunFigures f = kopf::bench::Median(runs[m]);
        fmt::print("| {} | {} | {} | {} | {:.0f} | {:.0f} | {:.0f} | {:.0f} | {:.2f} | {} |\n",
                   spec.name, modes[m] ? "simple" : "prepared", config.connections, config.depth,
                   f.ops_per_second, f.p50_us, f.p99_us, f.p999_us, f.client_cpu_us,
                   server ? fmt::format("{:.2f}", f.server_cpu_us) : "-");
        if (f.errors > 0) {
          any_errors = true;
          fmt::print(stderr, "kopf-bench: {}: {} requests failed, the first with: {}\n", spec.name,
                     f.errors, f.first_error);
        }
        medians.push_back(std::move(f));
      }
      if (medians.size() == 2) {
        auto ratio = [](double a, double b) { return b > 0 ? fmt::format("{:.2f}x", a / b) : "-"; };
        const RunFigures& p = medians[0];
        const RunFigures& q = medians[1];
        fmt::print("| {} | prepared/simple | {} | {} | {} | {} | {} | {} | {} | {} |\n", spec.name,
                   config.connections, config.depth, ratio(p.ops_per_second, q.ops_per_second),
                   ratio(p.p50_us, q.p50_us), ratio(p.p99_us, q.p99_us),
                   ratio(p.p999_us, q.p999_us), ratio(p.client_cpu_us, q.client_cpu_us),
                   server ? ratio(p.server_cpu_us, q.server_cpu_us) : "-");
      }
      std::fflush(stdout);
    }
  }
  if (server && flags.spawn_sync == "always") {
    // The spawned server's own count of commits per fsync round, which it
    // logs when it stops: how well the clients shared their fsyncs.
    std::string log = server->StopGracefully(std::chrono::seconds(30));
    size_t at = log.rfind("group commit: ");
    if (at != std::string::npos) {
      fmt::print("\nkopfd: {}\n", log.substr(at, log.find('\n', at) - at));
    }
  }
  return any_errors ? 1 : 0;
}
