// kopf-slt: the sqllogictest conformance runner for kopf.
//
//   kopf-slt [-h HOST] -p PORT FILE...            against a running server
//   kopf-slt --spawn PATH/TO/kopfd FILE...        one fresh server per file
//
// 1. Parse the command line; directories expand to their *.test files,
//    recursively, in path order.
// 2. For each file: read and parse it; get an empty database (spawn mode:
//    start a kopfd on a new temporary directory; connect mode: the tables
//    were dropped before the first file and after the previous one); run
//    its records (tools/slt/slt_runner.h); print its line; clean up.
// 3. Print the --summary table, then the closing "N passed, N failed".
// 4. Exit 0 when nothing failed (or --allow-failures), 1 when a record
//    failed, 2 on a usage error or when the server cannot be reached.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <getopt.h>
#include <signal.h>

#include "tools/slt/kopfd_process.h"
#include "tools/slt/server_connection.h"
#include "tools/slt/slt_parser.h"
#include "tools/slt/slt_report.h"
#include "tools/slt/slt_runner.h"

namespace {

namespace fs = std::filesystem;
using kopf::slt::ConnectionOptions;
using kopf::slt::FileReport;
using kopf::slt::FileResult;
using kopf::slt::KopfdProcess;
using kopf::slt::Record;
using kopf::slt::ServerConnection;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

// How long a spawned kopfd may take to print its address.
constexpr std::chrono::seconds kStartupTimeout{30};

constexpr std::string_view kUsage =
    "kopf-slt runs sqllogictest files against a kopf server.\n"
    "\n"
    "Usage:\n"
    "  kopf-slt [-h HOST] -p PORT [OPTION]... FILE|DIR...\n"
    "  kopf-slt --spawn KOPFD [OPTION]... FILE|DIR...\n"
    "\n"
    "Options:\n"
    "  -h, --host=HOST          server address (default 127.0.0.1)\n"
    "  -p, --port=PORT          port of a running server; its tables are dropped\n"
    "                           before the first file and after each file\n"
    "      --spawn=KOPFD        start KOPFD (--port 0, tables in memory only) for\n"
    "                           each file and kill it afterwards\n"
    "      --record-timeout=S   seconds one record may take (default 5)\n"
    "      --file-timeout=S     seconds one file may take (default 300)\n"
    "      --engine=NAME        engine name for skipif/onlyif (default sqlite)\n"
    "  -v, --verbose            list each failing record: file:line, SQL, why\n"
    "      --summary            print a table of per-file pass rates and their mean\n"
    "      --allow-failures     exit 0 even when records failed\n"
    "      --help               show this help and exit\n"
    "\n"
    "A directory stands for every *.test file below it. The last line printed is\n"
    "\"N passed, N failed\" (records over all files).\n"
    "\n"
    "Exit status: 0 if no record failed (or --allow-failures), 1 if any failed,\n"
    "2 on a usage error or when the server cannot be reached.\n";

struct Flags {
  std::string host = "127.0.0.1";
  std::optional<uint16_t> port;
  std::string spawn;  // path of kopfd; empty in connect mode
  std::chrono::milliseconds record_timeout{5000};
  std::chrono::milliseconds file_timeout{300000};
  std::string engine = "sqlite";
  bool verbose = false;
  bool summary = false;
  bool allow_failures = false;
  std::vector<std::string> paths;
};

bool ParseSeconds(const char* text, std::chrono::milliseconds* out) {
  char* end = nullptr;
  double seconds = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(seconds > 0) || seconds > 1e6) return false;
  *out = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  return true;
}

// Returns the exit status to stop with, or nullopt to go on.
std::optional<int> ParseFlags(int argc, char** argv, Flags* flags) {
  enum LongOnly { kSpawn = 256, kRecordTimeout, kFileTimeout, kEngine, kSummary, kAllow, kHelp };
  static const option kOptions[] = {
      {"host", required_argument, nullptr, 'h'},
      {"port", required_argument, nullptr, 'p'},
      {"verbose", no_argument, nullptr, 'v'},
      {"spawn", required_argument, nullptr, kSpawn},
      {"record-timeout", required_argument, nullptr, kRecordTimeout},
      {"file-timeout", required_argument, nullptr, kFileTimeout},
      {"engine", required_argument, nullptr, kEngine},
      {"summary", no_argument, nullptr, kSummary},
      {"allow-failures", no_argument, nullptr, kAllow},
      {"help", no_argument, nullptr, kHelp},
      {nullptr, 0, nullptr, 0},
  };
  for (;;) {
    int c = getopt_long(argc, argv, "h:p:v", kOptions, nullptr);
    if (c == -1) break;
    switch (c) {
      case 'h':
        flags->host = optarg;
        break;
      case 'p': {
        char* end = nullptr;
        long port = std::strtol(optarg, &end, 10);
        if (end == optarg || *end != '\0' || port <= 0 || port > 65535) {
          fmt::print(stderr, "kopf-slt: bad port \"{}\"\n", optarg);
          return kExitUsage;
        }
        flags->port = static_cast<uint16_t>(port);
        break;
      }
      case 'v':
        flags->verbose = true;
        break;
      case kSpawn:
        flags->spawn = optarg;
        break;
      case kRecordTimeout:
      case kFileTimeout:
        if (!ParseSeconds(optarg,
                          c == kRecordTimeout ? &flags->record_timeout : &flags->file_timeout)) {
          fmt::print(stderr, "kopf-slt: bad number of seconds \"{}\"\n", optarg);
          return kExitUsage;
        }
        break;
      case kEngine:
        flags->engine = optarg;
        break;
      case kSummary:
        flags->summary = true;
        break;
      case kAllow:
        flags->allow_failures = true;
        break;
      case kHelp:
        fmt::print("{}", kUsage);
        return kExitOk;
      default:
        fmt::print(stderr, "Try \"kopf-slt --help\".\n");
        return kExitUsage;
    }
  }
  for (int i = optind; i < argc; ++i) flags->paths.emplace_back(argv[i]);
  if (flags->paths.empty()) {
    fmt::print(stderr, "kopf-slt: no test files given\nTry \"kopf-slt --help\".\n");
    return kExitUsage;
  }
  if (flags->spawn.empty() == !flags->port.has_value()) {
    fmt::print(stderr, "kopf-slt: give exactly one of -p PORT and --spawn KOPFD\n");
    return kExitUsage;
  }
  return std::nullopt;
}

