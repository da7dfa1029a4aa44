#include "tools/slt/slt_render.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tools/slt/md5.h"

namespace kopf::slt {
namespace {

using protocol::ColumnInfo;
using protocol::QueryResult;
using protocol::Type;
using protocol::Value;
using Strings = std::vector<std::string>;

// The three renderings of `value`, as "I|R|T".
std::string AllLetters(const Value& value) {
  return RenderValue(value, 'I') + "|" + RenderValue(value, 'R') + "|" + RenderValue(value, 'T');
}

QueryResult Result(size_t columns, std::vector<protocol::Row> rows) {
  QueryResult result;
  for (size_t c = 0; c < columns; ++c)
    result.columns.push_back({"c" + std::to_string(c), Type::kInteger});
  result.rows = std::move(rows);
  result.tag = "SELECT";
  result.count = result.rows.size();
  return result;
}

Record Query(std::string types, SortMode sort, Strings expected) {
  Record record;
  record.kind = Record::Kind::kQuery;
  record.types = std::move(types);
  record.sort = sort;
  record.expected = std::move(expected);
  return record;
}

TEST_SUITE("tools/slt_render") {
  TEST_CASE("renders NULL as NULL for every letter") {
    CHECK(AllLetters(Value::Null()) == "NULL|NULL|NULL");
  }

  TEST_CASE("renders integers by every letter") {
    CHECK(AllLetters(Value::Integer(42)) == "42|42.000|42");
    CHECK(AllLetters(Value::Integer(-7)) == "-7|-7.000|-7");
    CHECK(AllLetters(Value::Integer(0)) == "0|0.000|0");
  }

  TEST_CASE("renders reals truncated for I, with three decimals for R, in SQLite form for T") {
    CHECK(AllLetters(Value::Double(5.6)) == "5|5.600|5.6");
    CHECK(AllLetters(Value::Double(-2.5)) == "-2|-2.500|-2.5");
    CHECK(AllLetters(Value::Double(1.25)) == "1|1.250|1.25");
    CHECK(RenderValue(Value::Double(2.0), 'T') == "2.0");
    CHECK(RenderValue(Value::Double(-0.5), 'I') == "0");
    CHECK(RenderValue(Value::Double(1e20), 'T') == "1.0e+20");
    CHECK(RenderValue(Value::Double(1.5e-7), 'T') == "1.5e-07");
    CHECK(RenderValue(Value::Double(0.1 + 0.2), 'T') == "0.3");
  }

  TEST_CASE("renders text by its leading number for I and R and as is for T") {
    CHECK(AllLetters(Value::Text("jtqxx")) == "0|0.000|jtqxx");
    CHECK(AllLetters(Value::Text("12ab")) == "12|12.000|12ab");
    CHECK(AllLetters(Value::Text(" -3.7e1x")) == "-3|-37.000| -3.7e1x");
    CHECK(AllLetters(Value::Text("+.5")) == "0|0.500|+.5");
    CHECK(RenderValue(Value::Text("99999999999999999999"), 'I') == "9223372036854775807");
    CHECK(RenderValue(Value::Text("-9223372036854775808"), 'I') == "-9223372036854775808");
    CHECK(RenderValue(Value::Text("0x10"), 'I') == "0");
    CHECK(RenderValue(Value::Text("inf"), 'R') == "0.000");
  }

  TEST_CASE("renders the empty string as (empty) and bytes outside printable ASCII as @") {
    CHECK(RenderValue(Value::Text(""), 'T') == "(empty)");
    CHECK(RenderValue(Value::Text(""), 'I') == "0");
    CHECK(RenderValue(Value::Text("a\tb\xc3\xa9~\x7f"), 'T') == "a@b@@~@");
    CHECK(RenderValue(Value::Text("with space"), 'T') == "with space");
  }

  TEST_CASE("renders booleans as 1 and 0 since SQLite has none") {
    CHECK(AllLetters(Value::Boolean(true)) == "1|1.000|1");
    CHECK(AllLetters(Value::Boolean(false)) == "0|0.000|0");
  }

  TEST_CASE("keeps 16 significant digits in R for large magnitudes") {
    CHECK(RenderValue(Value::Integer(std::numeric_limits<int64_t>::min()), 'R') ==
          "-9223372036854776000.000");
    CHECK(RenderValue(Value::Double(1e16), 'R') == "10000000000000000.000");
    CHECK(RenderValue(Value::Double(123456789.125), 'R') == "123456789.125");
    CHECK(RenderValue(Value::Integer(std::numeric_limits<int64_t>::max()), 'I') ==
          "9223372036854775807");
  }

  TEST_CASE("rowsort orders whole rows column by column bytewise") {
    Strings values = {"9", "b", "10", "a", "9", "a", "NULL", "x", "(empty)", "z"};
    SortValues(SortMode::kRowSort, 2, &values);
    CHECK(values == Strings{"(empty)", "z", "10", "a", "9", "a", "9", "b", "NULL", "x"});
  }

  TEST_CASE("valuesort orders all values as one list and nosort keeps the order") {
    Strings values = {"NULL", "9", "-1", "10", "(empty)", "-5", "0"};
    Strings unsorted = values;
    SortValues(SortMode::kNoSort, 1, &values);
    CHECK(values == unsorted);
    SortValues(SortMode::kValueSort, 7, &values);
    CHECK(values == Strings{"(empty)", "-1", "-5", "0", "10", "9", "NULL"});
  }
}

TEST_SUITE("tools/slt_md5") {
  TEST_CASE("matches the test suite of RFC 1321") {
    CHECK(Md5::HexDigest("") == "d41d8cd98f00b204e9800998ecf8427e");
    CHECK(Md5::HexDigest("a") == "0cc175b9c0f1b6a831c399e269772661");
    CHECK(Md5::HexDigest("abc") == "900150983cd24fb0d6963f7d28e17f72");
    CHECK(Md5::HexDigest("message digest") == "f96b697d7cb7938d525a2f31aaf161d0");
    CHECK(Md5::HexDigest("abcdefghijklmnopqrstuvwxyz") == "c3fcd3d76192e4007dfb496cca67e13b");
    CHECK(Md5::HexDigest("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
          "d174ab98d277d9f5a5611c2c9f419d9f");
    CHECK(Md5::HexDigest("1234567890123456789012345678901234567890123456789012345678901234567890"
                         "1234567890") == "57edf4a22be3c955ac49da2e2107b67a");
  }

  TEST_CASE("gives the same digest however the input is split") {
    std::string text(1000, 'q');
    for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 26);
    for (size_t piece : {1u, 7u, 55u, 56u, 63u, 64u, 65u, 999u}) {
      Md5 md5;
      for (size_t at = 0; at < text.size(); at += piece) md5.Update(text.substr(at, piece));
      CHECK(Md5::ToHex(md5.Finish()) == Md5::HexDigest(text));
    }
  }
}

TEST_SUITE("tools/slt_render") {
  TEST_CASE("hashes each value followed by a newline into the result line") {
    // md5 of "1\n2\n3\n4\n5\n6\n7\n8\n9\n", computed with coreutils md5sum.
    Strings values = {"1", "2", "3", "4", "5", "6", "7", "8", "9"};
    CHECK(HashLine(values) == "9 values hashing to 22e400a2ddbb013acf2a5852d6ab69fc");
  }

  TEST_CASE("hashes only above the threshold and never with threshold 0") {
    Strings eight = {"1", "2", "3", "4", "5", "6", "7", "8"};
    CHECK(ResultLines(eight, 8) == eight);
    Strings nine = {"1", "2", "3", "4", "5", "6", "7", "8", "9"};
    CHECK(ResultLines(nine, 8) == Strings{"9 values hashing to 22e400a2ddbb013acf2a5852d6ab69fc"});
    CHECK(ResultLines(nine, 0) == nine);
  }

  TEST_CASE("checks a query by rendering, sorting and hashing its values") {
    // Rows of (I, T, R): values rendered, rowsorted, then 9 values hashed.
    QueryResult result = Result(3, {{Value::Integer(10), Value::Text("x\x01y"), Value::Integer(9)},
                                    {Value::Null(), Value::Text(""), Value::Text("-3.2")},
                                    {Value::Double(0.9), Value::Text("abc"), Value::Double(1.5)}});
    // Sorted rows: "0 abc 1.500", "10 x@y 9.000", "NULL (empty) -3.200".
    Record rowsorted = Query("ITR", SortMode::kRowSort, {});
    rowsorted.expected = {
        HashLine({"0", "abc", "1.500", "10", "x@y", "9.000", "NULL", "(empty)", "-3.200"})};
    CHECK(CheckQuery(rowsorted, result, 8).passed);

    SUBCASE("without hashing the values are compared one by one") {
      Record plain =
          Query("ITR", SortMode::kNoSort,
                {"10", "x@y", "9.000", "NULL", "(empty)", "-3.200", "0", "abc", "1.500"});
      CHECK(CheckQuery(plain, result, 0).passed);
      CHECK(CheckQuery(plain, result, 9).passed);
      plain.expected.back() = "1.501";
      QueryCheck check = CheckQuery(plain, result, 0);
      CHECK_FALSE(check.passed);
      CHECK(check.message.find("1.501") != std::string::npos);
    }
    SUBCASE("a hash line with a different count fails") {
      Record wrong = rowsorted;
      wrong.expected[0].replace(0, 1, "8");
      CHECK_FALSE(CheckQuery(wrong, result, 8).passed);
    }
    SUBCASE("the wrong sort order fails") {
      Record nosort = rowsorted;
      nosort.sort = SortMode::kNoSort;
      CHECK_FALSE(CheckQuery(nosort, result, 8).passed);
    }
  }

  TEST_CASE("fails a query whose column count differs from its types string") {
    QueryResult result = Result(2, {{Value::Integer(1), Value::Integer(2)}});
    Record record = Query("I", SortMode::kNoSort, {"1"});
    QueryCheck check = CheckQuery(record, result, 8);
    CHECK_FALSE(check.passed);
    CHECK(check.message.find("columns") != std::string::npos);
    Record three = Query("III", SortMode::kNoSort, {"1", "2"});
    CHECK_FALSE(CheckQuery(three, result, 8).passed);
    Record two = Query("II", SortMode::kNoSort, {"1", "2"});
    CHECK(CheckQuery(two, result, 8).passed);
  }

  TEST_CASE("an empty expected list passes only for an empty result") {
    Record record = Query("I", SortMode::kRowSort, {});
    CHECK(CheckQuery(record, Result(1, {}), 8).passed);
    CHECK_FALSE(CheckQuery(record, Result(1, {{Value::Integer(1)}}), 8).passed);
  }
}

}  // namespace
}  // namespace kopf::slt
