#include "brainstem/server_config.h"

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace kopf::brainstem {

using protocol::Result;
using protocol::Status;

namespace {

// ---- Value parsers ----------------------------------------------------------
// Each returns a message about the value alone ("70000 is out of range
// (0..65535)"); the caller says where it came from.

template <typename T>
Status SetNumber(T* out, std::string_view text, T min, T max) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Status::InvalidValue(fmt::format("\"{}\" is not a number", text));
  }
  if (value < static_cast<uint64_t>(min) || value > static_cast<uint64_t>(max)) {
    return Status::InvalidValue(fmt::format("{} is out of range ({}..{})", value, min, max));
  }
  *out = static_cast<T>(value);
  return Status::Ok();
}

// One of `names`, stored as the matching value of `values`.
template <typename E, size_t N>
Status SetChoice(E* out, std::string_view text, const std::string_view (&names)[N],
                 const E (&values)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (text == names[i]) {
      *out = values[i];
      return Status::Ok();
    }
  }
  std::string choices;
  for (size_t i = 0; i < N; ++i) choices += fmt::format("{}{}", i ? ", " : "", names[i]);
  return Status::InvalidValue(fmt::format("\"{}\" is not one of {}", text, choices));
}

Status SetText(std::string* out, std::string_view text) {
  if (text.empty()) return Status::InvalidValue("empty value");
  *out = std::string(text);
  return Status::Ok();
}

Status SetPath(std::filesystem::path* out, std::string_view text) {
  if (text.empty()) return Status::InvalidValue("empty path");
  *out = std::string(text);
  return Status::Ok();
}

// An existing directory, appended to `dirs` as its canonical path (symlinks
// and ".." resolved) so later containment checks compare like with like.
Status AddDirectory(std::vector<std::filesystem::path>* dirs, std::string_view text) {
  std::error_code ec;
  std::filesystem::path dir(text);
  if (text.empty() || !std::filesystem::is_directory(dir, ec)) {
    return Status::InvalidValue(fmt::format("\"{}\" is not a directory", text));
  }
  std::filesystem::path canonical = std::filesystem::canonical(dir, ec);
  if (ec) return Status::InvalidValue(fmt::format("\"{}\": {}", text, ec.message()));
  dirs->push_back(std::move(canonical));
  return Status::Ok();
}

// A whole number of the duration's units (milliseconds, microseconds) in
// [min, max].
template <typename Duration>
Status SetDuration(Duration* out, std::string_view text, int64_t min, int64_t max) {
  int64_t count = 0;
  KOPF_RETURN_IF_ERROR(SetNumber<int64_t>(&count, text, min, max));
  *out = Duration(count);
  return Status::Ok();
}

// A fraction in [0, 1].
Status SetFraction(double* out, std::string_view text) {
  std::string copy(text);
  char* end = nullptr;
  double value = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || !(value >= 0 && value <= 1)) {
    return Status::InvalidValue(fmt::format("\"{}\" is not a number in 0..1", text));
  }
  *out = value;
  return Status::Ok();
}

Status SetBool(bool* out, std::string_view text) {
  const std::string_view names[] = {"true", "false"};
  const bool values[] = {true, false};
  return SetChoice(out, text, names, values);
}

// ---- The settings -----------------------------------------------------------
// One entry per setting: its config-file key (the flag is "--" plus the key
// with '-' for '_'), the name of its value in --help, its default as text,
// its bounds and meaning in one line, and its parser. The defaults live in
// each layer's Options; a test checks that kopfd.conf.example shows every
// key with the default written here.

struct Setting {
  std::string_view key;
  std::string_view value_name;
  std::string_view default_text;
  std::string_view help;
  Status (*apply)(ServerConfig& config, std::string_view value);
  // May be given more than once (flags and file lines add up), e.g. the
  // import directories; any other key given twice in a file is an error.
  bool repeatable = false;
};

const std::string_view kSyncNames[] = {"always", "interval", "none"};
const cerebrum::SyncMode kSyncModes[] = {cerebrum::SyncMode::kAlways,
                                         cerebrum::SyncMode::kInterval, cerebrum::SyncMode::kNone};
const std::string_view kStorageNames[] = {"disk", "memory"};
const cerebrum::StorageMode kStorageModes[] = {cerebrum::StorageMode::kDisk,
                                               cerebrum::StorageMode::kMemory};

