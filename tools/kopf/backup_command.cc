#include "tools/kopf/backup_command.h"

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "cerebrum/backup_manifest.h"
#include "protocol/client.h"
#include "protocol/connection_string.h"

namespace kopf::shell {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitConnection = 2;

constexpr std::string_view kUsage =
    "Usage:\n"
    "  kopf [-h HOST] [-p PORT] [-U USER] [-d URL] backup --to DIR\n"
    "                                             take a backup on the server (BACKUP TO)\n"
    "  kopf backup --verify DIR                   check a backup folder's files\n"
    "\n"
    "--to DIR is a folder on the server, relative to its --backup-dir or inside it.\n"
    "--verify DIR re-reads every file listed in DIR/backup.csv and checks its size and\n"
    "SHA-256; it needs no server. Exit status: 0 success, 1 failure, 2 no server.\n"
    "The server is $KOPF_URL or -d kopf://USER:PASSWORD@HOST:PORT, overridden by\n"
    "-h, -p and -U; BACKUP TO needs the admin role where logins are required.\n";

struct BackupFlags {
  protocol::ConnectionString where;  // $KOPF_URL or -d, then -h, -p, -U
  std::string to;
  std::string verify;
  bool help = false;
};

// Splits "--flag=value" and takes a separate value from the next argument.
class ArgReader {
 public:
  ArgReader(int argc, char** argv) : args_(argv + 1, argv + argc) {}
  bool done() const { return i_ >= args_.size(); }
  std::string_view Next() {
    value_.reset();
    std::string_view arg = args_[i_++];
    if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value_ = std::string(arg.substr(eq + 1));
      return arg.substr(0, eq);
    }
    return arg;
  }
  std::optional<std::string> Value() {
    if (value_) return std::exchange(value_, std::nullopt);
    if (i_ >= args_.size()) return std::nullopt;
    return std::string(args_[i_++]);
  }

 private:
  std::vector<std::string_view> args_;
  size_t i_ = 0;
  std::optional<std::string> value_;
};

// Connection options that take a value, as in the shell.
bool IsConnectionFlag(std::string_view flag) {
  return flag == "-h" || flag == "--host" || flag == "-p" || flag == "--port" || flag == "-U" ||
         flag == "--username" || flag == "-d" || flag == "--dbname";
}

// Parses the flags around the word "backup". Returns an error message.
std::optional<std::string> ParseBackupFlags(int argc, char** argv, BackupFlags* flags) {
  if (const char* url = std::getenv("KOPF_URL"); url != nullptr && *url != '\0') {
    auto parsed = protocol::ParseConnectionString(url);
    if (!parsed.ok()) return "$KOPF_URL: " + parsed.status().message();
    flags->where = std::move(*parsed);
  }
  // -d replaces the whole address; -h, -p and -U then override parts of
  // it wherever they stand.
  std::optional<std::string> host, user;
  std::optional<uint16_t> port;
  ArgReader reader(argc, argv);
  bool seen_command = false;
  while (!reader.done()) {
    const std::string flag(reader.Next());
    if (flag == "backup" && !seen_command) {
      seen_command = true;
      continue;
    }
    if (flag == "--help") {
      flags->help = true;
      continue;
    }
    std::optional<std::string> value;
    if (IsConnectionFlag(flag) || flag == "--to" || flag == "--verify") {
      value = reader.Value();
      if (!value || value->empty()) return fmt::format("option {} needs a value", flag);
    } else {
      return fmt::format("unexpected argument \"{}\" for kopf backup", flag);
    }
    if (flag == "-d" || flag == "--dbname") {
      auto parsed = protocol::ParseConnectionString(*value);
      if (!parsed.ok()) return fmt::format("{}: {}", flag, parsed.status().message());
      flags->where = std::move(*parsed);
    } else if (flag == "-U" || flag == "--username") {
      user = *value;
    } else if (flag == "-h" || flag == "--host") {
      host = *value;
    } else if (flag == "-p" || flag == "--port") {
      unsigned value_port = 0;
      auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), value_port);
      if (ec != std::errc() || end != value->data() + value->size() || value_port == 0 ||
          value_port > 65535) {
        return fmt::format("invalid port \"{}\"", *value);
      }
      port = static_cast<uint16_t>(value_port);
    } else if (flag == "--to") {
      flags->to = *value;
    } else {
      flags->verify = *value;
    }
  }
  if (host) flags->where.host = *host;
  if (port) flags->where.port = *port;
  if (user) flags->where.user = *user;
  if (flags->help) return std::nullopt;
  if (flags->to.empty() == flags->verify.empty()) {
    return "kopf backup needs one of --to DIR or --verify DIR";
  }
  return std::nullopt;
}

