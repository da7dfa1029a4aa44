// Round trips of every message type, and the decoder's case-by-case list of
// hostile input (in the spirit of Redis's tests/unit/protocol.tcl).
#include "protocol/frame_decoder.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "protocol/frame_encoder.h"
#include "protocol/message.h"
#include "tests/protocol/frame_bytes.h"

namespace kopf::protocol {
namespace {

using testing::AsBytes;
using testing::Bytes;
using testing::Decode;
using testing::Encode;

// A frame with a hand-made header and body; the length is computed.
std::string Frame(int type, const std::string& body, int version = 1, int flags = 0) {
  std::string out;
  uint32_t length = static_cast<uint32_t>(16 + body.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(length >> (8 * i)));
  out += Bytes({version, type, flags & 0xff, flags >> 8, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0});
  return out + body;
}

std::string Message(const Result<Envelope>& r) { return r.ok() ? "ok" : r.status().message(); }

void CheckViolation(const Result<Envelope>& r, const std::string& fragment) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == ErrorCode::kProtocolViolation);
  INFO("message: " << r.status().message());
  CHECK(r.status().message().find(fragment) != std::string::npos);
}

// Exact equality with doubles compared by bit pattern (NaN, -0.0).
bool SameValue(const Value& a, const Value& b) {
  if (a.type() == Type::kDouble && b.type() == Type::kDouble) {
    return std::bit_cast<uint64_t>(a.as_double()) == std::bit_cast<uint64_t>(b.as_double());
  }
  return a == b;
}

bool SameRows(const std::vector<Row>& a, const std::vector<Row>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size()) return false;
    for (size_t j = 0; j < a[i].size(); ++j) {
      if (!SameValue(a[i][j], b[i][j])) return false;
    }
  }
  return true;
}

void CheckRoundTrip(const Envelope& original) {
  std::string frame = Encode(original);
  Result<Envelope> decoded = Decode(frame);
  REQUIRE_MESSAGE(decoded.ok(), Message(decoded));
  CHECK(decoded->client_id == original.client_id);
  CHECK(decoded->payload_id == original.payload_id);
  if (auto* batch = std::get_if<RowBatch>(&original.message)) {
    auto* got = std::get_if<RowBatch>(&decoded->message);
    REQUIRE(got != nullptr);
    CHECK(SameRows(batch->rows, got->rows));
  } else {
    CHECK(*decoded == original);
  }
}

const std::string kUtf8 = "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad";

std::vector<Row> NastyRows() {
  return {
      {Value::Null(), Value::Integer(std::numeric_limits<int64_t>::min()),
       Value::Double(std::numeric_limits<double>::quiet_NaN()), Value::Text(""),
       Value::Boolean(false)},
      {Value::Integer(std::numeric_limits<int64_t>::max()), Value::Double(-0.0),
       Value::Double(std::numeric_limits<double>::infinity()), Value::Text(kUtf8),
       Value::Boolean(true)},
      {Value::Integer(0), Value::Double(-std::numeric_limits<double>::infinity()),
       Value::Double(std::numeric_limits<double>::denorm_min()),
       Value::Text(std::string("nul\0inside", 10)), Value::Null()},
  };
}