const Setting kSettings[] = {
    {"host", "ADDR", "127.0.0.1", "address to listen on (an IP address or a host name)",
     [](ServerConfig& c, std::string_view v) { return SetText(&c.server.host, v); }},
    {"port", "N", "5433", "TCP port, 0..65535; 0 picks any free port",
     [](ServerConfig& c, std::string_view v) {
       return SetNumber<uint16_t>(&c.server.port, v, 0, 65535);
     }},
    {"data", "DIR", "./data", "data directory, created if missing",
     [](ServerConfig& c, std::string_view v) { return SetPath(&c.storage.data_dir, v); }},
    {"storage", "MODE", "disk", "disk, or memory: write nothing at all, lose every table at exit",
     [](ServerConfig& c, std::string_view v) {
       return SetChoice(&c.storage.storage, v, kStorageNames, kStorageModes);
     }},
    {"sync", "MODE", "always",
     "always (fsync before each reply), interval (every sync_interval_ms: a crash may lose "
     "the last interval's acknowledged writes) or none",
     [](ServerConfig& c, std::string_view v) {
       return SetChoice(&c.storage.sync, v, kSyncNames, kSyncModes);
     }},
    {"sync_interval_ms", "N", "1000", "fsync period with sync = interval, 1..60000 ms",
     [](ServerConfig& c, std::string_view v) {
       return SetDuration(&c.storage.sync_interval, v, 1, 60000);
     }},
    {"workers", "N", "4", "threads executing statements, 1..1024",
     [](ServerConfig& c, std::string_view v) {
       return SetNumber<int>(&c.engine.worker_threads, v, 1, 1024);
     }},
    {"io_threads", "N", "1", "network threads, 1..16",
     [](ServerConfig& c, std::string_view v) {
       return SetNumber<int>(&c.server.io_threads, v, 1, 16);
     }},
    {"max_frame_bytes", "N", "16777216", "largest frame accepted from a client, 64..1073741824",
     [](ServerConfig& c, std::string_view v) {
       return SetNumber<uint32_t>(&c.server.max_frame_bytes, v, 64, uint32_t{1} << 30);
     }},
    {"max_queued_bytes", "N", "67108864",
     "response bytes buffered for a client that does not read before it is disconnected, "
     ">= 1048576",
     [](ServerConfig& c, std::string_view v) {
       return SetNumber<size_t>(&c.server.max_queued_bytes, v, size_t{1} << 20,
                                std::numeric_limits<size_t>::max());
     }},
    {"users", "FILE", "DATA/users.csv",
     "users, roles and password hashes (made with \"kopf user add\"); DATA/users.csv is read "
     "when it exists. Without one, authentication is off, every client is admin, and host must "
     "be a loopback address",
     [](ServerConfig& c, std::string_view v) { return SetPath(&c.users_file, v); }},
    {"handshake_timeout_ms", "N", "10000",
     "close a connection that has not completed the handshake (login included) after N ms, "
     "0..3600000, 0 for never",
     [](ServerConfig& c, std::string_view v) {
       return SetDuration(&c.server.handshake_timeout, v, 0, 3600000);
     }},
    {"io_poll_us", "N", "200",
     "microseconds a network thread keeps polling for work before it sleeps, 0..1000; "
     "saves a core's wake-up per request of a client that sends one at a time, for up to "
     "N µs of CPU after each burst",
     [](ServerConfig& c, std::string_view v) {
       return SetDuration(&c.server.io_poll, v, 0, 1000);
     }},
    {"copy_idle_timeout_ms", "N", "60000",
     "cancel a COPY FROM STDIN whose client sends nothing for N ms, freeing the worker it "
     "holds, 0..86400000, 0 for never",
     [](ServerConfig& c, std::string_view v) {
       return SetDuration(&c.server.copy_idle_timeout, v, 0, 86400000);
     }},
    {"import_dir", "DIR", "none",
     "let COPY read and write files inside DIR (repeatable; relative COPY paths start from "
     "the first one). Without one COPY refuses server-side files",
     [](ServerConfig& c, std::string_view v) { return AddDirectory(&c.engine.import_dirs, v); },
     /*repeatable=*/true},
    {"segment_max_bytes", "N", "67108864",
     "start a table's next segment file once the current one holds N bytes, 1..1099511627776 "
     "(one commit is never split, so a segment may end larger)",
     [](ServerConfig& c, std::string_view v) {
       return SetNumber<uint64_t>(&c.storage.segment_max_bytes, v, 1, uint64_t{1} << 40);
     }},
    {"compact_dead_fraction", "F", "0.5",
     "compact a table in the background once this fraction of its stored lines is dead "
     "(replaced or deleted rows), 0..1, 0 for never",
     [](ServerConfig& c, std::string_view v) {
       return SetFraction(&c.storage.compact_dead_fraction, v);
     }},
    {"compact_max_segments", "N", "16",
     "... or once it has more than N segments, 0..1048576, 0 for never",
     [](ServerConfig& c, std::string_view v) {
       return SetNumber<uint64_t>(&c.storage.compact_max_segments, v, 0, uint64_t{1} << 20);
     }},
    {"backup_dir", "DIR", "none",
     "the folder BACKUP TO writes into and SHOW BACKUPS lists; BACKUP TO paths must lie "
     "inside it. Without one BACKUP TO is refused",
     [](ServerConfig& c, std::string_view v) { return SetPath(&c.storage.backup_dir, v); }},
    {"backup_schedule", "CRON", "none",
     "take a backup when the 5-field cron expression fires, in local time, e.g. \"0 3 * * *\" "
     "(daily at 03:00), into DIR/scheduled-TIME; needs backup_dir",
     [](ServerConfig& c, std::string_view v) {
       Result<CronSchedule> parsed = CronSchedule::Parse(v);
       if (!parsed.ok()) return Status::InvalidValue(parsed.status().message());
       c.backups.schedule = std::string(v);
       return Status::Ok();
     }},
    {"backup_keep", "N", "7", "scheduled backups kept (older ones removed), 0..100000, 0 for all",
     [](ServerConfig& c, std::string_view v) {
       return SetNumber<uint32_t>(&c.backups.keep, v, 0, 100000);
     }},
    {"repair", "BOOL", "false",
     "at start-up, cut damage in the middle of a table's files (normally a fatal error) "
     "after saving it aside as FILE.damaged-TIME, and carry on",
     [](ServerConfig& c, std::string_view v) { return SetBool(&c.storage.repair, v); }},
};

