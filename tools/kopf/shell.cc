#include "tools/kopf/shell.h"

#include <algorithm>
#include <chrono>
#include <istream>
#include <optional>
#include <ostream>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "tools/kopf/error_printer.h"
#include "tools/kopf/meta_command.h"

namespace kopf::shell {

namespace {

constexpr std::string_view kHelp =
    "General\n"
    "  \\q                 quit kopf (Ctrl-D does too)\n"
    "  \\?                 show this help\n"
    "\n"
    "Informational\n"
    "  \\d                 list tables (runs SHOW TABLES)\n"
    "  \\d NAME            describe a table (runs DESCRIBE NAME)\n"
    "  \\dt                same as \\d\n"
    "  \\conninfo          show where this session is connected\n"
    "\n"
    "Settings\n"
    "  \\timing [on|off]   toggle (or set) printing each statement's round-trip time\n"
    "\n"
    "SQL statements end with ';' and may span several lines. A meta-command\n"
    "starts where a statement could (at the start of a line or after a ';')\n"
    "and runs to the end of the line.\n";

// The client reports a broken connection as a protocol violation: after
// one the connection is closed, so nothing further can run.
bool IsConnectionLost(const protocol::Status& status) {
  return status.code() == protocol::ErrorCode::kProtocolViolation;
}

std::optional<bool> ParseOnOff(std::string_view word) {
  if (word == "on" || word == "true" || word == "1") return true;
  if (word == "off" || word == "false" || word == "0") return false;
  return std::nullopt;
}

}  // namespace

std::string_view MetaCommandHelp() { return kHelp; }

Shell::Shell(protocol::Client& client, ShellOptions options, std::ostream& out, std::ostream& err)
    : client_(client), options_(std::move(options)), out_(out), err_(err) {}

Outcome Shell::Note(Outcome outcome) {
  if (outcome == Outcome::kFailed || outcome == Outcome::kConnectionLost) any_failed_ = true;
  return outcome;
}

std::string Shell::SourcePrefix(int line) const {
  if (source_name_.empty() || line <= 0) return {};
  return fmt::format("kopf:{}:{}: ", source_name_, line);
}

Outcome Shell::Execute(const InputItem& item) {
  switch (item.kind) {
    case InputItem::Kind::kStatement:
      return Note(RunQuery(item.text, item.line));
    case InputItem::Kind::kMetaCommand:
      return Note(RunMeta(item.text, item.line));
  }
  return Outcome::kFailed;
}

Outcome Shell::RunStatement(std::string_view sql) { return Note(RunQuery(sql, 0)); }

Outcome Shell::RunMetaCommand(std::string_view line) { return Note(RunMeta(line, 0)); }

Outcome Shell::RunQuery(std::string_view sql, int line) {
  auto start = std::chrono::steady_clock::now();
  protocol::Result<protocol::QueryResult> result = client_.Query(sql);
  std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;

  Outcome outcome = Outcome::kOk;
  if (result.ok()) {
    bool is_command = result->columns.empty();
    if (!(is_command && options_.quiet)) out_ << FormatResult(*result, options_.format);
  } else {
    out_.flush();
    const protocol::Status& status = result.status();
    if (line > 0 && status.has_position()) {
      // Report the script line the error points at, not where the statement began.
      size_t end = std::min(static_cast<size_t>(status.position()), sql.size());
      line += static_cast<int>(std::count(sql.begin(), sql.begin() + end, '\n'));
    }
    err_ << SourcePrefix(line) << FormatError(status, sql);
    outcome = Outcome::kFailed;
    if (IsConnectionLost(result.status())) {
      err_ << "kopf: the connection to the server was lost\n";
      outcome = Outcome::kConnectionLost;
    }
    err_.flush();
  }
  if (options_.timing) out_ << fmt::format("Time: {:.3f} ms\n", elapsed.count());
  out_.flush();
  return outcome;
}

Outcome Shell::Fail(std::string_view message, int line) {
  out_.flush();
  err_ << SourcePrefix(line) << message << '\n';
  err_.flush();
  return Outcome::kFailed;
}

// Returns the outcome without Note(): Execute and RunMetaCommand note it.
Outcome Shell::RunMeta(std::string_view text, int line) {
  MetaCommand command = ParseMetaCommand(text);
  const std::string& name = command.name;
  size_t nargs = command.args.size();
  auto extra = [&]() {
    return Fail(
        fmt::format("\\{}: extra argument \"{}\"; nothing was run", name, command.args.back()),
        line);
  };

  if (name == "q" || name == "quit") {
    if (nargs > 0) return extra();
    return Outcome::kQuit;
  }
  if (name == "?") {
    out_ << kHelp;
    out_.flush();
    return Outcome::kOk;
  }
  if (name == "d" || name == "dt") {
    if (nargs > 1) return extra();
    if (nargs == 0) return RunQuery("SHOW TABLES", line);
    return RunQuery("DESCRIBE " + command.args[0], line);
  }
  if (name == "timing") {
    if (nargs > 1) return extra();
    if (nargs == 1) {
      std::optional<bool> value = ParseOnOff(command.args[0]);
      if (!value) {
        return Fail(fmt::format("\\timing: expected on or off, got \"{}\"", command.args[0]), line);
      }
      options_.timing = *value;
    } else {
      options_.timing = !options_.timing;
    }
    out_ << "Timing is " << (options_.timing ? "on" : "off") << ".\n";
    out_.flush();
    return Outcome::kOk;
  }
  if (name == "conninfo") {
    if (nargs > 0) return extra();
    out_ << fmt::format("You are connected to {} at {}:{} as client {}.\n",
                        client_.server_version(), options_.host, options_.port,
                        client_.client_id());
    out_.flush();
    return Outcome::kOk;
  }
  return Fail(fmt::format("invalid command \\{}\nTry \\? for help.", name), line);
}

Outcome Shell::Drain(StatementSplitter& splitter) {
  Outcome overall = Outcome::kOk;
  while (std::optional<InputItem> item = splitter.Next()) {
    Outcome outcome = Execute(*item);
    if (outcome == Outcome::kQuit || outcome == Outcome::kConnectionLost) return outcome;
    if (outcome == Outcome::kFailed) overall = Outcome::kFailed;
  }
  return overall;
}

Outcome Shell::RunScript(std::istream& in, std::string_view source_name) {
  source_name_ = std::string(source_name);
  Outcome outcome = RunLines(in);
  source_name_.clear();
  return outcome;
}

Outcome Shell::RunLines(std::istream& in) {
  StatementSplitter splitter;
  Outcome overall = Outcome::kOk;
  std::string line;
  while (std::getline(in, line)) {
    splitter.AddLine(line);
    Outcome outcome = Drain(splitter);
    if (outcome == Outcome::kQuit || outcome == Outcome::kConnectionLost) return outcome;
    if (outcome == Outcome::kFailed) overall = Outcome::kFailed;
  }
  // psql runs a last statement that lacks its ';' too.
  if (std::optional<InputItem> rest = splitter.TakeRemainder()) {
    Outcome outcome = Execute(*rest);
    if (outcome != Outcome::kOk) overall = outcome;
  }
  return overall;
}

Outcome Shell::RunText(std::string_view text) {
  std::string copy(text);
  std::istringstream in(copy);
  return RunScript(in);
}

}  // namespace kopf::shell