TEST_SUITE("protocol/frame_decoder") {
  TEST_CASE("every message type survives a round trip") {
    CheckRoundTrip({0, 0, Hello{1, 0, "kopf-shell", "", ""}});
    CheckRoundTrip({0, 0, Hello{65535, 65535, "", "", ""}});
    CheckRoundTrip({0, 0, Hello{1, 1, "kopf", "alice", "n,,n=alice,r=" + kUtf8}});
    CheckRoundTrip({0, 0, AuthChallenge{"SCRAM-SHA-256", "r=abc,s=QUJD,i=4096"}});
    CheckRoundTrip({0, 0, AuthResponse{"c=biws,r=abc,p=" + kUtf8}});
    CheckRoundTrip({0, 0, AuthOk{""}});
    CheckRoundTrip({0xffffffff, 0, Welcome{0xffffffff, 1, 7, kUtf8}});
    CheckRoundTrip({3, 0, Goodbye{}});
    CheckRoundTrip({3, 1, Query{""}});
    CheckRoundTrip({3, std::numeric_limits<uint64_t>::max(), Query{"SELECT '" + kUtf8 + "'"}});
    CheckRoundTrip({3, 4, RowDescription{}});
    CheckRoundTrip({3, 4, RowDescription{{{"", Type::kNull}, {kUtf8, Type::kBoolean}}}});
    CheckRoundTrip({3, 5, RowBatch{}});
    CheckRoundTrip({3, 5, RowBatch{NastyRows()}});
    CheckRoundTrip({3, 6, Complete{"", 0}});
    CheckRoundTrip({3, 6, Complete{"CREATE TABLE", std::numeric_limits<uint64_t>::max()}});
    CheckRoundTrip({3, 7, ErrorMessage{ErrorCode::kSyntaxError, 0, ""}});
    CheckRoundTrip({3, 7, ErrorMessage{ErrorCode::kProtocolViolation, -1, kUtf8}});
    CheckRoundTrip(
        {3, 7, ErrorMessage{ErrorCode::kInternal, std::numeric_limits<int32_t>::max(), "x"}});
  }

  TEST_CASE("the 1.1 messages survive a round trip") {
    CheckRoundTrip({3, 0, Ping{}});
    CheckRoundTrip({3, std::numeric_limits<uint64_t>::max(), Pong{}});
    CheckRoundTrip({3, 12, Cancel{}});
    CheckRoundTrip({3, 8, Prepare{"SELECT * FROM t WHERE id = $1 AND name = '" + kUtf8 + "'"}});
    CheckRoundTrip({3, 9, Execute{8, 0, {Row{}}}});
    CheckRoundTrip({3, 9, Execute{std::numeric_limits<uint64_t>::max(), 1, {{Value::Null()}}}});
    CheckRoundTrip({3, 10, CloseStatement{8}});
    CheckRoundTrip({3, 8, StatementDescription{8, {}, {}}});
    CheckRoundTrip(
        {3, 8,
         StatementDescription{8,
                              {Type::kInteger, Type::kDouble, Type::kText, Type::kBoolean},
                              {{"", Type::kNull}, {kUtf8, Type::kText}}}});
    CheckRoundTrip({3, 11, ErrorMessage{ErrorCode::kCancelled, -1, "cancelled"}});
    CheckRoundTrip({3, 11, ErrorMessage{ErrorCode::kUndefinedStatement, -1, "no such"}});
  }

  TEST_CASE("an EXECUTE of many parameter rows keeps every value exactly") {
    Envelope original{3, 9, Execute{8, 5, NastyRows()}};
    Result<Envelope> decoded = Decode(Encode(original));
    REQUIRE_MESSAGE(decoded.ok(), Message(decoded));
    auto* got = std::get_if<Execute>(&decoded->message);
    REQUIRE(got != nullptr);
    CHECK(got->statement_id == 8);
    CHECK(got->parameter_count == 5);
    CHECK(SameRows(got->rows, NastyRows()));
  }

  TEST_CASE("the 1.1 type numbers and error codes are the ones in PROTOCOL.md") {
    CHECK(static_cast<int>(MessageType::kPing) == 0x04);
    CHECK(static_cast<int>(MessageType::kPong) == 0x05);
    CHECK(static_cast<int>(MessageType::kCancel) == 0x06);
    CHECK(static_cast<int>(MessageType::kPrepare) == 0x11);
    CHECK(static_cast<int>(MessageType::kExecute) == 0x12);
    CHECK(static_cast<int>(MessageType::kClose) == 0x13);
    CHECK(static_cast<int>(MessageType::kStatementDescription) == 0x24);
    CHECK(static_cast<int>(ErrorCode::kCancelled) == 19);
    CHECK(static_cast<int>(ErrorCode::kUndefinedStatement) == 20);
    CHECK(ErrorCodeFromName("UndefinedStatement") == ErrorCode::kUndefinedStatement);
    CHECK(ErrorCodeFromName("Cancelled") == ErrorCode::kCancelled);
    for (int code = 17; code <= 22; ++code) CHECK(IsKnownErrorCode(code));
    // The first number past the last code is not a code.
    CHECK_FALSE(IsKnownErrorCode(23));
    CHECK_FALSE(IsKnownErrorCode(256));
    CHECK(kProtocolMinor >= 1);
  }

  TEST_CASE("an EXECUTE of no rows, or of several rows without parameters, is rejected") {
    // statement id 1, row count, parameter count
    std::string id = Bytes({1, 0, 0, 0, 0, 0, 0, 0});
    CheckViolation(Decode(Frame(0x12, id + Bytes({0, 0, 0, 0, 1, 0}))), "0 parameter rows");
    CheckViolation(Decode(Frame(0x12, id + Bytes({2, 0, 0, 0, 0, 0}))), "takes exactly one row");
    CHECK(Decode(Frame(0x12, id + Bytes({1, 0, 0, 0, 0, 0}))).ok());
  }

  TEST_CASE("an EXECUTE declaring more values than its body could hold is rejected") {
    std::string id = Bytes({1, 0, 0, 0, 0, 0, 0, 0});
    CheckViolation(Decode(Frame(0x12, id + Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0}))),
                   "body bytes remain");
    CheckViolation(Decode(Frame(0x12, id + Bytes({1, 0, 0, 0, 2, 0, 0}))), "body bytes remain");
  }

  TEST_CASE("an EXECUTE with a bad value tag or a truncated value is rejected") {
    std::string id = Bytes({1, 0, 0, 0, 0, 0, 0, 0});
    CheckViolation(Decode(Frame(0x12, id + Bytes({1, 0, 0, 0, 1, 0, 9}))), "bad value tag 9");
    CheckViolation(Decode(Frame(0x12, id + Bytes({1, 0, 0, 0, 1, 0, 1, 5, 0}))), "INTEGER value");
  }

  TEST_CASE("a STATEMENT_DESCRIPTION with a NULL or unknown parameter type is rejected") {
    std::string id = Bytes({1, 0, 0, 0, 0, 0, 0, 0});
    CheckViolation(Decode(Frame(0x24, id + Bytes({1, 0, 0, 0, 0}))), "bad parameter type 0");
    CheckViolation(Decode(Frame(0x24, id + Bytes({1, 0, 5, 0, 0}))), "bad parameter type 5");
    CheckViolation(Decode(Frame(0x24, id + Bytes({0xff, 0xff, 1}))), "body bytes remain");
    CHECK(Decode(Frame(0x24, id + Bytes({1, 0, 1, 0, 0}))).ok());
  }

  TEST_CASE("PING, PONG and CANCEL with a body, and a CLOSE cut short, are rejected") {
    CheckViolation(Decode(Frame(0x04, Bytes({0}))), "trailing bytes");
    CheckViolation(Decode(Frame(0x05, Bytes({0}))), "trailing bytes");
    CheckViolation(Decode(Frame(0x06, Bytes({0}))), "trailing bytes");
    CheckViolation(Decode(Frame(0x13, Bytes({1, 0, 0}))), "statement id");
    CheckViolation(Decode(Frame(0x11, Bytes({9, 0, 0, 0, 'S'}))), "declares 9 bytes");
  }

  TEST_CASE("a description and a batch of many columns round trip") {
    RowDescription description;
    Row row;
    for (int i = 0; i < 65535; ++i) {
      description.columns.push_back({"c" + std::to_string(i), static_cast<Type>(i % 5)});
      row.push_back(i % 2 ? Value::Integer(i) : Value::Null());
    }
    CheckRoundTrip({9, 9, description});
    CheckRoundTrip({9, 9, RowBatch{{row, row}}});
  }

  TEST_CASE("a batch of many rows round trips") {
    std::vector<Row> rows;
    for (int i = 0; i < 10000; ++i) rows.push_back({Value::Integer(i), Value::Text(kUtf8)});
    CheckRoundTrip({1, 1, RowBatch{rows}});
  }

  TEST_CASE("NaN payload bits and negative zero survive exactly") {
    double odd_nan = std::bit_cast<double>(uint64_t{0x7ff0000000000123});
    Envelope e{1, 1, RowBatch{{{Value::Double(odd_nan), Value::Double(-0.0)}}}};
    Result<Envelope> d = Decode(Encode(e));
    REQUIRE(d.ok());
    const Row& row = std::get<RowBatch>(d->message).rows.at(0);
    CHECK(std::bit_cast<uint64_t>(row[0].as_double()) == 0x7ff0000000000123);
    CHECK(std::signbit(row[1].as_double()));
  }

  // ---- Hostile input, one case at a time. ----

  TEST_CASE("a length below the header size is rejected") {
    for (int length : {0, 1, 15}) {
      std::string bytes = Bytes({length, 0, 0, 0});
      Result<uint32_t> r = DecodeFrameLength(AsBytes(bytes).data(), kDefaultMaxFrameBytes);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == ErrorCode::kProtocolViolation);
      CHECK(r.status().message().find("shorter than the 16-byte header") != std::string::npos);
    }
    std::string exact = Bytes({16, 0, 0, 0});
    CHECK(DecodeFrameLength(AsBytes(exact).data(), kDefaultMaxFrameBytes).ok());
  }

  TEST_CASE("a length above the limit is rejected from the four length bytes alone") {
    std::string huge = Bytes({0xff, 0xff, 0xff, 0xff});
    Result<uint32_t> r = DecodeFrameLength(AsBytes(huge).data(), kDefaultMaxFrameBytes);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "frame length 4294967295 exceeds the limit of 16777216 bytes");
    std::string at_limit = Bytes({0, 0, 0, 1});  // 16 MiB exactly
    CHECK(DecodeFrameLength(AsBytes(at_limit).data(), kDefaultMaxFrameBytes).ok());
    std::string one_over = Bytes({1, 0, 0, 1});
    CHECK_FALSE(DecodeFrameLength(AsBytes(one_over).data(), kDefaultMaxFrameBytes).ok());
    // The streaming decoder fails as soon as it has the 4 bytes.
    FrameDecoder decoder(1024);
    decoder.Append(Bytes({0x01, 0x04, 0, 0}));  // 1025
    auto next = decoder.Next();
    REQUIRE_FALSE(next.ok());
    CHECK(next.status().message().find("exceeds the limit of 1024") != std::string::npos);
    CHECK_FALSE(decoder.last_header().has_value());
  }

  TEST_CASE("a frame shorter than its header is rejected by DecodeFrameBody") {
    CheckViolation(DecodeFrameBody(AsBytes(Bytes({1, 0x03, 0, 0}))), "shorter than");
    CheckViolation(DecodeFrameBody({}), "shorter than");
  }

  TEST_CASE("an unknown protocol version is rejected") {
    CheckViolation(Decode(Frame(0x03, "", 2)), "unsupported protocol version 2");
    CheckViolation(Decode(Frame(0x03, "", 0)), "unsupported protocol version 0");
    CheckViolation(Decode(Frame(0x03, "", 255)), "unsupported protocol version 255");
  }

  TEST_CASE("nonzero flags are rejected") {
    CheckViolation(Decode(Frame(0x03, "", 1, 1)), "nonzero flags 0x0001");
    CheckViolation(Decode(Frame(0x03, "", 1, 0x8000)), "nonzero flags 0x8000");
  }

  TEST_CASE("an unknown message type is rejected") {
    for (int type : {0x00, 0x07, 0x0b, 0x0f, 0x17, 0x26, 0x7f, 0xff}) {
      CAPTURE(type);
      CheckViolation(Decode(Frame(type, "")), "unknown message type");
    }
  }

  TEST_CASE("a frame cut short at any byte is need-more to the stream and an error to the body") {
    std::vector<Envelope> samples = {{0, 0, Hello{1, 0, "x", "", ""}},
                                     {1, 0, Welcome{1, 1, 0, "v"}},
                                     {1, 1, Query{"SELECT 1"}},
                                     {1, 1, RowDescription{{{"a", Type::kText}}}},
                                     {1, 1, RowBatch{NastyRows()}},
                                     {1, 1, Complete{"SELECT", 3}},
                                     {1, 1, ErrorMessage{ErrorCode::kBusy, -1, "busy"}}};
    for (const Envelope& e : samples) {
      std::string frame = Encode(e);
      CAPTURE(Describe(e));
      for (size_t cut = 0; cut < frame.size(); ++cut) {
        CAPTURE(cut);
        FrameDecoder decoder;
        decoder.Append(std::string_view(frame).substr(0, cut));
        auto next = decoder.Next();
        REQUIRE(next.ok());
        CHECK_FALSE(next->has_value());
        if (cut >= 4) {
          CHECK_FALSE(DecodeFrameBody(AsBytes(frame).subspan(4, cut - 4)).ok());
        }
      }
    }
  }

  TEST_CASE("a body cut short names the field it was reading") {
    CheckViolation(Decode(Frame(0x10, Bytes({5, 0}))),
                   "QUERY frame: truncated body: sql needs 4 bytes at body offset 0, 2 remain");
    CheckViolation(Decode(Frame(0x22, Bytes({0, 0, 0, 0, 1, 2, 3}))), "count needs 8 bytes");
    CheckViolation(Decode(Frame(0x01, Bytes({1, 0}))), "minor version needs 2 bytes");
    // A 1.1 HELLO must carry the user fields; a 1.0 HELLO must not.
    CheckViolation(Decode(Frame(0x01, Bytes({1, 0, 1, 0, 0, 0, 0, 0}))), "user needs 4 bytes");
    CheckViolation(Decode(Frame(0x01, Bytes({1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}))),
                   "4 trailing bytes");
    CheckViolation(Decode(Frame(0x08, Bytes({0, 0, 0, 0}))),
                   "SCRAM server-first-message needs 4 bytes");
  }

  TEST_CASE("a string length running past the end of the body is rejected") {
    CheckViolation(Decode(Frame(0x10, Bytes({0xe8, 0x03, 0, 0}) + "abc")),
                   "sql at body offset 0 declares 1000 bytes but only 3 remain");
    CheckViolation(Decode(Frame(0x10, Bytes({0xff, 0xff, 0xff, 0xff}))), "declares 4294967295");
  }

  TEST_CASE("a row batch declaring more values than its body could hold is rejected") {
    // 4 billion rows of 65535 columns in a 6-byte body.
    CheckViolation(Decode(Frame(0x21, Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}))),
                   "declares 4294967295 rows of 65535 columns");
    // One value short: 2 rows x 2 columns but 3 NULL tags.
    CheckViolation(Decode(Frame(0x21, Bytes({2, 0, 0, 0, 2, 0, 0, 0, 0}))),
                   "declares 2 rows of 2 columns (at least 4 bytes) but only 3");
  }

  TEST_CASE("a row batch of rows without columns is rejected") {
    CheckViolation(Decode(Frame(0x21, Bytes({0xff, 0xff, 0xff, 0xff, 0, 0}))),
                   "declares 4294967295 rows of 0 columns");
    CHECK(Decode(Frame(0x21, Bytes({0, 0, 0, 0, 0, 0}))).ok());
  }

  TEST_CASE("a row description declaring more columns than its body could hold is rejected") {
    CheckViolation(Decode(Frame(0x20, Bytes({0xff, 0xff}) + std::string(100, '\0'))),
                   "declares 65535 columns but only 100 body bytes remain");
  }

  TEST_CASE("a bad value tag is rejected") {
    CheckViolation(Decode(Frame(0x21, Bytes({1, 0, 0, 0, 1, 0, 5}))),
                   "bad value tag 5 at body offset 6");
    CheckViolation(Decode(Frame(0x21, Bytes({1, 0, 0, 0, 1, 0, 0xff}))), "bad value tag 255");
  }

  TEST_CASE("a BOOLEAN byte other than 0 or 1 is rejected") {
    CheckViolation(Decode(Frame(0x21, Bytes({1, 0, 0, 0, 1, 0, 4, 2}))),
                   "BOOLEAN value at body offset 7 is 2, not 0 or 1");
  }

  TEST_CASE("a bad column type is rejected") {
    CheckViolation(Decode(Frame(0x20, Bytes({1, 0, 1, 0, 0, 0, 'a', 5}))),
                   "bad column type 5 at body offset 7");
  }

  TEST_CASE("an ERROR with code 0, an unknown code or a position below -1 is rejected") {
    CheckViolation(Decode(Frame(0x23, Bytes({0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}))),
                   "bad error code 0");
    int unknown = 1;
    while (IsKnownErrorCode(static_cast<uint16_t>(unknown))) ++unknown;
    CheckViolation(Decode(Frame(0x23, Bytes({unknown, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}))),
                   "bad error code " + std::to_string(unknown));
    CheckViolation(Decode(Frame(0x23, Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}))),
                   "bad error code 65535");
    CheckViolation(Decode(Frame(0x23, Bytes({1, 0, 0xfe, 0xff, 0xff, 0xff, 0, 0, 0, 0}))),
                   "bad error position -2");
  }

  TEST_CASE("trailing bytes after a complete body are rejected") {
    CheckViolation(Decode(Frame(0x10, Bytes({1, 0, 0, 0, 'x', 'y', 'z'}))),
                   "2 trailing bytes after the body at offset 5");
    CheckViolation(Decode(Frame(0x03, "\x01")), "GOODBYE frame: 1 trailing bytes");
  }

  TEST_CASE("invalid UTF-8 in any string is rejected") {
    for (std::string bad :
         {std::string("\xc0\x80"), std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"),
          std::string("\x80"), std::string("\xe2\x82"), std::string("\xff"),
          std::string("abcdefgh\xfe")}) {
      CAPTURE(bad);
      CHECK_FALSE(IsValidUtf8(bad));
      std::string body = Bytes({static_cast<int>(bad.size()), 0, 0, 0}) + bad;
      CheckViolation(Decode(Frame(0x10, body)), "sql at body offset 0 is not valid UTF-8");
    }
    CHECK(IsValidUtf8(kUtf8));
    CHECK(IsValidUtf8(std::string("\0\x7f\xf4\x8f\xbf\xbf", 6)));
  }

  TEST_CASE("PeekFrameHeader reads the ids of a frame whose body is bad") {
    std::string frame = Frame(0x10, Bytes({9}));
    FrameHeader h = PeekFrameHeader(AsBytes(frame).subspan(4));
    CHECK(h.client_id == 1);
    CHECK(h.payload_id == 2);
    CHECK(h.type == 0x10);
  }
}

}  // namespace
}  // namespace kopf::protocol
