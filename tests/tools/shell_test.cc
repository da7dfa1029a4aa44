#include "tools/kopf/shell.h"

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "tests/support/test_support.h"
#include "tools/kopf/copy_command.h"
#include "tools/kopf/interrupt.h"
#include "tools/kopf/meta_command.h"

namespace kopf::shell {
namespace {

using protocol::QueryResult;
using protocol::Result;
using protocol::Status;
using protocol::Type;
using protocol::Value;

// A Client that answers from a table of canned results and records what it
// was sent. Unknown statements succeed as "OK" commands.
class FakeClient : public protocol::Client {
 public:
  std::map<std::string, Result<QueryResult>> answers;
  std::vector<std::string> sent;

  Result<QueryResult> Query(std::string_view sql) override {
    sent.emplace_back(sql);
    auto it = answers.find(std::string(sql));
    if (it != answers.end()) return it->second;
    QueryResult ok;
    ok.tag = "OK";
    return ok;
  }
  // With an interrupt fd (Shell::SetInterruptFd) the shell runs a statement
  // with Send and Receive: Receive fails with kCancelled while the fd is
  // readable, as the real client's does, and otherwise answers the last
  // statement sent, with the server's Cancelled error once it was cancelled.
  // Cancel records the id and then runs `on_cancel`.
  int interrupt_fd = -1;
  std::vector<uint64_t> cancelled;
  std::function<void()> on_cancel;
  void SetInterruptFd(int fd) override { interrupt_fd = fd; }
  Result<uint64_t> Send(std::string_view sql) override {
    sent.emplace_back(sql);
    return ++last_payload_id_;
  }
  Result<protocol::Response> Receive() override {
    pollfd interrupt{interrupt_fd, POLLIN, 0};
    if (interrupt_fd >= 0 && ::poll(&interrupt, 1, 0) == 1) {
      return Status::Cancelled("interrupted while waiting for the server");
    }
    protocol::Response response;
    response.payload_id = last_payload_id_;
    if (cancelled.empty()) {
      response.result.tag = "OK";
    } else {
      response.status = Status::Cancelled("the request was cancelled by the client");
    }
    return response;
  }
  Result<protocol::PreparedStatement> Prepare(std::string_view) override {
    return Status::Internal("unused");
  }
  Result<QueryResult> Execute(const protocol::PreparedStatement&,
                              std::span<const protocol::Row>) override {
    return Status::Internal("unused");
  }
  Status Close(const protocol::PreparedStatement&) override { return Status::Internal("unused"); }
  Result<uint64_t> SendPrepare(std::string_view) override { return Status::Internal("unused"); }
  Result<uint64_t> SendExecute(const protocol::PreparedStatement&,
                               std::span<const protocol::Row>) override {
    return Status::Internal("unused");
  }
  Status Ping() override { return Status::Internal("unused"); }
  Status Cancel(uint64_t payload_id) override {
    cancelled.push_back(payload_id);
    if (on_cancel) on_cancel();
    return Status::Ok();
  }
  // COPY: records the statement; FROM takes the whole source into
  // `copied_in`, TO hands `copy_out` to the sink in two pieces.
  std::string copied_in;
  std::string copy_out;
  Result<QueryResult> CopyIn(std::string_view sql, const protocol::CopySource& source) override {
    sent.emplace_back(sql);
    char buffer[7];
    for (;;) {
      KOPF_ASSIGN_OR_RETURN(size_t n, source(buffer, sizeof(buffer)));
      if (n == 0) break;
      copied_in.append(buffer, n);
    }
    QueryResult done;
    done.tag = "COPY";
    done.count = static_cast<uint64_t>(std::count(copied_in.begin(), copied_in.end(), '\n'));
    return done;
  }
  Result<QueryResult> CopyOut(std::string_view sql, const protocol::CopySink& sink) override {
    sent.emplace_back(sql);
    size_t half = copy_out.size() / 2;
    KOPF_RETURN_IF_ERROR(sink(std::string_view(copy_out).substr(0, half)));
    KOPF_RETURN_IF_ERROR(sink(std::string_view(copy_out).substr(half)));
    QueryResult done;
    done.tag = "COPY";
    done.count = static_cast<uint64_t>(std::count(copy_out.begin(), copy_out.end(), '\n'));
    return done;
  }
  uint32_t client_id() const override { return 7; }
  const std::string& server_version() const override { return version_; }