// A SQL string literal holding `text`.
std::string QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

int TakeBackup(const BackupFlags& flags, std::ostream& out, std::ostream& err) {
  auto client = protocol::Client::Connect(flags.where.host, flags.where.port,
                                          flags.where.Options("kopf-backup"));
  if (!client.ok()) {
    err << fmt::format("kopf: could not connect to the server: {}\n", client.status().message());
    return kExitConnection;
  }
  auto result = (*client)->Query("BACKUP TO " + QuoteLiteral(flags.to));
  if (!result.ok()) {
    err << fmt::format("kopf: backup failed: {} ({})\n", result.status().message(),
                       protocol::ErrorCodeName(result.status().code()));
    return result.status().code() == protocol::ErrorCode::kProtocolViolation ? kExitConnection
                                                                              : kExitFailed;
  }
  if (result->rows.size() != 1 || result->rows[0].size() != 4) {
    err << "kopf: backup: the server's answer has an unexpected shape\n";
    return kExitFailed;
  }
  const protocol::Row& row = result->rows[0];
  out << fmt::format("backup of commit {} written to {}: {} files, {} bytes\n",
                     row[1].ToString(), row[0].ToString(), row[2].ToString(), row[3].ToString());
  return kExitOk;
}

int VerifyBackupFolder(const std::string& folder, std::ostream& out, std::ostream& err) {
  auto check = cerebrum::VerifyBackup(folder);
  if (!check.ok()) {
    err << fmt::format("kopf: {} is not a readable backup: {}\n", folder,
                       check.status().message());
    return kExitFailed;
  }
  for (const std::string& problem : check->problems) {
    err << fmt::format("kopf: {}: {}\n", folder, problem);
  }
  const cerebrum::BackupManifest& m = check->manifest;
  if (!check->problems.empty()) {
    err << fmt::format("kopf: backup {} is damaged: {} problem{}\n", folder,
                       check->problems.size(), check->problems.size() == 1 ? "" : "s");
    // An earlier check that passed no longer holds.
    std::error_code ignored;
    std::filesystem::remove(std::filesystem::path(folder) / cerebrum::kBackupVerifiedFileName,
                            ignored);
    return kExitFailed;
  }
  out << fmt::format("backup {} is intact: commit {} taken {}, {} files, {} bytes checked\n",
                     folder, m.commit, m.time, m.files.size(), m.total_bytes());
  const std::string now = cerebrum::UtcTimestamp(std::chrono::system_clock::now());
  if (auto recorded = cerebrum::RecordVerification(folder, m, now); !recorded.ok()) {
    err << fmt::format("kopf: warning: cannot record the check: {}\n", recorded.message());
  }
  return kExitOk;
}

}  // namespace

std::optional<int> RunBackupCommandIfAsked(int argc, char** argv, std::ostream& out,
                                           std::ostream& err) {
  // Find the first word that is neither an option nor the value of one
  // (the shell's -c and -f take values too: `kopf -c backup` is SQL).
  bool asked = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (IsConnectionFlag(arg) || arg == "-c" || arg == "--command" || arg == "-f" ||
        arg == "--file") {
      ++i;
      continue;
    }
    if (arg.starts_with("-")) continue;
    asked = arg == "backup";
    break;
  }
  if (!asked) return std::nullopt;
  BackupFlags flags;
  if (std::optional<std::string> error = ParseBackupFlags(argc, argv, &flags)) {
    err << "kopf: " << *error << "\n" << kUsage;
    return kExitFailed;
  }
  if (flags.help) {
    out << kUsage;
    return kExitOk;
  }
  return flags.to.empty() ? VerifyBackupFolder(flags.verify, out, err)
                          : TakeBackup(flags, out, err);
}

}  // namespace kopf::shell
