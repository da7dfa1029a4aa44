#include "brainstem/server_config.h"

#include <charconv>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string_view>

#include <fmt/format.h>

namespace kopf::brainstem {

using protocol::Result;
using protocol::Status;

namespace {

// Parses a whole decimal argument in [min, max].
template <typename T>
Result<T> ParseNumber(std::string_view flag, std::string_view text, T min, T max) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Status::InvalidValue(fmt::format("{}: \"{}\" is not a number", flag, text));
  }
  if (value < static_cast<uint64_t>(min) || value > static_cast<uint64_t>(max)) {
    return Status::InvalidValue(
        fmt::format("{}: {} is out of range ({}..{})", flag, value, min, max));
  }
  return static_cast<T>(value);
}

}  // namespace

std::string Usage() {
  return R"(Usage: kopfd [OPTIONS]

The kopf SQL server. Prints "kopfd listening on ADDRESS:PORT" on standard
output once it accepts connections; logs go to standard error. SIGINT or
SIGTERM stops it gracefully (a second signal stops it at once).

Options:
  --host ADDR             address to listen on (default 127.0.0.1)
  --port N                TCP port, 0 for any free port (default 5433)
  --data DIR              data directory, created if missing (default ./data)
  --workers N             threads executing statements, 1..1024 (default 4)
  --io-threads N          network threads, 1..16 (default 1)
  --max-frame-bytes N     largest frame accepted from a client, 64..1073741824
                          (default 16777216)
  --max-queued-bytes N    response bytes buffered for a client that does not
                          read before it is disconnected, >= 1048576
                          (default 67108864)
  --no-sync               do not fsync commits: faster, but a crash may lose
                          acknowledged writes
  --segment-max-bytes N   start a table's next segment file once the current
                          one holds N bytes, >= 1 (default 67108864)
  --compact-dead-fraction F
                          compact a table in the background once this
                          fraction of its stored lines is dead (replaced or
                          deleted rows), 0..1, 0 = never (default 0.5)
  --compact-max-segments N
                          ... or once it has more than N segments, 0 = never
                          (default 16)
  --backup-dir DIR        the folder BACKUP TO writes into and SHOW BACKUPS
                          lists; BACKUP TO paths must lie inside it
                          (default: none, BACKUP TO is refused)
  --backup-schedule CRON  take a backup when the 5-field cron expression
                          fires, in local time, e.g. "0 3 * * *" (daily at
                          03:00), into DIR/scheduled-TIME; needs --backup-dir
  --backup-keep N         scheduled backups kept, older ones removed,
                          0 = keep all (default 7)
  --repair                at start-up, cut damage in the middle of a table's
                          files (normally a fatal error) after saving it aside
                          as FILE.damaged-TIME, and carry on
  --help                  show this text
)";
}

Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine cl;
  ServerConfig& config = cl.config;
  config.storage.data_dir = "./data";
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::string flag(arg);
    std::optional<std::string> inline_value;
    if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      flag = std::string(arg.substr(0, eq));
      inline_value = std::string(arg.substr(eq + 1));
    }
    auto value = [&]() -> Result<std::string> {
      if (inline_value) return *inline_value;
      if (i + 1 >= args.size()) return Status::InvalidValue(flag + ": missing value");
      return args[++i];
    };
    auto boolean_flag = [&]() -> Status {
      if (inline_value) return Status::InvalidValue(flag + ": takes no value");
      return Status::Ok();
    };

    if (flag == "--help" || flag == "-h") {
      KOPF_RETURN_IF_ERROR(boolean_flag());
      cl.help = true;
    } else if (flag == "--no-sync") {
      KOPF_RETURN_IF_ERROR(boolean_flag());
      config.storage.sync = false;
    } else if (flag == "--repair") {
      KOPF_RETURN_IF_ERROR(boolean_flag());
      config.storage.repair = true;
    } else if (flag == "--segment-max-bytes") {
      KOPF_ASSIGN_OR_RETURN(std::string v, value());
      KOPF_ASSIGN_OR_RETURN(config.storage.segment_max_bytes,
                            ParseNumber<uint64_t>(flag, v, 1, uint64_t{1} << 40));
    } else if (flag == "--compact-max-segments") {
      KOPF_ASSIGN_OR_RETURN(std::string v, value());
      KOPF_ASSIGN_OR_RETURN(config.storage.compact_max_segments,
                            ParseNumber<uint64_t>(flag, v, 0, uint64_t{1} << 20));
    } else if (flag == "--compact-dead-fraction") {
      KOPF_ASSIGN_OR_RETURN(std::string v, value());
      char* end = nullptr;
      double f = std::strtod(v.c_str(), &end);
      if (v.empty() || end != v.c_str() + v.size() || !(f >= 0 && f <= 1)) {
        return Status::InvalidValue(fmt::format("{}: \"{}\" is not a number in 0..1", flag, v));
      }
      config.storage.compact_dead_fraction = f;
    } else if (flag == "--host") {
      KOPF_ASSIGN_OR_RETURN(config.server.host, value());
      if (config.server.host.empty()) return Status::InvalidValue("--host: empty address");
    } else if (flag == "--port") {
      KOPF_ASSIGN_OR_RETURN(std::string v, value());
      KOPF_ASSIGN_OR_RETURN(config.server.port, ParseNumber<uint16_t>(flag, v, 0, 65535));
    } else if (flag == "--data") {
      KOPF_ASSIGN_OR_RETURN(std::string v, value());
      if (v.empty()) return Status::InvalidValue("--data: empty path");
      config.storage.data_dir = v;
    } else if (flag == "--workers") {
      KOPF_ASSIGN_OR_RETURN(std::string v, value());
      KOPF_ASSIGN_OR_RETURN(config.engine.worker_threads, ParseNumber<int>(flag, v, 1, 1024));
    } else if (flag == "--io-threads") {
      KOPF_ASSIGN_OR_RETURN(std::string v, value());
      KOPF_ASSIGN_OR_RETURN(config.server.io_threads, ParseNumber<int>(flag, v, 1, 16));
    } else if (flag == "--max-frame-bytes") {
      KOPF_ASSIGN_OR_RETURN(std::string v, value());
      KOPF_ASSIGN_OR_RETURN(config.server.max_frame_bytes,
                            ParseNumber<uint32_t>(flag, v, 64, uint32_t{1} << 30));
    } else if (flag == "--max-queued-bytes") {
      KOPF_ASSIGN_OR_RETURN(std::string v, value());
      KOPF_ASSIGN_OR_RETURN(
          config.server.max_queued_bytes,
          ParseNumber<size_t>(flag, v, size_t{1} << 20, std::numeric_limits<size_t>::max()));
    } else if (flag == "--backup-dir") {
      KOPF_ASSIGN_OR_RETURN(std::string v, value());
      if (v.empty()) return Status::InvalidValue("--backup-dir: empty path");
      config.storage.backup_dir = v;
    } else if (flag == "--backup-schedule") {
      KOPF_ASSIGN_OR_RETURN(config.backups.schedule, value());
      Result<CronSchedule> parsed = CronSchedule::Parse(config.backups.schedule);
      if (!parsed.ok()) return Status::InvalidValue(flag + ": " + parsed.status().message());
    } else if (flag == "--backup-keep") {
      KOPF_ASSIGN_OR_RETURN(std::string v, value());
      KOPF_ASSIGN_OR_RETURN(config.backups.keep, ParseNumber<uint32_t>(flag, v, 0, 100000));
    } else {
      return Status::InvalidValue(fmt::format("unknown option \"{}\"", arg));
    }
  }
  if (!config.backups.schedule.empty() && config.storage.backup_dir.empty()) {
    return Status::InvalidValue("--backup-schedule: scheduled backups need --backup-dir DIR");
  }
  return cl;
}

}  // namespace kopf::brainstem
