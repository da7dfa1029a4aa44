// The client's fast path for ROW_DESCRIPTION, ROW_BATCH and COMPLETE
// (PeekFrame + ResponseAssembler::TryFastFrame) against the full path
// (DecodeFrameBody + OnFrame) on random answers, with random, truncated
// and reordered frames among them: both must finish the same responses
// and fail with the same Status at the same frame. The fast side reads
// the frames as a stream cut at random points, as the async client does.
// The seed is fixed so a failure reproduces.
#include <bit>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "protocol/client_internal.h"
#include "protocol/frame_decoder.h"
#include "protocol/frame_encoder.h"
#include "protocol/message.h"

namespace kopf::protocol {
namespace {

using client_internal::ResponseAssembler;

constexpr uint32_t kClientId = 3;

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  size_t Pick(size_t n) { return static_cast<size_t>(rng_() % n); }

  Value RandomValue() {
    switch (Pick(5)) {
      case 0:
        return Value::Null();
      case 1:
        return Value::Integer(static_cast<int64_t>(rng_()));
      case 2:
        return Value::Double(std::bit_cast<double>(rng_()));
      case 3:
        return Value::Text(std::string(Pick(12), static_cast<char>('a' + Pick(26))));
      default:
        return Value::Boolean(Pick(2) == 1);
    }
  }

  // The frames of answers to requests 1..requests, mostly well-formed
  // and in order, with some ERRORs, PONGs and mutations among them.
  std::vector<std::string> Answers(uint64_t requests) {
    std::vector<std::string> frames;
    auto add = [&](uint64_t id, Message message) {
      std::string frame;
      EncodeFrame(Envelope{kClientId, id, std::move(message)}, &frame);
      frames.push_back(Pick(8) == 0 ? Mutate(std::move(frame)) : std::move(frame));
    };
    for (uint64_t id = 1; id <= requests; ++id) {
      if (Pick(8) == 0) {
        add(id, ErrorMessage{ErrorCode::kSyntaxError, 1, "bad"});
        continue;
      }
      size_t width = Pick(4);
      bool rows = Pick(4) != 0;
      if (rows) {
        std::vector<ColumnInfo> columns;
        for (size_t c = 0; c < width; ++c) {
          columns.push_back({std::string(1 + Pick(3), 'c'), static_cast<Type>(Pick(5))});
        }
        add(id, RowDescription{columns});
        for (size_t b = Pick(3); b > 0; --b) {
          RowBatch batch;
          size_t batch_width = Pick(10) == 0 ? Pick(4) : width;
          for (size_t r = batch_width == 0 ? 0 : Pick(4); r > 0; --r) {
            Row& row = batch.rows.emplace_back();
            for (size_t c = 0; c < batch_width; ++c) row.push_back(RandomValue());
          }
          add(Pick(30) == 0 ? id + 1 : id, std::move(batch));
        }
      }
      if (Pick(30) == 0) add(id, Pong{});
      add(Pick(30) == 0 ? id + 1 : id, Complete{rows ? "SELECT" : "INSERT", rng_() % 100});
    }
    return frames;
  }

  // A truncated or corrupted body behind a length prefix that fits it.
  std::string Mutate(std::string frame) {
    switch (Pick(4)) {
      case 0:
        frame.resize(4 + Pick(frame.size() - 3));
        break;
      case 1:
        frame[4 + Pick(frame.size() - 4)] ^= static_cast<char>(1 << Pick(8));
        break;
      case 2:
        frame[4 + Pick(frame.size() - 4)] = static_cast<char>(rng_());
        break;
      default:
        frame.push_back(static_cast<char>(rng_()));
        break;
    }
    auto length = static_cast<uint32_t>(frame.size() - 4);
    for (int i = 0; i < 4; ++i) frame[i] = static_cast<char>(length >> (8 * i));
    return frame;
  }

