#include "tools/slt/slt_parser.h"

#include <string>

#include <doctest/doctest.h>

namespace kopf::slt {
namespace {

using Kind = Record::Kind;

TEST_SUITE("tools/slt_parser") {
  TEST_CASE("parses statement ok and statement error records") {
    auto records = ParseScript(
        "statement ok\nCREATE TABLE t1(a INTEGER, b TEXT)\n\n"
        "statement error\nINSERT INTO nowhere VALUES(1)\n");
    REQUIRE(records.size() == 2);
    CHECK(records[0].kind == Kind::kStatement);
    CHECK(records[0].expect_ok);
    CHECK(records[0].sql == "CREATE TABLE t1(a INTEGER, b TEXT)");
    CHECK(records[0].line == 1);
    CHECK(records[1].kind == Kind::kStatement);
    CHECK_FALSE(records[1].expect_ok);
    CHECK(records[1].line == 4);
  }

  TEST_CASE("joins multi-line SQL with newlines and keeps a trailing semicolon") {
    auto records = ParseScript("statement ok\nINSERT INTO t1\n  VALUES(1, 'x');\n");
    REQUIRE(records.size() == 1);
    CHECK(records[0].sql == "INSERT INTO t1\n  VALUES(1, 'x');");
  }

  TEST_CASE("parses a query with types, sort mode, label and expected values") {
    auto records = ParseScript(
        "query IT rowsort label-7\nSELECT a, b\n  FROM t1\n----\n1\nhello world\n2\n(empty)\n");
    REQUIRE(records.size() == 1);
    const Record& q = records[0];
    CHECK(q.kind == Kind::kQuery);
    CHECK(q.types == "IT");
    CHECK(q.sort == SortMode::kRowSort);
    CHECK(q.label == "label-7");
    CHECK(q.sql == "SELECT a, b\n  FROM t1");
    CHECK(q.expected == std::vector<std::string>{"1", "hello world", "2", "(empty)"});
  }

  TEST_CASE("a query defaults to nosort and may carry a label without a sort mode") {
    auto records = ParseScript("query I\nSELECT 1\n----\n1\n\nquery I join-4-1\nSELECT 2\n");
    REQUIRE(records.size() == 2);
    CHECK(records[0].sort == SortMode::kNoSort);
    CHECK(records[0].label.empty());
    CHECK(records[1].sort == SortMode::kNoSort);
    CHECK(records[1].label == "join-4-1");
    SUBCASE("valuesort and nosort are recognised") {
      auto more = ParseScript("query II valuesort\nSELECT 1, 2\n\nquery I nosort\nSELECT 1\n");
      REQUIRE(more.size() == 2);
      CHECK(more[0].sort == SortMode::kValueSort);
      CHECK(more[1].sort == SortMode::kNoSort);
    }
  }

  TEST_CASE("a query without ---- or with nothing after it expects no rows") {
    auto records = ParseScript(
        "query I rowsort\nSELECT a FROM t1 WHERE 0\n\n"
        "query I rowsort\nSELECT a FROM t1 WHERE 0\n----\n");
    REQUIRE(records.size() == 2);
    CHECK(records[0].sql == "SELECT a FROM t1 WHERE 0");
    CHECK(records[0].expected.empty());
    CHECK(records[1].sql == "SELECT a FROM t1 WHERE 0");
    CHECK(records[1].expected.empty());
  }

  TEST_CASE("strips a trailing carriage return from every line") {
    auto records = ParseScript(
        "statement ok\r\nCREATE TABLE t1(x INTEGER)\r\n\r\nquery I nosort\r\n"
        "SELECT 1\r\n----\r\n1\r\n");
    REQUIRE(records.size() == 2);
    CHECK(records[0].sql == "CREATE TABLE t1(x INTEGER)");
    CHECK(records[1].sort == SortMode::kNoSort);
    CHECK(records[1].expected == std::vector<std::string>{"1"});
  }

  TEST_CASE("drops comment lines anywhere, also inside a record, without splitting it") {
    auto records = ParseScript(
        "# a file comment\n"
        "statement ok\n# inside the statement\nCREATE TABLE t1(x INTEGER)\n"
        "# still the same record\n\n"
        "query I\nSELECT 1\n# before the separator\n----\n# between values\n1\n");
    REQUIRE(records.size() == 2);
    CHECK(records[0].sql == "CREATE TABLE t1(x INTEGER)");
    CHECK(records[0].line == 2);
    CHECK(records[1].sql == "SELECT 1");
    CHECK(records[1].expected == std::vector<std::string>{"1"});
  }

  TEST_CASE("treats lines holding only whitespace as blank separators") {
    auto records = ParseScript("statement ok\nSELECT 1\n  \t \nstatement ok\nSELECT 2\n");
    REQUIRE(records.size() == 2);
    CHECK(records[1].sql == "SELECT 2");
    CHECK(records[1].line == 4);
  }

  TEST_CASE("collects several conditions and compares engine names without case") {
    auto records =
        ParseScript("skipif mysql # not compatible\nonlyif SQLite\nstatement ok\nSELECT 1\n");
    REQUIRE(records.size() == 1);
    const Record& r = records[0];
    REQUIRE(r.conditions.size() == 2);
    CHECK_FALSE(r.conditions[0].only_if);
    CHECK(r.conditions[0].engine == "mysql");
    CHECK(r.conditions[1].only_if);
    CHECK(r.line == 3);
    CHECK(r.AppliesTo("sqlite"));
    CHECK_FALSE(r.AppliesTo("mysql"));
    CHECK_FALSE(r.AppliesTo("postgresql"));  // onlyif sqlite excludes others
  }

  TEST_CASE("skipif names the engine to skip and onlyif another engine skips too") {
    auto records = ParseScript(
        "skipif SQLITE\nstatement ok\nSELECT 1\n\n"
        "onlyif mssql\nstatement ok\nSELECT 2\n\n"
        "skipif postgresql\nstatement ok\nSELECT 3\n");
    REQUIRE(records.size() == 3);
    CHECK_FALSE(records[0].AppliesTo("sqlite"));
    CHECK_FALSE(records[1].AppliesTo("sqlite"));
    CHECK(records[2].AppliesTo("sqlite"));
  }

  TEST_CASE("parses halt with its conditions") {
    auto records = ParseScript("onlyif mssql\nhalt\n\nhalt\n");
    REQUIRE(records.size() == 2);
    CHECK(records[0].kind == Kind::kHalt);
    CHECK_FALSE(records[0].AppliesTo("sqlite"));
    CHECK(records[1].kind == Kind::kHalt);
    CHECK(records[1].AppliesTo("sqlite"));
  }

  TEST_CASE("parses hash-threshold and rejects a bad value") {
    auto records = ParseScript("hash-threshold 0\n\nhash-threshold 20\n\nhash-threshold x\n");
    REQUIRE(records.size() == 3);
    CHECK(records[0].kind == Kind::kHashThreshold);
    CHECK(records[0].threshold == 0);
    CHECK(records[1].threshold == 20);
    CHECK(records[2].kind == Kind::kUnknown);
  }

  TEST_CASE("reports an unknown record type and a statement without ok or error") {
    auto records = ParseScript("frobnicate now\n\nstatement maybe\nSELECT 1\n\nquery\nSELECT 1\n");
    REQUIRE(records.size() == 3);
    for (const Record& r : records) {
      CHECK(r.kind == Kind::kUnknown);
      CHECK_FALSE(r.error.empty());
    }
  }

  TEST_CASE("ignores conditions that guard no record and a file without a final newline") {
    auto records = ParseScript("skipif mysql\n\nstatement ok\nSELECT 1");
    REQUIRE(records.size() == 1);
    CHECK(records[0].conditions.empty());
    CHECK(records[0].sql == "SELECT 1");
  }
}

}  // namespace
}  // namespace kopf::slt
