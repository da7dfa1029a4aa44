#include "tools/slt/slt_runner.h"

#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tools/slt/slt_report.h"

namespace kopf::slt {
namespace {

using protocol::QueryResult;
using protocol::Type;
using protocol::Value;
using Outcome = Execution::Outcome;

// An Executor that answers from a table of canned executions, keyed by
// SQL, and records what it was asked. Unknown SQL succeeds with no rows.
class FakeExecutor : public Executor {
 public:
  std::map<std::string, Execution> answers;
  std::vector<std::string> sent;
  bool recover = true;
  int recoveries = 0;

  Execution Execute(std::string_view sql, Clock::time_point) override {
    sent.emplace_back(sql);
    auto it = answers.find(std::string(sql));
    return it != answers.end() ? it->second : Execution{};
  }
  bool Recover() override {
    ++recoveries;
    return recover;
  }
};

Execution Rows(std::vector<protocol::Row> rows) {
  Execution execution;
  if (!rows.empty()) {
    for (size_t c = 0; c < rows[0].size(); ++c) {
      execution.result.columns.push_back({"c", Type::kInteger});
    }
  }
  execution.result.rows = std::move(rows);
  return execution;
}

Execution Failed(Outcome outcome, std::string message) {
  Execution execution;
  execution.outcome = outcome;
  execution.message = std::move(message);
  return execution;
}

FileReport Run(std::string_view script, FakeExecutor& executor) {
  return RunRecords(ParseScript(script), executor, RunOptions{});
}

TEST_SUITE("tools/slt_runner") {
  TEST_CASE("passes statements whose success or failure matches ok or error") {
    FakeExecutor executor;
    executor.answers["BAD"] = Failed(Outcome::kError, "SyntaxError: no");
    FileReport report =
        Run("statement ok\nGOOD\n\nstatement error\nBAD\n\n"
            "statement ok\nBAD\n\nstatement error\nGOOD\n",
            executor);
    CHECK(report.passed == 2);
    CHECK(report.failed == 2);
    REQUIRE(report.failures.size() == 2);
    CHECK(report.failures[0].line == 7);
    CHECK(report.failures[0].sql == "BAD");
    CHECK(report.failures[0].message == "SyntaxError: no");
    CHECK(report.failures[1].line == 10);
  }

  TEST_CASE("sends the SQL exactly as written") {
    FakeExecutor executor;
    (void)Run("statement ok\nINSERT INTO t\nVALUES (1);\n", executor);
    CHECK(executor.sent == std::vector<std::string>{"INSERT INTO t\nVALUES (1);"});
  }

  TEST_CASE("checks queries and fails those that return an error") {
    FakeExecutor executor;
    executor.answers["SELECT a"] = Rows({{Value::Integer(2)}, {Value::Integer(1)}});
    executor.answers["SELECT count(*)"] = Failed(Outcome::kError, "NotSupported: aggregates");
    FileReport report =
        Run("query I rowsort\nSELECT a\n----\n1\n2\n\n"
            "query I nosort\nSELECT a\n----\n1\n2\n\n"
            "query I nosort\nSELECT count(*)\n----\n2\n",
            executor);
    CHECK(report.passed == 1);
    CHECK(report.failed == 2);
    REQUIRE(report.failures.size() == 2);
    CHECK(report.failures[1].message == "NotSupported: aggregates");
  }

  TEST_CASE("skips records excluded by conditions and does not count them") {
    FakeExecutor executor;
    FileReport report =
        Run("onlyif mysql\nstatement ok\nA\n\nskipif sqlite\nstatement ok\nB\n\n"
            "skipif postgresql\nstatement ok\nC\n",
            executor);
    CHECK(report.passed == 1);
    CHECK(report.run() == 1);
    CHECK(report.skipped == 2);
    CHECK(executor.sent == std::vector<std::string>{"C"});
  }

  TEST_CASE("halts only when the conditions let halt apply") {
    FakeExecutor executor;
    FileReport report =
        Run("statement ok\nA\n\nonlyif mssql\nhalt\n\nstatement ok\nB\n\nhalt\n\n"
            "statement ok\nC\n\nquery I\nD\n",
            executor);
    CHECK(executor.sent == std::vector<std::string>{"A", "B"});
    CHECK(report.passed == 2);
    CHECK(report.skipped == 2);
    CHECK(CountRunnable(ParseScript("statement ok\nA\n\nhalt\n\nstatement ok\nB\n"), "sqlite") ==
          1);
  }

  TEST_CASE("applies hash-threshold to the records after it") {
    FakeExecutor executor;
    executor.answers["Q"] = Rows({{Value::Integer(1)}, {Value::Integer(2)}, {Value::Integer(3)}});
    // md5 of "1\n2\n3\n" (coreutils md5sum).
    std::string script =
        "query I\nQ\n----\n1\n2\n3\n\nhash-threshold 2\n\nquery I\nQ\n----\n"
        "3 values hashing to c0710d6b4f15dfa88f600b0e6b624077\n\n"
        "hash-threshold 0\n\nquery I\nQ\n----\n1\n2\n3\n";
    FileReport report = Run(script, executor);
    CHECK(report.passed == 3);
    CHECK(report.failed == 0);
  }

  TEST_CASE("fails an unknown record and goes on") {
    FakeExecutor executor;
    FileReport report = Run("bogus\n\nstatement ok\nA\n", executor);
    CHECK(report.failed == 1);
    CHECK(report.passed == 1);
  }

  TEST_CASE("a timeout fails the record and the executor decides whether the file goes on") {
    FakeExecutor executor;
    executor.answers["SLOW"] = Failed(Outcome::kTimeout, "timeout");
    const char* script =
        "statement ok\nA\n\nstatement ok\nSLOW\n\nstatement ok\nB\n\nquery I\nC\n\n"
        "skipif sqlite\nstatement ok\nD\n";
    SUBCASE("when it recovers the remaining records run") {
      FileReport report = Run(script, executor);
      CHECK(executor.recoveries == 1);
      CHECK(report.passed == 2);  // A, B; C returns no columns for "I"
      CHECK(report.failed == 2);
      CHECK(report.abandoned == 0);
    }
    SUBCASE("when the database is gone the rest fails without running") {
      executor.recover = false;
      FileReport report = Run(script, executor);
      CHECK(executor.sent == std::vector<std::string>{"A", "SLOW"});
      CHECK(report.passed == 1);
      CHECK(report.failed == 3);
      CHECK(report.abandoned == 2);
      CHECK(report.skipped == 1);
      CHECK_FALSE(report.abandon_reason.empty());
    }
  }

  TEST_CASE("the file timeout fails every record left") {
    FakeExecutor executor;
    RunOptions options;
    options.file_timeout = std::chrono::milliseconds(0);
    FileReport report =
        RunRecords(ParseScript("statement ok\nA\n\nstatement ok\nB\n"), executor, options);
    CHECK(executor.sent.empty());
    CHECK(report.failed == 2);
    CHECK(report.abandoned == 2);
  }
}

TEST_SUITE("tools/slt_report") {
  TEST_CASE("prints one line per file and the closing totals") {
    FileResult a{"a.test", {}};
    a.report.passed = 3;
    a.report.failed = 1;
    a.report.skipped = 2;
    a.report.failures.push_back({12, "SELECT 1", "expected [1] got [2]"});
    FileResult b{"b.test", {}};
    b.report.passed = 5;
    CHECK(FormatFile(a, false) == "a.test: 3/4 (skipped 2)\n");
    CHECK(FormatFile(b, false) == "b.test: 5/5\n");
    CHECK(FormatFile(a, true) ==
          "a.test: 3/4 (skipped 2)\n  a.test:12: SELECT 1\n      expected [1] got [2]\n");
    CHECK(FormatTotals({a, b}) == "8 passed, 1 failed\n");
  }

  TEST_CASE("the summary gives the unweighted mean of the per-file rates") {
    FileResult a{"a.test", {}};
    a.report.passed = 1;
    a.report.failed = 3;
    FileResult b{"b.test", {}};
    b.report.passed = 100;
    std::string summary = FormatSummary({a, b});
    CHECK(summary.find("| a.test | 1/4 | 25.0 |") != std::string::npos);
    CHECK(summary.find("| b.test | 100/100 | 100.0 |") != std::string::npos);
    CHECK(summary.find("mean per-file pass rate: 62.5% over 2 files; pooled 101/104") !=
          std::string::npos);
  }
}

}  // namespace
}  // namespace kopf::slt