 private:
  std::mt19937_64 rng_;
};

// A response as bytes, so that doubles compare by bits (NaN included).
std::string Describe(const Response& r) {
  std::string out = std::to_string(r.payload_id) + " " +
                    std::to_string(static_cast<int>(r.status.code())) + " " + r.status.message();
  EncodeFrame(Envelope{0, 0, RowDescription{r.result.columns}}, &out);
  EncodeFrame(Envelope{0, 0, RowBatch{r.result.rows}}, &out);
  EncodeFrame(Envelope{0, 0, Complete{r.result.tag, r.result.count}}, &out);
  return out;
}

// Feeds `frames` to the full path (FrameDecoder::Next and OnFrame, as the
// client did before the fast path); the responses it finished and the
// Status that stopped it (OK if none).
std::pair<std::vector<std::string>, Status> FullPath(const std::vector<std::string>& frames,
                                                     uint64_t requests) {
  ResponseAssembler assembler(kClientId);
  for (uint64_t id = 1; id <= requests; ++id) assembler.Expect(id);
  FrameDecoder decoder;
  for (const std::string& frame : frames) decoder.Append(frame);
  std::vector<std::string> finished;
  for (;;) {
    Result<std::optional<Envelope>> next = decoder.Next();
    if (next.ok() && !next->has_value()) break;
    Status status = next.ok() ? assembler.OnFrame(std::move(**next)) : next.status();
    while (std::optional<Response> r = assembler.TakeAny()) finished.push_back(Describe(*r));
    if (!status.ok()) return {finished, status};
  }
  return {finished, Status::Ok()};
}

// The same through a FrameDecoder fed in random pieces, fast path first.
// Responses are read in place and dropped (Oldest, DropOldest), as the
// async client does, so later responses reuse their slots: the columns a
// slot kept and the rows it recycled must not show through.
std::pair<std::vector<std::string>, Status> FastPath(const std::vector<std::string>& frames,
                                                     uint64_t requests, Generator& gen,
                                                     size_t* fast_frames) {
  ResponseAssembler assembler(kClientId);
  for (uint64_t id = 1; id <= requests; ++id) assembler.Expect(id);
  std::string stream;
  for (const std::string& frame : frames) stream += frame;
  FrameDecoder decoder;
  std::vector<std::string> finished;
  size_t at = 0;
  while (at < stream.size()) {
    size_t piece = std::min(stream.size() - at, 1 + gen.Pick(64));
    decoder.Append(std::string_view(stream).substr(at, piece));
    at += piece;
    for (;;) {
      std::optional<std::span<const uint8_t>> frame = PeekFrame(decoder);
      Status status;
      if (frame && assembler.TryFastFrame(*frame)) {
        decoder.SkipFrame(frame->size());
        ++*fast_frames;
      } else {
        Result<std::optional<Envelope>> next = decoder.Next();
        if (next.ok() && !next->has_value()) break;
        status = next.ok() ? assembler.OnFrame(std::move(**next)) : next.status();
      }
      while (Response* r = assembler.Oldest()) {
        finished.push_back(Describe(*r));
        assembler.DropOldest();
      }
      if (!status.ok()) return {finished, status};
    }
  }
  return {finished, Status::Ok()};
}

TEST_CASE("the set of outstanding payload ids holds ids in any order, near or far") {
  client_internal::PayloadIdSet ids;
  CHECK(ids.empty());
  for (uint64_t id : {5, 6, 7, 2, 100000, 9}) ids.Insert(id);
  for (uint64_t id : {2, 5, 6, 7, 9, 100000}) CHECK(ids.Contains(id));
  for (uint64_t id : {1, 3, 4, 8, 10, 99999}) CHECK_FALSE(ids.Contains(id));
  ids.Erase(6);
  ids.Erase(6);  // twice changes nothing
  ids.Erase(5);  // the window moves past 5 and 6 to 7
  CHECK_FALSE(ids.Contains(5));
  CHECK_FALSE(ids.Contains(6));
  CHECK(ids.Contains(7));
  ids.Insert(5);  // now before the window
  CHECK(ids.Contains(5));
  for (uint64_t id : {2, 5, 7, 9, 100000}) ids.Erase(id);
  CHECK(ids.empty());
  ids.Insert(42);  // an empty set starts over at any id
  CHECK(ids.Contains(42));
  CHECK_FALSE(ids.empty());
}

TEST_CASE("the client's fast reply path matches the full decoder on random and broken frames") {
  Generator gen(20261121);
  size_t fast_frames = 0;
  size_t failures = 0;
  for (int round = 0; round < 2000; ++round) {
    uint64_t requests = 1 + gen.Pick(12);
    std::vector<std::string> frames = gen.Answers(requests);
    auto [full, full_status] = FullPath(frames, requests);
    auto [fast, fast_status] = FastPath(frames, requests, gen, &fast_frames);
    REQUIRE(fast.size() == full.size());
    for (size_t i = 0; i < full.size(); ++i) CHECK(fast[i] == full[i]);
    CHECK(fast_status.code() == full_status.code());
    CHECK(fast_status.message() == full_status.message());
    if (!full_status.ok()) ++failures;
  }
  // Both kinds of outcome were exercised, and the fast path took most frames.
  CHECK(failures > 200);
  CHECK(failures < 1800);
  CHECK(fast_frames > 5000);
}

TEST_CASE("the fast decoders reject what DecodeFrameBody rejects and leave their outputs alone") {
  std::vector<Row> rows = {{Value::Integer(1)}};
  // 1 row of 1 column whose value has a bad tag, then a truncated INTEGER.
  std::vector<uint8_t> bad_tag = {1, 0, 0, 0, 1, 0, 9};
  std::vector<uint8_t> truncated = {1, 0, 0, 0, 1, 0, 1, 5, 0};
  std::vector<uint8_t> zero_width = {1, 0, 0, 0, 0, 0};
  std::vector<uint8_t> bad_boolean = {1, 0, 0, 0, 1, 0, 4, 2};
  CHECK_FALSE(TryAppendRowBatchBody(bad_boolean, 1, &rows));
  CHECK_FALSE(TryAppendRowBatchBody(bad_tag, 1, &rows));
  CHECK_FALSE(TryAppendRowBatchBody(truncated, 1, &rows));
  CHECK_FALSE(TryAppendRowBatchBody(zero_width, 0, &rows));
  CHECK(rows.size() == 1);
  std::vector<uint8_t> good = {1, 0, 0, 0, 1, 0, 4, 1};
  CHECK_FALSE(TryAppendRowBatchBody(good, 2, &rows));  // another width: the assembler's error
  REQUIRE(TryAppendRowBatchBody(good, 1, &rows));
  REQUIRE(rows.size() == 2);
  CHECK(rows[1][0] == Value::Boolean(true));

  std::vector<ColumnInfo> columns = {{"kept", Type::kText}};
  std::vector<uint8_t> bad_utf8 = {1, 0, 1, 0, 0, 0, 0xff, 1};
  CHECK_FALSE(TryDecodeRowDescriptionBody(bad_utf8, &columns));
  CHECK(columns[0].name == "kept");

  std::string tag = "kept";
  uint64_t count = 7;
  std::vector<uint8_t> trailing = {1, 0, 0, 0, 'X', 1, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK_FALSE(TryDecodeCompleteBody(trailing, &tag, &count));
  CHECK(tag == "kept");
  CHECK(count == 7);
}

}  // namespace
}  // namespace kopf::protocol