// The files named by `paths`: files as given, directories as their *.test
// files (recursively, sorted).
std::vector<std::string> ExpandPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
      if (entry.is_regular_file() && entry.path().extension() == ".test") {
        found.push_back(entry.path().string());
      }
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A report for a file whose records could not be run at all.
FileReport Abandoned(const std::vector<Record>& records, const std::string& engine,
                     std::string reason) {
  FileReport report;
  report.failed = kopf::slt::CountRunnable(records, engine);
  report.abandoned = report.failed;
  report.abandon_reason = std::move(reason);
  return report;
}

kopf::slt::RunOptions MakeRunOptions(const Flags& flags) {
  kopf::slt::RunOptions options;
  options.engine = flags.engine;
  options.record_timeout = flags.record_timeout;
  options.file_timeout = flags.file_timeout;
  return options;
}

FileReport RunSpawned(const Flags& flags, const std::vector<Record>& records) {
  auto server =
      KopfdProcess::Start(flags.spawn, kStartupTimeout, "none", KopfdProcess::Storage::kMemory);
  if (!server.ok()) return Abandoned(records, flags.engine, server.status().ToString());
  ConnectionOptions options;
  options.port = (*server)->port();
  options.reconnect = false;
  options.interrupt = [s = server->get()] { s->Interrupt(); };
  auto connection = ServerConnection::Open(std::move(options));
  if (!connection.ok()) {
    return Abandoned(records, flags.engine,
                     connection.status().ToString() + "\n" + (*server)->LogTail());
  }
  // The connection (and its watchdog, which may call Interrupt) goes
  // before the server.
  FileReport report = kopf::slt::RunRecords(records, **connection, MakeRunOptions(flags));
  connection->reset();
  // A server that crashed usually said why on its way down.
  if (std::string tail = (*server)->LogTail(); report.abandoned > 0 && !tail.empty()) {
    report.abandon_reason += "\nkopfd log: " + tail;
  }
  return report;
}

// Empties the database behind `connection`, reconnecting once if needed.
bool ResetDatabase(ServerConnection& connection, const Flags& flags) {
  kopf::protocol::Status dropped = connection.DropAllTables(flags.record_timeout);
  if (!dropped.ok() && connection.Recover())
    dropped = connection.DropAllTables(flags.record_timeout);
  if (!dropped.ok())
    fmt::print(stderr, "kopf-slt: cannot empty the database: {}\n", dropped.ToString());
  return dropped.ok();
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (std::optional<int> exit_code = ParseFlags(argc, argv, &flags)) return *exit_code;
  // A server that goes away mid-write must not kill the runner.
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<ServerConnection> connection;
  if (flags.spawn.empty()) {
    ConnectionOptions options;
    options.host = flags.host;
    options.port = *flags.port;
    auto opened = ServerConnection::Open(std::move(options));
    if (!opened.ok()) {
      fmt::print(stderr, "kopf-slt: {}\n", opened.status().ToString());
      return kExitUsage;
    }
    connection = std::move(opened).value();
    if (!ResetDatabase(*connection, flags)) return kExitUsage;
  }

  std::vector<FileResult> results;
  for (const std::string& path : ExpandPaths(flags.paths)) {
    FileResult result{path, {}};
    std::optional<std::string> text = ReadWholeFile(path);
    if (!text) {
      result.report.failed = 1;
      result.report.failures.push_back({0, "", "cannot read the file"});
    } else {
      std::vector<Record> records = kopf::slt::ParseScript(*text);
      if (!flags.spawn.empty()) {
        result.report = RunSpawned(flags, records);
      } else {
        result.report = kopf::slt::RunRecords(records, *connection, MakeRunOptions(flags));
        ResetDatabase(*connection, flags);
      }
    }
    fmt::print("{}", kopf::slt::FormatFile(result, flags.verbose));
    if (!flags.verbose && result.report.abandoned > 0) {
      fmt::print(stderr, "kopf-slt: {}: {} records failed without running: {}\n", path,
                 result.report.abandoned, result.report.abandon_reason);
    }
    std::fflush(stdout);
    results.push_back(std::move(result));
  }

  if (flags.summary) fmt::print("\n{}\n", kopf::slt::FormatSummary(results));
  std::string totals = kopf::slt::FormatTotals(results);
  fmt::print("{}", totals);
  bool failed = std::any_of(results.begin(), results.end(),
                            [](const FileResult& r) { return r.report.failed > 0; });
  return failed && !flags.allow_failures ? kExitFailed : kExitOk;
}
