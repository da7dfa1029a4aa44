#include "tools/kopf/statement_splitter.h"

#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace kopf::shell {
namespace {

using Kind = InputItem::Kind;

InputItem Sql(std::string text) { return {Kind::kStatement, std::move(text)}; }
InputItem Meta(std::string text) { return {Kind::kMetaCommand, std::move(text)}; }

// The items without their line numbers, which most cases do not check.
std::vector<InputItem> Drain(StatementSplitter& splitter) {
  std::vector<InputItem> items;
  while (auto item = splitter.Next()) {
    item->line = 0;
    items.push_back(*item);
  }
  return items;
}

std::vector<InputItem> SplitLines(const std::vector<std::string>& lines) {
  StatementSplitter splitter;
  for (const auto& line : lines) splitter.AddLine(line);
  return Drain(splitter);
}

TEST_SUITE("tools/statement_splitter") {
  TEST_CASE("splits several statements on one line") {
    CHECK(SplitLines({"SELECT 1; SELECT 2;SELECT 3 ;"}) ==
          std::vector{Sql("SELECT 1;"), Sql("SELECT 2;"), Sql("SELECT 3 ;")});
  }

  TEST_CASE("a semicolon inside a string literal does not end the statement") {
    CHECK(SplitLines({"INSERT INTO t VALUES ('a;b');"}) ==
          std::vector{Sql("INSERT INTO t VALUES ('a;b');")});
  }

  TEST_CASE("doubled quotes escape inside strings and identifiers") {
    CHECK(SplitLines({"SELECT 'it''s; fine', \"we\"\"ird;col\" FROM t;"}) ==
          std::vector{Sql("SELECT 'it''s; fine', \"we\"\"ird;col\" FROM t;")});
    CHECK(SplitLines({"SELECT '';", "SELECT '''';"}) ==
          std::vector{Sql("SELECT '';"), Sql("SELECT '''';")});
  }

  TEST_CASE("a semicolon inside a quoted identifier does not end the statement") {
    CHECK(SplitLines({"SELECT \"a;b\" FROM t;"}) == std::vector{Sql("SELECT \"a;b\" FROM t;")});
  }

  TEST_CASE("a semicolon inside a line comment does not end the statement") {
    CHECK(SplitLines({"SELECT 1 -- one; two", "+ 2;"}) ==
          std::vector{Sql("SELECT 1 -- one; two\n+ 2;")});
  }

  TEST_CASE("a semicolon inside a block comment does not end the statement") {
    CHECK(SplitLines({"SELECT /* a; b */ 1;"}) == std::vector{Sql("SELECT /* a; b */ 1;")});
    CHECK(SplitLines({"SELECT /* a;", "b; */ 1;"}) == std::vector{Sql("SELECT /* a;\nb; */ 1;")});
  }

  TEST_CASE("quote characters inside comments are not strings") {
    CHECK(SplitLines({"SELECT 1; -- don't", "SELECT 2;"}) ==
          std::vector{Sql("SELECT 1;"), Sql("SELECT 2;")});
    CHECK(SplitLines({"SELECT /* \" */ 1;"}) == std::vector{Sql("SELECT /* \" */ 1;")});
  }

  TEST_CASE("comment markers inside strings are text") {
    CHECK(SplitLines({"SELECT '--', '/*';", "SELECT 2;"}) ==
          std::vector{Sql("SELECT '--', '/*';"), Sql("SELECT 2;")});
  }

  TEST_CASE("a multi-line statement is joined with newlines and stays pending until the semicolon") {
    StatementSplitter splitter;
    CHECK_FALSE(splitter.pending());
    splitter.AddLine("SELECT id,");
    CHECK(splitter.pending());
    CHECK_FALSE(splitter.Next().has_value());
    splitter.AddLine("");
    splitter.AddLine("       name");
    CHECK(splitter.pending());
    splitter.AddLine("FROM t;");
    CHECK_FALSE(splitter.pending());
    CHECK(Drain(splitter) == std::vector{Sql("SELECT id,\n\n       name\nFROM t;")});
  }

  TEST_CASE("a newline inside a string literal is kept") {
    CHECK(SplitLines({"INSERT INTO t VALUES ('line1", "line2;');"}) ==
          std::vector{Sql("INSERT INTO t VALUES ('line1\nline2;');")});
  }

  TEST_CASE("an open string, identifier or block comment is pending input") {
    StatementSplitter splitter;
    splitter.AddLine("/* start of a comment");
    CHECK(splitter.pending());
    splitter.AddLine("end */");
    CHECK_FALSE(splitter.pending());
    splitter.AddLine("SELECT 'open");
    CHECK(splitter.pending());
  }

  TEST_CASE("leading blanks and comments are not part of the statement") {
    CHECK(SplitLines({"  -- heading", "/* note */  SELECT 1;"}) == std::vector{Sql("SELECT 1;")});
    CHECK(SplitLines({"", "   ", "-- only a comment"}).empty());
  }

  TEST_CASE("comment-only lines leave no pending input") {
    StatementSplitter splitter;
    splitter.AddLine("-- just a note");
    CHECK_FALSE(splitter.pending());
    splitter.AddLine("SELECT 1; -- trailing note");
    CHECK_FALSE(splitter.pending());
    CHECK(Drain(splitter) == std::vector{Sql("SELECT 1;")});
  }

  TEST_CASE("empty statements are dropped") {
    CHECK(SplitLines({";", " ; ;SELECT 1;;"}) == std::vector{Sql("SELECT 1;")});
  }

  TEST_CASE("a carriage return before the line end is ignored") {
    CHECK(SplitLines({"SELECT 1,\r", "2;\r"}) == std::vector{Sql("SELECT 1,\n2;")});
  }

  TEST_CASE("meta-commands are recognised at the start of a fresh line") {
    CHECK(SplitLines({"\\d", "  \\d users  ", "\\q"}) ==
          std::vector{Meta("\\d"), Meta("\\d users"), Meta("\\q")});
  }

  TEST_CASE("meta-commands interleave with statements in order") {
    CHECK(SplitLines({"SELECT 1;", "\\timing", "SELECT 2;"}) ==
          std::vector{Sql("SELECT 1;"), Meta("\\timing"), Sql("SELECT 2;")});
  }

  TEST_CASE("a backslash inside a pending statement is SQL text") {
    CHECK(SplitLines({"SELECT", "\\d", ";"}) == std::vector{Sql("SELECT\n\\d\n;")});
    CHECK(SplitLines({"SELECT 'a", "\\q';"}) == std::vector{Sql("SELECT 'a\n\\q';")});
  }

  TEST_CASE("a backslash inside a quote or comment is not a meta-command") {
    CHECK(SplitLines({"SELECT '\\d';"}) == std::vector{Sql("SELECT '\\d';")});
    CHECK(SplitLines({"/* \\q */ SELECT 1;"}) == std::vector{Sql("SELECT 1;")});
    CHECK(SplitLines({"SELECT 1 -- \\q", ";"}) == std::vector{Sql("SELECT 1 -- \\q\n;")});
  }

  TEST_CASE("a meta-command may follow a statement on the same line") {
    CHECK(SplitLines({"SELECT 1; \\d users "}) == std::vector{Sql("SELECT 1;"), Meta("\\d users")});
    CHECK(SplitLines({"SELECT 1; \\q; SELECT 2;"}) ==
          std::vector{Sql("SELECT 1;"), Meta("\\q; SELECT 2;")});
  }

  TEST_CASE("TakeRemainder returns the unterminated statement and resets") {
    StatementSplitter splitter;
    splitter.AddLine("SELECT 1; SELECT");
    splitter.AddLine("  2  ");
    std::optional<InputItem> rest = splitter.TakeRemainder();
    REQUIRE(rest.has_value());
    CHECK(rest->text == "SELECT\n  2");
    CHECK(rest->line == 1);
    CHECK_FALSE(splitter.pending());
    CHECK(Drain(splitter) == std::vector{Sql("SELECT 1;")});
    CHECK_FALSE(splitter.TakeRemainder().has_value());
  }

  TEST_CASE("items carry the input line where they start") {
    StatementSplitter splitter;
    for (const char* line : {"-- header", "", "  SELECT 1,", "2; SELECT", "3;", "\\d t"}) {
      splitter.AddLine(line);
    }
    std::vector<std::pair<int, std::string>> got;
    while (auto item = splitter.Next()) got.emplace_back(item->line, item->text);
    CHECK(got == std::vector<std::pair<int, std::string>>{
                     {3, "SELECT 1,\n2;"}, {4, "SELECT\n3;"}, {6, "\\d t"}});
  }

  TEST_CASE("TakeRemainder ignores a dangling comment") {
    StatementSplitter splitter;
    splitter.AddLine("/* never closed");
    CHECK(splitter.pending());
    CHECK_FALSE(splitter.TakeRemainder().has_value());
    CHECK_FALSE(splitter.pending());
  }
}

}  // namespace
}  // namespace kopf::shell
