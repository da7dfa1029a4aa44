// The one-row EXECUTE fast path (DecodeSingleExecuteBody) against the
// general decoder (DecodeFrameBody) on random, mutated and truncated
// EXECUTE frames: whatever the fast path accepts the general decoder
// decodes to the same message, whatever it rejects the general decoder
// rejects with the same Status, and what it declines is a frame that is
// not a one-row EXECUTE. The seed is fixed so a failure reproduces.
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "protocol/frame_decoder.h"
#include "protocol/frame_encoder.h"
#include "protocol/message.h"

namespace kopf::protocol {
namespace {

std::span<const uint8_t> AfterLength(const std::string& frame) {
  return {reinterpret_cast<const uint8_t*>(frame.data()) + kLengthFieldBytes,
          frame.size() - kLengthFieldBytes};
}

Value RandomValue(std::mt19937_64& rng) {
  switch (rng() % 5) {
    case 0:
      return Value::Null();
    case 1:
      return Value::Integer(static_cast<int64_t>(rng()));
    case 2:
      return Value::Double(static_cast<double>(rng() % 1000) / 7);
    case 3:
      return Value::Text(std::string(rng() % 12, static_cast<char>('a' + rng() % 26)));
    default:
      return Value::Boolean(rng() % 2 == 0);
  }
}

// A well-formed EXECUTE, mostly of one row (the fast path's case).
std::string RandomExecute(std::mt19937_64& rng) {
  Execute m;
  m.statement_id = rng() % 100;
  m.parameter_count = static_cast<uint16_t>(rng() % 5);
  size_t rows = rng() % 4 == 0 ? 2 : 1;
  if (m.parameter_count == 0) rows = 1;
  for (size_t r = 0; r < rows; ++r) {
    Row row;
    for (uint16_t c = 0; c < m.parameter_count; ++c) row.push_back(RandomValue(rng));
    m.rows.push_back(std::move(row));
  }
  std::string frame;
  EncodeFrame(Envelope{static_cast<uint32_t>(1 + rng() % 3), rng() % 1000, m}, &frame);
  return frame;
}

// Damages a frame's body the way a faulty or hostile client might.
void Mutate(std::string* frame, std::mt19937_64& rng) {
  auto pick = [&rng](size_t n) { return static_cast<size_t>(rng() % n); };
  for (int m = 1 + static_cast<int>(pick(3)); m > 0; --m) {
    size_t n = frame->size();
    switch (pick(5)) {
      case 0:  // any byte after the length, header included
        (*frame)[kLengthFieldBytes + pick(n - kLengthFieldBytes)] = static_cast<char>(rng());
        break;
      case 1:  // a byte of the body: counts, tags, lengths, text
        if (n > kLengthFieldBytes + kHeaderBytes) {
          size_t body = kLengthFieldBytes + kHeaderBytes;
          (*frame)[body + pick(n - body)] = static_cast<char>(pick(2) ? rng() : pick(7));
        }
        break;
      case 2:  // invalid UTF-8 or a stray byte at the end
        frame->push_back(static_cast<char>(pick(2) ? 0xC0 : rng()));
        break;
      case 3:  // the row count (body offset 8) set to 0, 1, 2 or anything
        if (n >= kLengthFieldBytes + kHeaderBytes + 12) {
          uint32_t v = pick(2) ? static_cast<uint32_t>(pick(3)) : static_cast<uint32_t>(rng());
          for (int i = 0; i < 4; ++i) {
            (*frame)[kLengthFieldBytes + kHeaderBytes + 8 + i] = static_cast<char>(v >> (8 * i));
          }
        }
        break;
      default:  // the parameter count (body offset 12)
        if (n >= kLengthFieldBytes + kHeaderBytes + 14) {
          (*frame)[kLengthFieldBytes + kHeaderBytes + 12] = static_cast<char>(pick(7));
        }
        break;
    }
  }
}

// True when the frame is an EXECUTE whose fixed fields declare one row:
// the frames the fast path must decide itself.
bool IsOneRowExecute(std::span<const uint8_t> after_length) {
  if (after_length.size() < kHeaderBytes) return false;
  FrameHeader h = PeekFrameHeader(after_length);
  if (h.version != kFrameVersion || h.flags != 0 ||
      h.type != static_cast<uint8_t>(MessageType::kExecute)) {
    return false;
  }
  // statement id (8), row count (4), parameter count (2)
  if (after_length.size() < kHeaderBytes + 14) return false;  // too short to say
  const uint8_t* row_count = after_length.data() + kHeaderBytes + 8;
  return (row_count[0] | row_count[1] << 8 | row_count[2] << 16 |
          static_cast<uint32_t>(row_count[3]) << 24) == 1;
}

struct Tally {
  int decoded = 0, rejected = 0, declined = 0;
};

// Compares the two decoders on one frame body; `out` is reused on purpose,
// as the session reuses it.
void Compare(std::span<const uint8_t> body, SingleExecute* out, Tally* tally) {
  Result<bool> fast = DecodeSingleExecuteBody(body, out);
  Result<Envelope> general = DecodeFrameBody(body);
  if (!fast.ok()) {
    ++tally->rejected;
    REQUIRE_FALSE(general.ok());
    CHECK(fast.status().code() == general.status().code());
    CHECK(fast.status().message() == general.status().message());
    return;
  }
  if (*fast) {
    ++tally->decoded;
    REQUIRE(general.ok());
    const auto* execute = std::get_if<Execute>(&general->message);
    REQUIRE(execute != nullptr);
    REQUIRE(execute->rows.size() == 1);
    CHECK(out->client_id == general->client_id);
    CHECK(out->payload_id == general->payload_id);
    Envelope rebuilt{out->client_id, out->payload_id,
                     Execute{out->statement_id, out->parameter_count, {out->parameters}}};
    std::string a, b;  // compared through the encoding, exact for doubles
    EncodeFrame(rebuilt, &a);
    EncodeFrame(*general, &b);
    CHECK(a == b);
    return;
  }
  ++tally->declined;
  if (general.ok()) {
    const auto* execute = std::get_if<Execute>(&general->message);
    CHECK((execute == nullptr || execute->rows.size() != 1));
  } else {
    CHECK_FALSE(IsOneRowExecute(body));  // a bad one-row EXECUTE is the fast path's to reject
  }
}

TEST_SUITE("protocol/frame_decoder") {
  TEST_CASE("the one-row EXECUTE fast path decodes and rejects exactly as DecodeFrameBody") {
    std::mt19937_64 rng(20261121);
    SingleExecute out;
    Tally tally;
    for (int i = 0; i < 3000; ++i) {
      CAPTURE(i);
      std::string frame = RandomExecute(rng);
      Compare(AfterLength(frame), &out, &tally);
      // Every truncation of the frame.
      for (size_t n = 0; n < frame.size() - kLengthFieldBytes; ++n) {
        Compare(AfterLength(frame).first(n), &out, &tally);
      }
      std::string damaged = frame;
      Mutate(&damaged, rng);
      Compare(AfterLength(damaged), &out, &tally);
    }
    // Other messages are declined.
    for (const Envelope& e : {Envelope{1, 1, Query{"SELECT 1"}}, Envelope{1, 2, Ping{}},
                              Envelope{1, 3, CloseStatement{4}}}) {
      std::string frame;
      EncodeFrame(e, &frame);
      Compare(AfterLength(frame), &out, &tally);
    }
    MESSAGE("decoded " << tally.decoded << ", rejected " << tally.rejected << ", declined "
                       << tally.declined);
    CHECK(tally.decoded > 1000);
    CHECK(tally.rejected > 1000);
    CHECK(tally.declined > 1000);
  }

  TEST_CASE("FrameDecoder takes one-row EXECUTEs by the fast path and leaves the rest to Next") {
    std::string stream;
    EncodeFrame(Envelope{1, 1, Execute{4, 1, {{Value::Text("a\xc3\xa9")}}}}, &stream);
    EncodeFrame(Envelope{1, 2, Execute{4, 1, {{Value::Integer(1)}, {Value::Integer(2)}}}}, &stream);
    EncodeFrame(Envelope{1, 3, Execute{4, 1, {{Value::Integer(3)}}}}, &stream);
    std::string bad;  // a BOOLEAN byte of 2
    EncodeFrame(Envelope{1, 4, Execute{4, 1, {{Value::Boolean(true)}}}}, &bad);
    bad.back() = 2;
    stream += bad;

    FrameDecoder decoder;
    SingleExecute out;
    // Byte by byte: a partial frame is never taken.
    size_t fed = 0;
    auto feed_until_frame = [&](bool fast) {
      for (;;) {
        if (fast) {
          Result<bool> got = decoder.NextSingleExecute(&out);
          if (!got.ok() || *got) return got;
        } else {
          auto got = decoder.Next();
          REQUIRE(got.ok());
          if (got->has_value()) return Result<bool>(true);
        }
        REQUIRE(fed < stream.size());
        decoder.Append(std::string_view(stream).substr(fed++, 1));
      }
    };
    REQUIRE(*feed_until_frame(true));
    CHECK(out.payload_id == 1);
    CHECK(out.parameters == Row{Value::Text("a\xc3\xa9")});
    // The two-row EXECUTE is declined and left whole for Next().
    while (fed < stream.size() && decoder.buffered_bytes() < stream.size() / 2) {
      Result<bool> got = decoder.NextSingleExecute(&out);
      REQUIRE(got.ok());
      REQUIRE_FALSE(*got);
      decoder.Append(std::string_view(stream).substr(fed++, 1));
    }
    auto two = decoder.Next();
    REQUIRE(two.ok());
    REQUIRE(two->has_value());
    CHECK((*two)->payload_id == 2);
    REQUIRE(*feed_until_frame(true));
    CHECK(out.payload_id == 3);
    CHECK(out.parameters == Row{Value::Integer(3)});
    Result<bool> failed = feed_until_frame(true);
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.status().message() ==
          "EXECUTE frame: BOOLEAN value at body offset 15 is 2, not 0 or 1");
    REQUIRE(decoder.last_header().has_value());
    CHECK(decoder.last_header()->payload_id == 4);
    CHECK(decoder.Next().status().message() == failed.status().message());  // sticky
  }
}

}  // namespace
}  // namespace kopf::protocol
