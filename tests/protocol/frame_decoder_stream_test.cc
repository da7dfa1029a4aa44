// The streaming FrameDecoder: frames split across reads at every boundary,
// several frames per read, and sticky failure.
#include <cstdint>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "protocol/frame_decoder.h"
#include "protocol/frame_encoder.h"
#include "protocol/message.h"

namespace kopf::protocol {
namespace {

std::vector<Envelope> SampleConversation() {
  return {
      {0, 0, Hello{1, 0, "stream", "", ""}},
      {4, 0, Welcome{4, 1, 0, "kopfd test"}},
      {4, 1, Query{"SELECT a, b FROM t"}},
      {4, 1, RowDescription{{{"a", Type::kInteger}, {"b", Type::kText}}}},
      {4, 1, RowBatch{{{Value::Integer(1), Value::Text("x")}, {Value::Null(), Value::Text("")}}}},
      {4, 1, RowBatch{}},
      {4, 1, Complete{"SELECT", 2}},
      {4, 2, ErrorMessage{ErrorCode::kUndefinedTable, 14, "table \"u\" does not exist"}},
      {4, 0, Goodbye{}},
  };
}

std::string EncodeAll(const std::vector<Envelope>& envelopes) {
  std::string out;
  for (const Envelope& e : envelopes) EncodeFrame(e, &out);
  return out;
}

// Feeds `bytes` in pieces of `step` bytes and collects every frame.
std::vector<Envelope> FeedInPieces(const std::string& bytes, size_t step) {
  FrameDecoder decoder;
  std::vector<Envelope> out;
  for (size_t at = 0; at < bytes.size(); at += step) {
    decoder.Append(std::string_view(bytes).substr(at, step));
    for (;;) {
      auto next = decoder.Next();
      REQUIRE_MESSAGE(next.ok(), next.status().ToString());
      if (!next->has_value()) break;
      out.push_back(std::move(**next));
    }
  }
  CHECK(decoder.buffered_bytes() == 0);
  return out;
}

TEST_SUITE("protocol/frame_decoder") {
  TEST_CASE("the stream decoder yields every frame when fed one byte at a time") {
    std::vector<Envelope> sent = SampleConversation();
    CHECK(FeedInPieces(EncodeAll(sent), 1) == sent);
  }

  TEST_CASE("the stream decoder yields every frame for any read size") {
    std::vector<Envelope> sent = SampleConversation();
    std::string bytes = EncodeAll(sent);
    for (size_t step : {2u, 3u, 7u, 16u, 19u, 20u, 21u, 64u, 1000u, 100000u}) {
      CAPTURE(step);
      CHECK(FeedInPieces(bytes, step) == sent);
    }
  }

  TEST_CASE("the stream decoder handles a long stream without growing without bound") {
    FrameDecoder decoder;
    std::string frame;
    EncodeFrame(Envelope{1, 1, Query{std::string(1000, 'q')}}, &frame);
    size_t frames = 0;
    size_t most_buffered = 0;
    for (int i = 0; i < 5000; ++i) {
      decoder.Append(std::string_view(frame).substr(0, 600));
      decoder.Append(std::string_view(frame).substr(600));
      most_buffered = std::max(most_buffered, decoder.buffered_bytes());
      while (true) {
        auto next = decoder.Next();
        REQUIRE(next.ok());
        if (!next->has_value()) break;
        ++frames;
      }
    }
    CHECK(frames == 5000);
    CHECK(most_buffered <= frame.size());
  }

  TEST_CASE("after a bad frame the stream decoder stays failed and names the frame") {
    FrameDecoder decoder;
    std::string good;
    EncodeFrame(Envelope{7, 1, Query{"SELECT 1"}}, &good);
    std::string bad = good;
    bad[4] = 9;  // version
    decoder.Append(good + bad + good);
    auto first = decoder.Next();
    REQUIRE(first.ok());
    REQUIRE(first->has_value());
    auto second = decoder.Next();
    REQUIRE_FALSE(second.ok());
    CHECK(second.status().message() == "unsupported protocol version 9");
    REQUIRE(decoder.last_header().has_value());
    CHECK(decoder.last_header()->client_id == 7);
    CHECK(decoder.last_header()->payload_id == 1);
    auto third = decoder.Next();
    REQUIRE_FALSE(third.ok());
    CHECK(third.status().message() == second.status().message());
  }

  TEST_CASE("the stream decoder applies its own frame limit") {
    std::string frame;
    EncodeFrame(Envelope{1, 1, Query{std::string(100, 'x')}}, &frame);
    FrameDecoder small(64);
    small.Append(std::string_view(frame).substr(0, 4));
    CHECK_FALSE(small.Next().ok());
    FrameDecoder large(1 << 20);
    large.Append(frame);
    auto next = large.Next();
    REQUIRE(next.ok());
    CHECK(next->has_value());
  }
}

}  // namespace
}  // namespace kopf::protocol
