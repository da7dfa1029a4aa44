// The encoder's output, byte for byte, against the layout in PROTOCOL.md.
#include "protocol/frame_encoder.h"

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "protocol/frame_format.h"
#include "protocol/message.h"
#include "tests/protocol/frame_bytes.h"

namespace kopf::protocol {
namespace {

using testing::Bytes;
using testing::Encode;

TEST_SUITE("protocol/frame_encoder") {
  TEST_CASE("a QUERY frame is length, header and a length-prefixed string, little-endian") {
    std::string expected = Bytes({28, 0,    0, 0,              // length: 16 + 4 + 8
                                  1,  0x10, 0, 0,              // version, type, flags
                                  7,  0,    0, 0,              // client_id
                                  9,  0,    0, 0, 0, 0, 0, 0,  // payload_id
                                  8,  0,    0, 0}) +           // sql length
                           "SELECT 1";
    CHECK(Encode(Envelope{7, 9, Query{"SELECT 1"}}) == expected);
  }

  TEST_CASE("a HELLO frame carries major, minor and the client name") {
    std::string expected =
        Bytes({25, 0, 0, 0, 1, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // header, ids 0
               1,  0, 0, 0,                                                     // major 1, minor 0
               1,  0, 0, 0}) +
        "k";
    CHECK(Encode(Envelope{0, 0, Hello{1, 0, "k", "", ""}}) == expected);
  }

  TEST_CASE("a 1.1 HELLO adds the user and the SCRAM client-first-message") {
    std::string expected =
        Bytes({42, 0, 0, 0, 1, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  // header, ids 0
               1,  0, 1, 0,                                                     // major 1, minor 1
               1,  0, 0, 0}) +
        "k" + Bytes({1, 0, 0, 0}) + "u" + Bytes({8, 0, 0, 0}) + "n,,n=u,r";
    CHECK(Encode(Envelope{0, 0, Hello{1, 1, "k", "u", "n,,n=u,r"}}) == expected);
  }

  TEST_CASE("the AUTH frames carry their strings") {
    CHECK(Encode(Envelope{0, 0, AuthChallenge{"M", "sf"}}) ==
          Bytes({27, 0, 0, 0, 1, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}) +
              "M" + Bytes({2, 0, 0, 0}) + "sf");
    CHECK(Encode(Envelope{0, 0, AuthResponse{"cf"}}) ==
          Bytes({22, 0, 0, 0, 1, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0}) +
              "cf");
    CHECK(Encode(Envelope{0, 0, AuthOk{"v=x"}}) ==
          Bytes({23, 0, 0, 0, 1, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0}) +
              "v=x");
  }

  TEST_CASE("a WELCOME frame carries the client id, versions and server version") {
    std::string expected = Bytes({29, 0, 0, 0, 1, 0x02, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0,
                                  0,  0, 0, 0, 5, 0,    0, 0, 1, 0, 0, 0, 1, 0, 0, 0}) +
                           "v";
    CHECK(Encode(Envelope{5, 0, Welcome{5, 1, 0, "v"}}) == expected);
  }

  TEST_CASE("a GOODBYE frame has an empty body") {
    CHECK(Encode(Envelope{3, 0, Goodbye{}}) ==
          Bytes({16, 0, 0, 0, 1, 0x03, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  }

  TEST_CASE("PING, PONG and CANCEL have empty bodies and their own type numbers") {
    CHECK(Encode(Envelope{3, 77, Ping{}}) ==
          Bytes({16, 0, 0, 0, 1, 0x04, 0, 0, 3, 0, 0, 0, 77, 0, 0, 0, 0, 0, 0, 0}));
    CHECK(Encode(Envelope{3, 77, Pong{}}) ==
          Bytes({16, 0, 0, 0, 1, 0x05, 0, 0, 3, 0, 0, 0, 77, 0, 0, 0, 0, 0, 0, 0}));
    CHECK(Encode(Envelope{3, 5, Cancel{}}) ==
          Bytes({16, 0, 0, 0, 1, 0x06, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0}));
  }

  TEST_CASE("an EXECUTE frame is statement id, row count, parameter count, then values") {
    std::string expected = Bytes({5, 0, 0, 0, 0, 0, 0, 0,     // statement id 5
                                  2, 0, 0, 0,                 // 2 rows
                                  1, 0,                       // 1 parameter
                                  1, 7, 0, 0, 0, 0, 0, 0, 0,  // INTEGER 7
                                  0});                        // NULL
    std::string frame =
        Encode(Envelope{3, 6, Execute{5, 1, {{Value::Integer(7)}, {Value::Null()}}}});
    CHECK(frame.substr(0, 8) ==
          Bytes({static_cast<int>(16 + expected.size()), 0, 0, 0, 1, 0x12, 0, 0}));
    CHECK(frame.substr(20) == expected);
  }

  TEST_CASE("PREPARE and CLOSE bodies, and a STATEMENT_DESCRIPTION, follow the spec") {
    CHECK(Encode(Envelope{3, 4, Prepare{"q"}}).substr(4, 2) == Bytes({1, 0x11}));
    CHECK(Encode(Envelope{3, 4, Prepare{"q"}}).substr(20) == Bytes({1, 0, 0, 0}) + "q");
    CHECK(Encode(Envelope{3, 5, CloseStatement{4}}).substr(20) == Bytes({4, 0, 0, 0, 0, 0, 0, 0}));
    CHECK(Encode(Envelope{3, 4,
                          StatementDescription{
                              4, {Type::kInteger, Type::kText}, {{"id", Type::kInteger}}}})
              .substr(20) == Bytes({4, 0, 0, 0, 0,   0,   0, 0,  // statement id
                                    2, 0, 1, 3,                  // 2 parameters: INTEGER, TEXT
                                    1, 0,                        // 1 column
                                    2, 0, 0, 0, 'i', 'd', 1}));
  }

  TEST_CASE("each value type has its tag and payload layout") {
    RowBatch batch{{{Value::Null(), Value::Integer(-2), Value::Double(2.0), Value::Text("a"),
                     Value::Boolean(true)}}};
    std::string body = Bytes({1, 0,    0,    0,                                   // row count
                              5, 0,                                               // column count
                              0,                                                  // NULL
                              1, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // INTEGER -2
                              2, 0,    0,    0,    0,    0,    0,    0,    0x40,  // DOUBLE 2.0
                              3, 1,    0,    0,    0,    'a',                     // TEXT "a"
                              4, 1});                                             // BOOLEAN true
    std::string frame = Encode(Envelope{1, 2, batch});
    REQUIRE(frame.size() == 4 + 16 + body.size());
    CHECK(static_cast<uint8_t>(frame[0]) == 16 + body.size());
    CHECK(static_cast<uint8_t>(frame[5]) == 0x21);
    CHECK(frame.substr(20) == body);
  }

  TEST_CASE("a ROW_DESCRIPTION frame lists name and type per column") {
    RowDescription d{{{"id", Type::kInteger}, {"", Type::kText}}};
    std::string body = Bytes({2, 0, 2, 0, 0, 0, 'i', 'd', 1, 0, 0, 0, 0, 3});
    CHECK(Encode(Envelope{1, 2, d}).substr(20) == body);
  }

  TEST_CASE("COMPLETE and ERROR bodies follow the spec") {
    CHECK(Encode(Envelope{1, 2, Complete{"OK", 0x0102030405060708}}).substr(20) ==
          Bytes({2, 0, 0, 0, 'O', 'K', 8, 7, 6, 5, 4, 3, 2, 1}));
    CHECK(Encode(Envelope{1, 2, ErrorMessage{ErrorCode::kSyntaxError, -1, "x"}}).substr(20) ==
          Bytes({1, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 'x'}));
    CHECK(Encode(Envelope{1, 2, ErrorMessage{ErrorCode::kProtocolViolation, 258, ""}}).substr(20) ==
          Bytes({15, 0, 2, 1, 0, 0, 0, 0, 0, 0}));
  }

  TEST_CASE("the row batch fast path encodes the same bytes as a RowBatch message") {
    std::vector<Row> rows = {{Value::Integer(1), Value::Text("x")},
                             {Value::Null(), Value::Text("")}};
    std::string fast;
    EncodeRowBatchFrame(4, 8, rows, &fast);
    CHECK(fast == Encode(Envelope{4, 8, RowBatch{rows}}));
    CHECK(EncodedRowBatchFrameSize(rows) == fast.size());
  }

  TEST_CASE("the direct ROW_DESCRIPTION, COMPLETE and EXECUTE encoders match EncodeFrame") {
    std::vector<ColumnInfo> columns = {{"id", Type::kInteger}, {"", Type::kText},
                                       {"a longer column name than fits inline", Type::kDouble}};
    std::string out = "abc";  // appended after what is there
    EncodeRowDescriptionFrame(4, 8, columns, &out);
    CHECK(out == "abc" + Encode(Envelope{4, 8, RowDescription{columns}}));

    std::string complete;
    EncodeCompleteFrame(4, 9, "SELECT", 12345678901, &complete);
    CHECK(complete == Encode(Envelope{4, 9, Complete{"SELECT", 12345678901}}));

    std::vector<Row> rows = {{Value::Integer(-1), Value::Text("x"), Value::Boolean(true)},
                             {Value::Null(), Value::Double(2.5), Value::Text("")}};
    std::string execute;
    EncodeExecuteFrame(4, 10, 77, rows, &execute);
    CHECK(execute == Encode(Envelope{4, 10, Execute{77, 3, rows}}));
    std::vector<Row> no_parameters = {{}};
    execute.clear();
    EncodeExecuteFrame(4, 11, 78, no_parameters, &execute);
    CHECK(execute == Encode(Envelope{4, 11, Execute{78, 0, no_parameters}}));
  }

  TEST_CASE("a frame encoded once is copied with another payload id") {
    std::vector<ColumnInfo> columns = {{"id", Type::kInteger}, {"name", Type::kText}};
    std::string once;
    EncodeRowDescriptionFrame(4, 0, columns, &once);
    std::string out = "abc";
    AppendFrameWithPayloadId(once, 0x0102030405060708, &out);
    CHECK(out == "abc" + Encode(Envelope{4, 0x0102030405060708, RowDescription{columns}}));
  }

  TEST_CASE("a one-row answer in one go is its frames encoded one by one") {
    std::vector<ColumnInfo> columns = {{"name", Type::kText}, {"n", Type::kInteger}};
    std::string description;
    EncodeRowDescriptionFrame(4, 0, columns, &description);
    // The stored row, of which the answer picks two values, out of order.
    Row stored = {Value::Integer(7), Value::Text("seven"), Value::Null()};
    const std::vector<size_t> picks = {1, 0};
    std::string one = "abc";
    EncodeSingleRowResponse(4, 9, description, &stored, picks, "SELECT", &one);
    CHECK(one == "abc" + Encode(Envelope{4, 9, RowDescription{columns}}) +
                     Encode(Envelope{4, 9, RowBatch{{{stored[1], stored[0]}}}}) +
                     Encode(Envelope{4, 9, Complete{"SELECT", 1}}));
    std::string none;
    EncodeSingleRowResponse(4, 10, description, nullptr, {}, "SELECT", &none);
    CHECK(none == Encode(Envelope{4, 10, RowDescription{columns}}) +
                      Encode(Envelope{4, 10, Complete{"SELECT", 0}}));
  }

  TEST_CASE("frames are appended after what the output already holds") {
    std::string out = "abc";
    EncodeFrame(Envelope{1, 1, Goodbye{}}, &out);
    EncodeFrame(Envelope{1, 2, Goodbye{}}, &out);
    CHECK(out.size() == 3 + 2 * 20);
    CHECK(out.substr(0, 3) == "abc");
    CHECK(out[3] == 16);
    CHECK(out[23] == 16);
  }

  TEST_CASE("the example exchange in PROTOCOL.md is what the encoder produces") {
    auto hex = [](const std::string& bytes) {
      std::string out;
      for (unsigned char c : bytes) {
        static constexpr char kDigits[] = "0123456789abcdef";
        out += kDigits[c >> 4];
        out += kDigits[c & 15];
      }
      return out;
    };
    CHECK(hex(Encode({7, 1, Query{"SELECT 1"}})) ==
          "1c000000011000000700000001000000000000000800000053454c4543542031");
    CHECK(hex(Encode({7, 1, RowDescription{{{"1", Type::kInteger}}}})) ==
          "18000000012000000700000001000000000000000100010000003101");
    CHECK(hex(Encode({7, 1, RowBatch{{{Value::Integer(1)}}}})) ==
          "1f00000001210000070000000100000000000000010000000100010100000000000000");
    CHECK(hex(Encode({7, 1, Complete{"SELECT", 1}})) ==
          "22000000012200000700000001000000000000000600000053454c4543540100000000000000");
    // The prepared statement example of section 9.
    CHECK(hex(Encode({7, 2, Prepare{"SELECT v FROM kv WHERE k = $1"}})) ==
          "31000000011100000700000002000000000000001d00000053454c45435420762046524f4d206b762057"
          "48455245206b203d202431");
    CHECK(hex(Encode({7, 2, StatementDescription{2, {Type::kInteger}, {{"v", Type::kText}}}})) ==
          "2300000001240000070000000200000000000000020000000000000001000101000100000076"
          "03");
    CHECK(hex(Encode({7, 3, Execute{2, 1, {{Value::Integer(42)}}}})) ==
          "27000000011200000700000003000000000000000200000000000000010000000100012a00000000000000");
  }

  TEST_CASE("EncodedValueSize matches the encoding of each value type") {
    for (const Value& v : {Value::Null(), Value::Integer(std::numeric_limits<int64_t>::min()),
                           Value::Double(NAN), Value::Text("hello"), Value::Boolean(false)}) {
      std::string frame;
      EncodeRowBatchFrame(1, 1, std::vector<Row>{{v}}, &frame);
      CHECK(EncodedValueSize(v) == frame.size() - 4 - 16 - 6);
    }
  }
}

}  // namespace
}  // namespace kopf::protocol
