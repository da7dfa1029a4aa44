// Randomised input for the decoder: mutated valid frames and random bytes.
// The decoder must never crash, must answer need-more or an error for
// anything it does not accept, and whatever it accepts must re-encode to
// a frame that decodes to the same message. The seed is fixed so a failure
// reproduces; run under -DKOPF_SANITIZE=ON to catch memory errors too.
#include <bit>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "protocol/frame_decoder.h"
#include "protocol/frame_encoder.h"
#include "protocol/message.h"

namespace kopf::protocol {
namespace {

std::vector<std::string> Seeds() {
  std::vector<Envelope> envelopes = {
      {0, 0, Hello{1, 0, "fuzz", "", ""}},
      {1, 0, Welcome{1, 1, 0, "kopfd"}},
      {1, 0, Goodbye{}},
      {1, 1, Query{"SELECT * FROM t WHERE name = '\xc3\xa9'"}},
      {1, 2, RowDescription{{{"a", Type::kInteger}, {"b", Type::kText}, {"c", Type::kDouble}}}},
      {1, 2,
       RowBatch{{{Value::Integer(-1), Value::Text("abc"), Value::Double(1.5)},
                 {Value::Null(), Value::Boolean(true), Value::Double(-0.0)}}}},
      {1, 2, Complete{"SELECT", 2}},
      {1, 3, ErrorMessage{ErrorCode::kSyntaxError, 7, "syntax error at or near \"FORM\""}},
      {1, 9, Ping{}},
      {1, 9, Pong{}},
      {1, 4, Cancel{}},
      {1, 4, Prepare{"SELECT * FROM t WHERE id = $1"}},
      {1, 5,
       Execute{4, 2, {{Value::Integer(7), Value::Text("x")}, {Value::Null(), Value::Double(2.5)}}}},
      {1, 6, CloseStatement{4}},
      {1, 4, StatementDescription{4, {Type::kInteger, Type::kText}, {{"id", Type::kInteger}}}},
      {1, 7, ErrorMessage{ErrorCode::kUndefinedStatement, -1, "statement 9 is not prepared"}},
  };
  std::vector<std::string> seeds;
  for (const Envelope& e : envelopes) {
    std::string frame;
    EncodeFrame(e, &frame);
    seeds.push_back(frame);
  }
  return seeds;
}

std::string Mutate(std::string frame, std::mt19937_64& rng) {
  auto pick = [&rng](size_t n) { return static_cast<size_t>(rng() % n); };
  int mutations = 1 + static_cast<int>(pick(4));
  for (int m = 0; m < mutations; ++m) {
    switch (pick(7)) {
      case 0:  // flip a bit
        if (!frame.empty()) frame[pick(frame.size())] ^= static_cast<char>(1 << pick(8));
        break;
      case 1:  // overwrite a byte
        if (!frame.empty()) frame[pick(frame.size())] = static_cast<char>(rng());
        break;
      case 2:  // truncate
        frame.resize(pick(frame.size() + 1));
        break;
      case 3:  // append random bytes
        for (size_t i = pick(16); i > 0; --i) frame.push_back(static_cast<char>(rng()));
        break;
      case 4:  // write an extreme 32-bit count somewhere (string length, row count)
        if (frame.size() >= 4) {
          uint32_t v = pick(2) ? 0xffffffffu : static_cast<uint32_t>(rng());
          size_t at = pick(frame.size() - 3);
          for (int i = 0; i < 4; ++i) frame[at + i] = static_cast<char>(v >> (8 * i));
        }
        break;
      case 5:  // make the length prefix agree with the (mutated) size
        if (frame.size() >= 4) {
          auto length = static_cast<uint32_t>(frame.size() - 4);
          for (int i = 0; i < 4; ++i) frame[i] = static_cast<char>(length >> (8 * i));
        }
        break;
      default:  // entirely random bytes
        frame.assign(pick(64), '\0');
        for (char& c : frame) c = static_cast<char>(rng());
        break;
    }
  }
  return frame;
}

bool SameMessage(const Envelope& a, const Envelope& b) {
  // Compare through the encoding, which is exact for doubles (NaN bits).
  std::string ea, eb;
  EncodeFrame(a, &ea);
  EncodeFrame(b, &eb);
  return ea == eb;
}

TEST_SUITE("protocol/frame_decoder") {
  TEST_CASE("10000 mutated and random frames never crash the decoder") {
    std::mt19937_64 rng(20240501);
    std::vector<std::string> seeds = Seeds();
    int accepted = 0, rejected = 0, incomplete = 0;
    for (int i = 0; i < 10000; ++i) {
      std::string input = Mutate(seeds[static_cast<size_t>(rng() % seeds.size())], rng);
      CAPTURE(i);

      // The two-step API on whatever follows the length prefix.
      if (input.size() >= 4) {
        auto body = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(input.data()) + 4,
                                             input.size() - 4);
        (void)DecodeFrameLength(reinterpret_cast<const uint8_t*>(input.data()), 1 << 20);
        Result<Envelope> decoded = DecodeFrameBody(body);
        if (decoded.ok()) {
          std::string again;
          EncodeFrame(*decoded, &again);
          Result<Envelope> redecoded = DecodeFrameBody(std::span<const uint8_t>(
              reinterpret_cast<const uint8_t*>(again.data()) + 4, again.size() - 4));
          REQUIRE(redecoded.ok());
          CHECK(SameMessage(*decoded, *redecoded));
        } else {
          CHECK(decoded.status().code() == ErrorCode::kProtocolViolation);
          CHECK_FALSE(decoded.status().message().empty());
        }
      }

      // The stream decoder, fed in two pieces.
      FrameDecoder decoder(1 << 20);
      size_t split = input.empty() ? 0 : static_cast<size_t>(rng() % input.size());
      decoder.Append(std::string_view(input).substr(0, split));
      auto first = decoder.Next();
      decoder.Append(std::string_view(input).substr(split));
      auto next = decoder.Next();
      if (!next.ok()) {
        ++rejected;
        CHECK(next.status().code() == ErrorCode::kProtocolViolation);
      } else if (next->has_value()) {
        ++accepted;
      } else {
        ++incomplete;
      }
      (void)first;
    }
    MESSAGE("accepted " << accepted << ", rejected " << rejected << ", incomplete " << incomplete);
    CHECK(accepted > 0);
    CHECK(rejected > 0);
  }
}

}  // namespace
}  // namespace kopf::protocol