 private:
  std::string version_ = "kopfd 9.9.9";
  uint64_t last_payload_id_ = 0;
};

// A result with rows, as SHOW and DESCRIBE send them.
QueryResult RowsResult(std::vector<protocol::ColumnInfo> columns, std::vector<protocol::Row> rows,
                       std::string tag = "SHOW") {
  QueryResult result;
  result.columns = std::move(columns);
  result.rows = std::move(rows);
  result.tag = std::move(tag);
  result.count = result.rows.size();
  return result;
}

QueryResult Tables() { return RowsResult({{"table", Type::kText}}, {{Value::Text("users")}}); }

QueryResult Inserted(uint64_t n) {
  QueryResult result;
  result.tag = "INSERT";
  result.count = n;
  return result;
}

struct Fixture {
  FakeClient client;
  std::ostringstream out;
  std::ostringstream err;
  ShellOptions options;
  Shell MakeShell() { return Shell(client, options, out, err); }
};

TEST_SUITE("tools/shell") {
  TEST_CASE("Ctrl-C while a statement runs sends one CANCEL, and a second press only says so") {
    Fixture f;
    int fds[2];
    REQUIRE(::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
    Shell shell = f.MakeShell();
    shell.SetInterruptFd(fds[0]);
    char press = 'C';
    // Pressed between Enter and the send: it still cancels this statement.
    REQUIRE(::write(fds[1], &press, 1) == 1);
    // Pressed again while the cancel is pending.
    f.client.on_cancel = [&] { CHECK(::write(fds[1], &press, 1) == 1); };
    CHECK(shell.RunStatement("SELECT slow") == Outcome::kFailed);
    CHECK(f.client.cancelled == std::vector<uint64_t>{1});
    const std::string err = f.err.str();
    CHECK(err.rfind("kopf: cancel request already sent; waiting for the server\nERROR:", 0) == 0);
    CHECK(err.find("CODE: Cancelled (19)") != std::string::npos);
    // Nothing is left over to cancel the next statement.
    CHECK_FALSE(TakeInterrupts(fds[0]));
    f.client.on_cancel = nullptr;
    f.client.cancelled.clear();
    CHECK(shell.RunStatement("SELECT 1") == Outcome::kOk);
    CHECK(f.client.cancelled.empty());
    shell.SetInterruptFd(-1);
    ::close(fds[0]);
    ::close(fds[1]);
  }

  TEST_CASE("\\d lists tables and \\d NAME describes one") {
    Fixture f;
    f.client.answers.emplace("SHOW TABLES", Tables());
    Shell shell = f.MakeShell();
    CHECK(shell.RunMetaCommand("\\d") == Outcome::kOk);
    CHECK(shell.RunMetaCommand("\\d \"Order Lines\"") == Outcome::kOk);
    CHECK(shell.RunMetaCommand("\\dt") == Outcome::kOk);
    // Each table list asks which tables are partitioned; the failed-over
    // DESCRIBE (a command here) gets no partition footer.
    CHECK(f.client.sent == std::vector<std::string>{"SHOW TABLES", "SHOW PARTITIONS",
                                                    "DESCRIBE \"Order Lines\"", "SHOW TABLES",
                                                    "SHOW PARTITIONS"});
    CHECK(f.out.str().find(" users\n(1 row)") != std::string::npos);
  }

  TEST_CASE("\\d NAME counts rather than lists more than 16 partitions, and CSV adds nothing") {
    Fixture f;
    QueryResult describe = RowsResult({{"column", Type::kText}}, {{Value::Text("id")}}, "DESCRIBE");
    std::vector<protocol::Row> hash_partitions;
    for (int i = 0; i < 17; ++i) {
      hash_partitions.push_back({Value::Text("wide"), Value::Text("p" + std::to_string(i)),
                                 Value::Text("HASH"), Value::Text("id"), Value(),
                                 Value::Integer(0)});
    }
    QueryResult partitions = RowsResult({{"table", Type::kText},
                                         {"partition", Type::kText},
                                         {"method", Type::kText},
                                         {"column", Type::kText},
                                         {"less_than", Type::kText},
                                         {"rows", Type::kInteger}},
                                        std::move(hash_partitions));
    f.client.answers.emplace("DESCRIBE wide", describe);
    f.client.answers.emplace("SHOW PARTITIONS FROM wide", partitions);
    f.client.answers.emplace("DESCRIBE old", describe);
    f.client.answers.emplace("SHOW PARTITIONS FROM old",
                             Status::SyntaxError("syntax error at \"PARTITIONS\""));
    Shell shell = f.MakeShell();
    CHECK(shell.RunMetaCommand("\\d wide") == Outcome::kOk);
    CHECK(f.out.str() ==
          " column\n"
          "--------\n"
          " id\n"
          "(1 row)\n"
          "Partition key: HASH (id)\n"
          "Number of partitions: 17 (\\dP wide lists them)\n\n");
    // A server that cannot say just gets no footer.
    f.out.str("");
    CHECK(shell.RunMetaCommand("\\d old") == Outcome::kOk);
    CHECK(f.out.str() == " column\n--------\n id\n(1 row)\n\n");
    CHECK(f.err.str() == "");
    CHECK_FALSE(shell.any_failed());

    Fixture csv;
    csv.options.format = OutputFormat::kCsv;
    csv.client.answers.emplace("DESCRIBE wide", describe);
    Shell csv_shell = csv.MakeShell();
    CHECK(csv_shell.RunMetaCommand("\\d wide") == Outcome::kOk);
    CHECK(csv.client.sent == std::vector<std::string>{"DESCRIBE wide"});
    CHECK(csv.out.str() == "column\nid\n");
  }

  TEST_CASE("a script keeps going after a failed statement and reports the failure") {
    Fixture f;
    f.client.answers.emplace("INSERT INTO t VALUES (1);", Inserted(1));
    f.client.answers.emplace("SELEC 1;",
                             Status::SyntaxError("syntax error at or near \"SELEC\"", 0));
    Shell shell = f.MakeShell();
    CHECK(shell.RunText("SELEC 1;\nINSERT INTO t VALUES (1);") == Outcome::kFailed);
    CHECK(shell.any_failed());
    CHECK(f.client.sent.size() == 2);
    CHECK(f.out.str() == "INSERT 1\n");
    CHECK(f.err.str() ==
          "ERROR:  syntax error at or near \"SELEC\"\n"
          "LINE 1: SELEC 1;\n"
          "        ^\n"
          "CODE: SyntaxError (1)\n");
  }

  TEST_CASE("errors in a named script name the file and the line") {
    Fixture f;
    std::string bad = "SELECT id,\n       nme\nFROM t;";
    f.client.answers.emplace(bad, Status::UndefinedColumn("column \"nme\" does not exist",
                                                          static_cast<int32_t>(bad.find("nme"))));
    Shell shell = f.MakeShell();
    std::istringstream script("-- setup\nSELECT 1;\n" + bad + "\n\\bogus\n");
    CHECK(shell.RunScript(script, "load.sql") == Outcome::kFailed);
    CHECK(f.err.str() ==
          "kopf:load.sql:4: ERROR:  column \"nme\" does not exist\n"
          "LINE 2:        nme\n"
          "               ^\n"
          "CODE: UndefinedColumn (3)\n"
          "kopf:load.sql:6: invalid command \\bogus\n"
          "Try \\? for help.\n");
  }

  TEST_CASE("a script runs its unterminated last statement") {
    Fixture f;
    Shell shell = f.MakeShell();
    CHECK(shell.RunText("SELECT 1; SELECT 2") == Outcome::kOk);
    CHECK(f.client.sent == std::vector<std::string>{"SELECT 1;", "SELECT 2"});
    CHECK_FALSE(shell.any_failed());
  }

  TEST_CASE("\\q stops a script") {
    Fixture f;
    Shell shell = f.MakeShell();
    CHECK(shell.RunText("SELECT 1;\n\\q\nSELECT 2;") == Outcome::kQuit);
    CHECK(f.client.sent == std::vector<std::string>{"SELECT 1;"});
  }

  TEST_CASE("an unknown meta-command fails without ending the script") {
    Fixture f;
    Shell shell = f.MakeShell();
    CHECK(shell.RunText("\\nope\nSELECT 1;") == Outcome::kFailed);
    CHECK(f.client.sent == std::vector<std::string>{"SELECT 1;"});
    CHECK(f.err.str() == "invalid command \\nope\nTry \\? for help.\n");
    CHECK(shell.any_failed());
  }

  TEST_CASE("a lost connection stops the script") {
    Fixture f;
    f.client.answers.emplace("SELECT 1;", Status::ProtocolViolation("connection closed"));
    Shell shell = f.MakeShell();
    CHECK(shell.RunText("SELECT 1;\nSELECT 2;") == Outcome::kConnectionLost);
    CHECK(f.client.sent.size() == 1);
    CHECK(f.err.str().find("connection to the server was lost") != std::string::npos);
  }

  TEST_CASE("\\timing toggles the time line") {
    Fixture f;
    Shell shell = f.MakeShell();
    CHECK(shell.RunMetaCommand("\\timing") == Outcome::kOk);
    CHECK(shell.options().timing);
    CHECK(shell.RunStatement("SELECT 1;") == Outcome::kOk);
    CHECK(f.out.str().find("Timing is on.\nOK\nTime: ") == 0);
    CHECK(f.out.str().find(" ms\n") != std::string::npos);
    CHECK(shell.RunMetaCommand("\\timing off") == Outcome::kOk);
    CHECK_FALSE(shell.options().timing);
    CHECK(shell.RunMetaCommand("\\timing maybe") == Outcome::kFailed);
  }

  TEST_CASE("quiet mode drops command tags but keeps rows") {
    Fixture f;
    f.options.quiet = true;
    f.client.answers.emplace("INSERT INTO t VALUES (1);", Inserted(1));
    f.client.answers.emplace("SHOW TABLES;", Tables());
    Shell shell = f.MakeShell();
    CHECK(shell.RunText("INSERT INTO t VALUES (1); SHOW TABLES;") == Outcome::kOk);
    CHECK(f.out.str() == " table\n-------\n users\n(1 row)\n\n");
  }

  TEST_CASE("CSV mode prints rows as CSV") {
    Fixture f;
    f.options.format = OutputFormat::kCsv;
    f.client.answers.emplace("SHOW TABLES;", Tables());
    Shell shell = f.MakeShell();
    CHECK(shell.RunText("SHOW TABLES;") == Outcome::kOk);
    CHECK(f.out.str() == "table\nusers\n");
  }

  TEST_CASE("\\conninfo and \\? print to out") {
    Fixture f;
    Shell shell = f.MakeShell();
    CHECK(shell.RunMetaCommand("\\conninfo") == Outcome::kOk);
    CHECK(f.out.str() == "You are connected to kopfd 9.9.9 at 127.0.0.1:5433 as client 7.\n");
    CHECK(shell.RunMetaCommand("\\?") == Outcome::kOk);
    CHECK(f.out.str().find("\\timing") != std::string::npos);
  }

  TEST_CASE("extra arguments to a meta-command are an error") {
    Fixture f;
    Shell shell = f.MakeShell();
    CHECK(shell.RunMetaCommand("\\d a b") == Outcome::kFailed);
    CHECK(shell.RunMetaCommand("\\q now") == Outcome::kFailed);
    CHECK(f.client.sent.empty());
  }
}

TEST_SUITE("tools/meta_command") {
  TEST_CASE("parses the name and blank-separated arguments") {
    CHECK(ParseMetaCommand("\\d") == MetaCommand{"d", {}});
    CHECK(ParseMetaCommand("  \\d   users  ") == MetaCommand{"d", {"users"}});
    CHECK(ParseMetaCommand("\\timing on") == MetaCommand{"timing", {"on"}});
    CHECK(ParseMetaCommand("\\") == MetaCommand{"", {}});
  }

  TEST_CASE("a quoted argument keeps its blanks and quotes") {
    CHECK(ParseMetaCommand("\\d \"Order Lines\" x") == MetaCommand{"d", {"\"Order Lines\"", "x"}});
    CHECK(ParseMetaCommand("\\d \"a\"\"b c\"") == MetaCommand{"d", {"\"a\"\"b c\""}});
  }
}

TEST_SUITE("tools/copy_command") {
  TEST_CASE("\\copy is parsed as psql writes it and turned into COPY FROM STDIN or TO STDOUT") {
    auto from = ParseCopyCommand(" t (a, b) from 'my file.csv' with (header, delimiter ';')");
    REQUIRE_MESSAGE(from.ok(), from.status().ToString());
    CHECK(from->from);
    CHECK(from->file == "my file.csv");
    CHECK(from->Sql() == "COPY t (a, b) FROM STDIN with (header, delimiter ';')");
    auto to = ParseCopyCommand("(SELECT a FROM t WHERE b = 'to x') TO out.csv (HEADER)");
    REQUIRE(to.ok());
    CHECK_FALSE(to->from);
    CHECK(to->file == "out.csv");
    CHECK(to->Sql() == "COPY (SELECT a FROM t WHERE b = 'to x') TO STDOUT (HEADER)");
    auto quoted = ParseCopyCommand("t from 'it''s.csv'");
    REQUIRE(quoted.ok());
    CHECK(quoted->file == "it's.csv");
    for (const char* text : {"t from stdin", "t FROM pstdin", "t to stdout", "t to PSTDOUT"}) {
      auto standard = ParseCopyCommand(text);
      REQUIRE(standard.ok());
      CHECK(standard->standard_stream);
      CHECK(standard->file.empty());
    }
  }

  TEST_CASE("a malformed \\copy names what is wrong") {
    auto message = [](const char* text) { return ParseCopyCommand(text).status().message(); };
    CHECK(message("t").find("expected \\copy TABLE") != std::string::npos);
    CHECK(message("from 'x'") == "\\copy: a table or a (query) must come before from");
    CHECK(message("t to") == "\\copy: a file name, stdout or pstdout must follow to");
    CHECK(message("t from 'x") == "\\copy: unterminated quoted file name");
    CHECK(message("t from stdout") == "\\copy: stdout cannot be read from");
    CHECK(ParseCopyCommand("t from program 'gzip'").status().code() ==
          protocol::ErrorCode::kNotSupported);
  }

  TEST_CASE("\\copy streams a local file in and writes one out, replacing it only on success") {
    testing::TempDir dir;
    Fixture f;
    Shell shell = f.MakeShell();
    auto in = dir.path() / "in.csv";
    testing::WriteTextFile(in, "1,a\n2,\"b, c\"\n3,c\n");
    CHECK(shell.RunMetaCommand("\\copy t from '" + in.string() + "'") == Outcome::kOk);
    CHECK(f.client.sent.back() == "COPY t FROM STDIN");
    CHECK(f.client.copied_in == "1,a\n2,\"b, c\"\n3,c\n");
    CHECK(f.out.str() == "COPY 3\n");

    auto out = dir.path() / "out.csv";
    testing::WriteTextFile(out, "old\n");
    f.client.copy_out = "x,y\n1,2\n";
    CHECK(shell.RunMetaCommand("\\copy t to '" + out.string() + "' with (header)") == Outcome::kOk);
    CHECK(f.client.sent.back() == "COPY t TO STDOUT with (header)");
    CHECK(testing::ReadTextFile(out) == "x,y\n1,2\n");

    CHECK(shell.RunMetaCommand("\\copy t from '" + (dir.path() / "none.csv").string() + "'") ==
          Outcome::kFailed);
    CHECK(f.err.str().find("cannot open") != std::string::npos);
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator()) == 2);  // no temporary left
  }
}

}  // namespace
}  // namespace kopf::shell
