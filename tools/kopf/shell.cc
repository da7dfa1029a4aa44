#include "tools/kopf/shell.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <istream>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "tools/kopf/copy_command.h"
#include "tools/kopf/error_printer.h"
#include "tools/kopf/interrupt.h"
#include "tools/kopf/meta_command.h"
#include "tools/kopf/pager.h"

namespace kopf::shell {

namespace {

constexpr std::string_view kHelp =
    "General\n"
    "  \\q                 quit kopf (Ctrl-D does too)\n"
    "  \\?                 show this help\n"
    "\n"
    "Informational\n"
    "  \\d                 list tables (runs SHOW TABLES), marking partitioned ones\n"
    "  \\d NAME            describe a table (runs DESCRIBE NAME), with its partition\n"
    "                     key and partitions when it is partitioned\n"
    "  \\dt                same as \\d\n"
    "  \\di [TABLE]        list indexes (runs SHOW INDEXES [FROM TABLE])\n"
    "  \\dP [TABLE]        list partitions with bounds and row counts\n"
    "                     (runs SHOW PARTITIONS [FROM TABLE])\n"
    "  \\conninfo          show where this session is connected\n"
    "\n"
    "Input and output\n"
    "  \\i FILE            run the statements in FILE\n"
    "  \\o [FILE]          send results to FILE, or back to the screen\n"
    "  \\copy TABLE [(COLS)] from FILE|stdin [with (OPTIONS)]\n"
    "  \\copy TABLE|(QUERY) to FILE|stdout [with (OPTIONS)]\n"
    "                     copy between a local CSV file and the server\n"
    "  \\async SQL; SQL    send the statements at once on a second connection and\n"
    "                     print each reply as it lands, with its payload id\n"
    "                     (as SQL text in QUERY requests, not prepared statements)\n"
    "\n"
    "Formatting\n"
    "  \\x [on|off]        toggle (or set) expanded rows: one line per column\n"
    "  \\pset format NAME  print results as aligned, csv or json\n"
    "  \\timing [on|off]   toggle (or set) printing each statement's round-trip time\n"
    "\n"
    "SQL statements end with ';' and may span several lines. A meta-command\n"
    "starts where a statement could (at the start of a line or after a ';')\n"
    "and runs to the end of the line. Tab completes keywords, tables and columns.\n";

// Red, bold "ERROR:" for a terminal.
constexpr std::string_view kErrorWord = "ERROR:";
constexpr std::string_view kRedBold = "\x1b[1;31m";
constexpr std::string_view kReset = "\x1b[0m";

// Statements after which the completer's table and column names may be stale.
bool ChangesSchema(const protocol::QueryResult& result) {
  return result.tag.rfind("CREATE", 0) == 0 || result.tag.rfind("DROP", 0) == 0 ||
         result.tag.rfind("ALTER", 0) == 0;
}

// The client reports a broken connection as a protocol violation: after
// one the connection is closed, so nothing further can run.
bool IsConnectionLost(const protocol::Status& status) {
  return status.code() == protocol::ErrorCode::kProtocolViolation;
}

// The columns of SHOW PARTITIONS, in order.
enum PartitionColumn : size_t { kTable, kPartition, kMethod, kKeyColumn, kLessThan, kRows, kCount };

// How many partitions \d NAME lists under the description; beyond that it
// gives their number and leaves the list to \dP.
constexpr size_t kMaxListedPartitions = 16;

// "RANGE (id)": a partitioned table's method and column.
std::string PartitionKey(const protocol::Row& row) {
  return fmt::format("{} ({})", row[kMethod].ToString(), row[kKeyColumn].ToString());
}

// "lo < 100 (3 rows)" for a RANGE partition, "p0 (1 row)" for a HASH one.
std::string PartitionSummary(const protocol::Row& row) {
  std::string text = row[kPartition].ToString();
  if (!row[kLessThan].is_null()) text += " < " + row[kLessThan].ToString();
  std::string rows = row[kRows].ToString();
  return fmt::format("{} ({} row{})", text, rows, rows == "1" ? "" : "s");
}

// `text` (a printed result, ending in a blank line) with `footer` put
// before that blank line, as psql prints \d's footers.
std::string WithFooter(std::string text, const std::string& footer) {
  if (footer.empty()) return text;
  if (text.ends_with("\n\n")) text.pop_back();
  return text + footer + '\n';
}

std::optional<bool> ParseOnOff(std::string_view word) {
  if (word == "on" || word == "true" || word == "1") return true;
  if (word == "off" || word == "false" || word == "0") return false;
  return std::nullopt;
}

}  // namespace

std::string_view MetaCommandHelp() { return kHelp; }

Shell::Shell(protocol::Client& client, ShellOptions options, std::ostream& out, std::ostream& err)
    : client_(client),
      options_(std::move(options)),
      terminal_out_(out),
      out_(&out),
      err_(err),
      completer_([&client](std::string_view sql) { return client.Query(sql); }) {}

Shell::~Shell() = default;

void Shell::Emit(const std::string& text) {
  if (out_ == &terminal_out_ && !options_.pager.empty()) {
    int rows = TerminalRows();
    if (rows > 0 && std::count(text.begin(), text.end(), '\n') >= rows) {
      out_->flush();
      if (ShowInPager(text, options_.pager)) return;
    }
  }
  *out_ << text;
}

void Shell::ReportError(const protocol::Status& status, std::string_view sql, int line) {
  out_->flush();
  if (line > 0 && status.has_position()) {
    // Report the script line the error points at, not where the statement began.
    size_t end = std::min(static_cast<size_t>(status.position()), sql.size());
    line += static_cast<int>(std::count(sql.begin(), sql.begin() + end, '\n'));
  }
  std::string report = FormatError(status, sql);
  if (options_.color && report.rfind(kErrorWord, 0) == 0) {
    report = std::string(kRedBold) + std::string(kErrorWord) + std::string(kReset) +
             report.substr(kErrorWord.size());
  }
  err_ << SourcePrefix(line) << report;
}

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

Outcome Shell::RunQuery(std::string_view sql, int line, const Adorner& adorn) {
  auto start = std::chrono::steady_clock::now();
  protocol::Result<protocol::QueryResult> result =
      interrupt_fd_ >= 0 ? QueryCancellable(sql) : client_.Query(sql);
  std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;

  Outcome outcome = Outcome::kOk;
  if (result.ok()) {
    bool is_command = result->columns.empty();
    if (ChangesSchema(*result)) completer_.Invalidate();
    if (!(is_command && options_.quiet)) {
      std::string footer;
      if (adorn && !is_command && options_.format == OutputFormat::kAligned) {
        footer = adorn(*result);
      }
      Emit(WithFooter(FormatResult(*result, options_.format, options_.expanded), footer));
    }
  } else {
    outcome = ReportFailure(result.status(), sql, line);
  }
  if (options_.timing) *out_ << fmt::format("Time: {:.3f} ms\n", elapsed.count());
  out_->flush();
  return outcome;
}

Outcome Shell::ReportFailure(const protocol::Status& status, std::string_view sql, int line) {
  ReportError(status, sql, line);
  Outcome outcome = Outcome::kFailed;
  if (IsConnectionLost(status)) {
    err_ << "kopf: the connection to the server was lost\n";
    outcome = Outcome::kConnectionLost;
  }
  err_.flush();
  return outcome;
}

void Shell::SetInterruptFd(int fd) {
  interrupt_fd_ = fd;
  client_.SetInterruptFd(fd);
  if (async_) async_->SetInterruptFd(fd);
}

protocol::Result<protocol::QueryResult> Shell::QueryCancellable(std::string_view sql) {
  // A Ctrl-C between Enter and here counts: the statement is cancelled as
  // soon as it is sent. (The interactive loop empties the pipe before each
  // prompt, so older ones do not.)
  KOPF_ASSIGN_OR_RETURN(uint64_t payload_id, client_.Send(sql));
  bool cancel_sent = false;
  for (;;) {
    protocol::Result<protocol::Response> response = client_.Receive();
    if (response.ok()) {
      TakeInterrupts(interrupt_fd_);  // one that came too late to matter
      if (!response->status.ok()) return response->status;
      return std::move(response->result);
    }
    // Receive() fails with kCancelled only when interrupted; anything else
    // is the connection.
    if (response.status().code() != protocol::ErrorCode::kCancelled) return response.status();
    TakeInterrupts(interrupt_fd_);
    if (cancel_sent) {
      err_ << "kopf: cancel request already sent; waiting for the server\n";
      err_.flush();
      continue;
    }
    KOPF_RETURN_IF_ERROR(client_.Cancel(payload_id));
    cancel_sent = true;
  }
}

Outcome Shell::Fail(std::string_view message, int line) {
  out_->flush();
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
  auto toggle = [&](bool& setting, std::string_view label) {
    if (nargs > 1) return extra();
    if (nargs == 1) {
      std::optional<bool> value = ParseOnOff(command.args[0]);
      if (!value) {
        return Fail(fmt::format("\\{}: expected on or off, got \"{}\"", name, command.args[0]),
                    line);
      }
      setting = *value;
    } else {
      setting = !setting;
    }
    *out_ << label << (setting ? " is on.\n" : " is off.\n");
    out_->flush();
    return Outcome::kOk;
  };

  if (name == "?") {
    if (nargs > 0) return extra();
    Emit(std::string(kHelp));
    out_->flush();
    return Outcome::kOk;
  }
  if (name == "d" || name == "dt") {
    std::string table = nargs == 1 ? command.args[0] : std::string();
    return RunListing(
        command, "SHOW TABLES", "DESCRIBE ", line,
        [this](protocol::QueryResult& tables) { return MarkPartitionedTables(tables); },
        [this, table](protocol::QueryResult&) { return PartitionFooter(table); });
  }
  if (name == "di") return RunListing(command, "SHOW INDEXES", "SHOW INDEXES FROM ", line);
  if (name == "dP") return RunListing(command, "SHOW PARTITIONS", "SHOW PARTITIONS FROM ", line);
  if (name == "timing") return toggle(options_.timing, "Timing");
  if (name == "x") return toggle(options_.expanded, "Expanded display");
  if (name == "pset") return RunPset(command, line);
  if (name == "o" || name == "out") return RunOutputTo(command, line);
  if (name == "i" || name == "include") return RunInclude(command, line);
  if (name == "async") return RunAsync(text, line);
  if (name == "copy") return RunCopy(text, line);
  if (name == "conninfo") {
    if (nargs > 0) return extra();
    const protocol::ConnectionString& c = options_.connection;
    std::string user = c.user.empty() ? "" : fmt::format(" as user \"{}\"", c.user);
    *out_ << fmt::format("You are connected to {} at {}{} as client {}.\n",
                         client_.server_version(), c.Address(), user, client_.client_id());
    out_->flush();
    return Outcome::kOk;
  }
  return Fail(fmt::format("invalid command \\{}\nTry \\? for help.", name), line);
}

Outcome Shell::RunListing(const MetaCommand& command, std::string_view all,
                          std::string_view one_prefix, int line, const Adorner& adorn_all,
                          const Adorner& adorn_one) {
  if (command.args.size() > 1) {
    return Fail(fmt::format("\\{}: extra argument \"{}\"; nothing was run", command.name,
                            command.args.back()),
                line);
  }
  if (command.args.empty()) return RunQuery(std::string(all), line, adorn_all);
  return RunQuery(std::string(one_prefix) + command.args[0], line, adorn_one);
}

std::vector<protocol::Row> Shell::PartitionRows(std::string_view table) {
  std::string sql = table.empty() ? "SHOW PARTITIONS" : fmt::format("SHOW PARTITIONS FROM {}", table);
  protocol::Result<protocol::QueryResult> result = client_.Query(sql);
  // A server without SHOW PARTITIONS (or one that just failed) shows no
  // partitions; the next statement reports a lost connection.
  if (!result.ok() || result->columns.size() != kCount) return {};
  std::vector<protocol::Row> rows;
  for (protocol::Row& row : result->rows) {
    if (row.size() == kCount) rows.push_back(std::move(row));
  }
  return rows;
}

std::string Shell::MarkPartitionedTables(protocol::QueryResult& tables) {
  std::vector<protocol::Row> partitions = PartitionRows({});
  if (partitions.empty()) return {};  // the list stays as the server sent it
  std::map<std::string, std::pair<std::string, size_t>> by_table;  // table -> key, partitions
  for (const protocol::Row& row : partitions) {
    auto& [key, count] = by_table[row[kTable].ToString()];
    key = PartitionKey(row);
    ++count;
  }
  size_t width = tables.columns.size();
  tables.columns.push_back({"partitioned", protocol::Type::kText});
  for (protocol::Row& row : tables.rows) {
    row.resize(width + 1);  // the new column NULL unless the table is partitioned
    auto it = width == 0 ? by_table.end() : by_table.find(row[0].ToString());
    if (it == by_table.end()) continue;
    auto& [key, count] = it->second;
    row[width] =
        protocol::Value::Text(fmt::format("{}, {} partition{}", key, count, count == 1 ? "" : "s"));
  }
  return {};
}

std::string Shell::PartitionFooter(std::string_view table) {
  std::vector<protocol::Row> partitions = PartitionRows(table);
  if (partitions.empty()) return {};
  std::string footer = fmt::format("Partition key: {}\n", PartitionKey(partitions[0]));
  if (partitions.size() > kMaxListedPartitions) {
    return footer + fmt::format("Number of partitions: {} (\\dP {} lists them)\n",
                                partitions.size(), table);
  }
  constexpr std::string_view kLabel = "Partitions: ";
  for (size_t i = 0; i < partitions.size(); ++i) {
    footer += i == 0 ? std::string(kLabel) : std::string(kLabel.size(), ' ');
    footer += PartitionSummary(partitions[i]);
    footer += i + 1 < partitions.size() ? ",\n" : "\n";
  }
  return footer;
}

Outcome Shell::RunPset(const MetaCommand& command, int line) {
  const auto& args = command.args;
  if (args.empty()) {
    *out_ << fmt::format("format is {}; expanded is {}.\n", FormatName(options_.format),
                         options_.expanded ? "on" : "off");
    out_->flush();
    return Outcome::kOk;
  }
  if (args[0] != "format" || args.size() != 2) {
    return Fail("\\pset: expected \"\\pset format aligned|csv|json\"", line);
  }
  std::optional<OutputFormat> format = FormatFromName(args[1]);
  if (!format) {
    return Fail(fmt::format("\\pset: unknown format \"{}\"; use aligned, csv or json", args[1]),
                line);
  }
  options_.format = *format;
  *out_ << fmt::format("Output format is {}.\n", args[1]);
  out_->flush();
  return Outcome::kOk;
}

Outcome Shell::RunOutputTo(const MetaCommand& command, int line) {
  if (command.args.size() > 1) {
    return Fail(fmt::format("\\o: extra argument \"{}\"; output unchanged", command.args.back()),
                line);
  }
  out_->flush();
  if (command.args.empty()) {
    file_out_.reset();
    out_ = &terminal_out_;
    return Outcome::kOk;
  }
  auto file = std::make_unique<std::ofstream>(command.args[0], std::ios::out | std::ios::trunc);
  if (!*file) {
    return Fail(fmt::format("\\o: cannot open \"{}\": {}", command.args[0],
                            std::strerror(errno)),
                line);
  }
  file_out_ = std::move(file);
  out_ = file_out_.get();
  return Outcome::kOk;
}

Outcome Shell::RunInclude(const MetaCommand& command, int line) {
  if (command.args.size() != 1) return Fail("\\i: expected one file name", line);
  const std::string& path = command.args[0];
  if (include_depth_ >= kMaxIncludeDepth) {
    return Fail(fmt::format("\\i: \"{}\" nests more than {} files deep; not run", path,
                            kMaxIncludeDepth),
                line);
  }
  std::ifstream file(path);
  if (!file) return Fail(fmt::format("\\i: cannot open \"{}\": {}", path, std::strerror(errno)), line);
  std::string outer = source_name_;
  ++include_depth_;
  source_name_ = path;
  Outcome outcome = RunLines(file);
  source_name_ = outer;
  --include_depth_;
  // \q inside the file ends that file only, as in psql.
  return outcome == Outcome::kQuit ? Outcome::kOk : outcome;
}

Outcome Shell::RunAsync(std::string_view text, int line) {
  // The statements are the rest of the line after "\async".
  size_t at = text.find("async");
  StatementSplitter splitter;
  splitter.AddLine(text.substr(at + 5));
  std::vector<std::string> statements;
  while (std::optional<InputItem> item = splitter.Next()) {
    if (item->kind == InputItem::Kind::kMetaCommand) {
      return Fail("\\async: only SQL statements can be sent, not meta-commands", line);
    }
    statements.push_back(item->text);
  }
  if (std::optional<InputItem> rest = splitter.TakeRemainder()) {
    if (rest->kind == InputItem::Kind::kMetaCommand) {
      return Fail("\\async: only SQL statements can be sent, not meta-commands", line);
    }
    statements.push_back(rest->text);
  }
  if (statements.empty()) return Fail("\\async: expected statements, as in \\async SELECT 1; SELECT 2", line);

  if (!async_) {
    async_ = std::make_unique<AsyncSession>(options_.connection);
    async_->SetInterruptFd(interrupt_fd_);
  }
  bool failed = false;
  protocol::Status status = async_->Run(
      statements,
      [&](uint64_t first) {
        *out_ << fmt::format("Sent {} statement{} as payloads {}..{}.\n", statements.size(),
                             statements.size() == 1 ? "" : "s", first,
                             first + statements.size() - 1);
        out_->flush();
      },
      [&](size_t index, const protocol::Response& response) {
        *out_ << fmt::format("-- payload {} (statement {}): {}\n", response.payload_id, index + 1,
                             statements[index]);
        if (response.status.ok()) {
          if (ChangesSchema(response.result)) completer_.Invalidate();
          *out_ << FormatResult(response.result, options_.format, options_.expanded);
        } else {
          ReportError(response.status, statements[index], 0);
          failed = true;
        }
        out_->flush();
        err_.flush();
      });
  if (!status.ok()) {
    async_.reset();
    return Fail("\\async: could not open the second connection: " + status.message(), line);
  }
  return failed ? Outcome::kFailed : Outcome::kOk;
}

Outcome Shell::RunCopy(std::string_view text, int line) {
  // The command is the rest of the line after "\copy".
  size_t at = text.find("copy");
  protocol::Result<CopyCommand> command = ParseCopyCommand(text.substr(at + 4));
  if (!command.ok()) return Fail(command.status().message(), line);
  out_->flush();
  auto start = std::chrono::steady_clock::now();
  protocol::Result<protocol::QueryResult> result =
      RunCopyCommand(client_, *command, std::cin, *out_, err_, options_.progress);
  std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
  Outcome outcome = Outcome::kOk;
  if (result.ok()) {
    if (!options_.quiet) Emit(FormatResult(*result, options_.format, options_.expanded));
  } else if (result.status().message().rfind("\\copy:", 0) == 0) {
    outcome = Fail(result.status().message(), line);  // the local file, not the server
  } else {
    outcome = ReportFailure(result.status(), command->Sql(), 0);
  }
  if (options_.timing) *out_ << fmt::format("Time: {:.3f} ms\n", elapsed.count());
  out_->flush();
  return outcome;
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
