#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "cerebrum/csv_format.h"
#include "cerebrum/csv_reader.h"
#include "protocol/value.h"
#include "tests/support/test_support.h"

namespace kopf::cerebrum {
namespace {

using protocol::ErrorCode;
using protocol::Type;
using protocol::Value;
using namespace std::string_literals;

// Exact equality, with -0.0 != 0.0 and any NaN equal to any NaN.
bool SameValue(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  if (a.type() != Type::kDouble) return a == b;
  double x = a.as_double(), y = b.as_double();
  if (std::isnan(x) || std::isnan(y)) return std::isnan(x) && std::isnan(y);
  return std::bit_cast<uint64_t>(x) == std::bit_cast<uint64_t>(y);
}

std::string Field(const Value& v) {
  std::string out;
  AppendCsvField(&out, v);
  return out;
}

std::filesystem::path WriteFile(const testing::TempDir& dir, std::string_view name,
                                std::string_view bytes) {
  std::filesystem::path path = dir.path() / name;
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
  return path;
}

struct ReadRecord {
  std::string text;
  uint64_t line = 0;
  uint64_t start = 0;
  uint64_t end = 0;
  bool torn = false;
};

// Reads every record of `path`; fails the test on an error.
std::vector<ReadRecord> ReadAll(const std::filesystem::path& path) {
  auto reader = CsvRecordReader::Open(path);
  REQUIRE_MESSAGE(reader.ok(), reader.status().ToString());
  std::vector<ReadRecord> out;
  while (true) {
    ReadRecord r;
    auto more = (*reader)->Next(&r.text, &r.line);
    REQUIRE_MESSAGE(more.ok(), more.status().ToString());
    if (!*more) break;
    r.start = (*reader)->record_start_offset();
    r.end = (*reader)->record_end_offset();
    r.torn = (*reader)->last_record_torn();
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<CsvField> Split(std::string_view record) {
  std::vector<CsvField> fields;
  auto s = SplitCsvRecord(record, &fields);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return fields;
}

protocol::Status SplitError(std::string_view record) {
  std::vector<CsvField> fields;
  return SplitCsvRecord(record, &fields);
}

protocol::Status ParseError(std::string text, Type type, bool quoted = false) {
  auto r = ParseCsvValue(CsvField{std::move(text), quoted}, type);
  return r.ok() ? protocol::Status::Ok() : r.status();
}

// Text values that break naive CSV code.
std::vector<std::string> NastyStrings() {
  std::vector<std::string> v = {"plain",
                                "",
                                " ",
                                "  leading",
                                "trailing  ",
                                "a,b",
                                ",",
                                ",,",
                                "\"",
                                "\"\"",
                                "say \"hi\"",
                                "\"quoted\"",
                                "line\nbreak",
                                "\n",
                                "\n\n",
                                "a\r\nb",
                                "\r\n",
                                "x\r",
                                "\r",
                                "lone\rcr",
                                "end\r\n",
                                "\r\n\r\n",
                                "mixed,\"\r\n\",",
                                "grüße",
                                "日本語テキスト",
                                "emoji 😀👍🏽",
                                "\xEF\xBB\xBF"
                                "bom first",
                                "NULL",
                                "null",
                                "123",
                                "-1.5",
                                "1e10",
                                "true",
                                "NaN",
                                "Infinity",
                                "\t tab \t",
                                "back\\slash",
                                "a\"",
                                "\"a",
                                "'single'"};
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = ",\"\n\r"[i % 4];
  v.push_back(big);
  v.push_back(std::string(1 << 20, 'y'));
  return v;
}

TEST_SUITE("cerebrum/csv") {
  TEST_CASE("values encode by type, quoting only when needed") {
    CHECK(Field(Value::Null()) == "");
    CHECK(Field(Value::Integer(0)) == "0");
    CHECK(Field(Value::Integer(INT64_MIN)) == "-9223372036854775808");
    CHECK(Field(Value::Integer(INT64_MAX)) == "9223372036854775807");
    CHECK(Field(Value::Double(1.0)) == "1.0");
    CHECK(Field(Value::Double(-0.0)) == "-0.0");
    CHECK(Field(Value::Double(2.5e-07)) == "2.5e-07");
    CHECK(Field(Value::Double(1e308)) == "1e+308");
    CHECK(Field(Value::Double(5e-324)) == "5e-324");
    CHECK(Field(Value::Double(std::numeric_limits<double>::quiet_NaN())) == "NaN");
    CHECK(Field(Value::Double(std::numeric_limits<double>::infinity())) == "Infinity");
    CHECK(Field(Value::Double(-std::numeric_limits<double>::infinity())) == "-Infinity");
    CHECK(Field(Value::Boolean(true)) == "true");
    CHECK(Field(Value::Boolean(false)) == "false");
    CHECK(Field(Value::Text("")) == "\"\"");
    CHECK(Field(Value::Text("abc")) == "abc");
    CHECK(Field(Value::Text(" a b ")) == " a b ");
    CHECK(Field(Value::Text("a,b")) == "\"a,b\"");
    CHECK(Field(Value::Text("say \"hi\"")) == "\"say \"\"hi\"\"\"");
    CHECK(Field(Value::Text("a\nb")) == "\"a\nb\"");
    CHECK(Field(Value::Text("x\r")) == "\"x\r\"");
    CHECK(Field(Value::Text("\xEF\xBB\xBFx")) == "\"\xEF\xBB\xBFx\"");
    std::string header;
    AppendCsvText(&header, "id");
    header += ',';
    AppendCsvText(&header, "odd,name");
    CHECK(header == "id,\"odd,name\"");
  }

  TEST_CASE("NULL is an empty unquoted field and the empty string is quoted") {
    auto fields = Split("1,,\"\"");
    REQUIRE(fields.size() == 3);
    CHECK(fields[0] == CsvField{"1", false});
    CHECK(fields[1] == CsvField{"", false});
    CHECK(fields[2] == CsvField{"", true});
    CHECK(ParseCsvValue(fields[1], Type::kText)->is_null());
    CHECK(*ParseCsvValue(fields[2], Type::kText) == Value::Text(""));
    for (Type t : {Type::kInteger, Type::kDouble, Type::kText, Type::kBoolean}) {
      CHECK(ParseCsvValue(CsvField{"", false}, t)->is_null());
    }
    CHECK(Split("") == std::vector<CsvField>{{"", false}});
    CHECK(Split(",") == std::vector<CsvField>{{"", false}, {"", false}});
    CHECK(Split("a,") == std::vector<CsvField>{{"a", false}, {"", false}});
    CHECK(Split("\"a\"\"b\",\"\"\"\"") == std::vector<CsvField>{{"a\"b", true}, {"\"", true}});
    CHECK(Split("\"x\ny\",\"1,2\"") == std::vector<CsvField>{{"x\ny", true}, {"1,2", true}});
  }

  TEST_CASE("SplitCsvRecord reuses the output vector") {
    std::vector<CsvField> fields(5, CsvField{"old", true});
    REQUIRE(SplitCsvRecord("a,b", &fields).ok());
    CHECK(fields == std::vector<CsvField>{{"a", false}, {"b", false}});
  }

  TEST_CASE("malformed records are rejected with the field and column") {
    SUBCASE("stray quote inside an unquoted field") {
      auto s = SplitError("1,ab\"c,3");
      CHECK(s.code() == ErrorCode::kInvalidValue);
      CHECK(s.message().find("field 2") != std::string::npos);
      CHECK(s.message().find("column 5") != std::string::npos);
    }
    SUBCASE("text after a closing quote") {
      auto s = SplitError("\"ab\"x,1");
      CHECK(s.code() == ErrorCode::kInvalidValue);
      CHECK(s.message().find("field 1") != std::string::npos);
      CHECK(s.message().find("column 5") != std::string::npos);
    }
    SUBCASE("unterminated quote") {
      auto s = SplitError("1,2,\"abc");
      CHECK(s.code() == ErrorCode::kInvalidValue);
      CHECK(s.message().find("field 3") != std::string::npos);
      CHECK(s.message().find("column 5") != std::string::npos);
      CHECK(SplitError("\"").code() == ErrorCode::kInvalidValue);
      CHECK(SplitError("\"a\"\"").code() == ErrorCode::kInvalidValue);
    }
    SUBCASE("quote right after a closing quote's field separator is fine") {
      CHECK(SplitError("\"a\",\"b\"").ok());
    }
  }

  TEST_CASE("values parse strictly by column type") {
    CHECK(*ParseCsvValue({"-9223372036854775808", false}, Type::kInteger) ==
          Value::Integer(INT64_MIN));
    CHECK(*ParseCsvValue({"9223372036854775807", false}, Type::kInteger) ==
          Value::Integer(INT64_MAX));
    CHECK(*ParseCsvValue({"42", true}, Type::kInteger) == Value::Integer(42));
    for (std::string bad : {"9223372036854775808", "-9223372036854775809", " 1", "1 ", "+1", "1.0",
                            "0x10", "-", "abc", "1e3"}) {
      CAPTURE(bad);
      auto s = ParseError(bad, Type::kInteger);
      CHECK(s.code() == ErrorCode::kInvalidValue);
      CHECK(s.message().find(bad) != std::string::npos);
    }
    CHECK(ParseError("", Type::kInteger, /*quoted=*/true).code() == ErrorCode::kInvalidValue);

    CHECK(SameValue(*ParseCsvValue({"1.0", false}, Type::kDouble), Value::Double(1.0)));
    CHECK(SameValue(*ParseCsvValue({"-0.0", false}, Type::kDouble), Value::Double(-0.0)));
    CHECK(SameValue(*ParseCsvValue({"5", false}, Type::kDouble), Value::Double(5.0)));
    CHECK(SameValue(*ParseCsvValue({"1e+308", false}, Type::kDouble), Value::Double(1e308)));
    CHECK(SameValue(*ParseCsvValue({"5e-324", false}, Type::kDouble), Value::Double(5e-324)));
    CHECK(std::isnan(ParseCsvValue({"NaN", false}, Type::kDouble)->as_double()));
    CHECK(ParseCsvValue({"-Infinity", false}, Type::kDouble)->as_double() ==
          -std::numeric_limits<double>::infinity());
    for (std::string bad :
         {"nan", "inf", "infinity", "1e400", " 1.0", "1.0x", "+1.0", "1,5", "--1", "e", "."}) {
      CAPTURE(bad);
      CHECK(ParseError(bad, Type::kDouble).code() == ErrorCode::kInvalidValue);
    }

    CHECK(*ParseCsvValue({"true", false}, Type::kBoolean) == Value::Boolean(true));
    CHECK(*ParseCsvValue({"false", true}, Type::kBoolean) == Value::Boolean(false));
    for (std::string bad : {"TRUE", "True", "1", "0", "t", "yes"}) {
      CAPTURE(bad);
      CHECK(ParseError(bad, Type::kBoolean).code() == ErrorCode::kInvalidValue);
    }

    CHECK(*ParseCsvValue({"123", false}, Type::kText) == Value::Text("123"));
    CHECK(ParseError("a\0b"s, Type::kText).code() == ErrorCode::kInvalidValue);
    // TEXT must be UTF-8 without NUL, whether the bad byte falls in a word
    // of eight, in the overlapping last word, or in a short text.
    CHECK(*ParseCsvValue({"äpfel and 日本語, long enough", false}, Type::kText) ==
          Value::Text("äpfel and 日本語, long enough"));
    for (std::string bad : {"abcdefgh\xe9"s, "abcdefghijklmno\xc3"s, "abcdefghij\0k"s, "\xff"s,
                            "abc\xed\xa0\x80"s, "twelve bytes\0"s}) {
      CAPTURE(bad);
      CHECK_FALSE(IsStorableText(bad));
      CHECK(ParseError(bad, Type::kText).code() == ErrorCode::kInvalidValue);
    }
    CHECK(ParseError("abcdefgh\xe9", Type::kText).message() ==
          "text is not valid UTF-8: byte 0xe9 at offset 8");
    // A long bad value is quoted cut short, between two characters.
    std::string umlauts;
    for (int i = 0; i < 40; ++i) umlauts += "ä";
    CHECK(ParseError("x" + umlauts, Type::kInteger).message() ==
          "invalid integer \"x" + umlauts.substr(0, 62) + "...\"");
    CHECK(ParseError("1", Type::kNull).code() == ErrorCode::kInvalidValue);

    std::string long_bad(100'000, '9');
    auto s = ParseError(long_bad, Type::kInteger);
    CHECK(s.message().size() < 200);  // the message quotes an excerpt only
  }

  TEST_CASE("RecordIsComplete follows the quoting grammar") {
    CHECK(RecordIsComplete(""));
    CHECK(RecordIsComplete("a,b"));
    CHECK(RecordIsComplete("\"a\""));
    CHECK(RecordIsComplete("\"a\"\"\""));
    CHECK(RecordIsComplete("1,\"a\nb\",2"));
    CHECK_FALSE(RecordIsComplete("\"a"));
    CHECK_FALSE(RecordIsComplete("1,\"a\nb"));
    CHECK_FALSE(RecordIsComplete("\"a\"\""));
    CHECK_FALSE(RecordIsComplete("1,\""));
    // A quote inside an unquoted field does not open a quoted field.
    CHECK(RecordIsComplete("ab\"c"));
    CHECK(RecordIsComplete("\"ab\"x\"y"));
    CsvQuoteScanner scanner;
    scanner.Scan("1,\"a");
    CHECK(scanner.in_quoted_field());
    scanner.Scan("\n");
    scanner.Scan("b\"");
    CHECK_FALSE(scanner.in_quoted_field());
    scanner.Scan("\"");
    CHECK(scanner.in_quoted_field());
  }

  TEST_CASE("rows of every type survive a round trip through a file") {
    testing::TempDir dir;
    const std::vector<Type> types = {Type::kInteger, Type::kDouble, Type::kText, Type::kBoolean,
                                     Type::kText};
    std::vector<std::vector<Value>> rows;
    const std::vector<Value> numbers = {Value::Integer(0), Value::Integer(INT64_MIN),
                                        Value::Integer(INT64_MAX), Value::Integer(-1),
                                        Value::Null()};
    const std::vector<Value> doubles = {Value::Double(0.0),
                                        Value::Double(-0.0),
                                        Value::Double(std::numeric_limits<double>::quiet_NaN()),
                                        Value::Double(std::numeric_limits<double>::infinity()),
                                        Value::Double(-std::numeric_limits<double>::infinity()),
                                        Value::Double(1e308),
                                        Value::Double(5e-324),
                                        Value::Double(0.1),
                                        Value::Double(-123456.789e-300),
                                        Value::Double(std::numeric_limits<double>::max()),
                                        Value::Null()};
    std::vector<std::string> texts = NastyStrings();
    for (size_t i = 0; i < texts.size(); ++i) {
      rows.push_back({numbers[i % numbers.size()], doubles[i % doubles.size()],
                      Value::Text(texts[i]), i % 3 == 2 ? Value::Null() : Value::Boolean(i % 2),
                      Value::Text(texts[texts.size() - 1 - i])});
    }
    rows.push_back({Value::Null(), Value::Null(), Value::Null(), Value::Null(), Value::Null()});
    rows.push_back({Value::Null(), Value::Null(), Value::Text(""), Value::Null(), Value::Text("")});

    std::string file;
    std::vector<uint64_t> ends;
    for (const auto& row : rows) {
      for (size_t c = 0; c < row.size(); ++c) {
        if (c > 0) file += ',';
        AppendCsvField(&file, row[c]);
      }
      file += '\n';
      ends.push_back(file.size());
    }
    auto records = ReadAll(WriteFile(dir, "rows.csv", file));
    REQUIRE(records.size() == rows.size());
    uint64_t line = 1;
    for (size_t r = 0; r < rows.size(); ++r) {
      CAPTURE(r);
      CHECK(records[r].start == (r == 0 ? 0 : ends[r - 1]));
      CHECK(records[r].end == ends[r]);
      CHECK_FALSE(records[r].torn);
      CHECK(records[r].line == line);
      line += 1 + std::count(records[r].text.begin(), records[r].text.end(), '\n');
      auto fields = Split(records[r].text);
      REQUIRE(fields.size() == types.size());
      for (size_t c = 0; c < types.size(); ++c) {
        auto v = ParseCsvValue(fields[c], types[c]);
        REQUIRE_MESSAGE(v.ok(), v.status().ToString());
        CHECK(SameValue(*v, rows[r][c]));
      }
    }
  }

  TEST_CASE("CR LF and a lone CR inside quoted values survive a round trip") {
    testing::TempDir dir;
    std::string file;
    for (const char* text : {"a\r\nb", "x\r", "\r", "\r\n", "p\r\rq\r\n\r\n"}) {
      AppendCsvField(&file, Value::Text(text));
      file += ",1\n";
    }
    auto records = ReadAll(WriteFile(dir, "cr.csv", file));
    REQUIRE(records.size() == 5);
    const char* expected[] = {"a\r\nb", "x\r", "\r", "\r\n", "p\r\rq\r\n\r\n"};
    for (size_t i = 0; i < 5; ++i) {
      auto fields = Split(records[i].text);
      REQUIRE(fields.size() == 2);
      CHECK(fields[0].text == expected[i]);
    }
    CHECK(records.back().end == file.size());
  }

  TEST_CASE("hostile files, case by case") {
    testing::TempDir dir;
    SUBCASE("a missing file is an I/O error") {
      auto reader = CsvRecordReader::Open(dir.path() / "nope.csv");
      REQUIRE_FALSE(reader.ok());
      CHECK(reader.status().code() == ErrorCode::kIoError);
    }
    SUBCASE("an empty file has no records") { CHECK(ReadAll(WriteFile(dir, "e.csv", "")).empty()); }
    SUBCASE("empty lines are records of one NULL field") {
      auto r = ReadAll(WriteFile(dir, "e.csv", "\n\n1\n"));
      REQUIRE(r.size() == 3);
      CHECK(r[0].text == "");
      CHECK(r[1].text == "");
      CHECK(r[2].text == "1");
      CHECK(r[2].line == 3);
      CHECK(r[2].start == 2);
    }
    SUBCASE("a stray quote does not swallow the following lines") {
      auto r = ReadAll(WriteFile(dir, "s.csv", "1,ab\"c,3\n2,x,y\n"));
      REQUIRE(r.size() == 2);
      CHECK(r[0].text == "1,ab\"c,3");
      CHECK(SplitError(r[0].text).message().find("column 5") != std::string::npos);
      CHECK(r[1].text == "2,x,y");
      CHECK(r[1].start == 9);
    }
    SUBCASE("text after a closing quote ends at the line") {
      auto r = ReadAll(WriteFile(dir, "t.csv", "\"ab\"x,1\n2\n"));
      REQUIRE(r.size() == 2);
      CHECK(r[0].text == "\"ab\"x,1");
      CHECK(SplitError(r[0].text).code() == ErrorCode::kInvalidValue);
      CHECK(r[1].text == "2");
    }
    SUBCASE("an unterminated quote at the end of the file is a torn record") {
      auto r = ReadAll(WriteFile(dir, "u.csv", "1,2\n3,\"abc\ndef"));
      REQUIRE(r.size() == 2);
      CHECK_FALSE(r[0].torn);
      CHECK(r[1].torn);
      CHECK(r[1].text == "3,\"abc\ndef");
      CHECK(r[1].start == 4);
      CHECK(r[1].end == 14);
      auto r2 = ReadAll(WriteFile(dir, "u2.csv", "1,\"abc\n"));
      REQUIRE(r2.size() == 1);
      CHECK(r2[0].torn);
      CHECK(r2[0].text == "1,\"abc\n");
      CHECK(r2[0].end == 7);
    }
    SUBCASE("a last line without a newline is torn") {
      auto r = ReadAll(WriteFile(dir, "n.csv", "1,2\n3,4"));
      REQUIRE(r.size() == 2);
      CHECK_FALSE(r[0].torn);
      CHECK(r[0].end == 4);
      CHECK(r[1].torn);
      CHECK(r[1].text == "3,4");
      CHECK(r[1].start == 4);
      CHECK(r[1].end == 7);
    }
    SUBCASE("CR LF line ends are accepted and counted") {
      auto r = ReadAll(WriteFile(dir, "w.csv", "a,b\r\nc,d\r\n"));
      REQUIRE(r.size() == 2);
      CHECK(r[0].text == "a,b");
      CHECK(r[0].end == 5);
      CHECK(r[1].text == "c,d");
      CHECK(r[1].start == 5);
      CHECK(r[1].end == 10);
      CHECK_FALSE(r[1].torn);
    }
    SUBCASE("a lone CR at the end of the file is torn, kept inside quotes") {
      auto r = ReadAll(WriteFile(dir, "c.csv", "a,b\r"));
      REQUIRE(r.size() == 1);
      CHECK(r[0].text == "a,b");
      CHECK(r[0].torn);
      CHECK(r[0].end == 4);
      auto q = ReadAll(WriteFile(dir, "c2.csv", "1\n\"x\r"));
      REQUIRE(q.size() == 2);
      CHECK(q[1].text == "\"x\r");
      CHECK(q[1].torn);
      CHECK(q[1].end == 5);
    }
    SUBCASE("a byte order mark is skipped but counted in offsets") {
      auto r = ReadAll(WriteFile(dir, "b.csv",
                                 "\xEF\xBB\xBF"
                                 "a,b\nc\n"));
      REQUIRE(r.size() == 2);
      CHECK(r[0].text == "a,b");
      CHECK(r[0].start == 3);
      CHECK(r[0].end == 7);
      CHECK(r[1].end == 9);
      CHECK(ReadAll(WriteFile(dir, "b2.csv", "\xEF\xBB\xBF")).empty());
    }
    SUBCASE("a NUL byte comes back as data, with offsets intact") {
      auto r = ReadAll(WriteFile(dir, "z.csv", "1,a\0b,2\nnext\n"s));
      REQUIRE(r.size() == 2);
      CHECK(r[0].text == "1,a\0b,2"s);
      CHECK(r[0].end == 8);
      auto fields = Split(r[0].text);
      CHECK(ParseCsvValue(fields[1], Type::kText).status().code() == ErrorCode::kInvalidValue);
      CHECK(r[1].text == "next");
      CHECK(r[1].start == 8);
    }
    SUBCASE("a NUL before a newline is not mistaken for a CR") {
      auto r = ReadAll(WriteFile(dir, "z.csv", "\"a\0\nb\"\nc\0\n"s));
      REQUIRE(r.size() == 2);
      CHECK(r[0].text == "\"a\0\nb\""s);
      CHECK(r[1].text == "c\0"s);
      CHECK(r[1].end == 10);
    }
    SUBCASE("a zero-filled tail is a torn record") {
      auto r = ReadAll(WriteFile(dir, "z.csv", "1,2\n\0\0\0\0"s));
      REQUIRE(r.size() == 2);
      CHECK(r[0].text == "1,2");
      CHECK(r[1].text == "\0\0\0\0"s);
      CHECK(r[1].torn);
      CHECK(r[1].start == 4);
      CHECK(r[1].end == 8);
    }
  }

  TEST_CASE("physical lines up to kMaxPhysicalLineBytes are read, longer ones refused") {
    testing::TempDir dir;
    std::string longest(kMaxPhysicalLineBytes - 1, 'a');
    auto r = ReadAll(WriteFile(dir, "ok.csv", "1\n" + longest + "\n2\n"));
    REQUIRE(r.size() == 3);
    CHECK(r[1].text.size() == kMaxPhysicalLineBytes - 1);
    CHECK(r[2].start == 2 + kMaxPhysicalLineBytes);

    longest.push_back('a');
    auto reader = CsvRecordReader::Open(WriteFile(dir, "long.csv", "1\n" + longest + "\n2\n"));
    REQUIRE(reader.ok());
    std::string record;
    uint64_t line = 0;
    bool failed = false;
    for (int i = 0; i < 3 && !failed; ++i) {
      auto more = (*reader)->Next(&record, &line);
      if (!more.ok()) {
        failed = true;
        CHECK(more.status().code() == ErrorCode::kCorruption);
        CHECK(more.status().message().find("line 2") != std::string::npos);
        // The error is sticky.
        CHECK((*reader)->Next(&record, &line).status().code() == ErrorCode::kCorruption);
      }
    }
    CHECK(failed);
  }

  TEST_CASE("a large file of random records reads back exactly across buffer shifts") {
    // LineReader buffers 32 MiB and shifts its buffer down by 16 MiB, so in
    // these files records straddle every boundary. Some lines end in CR LF;
    // with_nul adds NUL bytes, which switch the reader to re-reading every
    // line from the file (slower, so that file is smaller).
    for (bool with_nul : {false, true}) {
      CAPTURE(with_nul);
      testing::TempDir dir;
      std::mt19937_64 rng(with_nul ? 99 : 17);
      std::string file;
      std::vector<ReadRecord> expected;
      const std::string alphabet = with_nul ? "abc,\"\r\n \0"s : "abc,\"\r\n x"s;
      while (file.size() < (with_nul ? 20u << 20 : 40u << 20)) {
        ReadRecord rec;
        rec.start = file.size();
        int fields = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < fields; ++f) {
          if (f > 0) rec.text += ',';
          size_t len = rng() % 4 == 0 ? rng() % 200'000 : rng() % 40;
          std::string value(len, 'v');
          for (char& ch : value) {
            ch = rng() % 8 == 0 ? alphabet[rng() % alphabet.size()]
                                : static_cast<char>('a' + rng() % 26);
          }
          if (with_nul) {
            // Raw bytes may hold NULs, but never quotes or line breaks
            // unquoted; quote every field.
            std::string quoted = "\"";
            for (char ch : value) {
              quoted += ch;
              if (ch == '"') quoted += '"';
            }
            rec.text += quoted + "\"";
          } else {
            AppendCsvField(&rec.text, rng() % 5 == 0 ? Value::Null() : Value::Text(value));
          }
        }
        file += rec.text;
        file += rng() % 10 == 0 ? "\r\n" : "\n";
        rec.end = file.size();
        expected.push_back(std::move(rec));
      }
      auto got = ReadAll(WriteFile(dir, "big.csv", file));
      REQUIRE(got.size() == expected.size());
      for (size_t i = 0; i < got.size(); ++i) {
        if (got[i].text != expected[i].text || got[i].start != expected[i].start ||
            got[i].end != expected[i].end || got[i].torn) {
          FAIL("record " << i << " differs: start " << got[i].start << " vs " << expected[i].start
                         << ", end " << got[i].end << " vs " << expected[i].end << ", sizes "
                         << got[i].text.size() << " vs " << expected[i].text.size());
        }
      }
    }
  }
}

}  // namespace
}  // namespace kopf::cerebrum
