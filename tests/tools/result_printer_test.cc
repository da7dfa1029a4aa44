#include "tools/kopf/result_printer.h"

#include <limits>
#include <string>

#include <doctest/doctest.h>

namespace kopf::shell {
namespace {

using protocol::ColumnInfo;
using protocol::QueryResult;
using protocol::Type;
using protocol::Value;

QueryResult Rows(std::vector<ColumnInfo> columns, std::vector<protocol::Row> rows) {
  QueryResult result;
  result.columns = std::move(columns);
  result.rows = std::move(rows);
  result.tag = "SELECT";
  result.count = result.rows.size();
  return result;
}

QueryResult Command(std::string tag, uint64_t count) {
  QueryResult result;
  result.tag = std::move(tag);
  result.count = count;
  return result;
}

TEST_SUITE("tools/result_printer") {
  TEST_CASE("aligned output right-aligns numbers, left-aligns text and blanks NULL") {
    QueryResult result =
        Rows({{"id", Type::kInteger},
              {"name", Type::kText},
              {"price", Type::kDouble},
              {"ok", Type::kBoolean}},
             {{Value::Integer(1), Value::Text("apple"), Value::Double(1.5), Value::Boolean(true)},
              {Value::Integer(22), Value::Null(), Value::Null(), Value::Boolean(false)},
              {Value::Null(), Value::Text(""), Value::Double(10.25), Value::Null()}});
    CHECK(FormatAligned(result) ==
          " id | name  | price |  ok\n"
          "----+-------+-------+-------\n"
          "  1 | apple |   1.5 | true\n"
          " 22 |       |       | false\n"
          "    |       | 10.25 |\n"
          "(3 rows)\n"
          "\n");
  }

  TEST_CASE("the footer says row or rows") {
    QueryResult one = Rows({{"x", Type::kInteger}}, {{Value::Integer(7)}});
    CHECK(FormatAligned(one) == " x\n---\n 7\n(1 row)\n\n");
    QueryResult none = Rows({{"name", Type::kText}}, {});
    CHECK(FormatAligned(none) == " name\n------\n(0 rows)\n\n");
  }

  TEST_CASE("columns are padded by display width, not bytes") {
    QueryResult result = Rows({{"name", Type::kText}, {"n", Type::kInteger}},
                              {{Value::Text("äöü"), Value::Integer(1)},
                               {Value::Text("日本"), Value::Integer(2)},
                               {Value::Text("abc"), Value::Integer(3)}});
    CHECK(FormatAligned(result) ==
          " name | n\n"
          "------+---\n"
          " äöü  | 1\n"
          " 日本 | 2\n"
          " abc  | 3\n"
          "(3 rows)\n\n");
  }

  TEST_CASE("combining marks take no column") {
    // "e" + U+0301 COMBINING ACUTE ACCENT is one column wide.
    QueryResult result = Rows(
        {{"s", Type::kText}, {"n", Type::kInteger}},
        {{Value::Text("e\xCC\x81"), Value::Integer(1)}, {Value::Text("ab"), Value::Integer(2)}});
    CHECK(FormatAligned(result) ==
          " s  | n\n"
          "----+---\n"
          " e\xCC\x81  | 1\n"
          " ab | 2\n"
          "(2 rows)\n\n");
  }

  TEST_CASE("multi-line values continue with a '+' at the column edge") {
    QueryResult result = Rows({{"a", Type::kText}, {"b", Type::kInteger}},
                              {{Value::Text("line1\nlonger line2"), Value::Integer(7)}});
    CHECK(FormatAligned(result) ==
          "      a       | b\n"
          "--------------+---\n"
          " line1       +| 7\n"
          " longer line2 |\n"
          "(1 row)\n\n");
  }

  TEST_CASE("a multi-line value in the last column") {
    QueryResult result =
        Rows({{"id", Type::kInteger}, {"note", Type::kText}},
             {{Value::Integer(1), Value::Text("a\nbc")}, {Value::Integer(2), Value::Text("d")}});
    CHECK(FormatAligned(result) ==
          " id | note\n"
          "----+------\n"
          "  1 | a   +\n"
          "    | bc\n"
          "  2 | d\n"
          "(2 rows)\n\n");
  }

  TEST_CASE("tabs expand and other control characters are escaped") {
    QueryResult result =
        Rows({{"s", Type::kText}}, {{Value::Text("a\tb")}, {Value::Text("x\ry\x01")}});
    CHECK(FormatAligned(result) ==
          "     s\n"
          "-----------\n"
          " a       b\n"
          " x\\ry\\x01\n"
          "(2 rows)\n\n");
  }

  TEST_CASE("a column typed NULL aligns by its values") {
    QueryResult result =
        Rows({{"x", Type::kNull}, {"y", Type::kNull}},
             {{Value::Integer(5), Value::Text("t")}, {Value::Integer(100), Value::Null()}});
    CHECK(FormatAligned(result) ==
          "  x  | y\n"
          "-----+---\n"
          "   5 | t\n"
          " 100 |\n"
          "(2 rows)\n\n");
  }

  TEST_CASE("CSV output quotes per RFC 4180 and tells NULL from the empty string") {
    QueryResult result = Rows(
        {{"id", Type::kInteger}, {"s", Type::kText}, {"d", Type::kDouble}, {"b", Type::kBoolean}},
        {{Value::Integer(1), Value::Text("plain"), Value::Double(2.5), Value::Boolean(true)},
         {Value::Integer(2), Value::Text(""), Value::Null(), Value::Boolean(false)},
         {Value::Null(), Value::Text("a,b"), Value::Double(1.0), Value::Null()},
         {Value::Integer(3), Value::Text("say \"hi\""), Value::Double(-0.125), Value::Null()},
         {Value::Integer(4), Value::Text("two\nlines"), Value::Null(), Value::Null()},
         {Value::Integer(5), Value::Text("cr\rhere"), Value::Null(), Value::Null()},
         {Value::Integer(6), Value::Text(" spaced "), Value::Null(), Value::Null()}});
    CHECK(FormatCsv(result) ==
          "id,s,d,b\n"
          "1,plain,2.5,true\n"
          "2,\"\",,false\n"
          ",\"a,b\",1.0,\n"
          "3,\"say \"\"hi\"\"\",-0.125,\n"
          "4,\"two\nlines\",,\n"
          "5,\"cr\rhere\",,\n"
          "6, spaced ,,\n");
  }

  TEST_CASE("CSV header names are quoted when they need it") {
    QueryResult result = Rows({{"a,b", Type::kInteger}, {"q\"", Type::kText}}, {});
    CHECK(FormatCsv(result) == "\"a,b\",\"q\"\"\"\n");
  }

  TEST_CASE("CSV output keeps UTF-8 untouched") {
    QueryResult result = Rows({{"s", Type::kText}}, {{Value::Text("日本, äöü")}});
    CHECK(FormatCsv(result) == "s\n\"日本, äöü\"\n");
  }

  TEST_CASE("commands without rows print their tag, with the count for writes") {
    CHECK(FormatCommandTag(Command("INSERT", 3)) == "INSERT 3");
    CHECK(FormatCommandTag(Command("UPDATE", 2)) == "UPDATE 2");
    CHECK(FormatCommandTag(Command("DELETE", 0)) == "DELETE 0");
    CHECK(FormatCommandTag(Command("COPY", 1000000)) == "COPY 1000000");
    CHECK(FormatCommandTag(Command("CREATE TABLE", 0)) == "CREATE TABLE");
    CHECK(FormatCommandTag(Command("DROP TABLE", 0)) == "DROP TABLE");
    CHECK(FormatResult(Command("INSERT", 1), OutputFormat::kAligned) == "INSERT 1\n");
    CHECK(FormatResult(Command("DROP TABLE", 0), OutputFormat::kCsv) == "DROP TABLE\n");
  }

  TEST_CASE("FormatResult picks the format") {
    QueryResult result = Rows({{"n", Type::kInteger}}, {{Value::Integer(1)}});
    CHECK(FormatResult(result, OutputFormat::kAligned) == " n\n---\n 1\n(1 row)\n\n");
    CHECK(FormatResult(result, OutputFormat::kCsv) == "n\n1\n");
  }

  TEST_CASE("expanded output prints one record per row, names padded, NULL blank") {
    QueryResult result = Rows({{"id", Type::kInteger}, {"long_name", Type::kText}},
                              {{Value::Integer(1), Value::Text("a\nb")},
                               {Value::Integer(2), Value::Null()}});
    CHECK(FormatResult(result, OutputFormat::kAligned, true) ==
          "-[ RECORD 1 ]-\n"
          "id        | 1\n"
          "long_name | a+\n"
          "          | b\n"
          "-[ RECORD 2 ]-\n"
          "id        | 2\n"
          "long_name |\n"
          "\n");
    CHECK(FormatExpanded(Rows({{"id", Type::kInteger}}, {})) == "(0 rows)\n\n");
  }

  TEST_CASE("JSON output: typed values, escapes, NULL, non-finite doubles and command tags") {
    QueryResult result =
        Rows({{"id", Type::kInteger},
              {"s", Type::kText},
              {"d", Type::kDouble},
              {"b", Type::kBoolean}},
             {{Value::Integer(-3), Value::Text("q\"\\\n\x01"), Value::Double(1.5), Value::Boolean(true)},
              {Value::Null(), Value::Text(""), Value::Double(std::numeric_limits<double>::infinity()),
               Value::Null()}});
    CHECK(FormatResult(result, OutputFormat::kJson) ==
          "[{\"id\":-3,\"s\":\"q\\\"\\\\\\n\\u0001\",\"d\":1.5,\"b\":true},"
          "{\"id\":null,\"s\":\"\",\"d\":\"Infinity\",\"b\":null}]\n");
    CHECK(FormatResult(Command("INSERT", 2), OutputFormat::kJson) ==
          "{\"command\":\"INSERT\",\"count\":2}\n");
    CHECK(FormatJson(Rows({{"x", Type::kInteger}}, {})) == "[]\n");
  }

  TEST_CASE("format names round-trip") {
    for (OutputFormat f : {OutputFormat::kAligned, OutputFormat::kCsv, OutputFormat::kJson}) {
      CHECK(FormatFromName(FormatName(f)) == f);
    }
    CHECK(FormatFromName("html") == std::nullopt);
  }
}

}  // namespace
}  // namespace kopf::shell
