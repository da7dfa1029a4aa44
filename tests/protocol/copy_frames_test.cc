// The copy sub-protocol's frames (protocol 1.2): byte layouts against
// PROTOCOL.md, round trips through the decoder, what the decoder refuses,
// and how the client's response assembler takes them.
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "protocol/client_internal.h"
#include "protocol/frame_decoder.h"
#include "protocol/frame_encoder.h"
#include "protocol/frame_format.h"
#include "protocol/message.h"
#include "tests/protocol/frame_bytes.h"

namespace kopf::protocol {
namespace {

using testing::Bytes;
using testing::Decode;
using testing::Encode;

// Header of client 7, payload 5.
std::string Header(int type, int length) {
  return Bytes({length, 0, 0, 0, 1, type, 0, 0, 7, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0});
}

TEST_SUITE("protocol/copy_frames") {
  TEST_CASE("the 1.2 type numbers are the ones in PROTOCOL.md") {
    CHECK(kProtocolMinor == 2);
    CHECK(kCopyProtocolMinor == 2);
    CHECK(static_cast<int>(MessageType::kCopyData) == 0x14);
    CHECK(static_cast<int>(MessageType::kCopyDone) == 0x15);
    CHECK(static_cast<int>(MessageType::kCopyFail) == 0x16);
    CHECK(static_cast<int>(MessageType::kCopyInResponse) == 0x25);
    CHECK(MessageTypeName(MessageType::kCopyInResponse) == "COPY_IN_RESPONSE");
  }

  TEST_CASE("the copy frames of PROTOCOL.md's example are what the encoder produces") {
    CopyInResponse ready{CopyInResponse::Format::kCsv,
                         {{"id", Type::kInteger}, {"name", Type::kText}}};
    CHECK(Encode({7, 5, ready}) ==
          Header(0x25, 0x23) + Bytes({0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 'i', 'd', 0x01,
                                      0x04, 0x00, 0x00, 0x00, 'n', 'a', 'm', 'e', 0x03}));
    CHECK(Encode({7, 5, CopyData{"1,ann\n2,b"}}) == Header(0x14, 0x19) + "1,ann\n2,b");
    CHECK(Encode({7, 5, CopyDone{}}) == Header(0x15, 0x10));
    CHECK(Encode({7, 5, CopyFail{"no"}}) == Header(0x16, 0x16) + Bytes({2, 0, 0, 0, 'n', 'o'}));
    std::string fast;
    EncodeCopyDataFrame(7, 5, "1,ann\n2,b", &fast);
    CHECK(fast == Encode({7, 5, CopyData{"1,ann\n2,b"}}));
  }

  TEST_CASE("every copy frame survives a round trip, COPY_DATA byte for byte") {
    // COPY_DATA is cut anywhere: half a UTF-8 sequence, a NUL, nothing.
    const std::string cut = std::string("a,\xc3") + '\0';
    for (const Message& m : std::initializer_list<Message>{
             CopyInResponse{CopyInResponse::Format::kCsv, {{"x", Type::kDouble}}}, CopyInResponse{},
             CopyData{cut}, CopyData{""}, CopyDone{}, CopyFail{"why ✓"}}) {
      Envelope sent{7, 5, m};
      Result<Envelope> got = Decode(Encode(sent));
      REQUIRE_MESSAGE(got.ok(), got.status().ToString());
      CHECK(*got == sent);
    }
  }

  TEST_CASE("a bad copy format, column type or failure message is a protocol violation") {
    auto violation = [](const Result<Envelope>& r, std::string_view fragment) {
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == ErrorCode::kProtocolViolation);
      CHECK_MESSAGE(r.status().message().find(fragment) != std::string::npos, r.status().message());
    };
    violation(Decode(Header(0x25, 0x13) + Bytes({1, 0, 0})), "bad copy format 1");
    violation(Decode(Header(0x25, 0x19) + Bytes({0, 1, 0, 1, 0, 0, 0, 'x', 9})), "column type");
    violation(Decode(Header(0x25, 0x10)), "truncated");
    violation(Decode(Header(0x16, 0x15) + Bytes({1, 0, 0, 0, 0xff})), "not valid UTF-8");
    violation(Decode(Header(0x15, 0x11) + "x"), "trailing");
  }

  TEST_CASE("the assembler hands out COPY_IN_RESPONSE and keeps the request open for its end") {
    client_internal::ResponseAssembler assembler(7);
    assembler.Expect(5);
    REQUIRE(assembler.OnFrame({7, 5, CopyInResponse{{}, {{"id", Type::kInteger}}}}).ok());
    auto ready = assembler.Take(5);
    REQUIRE(ready.has_value());
    REQUIRE(ready->copy_in.has_value());
    CHECK(ready->copy_in->at(0).name == "id");
    CHECK(assembler.awaiting());
    REQUIRE(assembler.OnFrame({7, 5, Complete{"COPY", 3}}).ok());
    CHECK(assembler.finished(5));
    auto done = assembler.Take(5);
    CHECK(done->result.count == 3);
    CHECK_FALSE(done->copy_in.has_value());
    CHECK_FALSE(assembler.awaiting());
  }

  TEST_CASE("COPY TO STDOUT data is collected, or handed to a sink, and must not mix with rows") {
    client_internal::ResponseAssembler assembler(7);
    assembler.Expect(1);
    REQUIRE(assembler.OnFrame({7, 1, CopyData{"1,a\n"}}).ok());
    REQUIRE(assembler.OnFrame({7, 1, CopyData{"2,b\n"}}).ok());
    REQUIRE(assembler.OnFrame({7, 1, Complete{"COPY", 2}}).ok());
    CHECK(assembler.Take(1)->result.copy_data == "1,a\n2,b\n");

    std::string sunk;
    CopySink sink = [&](std::string_view data) {
      sunk += data;
      return sunk.size() > 4 ? Status::IoError("full") : Status::Ok();
    };
    assembler.Expect(2);
    assembler.SetCopySink(2, &sink);
    for (const char* piece : {"1,a\n", "2,b\n", "3,c\n"}) {
      REQUIRE(assembler.OnFrame({7, 2, CopyData{piece}}).ok());
    }
    REQUIRE(assembler.OnFrame({7, 2, Complete{"COPY", 3}}).ok());
    CHECK(sunk == "1,a\n2,b\n");  // nothing after the sink's error
    CHECK(assembler.sink_error().code() == ErrorCode::kIoError);
    CHECK(assembler.Take(2)->result.copy_data.empty());

    assembler.Expect(3);
    REQUIRE(assembler.OnFrame({7, 3, RowDescription{{{"a", Type::kInteger}}}}).ok());
    CHECK(assembler.OnFrame({7, 3, CopyData{"x"}}).code() == ErrorCode::kProtocolViolation);
  }
}

}  // namespace
}  // namespace kopf::protocol
