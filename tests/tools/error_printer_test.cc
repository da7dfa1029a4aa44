#include "tools/kopf/error_printer.h"

#include <string>

#include <doctest/doctest.h>

namespace kopf::shell {
namespace {

using protocol::Status;

// "LINE n: " is 8 characters wide for one-digit line numbers.
std::string Caret(int column) { return std::string(8 + column, ' ') + "^\n"; }

TEST_SUITE("tools/error_printer") {
  TEST_CASE("an error without a position prints message and code") {
    CHECK(FormatError(Status::UndefinedTable("table \"t\" does not exist"), "SELECT * FROM t;") ==
          "ERROR:  table \"t\" does not exist\n"
          "CODE: UndefinedTable (2)\n");
  }

  TEST_CASE("the caret points into the right line of a multi-line statement") {
    std::string sql = "SELECT id,\n       nme\nFROM t;";
    auto position = static_cast<int32_t>(sql.find("nme"));
    Status status = Status::UndefinedColumn("column \"nme\" does not exist", position);
    CHECK(FormatError(status, sql) ==
          "ERROR:  column \"nme\" does not exist\n"
          "LINE 2:        nme\n" +
              Caret(7) + "CODE: UndefinedColumn (3)\n");
  }

  TEST_CASE("the caret on the third line, and on the first character") {
    std::string sql = "SELECT\n  1\nFORM t;";
    CHECK(FormatErrorPosition(sql, static_cast<int32_t>(sql.find("FORM"))) ==
          "LINE 3: FORM t;\n" + Caret(0));
    CHECK(FormatErrorPosition("SELEC 1;", 0) == "LINE 1: SELEC 1;\n" + Caret(0));
  }

  TEST_CASE("the caret counts UTF-8 characters by display width") {
    std::string sql = "SELECT 'äöü日本' + x;";
    auto position = static_cast<int32_t>(sql.find('x'));
    // "SELECT '" is 8 columns, äöü 3, 日本 4, "' + " 4.
    CHECK(FormatErrorPosition(sql, position) == "LINE 1: " + sql + "\n" + Caret(19));
  }

  TEST_CASE("an offset inside a multi-byte character points at that character") {
    std::string sql = "SELECT ä;";
    CHECK(FormatErrorPosition(sql, 8) == "LINE 1: " + sql + "\n" + Caret(7));
  }

  TEST_CASE("tabs before the caret are expanded") {
    std::string sql = "SELECT\t\tfoo;";
    CHECK(FormatErrorPosition(sql, static_cast<int32_t>(sql.find("foo"))) ==
          "LINE 1: SELECT          foo;\n" + Caret(16));
  }

  TEST_CASE("an offset at the end points after the last visible character") {
    std::string sql = "SELECT 1 +\n  ";
    CHECK(FormatErrorPosition(sql, static_cast<int32_t>(sql.size())) ==
          "LINE 1: SELECT 1 +\n" + Caret(10));
    CHECK(FormatErrorPosition(sql, 1000) == "LINE 1: SELECT 1 +\n" + Caret(10));
  }

  TEST_CASE("no position, no caret") {
    CHECK(FormatErrorPosition("SELECT 1;", Status::kNoPosition).empty());
  }

  TEST_CASE("a long line is cut to a window around the caret") {
    std::string line(100, 'a');
    line[80] = 'Z';
    CHECK(FormatErrorPosition(line, 80) == "LINE 1: ..." + line.substr(50) + "\n" + Caret(33));
    std::string head = line.substr(0, 60);
    CHECK(FormatErrorPosition(line, 5) == "LINE 1: " + head + "...\n" + Caret(5));
  }
}

}  // namespace
}  // namespace kopf::shell
