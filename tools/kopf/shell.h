// Shell: runs the items the user typed (SQL statements and backslash
// meta-commands) against one server connection and prints the outcome.
//
// It is the part of the `kopf` program that knows neither the terminal nor
// the command line: main.cc connects, picks the input (interactive line
// editor, -c text, -f file, piped stdin) and hands each item here. Results
// go to `out`, errors (psql-style, see error_printer.h) to `err`, with `out`
// flushed first so the two interleave in order on a terminal.
//
// Meta-commands (\? lists them): \q, \?, \d [NAME], \dt, \di, \dP, \timing,
// \x, \pset format, \o [FILE], \i FILE, \copy (copy_command.h), \conninfo
// and \async STATEMENTS
// (sent at once on a second, asynchronous connection; replies print as they
// land, with their payload ids). An unknown or malformed meta-command
// counts as a failed item. In the aligned format \d marks partitioned
// tables and \d NAME adds the partition key and partitions (from SHOW
// PARTITIONS) under the description; CSV and JSON print the server's
// results unchanged.
//
// Thread-safety: none; the Client it borrows is single-threaded too.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/client.h"
#include "protocol/connection_string.h"
#include "tools/kopf/async_session.h"
#include "tools/kopf/completer.h"
#include "tools/kopf/meta_command.h"
#include "tools/kopf/result_printer.h"
#include "tools/kopf/statement_splitter.h"

namespace kopf::shell {

struct ShellOptions {
  OutputFormat format = OutputFormat::kAligned;
  // Print "Time: 1.234 ms" (wall time of the round trip) after each statement.
  bool timing = false;
  // Suppress command tags ("INSERT 1"); rows and errors still print.
  bool quiet = false;
  // Rows as records, one "name | value" line per column (\x).
  bool expanded = false;
  // Where the client is connected: for \conninfo, and where \async connects.
  protocol::ConnectionString connection;
  // Send results taller than the terminal through this command (pager.h);
  // empty: never. main.cc sets it only when stdout is a terminal.
  std::string pager;
  // Colour error reports (main.cc: only on a terminal, and not with NO_COLOR).
  bool color = false;
  // Show \copy's progress line on `err` (main.cc: only when stderr is a
  // terminal).
  bool progress = false;
};

// What running one item (or a whole script) came to.
enum class Outcome {
  kOk,
  kFailed,          // a statement or meta-command failed; input goes on
  kQuit,            // \q: stop reading input
  kConnectionLost,  // the server is gone; nothing more can run
};

class Shell {
 public:
  // `client`, `out` and `err` must outlive the Shell.
  Shell(protocol::Client& client, ShellOptions options, std::ostream& out, std::ostream& err);
  Shell(const Shell&) = delete;
  Shell& operator=(const Shell&) = delete;

  // Runs one statement or meta-command.
  Outcome Execute(const InputItem& item);
  Outcome RunStatement(std::string_view sql);
  Outcome RunMetaCommand(std::string_view line);

  // Executes every complete item queued in `splitter`, in order. Returns
  // kQuit or kConnectionLost as soon as one happens (the rest stay queued),
  // otherwise kFailed if any item failed, else kOk.
  Outcome Drain(StatementSplitter& splitter);

  // Runs a whole script: every line of `in`, then an unterminated last
  // statement, continuing past failed statements. Returns kQuit,
  // kConnectionLost, kFailed (something failed) or kOk. With a non-empty
  // `source_name` (a file name, "<stdin>"), error reports start with
  // "kopf:NAME:LINE: " so a failing statement can be found in the script.
  Outcome RunScript(std::istream& in, std::string_view source_name = {});
  // The same for a string (the -c argument), without a source prefix.
  Outcome RunText(std::string_view text);

  // True once any item run by this Shell has failed.
  bool any_failed() const { return any_failed_; }
  const ShellOptions& options() const { return options_; }

  // While `fd` (interrupt.h's self-pipe; -1: none) is readable, a running
  // statement is cancelled: the shell sends CANCEL for the payload id(s) in
  // flight, waits for the server's answer (ERROR Cancelled, or the result if
  // it had finished) and prints it. The connection stays usable.
  void SetInterruptFd(int fd);

  // Tab completion over this shell's connection (the interactive loop hands
  // it to the line editor).
  Completer& completer() { return completer_; }

  ~Shell();

 private:
  // How deep \i may nest before it is refused (a file including itself).
  static constexpr int kMaxIncludeDepth = 16;

  // Called with a statement's successful result before it prints (aligned
  // format only); may add to the result and returns lines printed under it.
  using Adorner = std::function<std::string(protocol::QueryResult&)>;

  // \d, \di and \dP: runs `all` with no argument, `one_prefix` + NAME with
  // one, each adorned by its Adorner when one is given.
  Outcome RunListing(const MetaCommand& command, std::string_view all,
                     std::string_view one_prefix, int line, const Adorner& adorn_all = {},
                     const Adorner& adorn_one = {});
  // The rows of SHOW PARTITIONS FROM `table` (all tables when empty); none
  // when no table is partitioned or the server cannot say.
  std::vector<protocol::Row> PartitionRows(std::string_view table);
  // \d's adornments: a "partitioned" column in the table list, and the
  // partition key and partitions under one table's description.
  std::string MarkPartitionedTables(protocol::QueryResult& tables);
  std::string PartitionFooter(std::string_view table);
  Outcome RunOutputTo(const MetaCommand& command, int line);
  Outcome RunInclude(const MetaCommand& command, int line);
  Outcome RunPset(const MetaCommand& command, int line);
  Outcome RunAsync(std::string_view text, int line);
  // \copy (copy_command.h).
  Outcome RunCopy(std::string_view text, int line);
  // Prints a result (or any text) to the current output, through the pager
  // when that is the terminal and the text is taller than it.
  void Emit(const std::string& text);
  // The error report for a failed statement, coloured when asked.
  void ReportError(const protocol::Status& status, std::string_view sql, int line);
  // ReportError, then kConnectionLost (said so) when the connection is
  // gone, else kFailed.
  Outcome ReportFailure(const protocol::Status& status, std::string_view sql, int line);
  Outcome Note(Outcome outcome);
  Outcome RunQuery(std::string_view sql, int line, const Adorner& adorn = {});
  // Query() that a Ctrl-C on interrupt_fd_ turns into a CANCEL.
  protocol::Result<protocol::QueryResult> QueryCancellable(std::string_view sql);
  Outcome RunMeta(std::string_view text, int line);
  Outcome RunLines(std::istream& in);
  Outcome Fail(std::string_view message, int line);
  // "kopf:NAME:LINE: " inside a named script, else "".
  std::string SourcePrefix(int line) const;

  protocol::Client& client_;
  ShellOptions options_;
  std::ostream& terminal_out_;  // the `out` given to the constructor
  std::ostream* out_;           // where results go: terminal_out_ or the \o file
  std::unique_ptr<std::ofstream> file_out_;
  std::ostream& err_;
  Completer completer_;
  std::unique_ptr<AsyncSession> async_;  // opened by the first \async
  int include_depth_ = 0;
  int interrupt_fd_ = -1;  // SetInterruptFd()
  bool any_failed_ = false;
  std::string source_name_;  // the script being run by RunScript, if named
};

// The text \? prints.
std::string_view MetaCommandHelp();

}  // namespace kopf::shell