// Flags without a value that stand for a setting.
struct FlagAlias {
  std::string_view flag;
  std::string_view key;
  std::string_view value;
};
const FlagAlias kAliases[] = {
    {"--no-sync", "sync", "none"},
    {"--memory", "storage", "memory"},
    {"--repair", "repair", "true"},
};

const Setting* FindSetting(std::string_view key) {
  for (const Setting& s : kSettings) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

std::string FlagOf(std::string_view key) {
  std::string flag = "--" + std::string(key);
  for (char& ch : flag) {
    if (ch == '_') ch = '-';
  }
  return flag;
}

// The setting a "--flag-name" stands for (underscores are not accepted).
const Setting* FindFlag(std::string_view flag) {
  if (!flag.starts_with("--") || flag.find('_') != std::string_view::npos) return nullptr;
  std::string key(flag.substr(2));
  for (char& ch : key) {
    if (ch == '-') ch = '_';
  }
  return FindSetting(key);
}

std::string_view Trim(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

Status ApplyConfigFile(const std::filesystem::path& path, ServerConfig* config) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::InvalidValue(fmt::format("--config: cannot read {}", path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ApplyConfigText(text.str(), path.string(), config);
}

}  // namespace

Status ApplyConfigText(std::string_view text, std::string_view file_name, ServerConfig* config) {
  std::map<std::string, int, std::less<>> first_line;  // key -> line that set it
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    line = Trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    auto error = [&](std::string message) {
      return Status::InvalidValue(fmt::format("{}:{}: {}", file_name, line_number, message));
    };
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return error("expected \"key = value\"");
    std::string_view key = Trim(line.substr(0, eq));
    std::string_view value = Trim(line.substr(eq + 1));
    const Setting* setting = FindSetting(key);
    if (setting == nullptr) return error(fmt::format("unknown key \"{}\"", key));
    if (auto it = first_line.find(key); it != first_line.end() && !setting->repeatable) {
      return error(fmt::format("duplicate key \"{}\" (first set on line {})", key, it->second));
    }
    first_line.emplace(std::string(key), line_number);
    if (Status s = setting->apply(*config, value); !s.ok()) {
      return error(fmt::format("{}: {}", key, s.message()));
    }
  }
  return Status::Ok();
}

std::string Usage() {
  std::string out = R"(Usage: kopfd [OPTIONS]

The kopf SQL server. Prints "kopfd listening on ADDRESS:PORT" on standard
output once it accepts connections; logs go to standard error. SIGINT or
SIGTERM stops it gracefully (a second signal stops it at once).

Options (each also a config-file key: --max-frame-bytes is max_frame_bytes):
)";
  // "  --flag VALUE" then the help, wrapped at 78 columns under column 26.
  auto line = [&](std::string left, std::string_view help) {
    std::string text = fmt::format("  {:<24}", left);
    size_t line_start = 0;
    if (left.size() >= 24) {  // no room left on its line: the help starts below
      line_start = text.size() + 1;
      text += "\n" + std::string(26, ' ');
    }
    while (!help.empty()) {
      size_t space = help.find(' ');
      std::string_view word = help.substr(0, space);
      help = space == std::string_view::npos ? std::string_view() : help.substr(space + 1);
      if (text.size() - line_start > 26 && text.size() - line_start + word.size() > 78) {
        text += "\n";
        line_start = text.size();
        text += std::string(26, ' ');
      } else if (text.size() - line_start > 26) {
        text += ' ';
      }
      text += word;
    }
    out += text + "\n";
  };
  line("--config FILE", "read settings from FILE (key = value lines); flags override it");
  // A setting whose flag is an alias (a switch) shows as that switch.
  auto alias_of = [](std::string_view flag) -> const FlagAlias* {
    for (const FlagAlias& alias : kAliases) {
      if (alias.flag == flag) return &alias;
    }
    return nullptr;
  };
  for (const Setting& s : kSettings) {
    const std::string flag = FlagOf(s.key);
    if (const FlagAlias* alias = alias_of(flag)) {
      line(flag, fmt::format("{}; in a config file: {} = {} (default {})", s.help, s.key,
                             alias->value, s.default_text));
      continue;
    }
    line(fmt::format("{} {}", flag, s.value_name),
         fmt::format("default {}; {}", s.default_text, s.help));
  }
  for (const FlagAlias& alias : kAliases) {
    if (alias.flag == FlagOf(alias.key)) continue;  // shown with its setting
    line(std::string(alias.flag), fmt::format("same as {} {}", FlagOf(alias.key), alias.value));
  }
  line("--help", "show this text");
  return out;
}

Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine cl;
  ServerConfig& config = cl.config;
  config.storage.data_dir = "./data";

  // Split "--flag=value" and find the values of flags that take one.
  struct Arg {
    std::string flag;
    std::optional<std::string> value;
  };
  std::vector<Arg> parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    Arg a{std::string(arg), std::nullopt};
    if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      a.flag = std::string(arg.substr(0, eq));
      a.value = std::string(arg.substr(eq + 1));
    }
    bool is_switch = a.flag == "--help" || a.flag == "-h";
    for (const FlagAlias& alias : kAliases) is_switch |= a.flag == alias.flag;
    // An alias wins over its own setting's flag (--repair is "repair = true").
    bool takes_value = !is_switch && (a.flag == "--config" || FindFlag(a.flag) != nullptr);
    if (!takes_value && !is_switch) {
      return Status::InvalidValue(fmt::format("unknown option \"{}\"", arg));
    }
    if (is_switch && a.value) return Status::InvalidValue(a.flag + ": takes no value");
    if (takes_value && !a.value) {
      if (i + 1 >= args.size()) return Status::InvalidValue(a.flag + ": missing value");
      a.value = args[++i];
    }
    parsed.push_back(std::move(a));
  }

  // The file first, so that flags override it wherever --config stands.
  for (const Arg& a : parsed) {
    if (a.flag != "--config") continue;
    if (!cl.config_file.empty()) return Status::InvalidValue("--config: given twice");
    if (a.value->empty()) return Status::InvalidValue("--config: empty path");
    cl.config_file = *a.value;
    KOPF_RETURN_IF_ERROR(ApplyConfigFile(cl.config_file, &config));
  }
  for (const Arg& a : parsed) {
    if (a.flag == "--help" || a.flag == "-h") {
      cl.help = true;
      continue;
    }
    const Setting* setting = FindFlag(a.flag);
    std::string_view value = a.value ? std::string_view(*a.value) : std::string_view();
    for (const FlagAlias& alias : kAliases) {
      if (a.flag == alias.flag) {
        setting = FindSetting(alias.key);
        value = alias.value;
      }
    }
    if (setting == nullptr) continue;  // --config, done above
    if (Status s = setting->apply(config, value); !s.ok()) {
      return Status::InvalidValue(fmt::format("{}: {}", a.flag, s.message()));
    }
  }
  if (!config.backups.schedule.empty() && config.storage.backup_dir.empty()) {
    return Status::InvalidValue("--backup-schedule: scheduled backups need --backup-dir DIR");
  }
  return cl;
}

}  // namespace kopf::brainstem
