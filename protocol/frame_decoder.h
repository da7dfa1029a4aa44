// Frame decoder: turns bytes from the wire back into Envelopes, validating
// every field against protocol/PROTOCOL.md. It never touches a socket.
//
// The input is hostile until proven otherwise: every failure is a Status
// with kProtocolViolation and a message naming the field and the body
// offset; no input makes the decoder crash, assert, or allocate more than a
// small multiple of the bytes it was actually given (declared counts are
// checked against the bytes that remain before anything is reserved, and a
// frame's length is checked from its 4 length bytes alone).
//
// Two ways to use it:
//   - Two-step, for a reader that pulls exactly the bytes it needs:
//     DecodeFrameLength on the 4 length bytes, then DecodeFrameBody on the
//     `length` bytes that follow.
//   - Streaming, with FrameDecoder: Append whatever arrived, then call Next()
//     until it returns "need more".
//
// Thread-safety: the free functions are pure. A FrameDecoder is not
// thread-safe; use one per connection from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/frame_format.h"
#include "protocol/message.h"
#include "protocol/status.h"
#include "protocol/utf8.h"  // IsValidUtf8, which the decoder requires of every string

namespace kopf::protocol {

// Checks the length prefix of a frame and returns how many bytes follow it
// (header + body). Fails with kProtocolViolation when the length is below
// kHeaderBytes or above `max_frame_bytes`.
Result<uint32_t> DecodeFrameLength(const uint8_t bytes[kLengthFieldBytes],
                                   uint32_t max_frame_bytes);

// Reads the fixed header of a frame without validating it (to learn the ids
// of a frame that failed to decode, for the error reply).
// REQUIRES: after_length.size() >= kHeaderBytes.
FrameHeader PeekFrameHeader(std::span<const uint8_t> after_length);

// Decodes one frame from exactly the bytes after its length prefix. Fails
// with kProtocolViolation on an unsupported version, nonzero flags, an
// unknown message type, a truncated or overlong body, a string running past
// the body, invalid UTF-8, a bad value tag, BOOLEAN byte, column type or
// error code, or counts the body cannot hold. Checks the body only; the
// rules about which ids and which message types a side may send are the
// session's (see PROTOCOL.md).
Result<Envelope> DecodeFrameBody(std::span<const uint8_t> after_length);

// An EXECUTE frame of exactly one parameter row, decoded into storage the
// caller reuses from frame to frame (see DecodeSingleExecuteBody).
struct SingleExecute {
  uint32_t client_id = 0;
  uint64_t payload_id = 0;
  uint64_t statement_id = 0;
  uint16_t parameter_count = 0;
  Row parameters;  // cleared and refilled: its capacity is kept
};

// A fast path of DecodeFrameBody for the commonest request, an EXECUTE of
// one parameter row: decodes it into `*out` without building an Envelope.
// Returns false, leaving the frame to DecodeFrameBody, when the frame is
// anything else (another message type, a bad header, a body too short for
// the row count, another row count). An EXECUTE that declares one row but
// whose parameters are malformed fails with exactly the Status
// DecodeFrameBody gives it; `*out` is then partly written.
Result<bool> DecodeSingleExecuteBody(std::span<const uint8_t> after_length, SingleExecute* out);

// Incremental decoder over a byte stream. After an error it stays failed:
// every later Next() returns the same Status, since the stream cannot be
// resynchronised.
class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_frame_bytes = kDefaultMaxFrameBytes)
      : max_frame_bytes_(max_frame_bytes) {}

  // Adds bytes received from the peer.
  void Append(std::span<const uint8_t> bytes);
  void Append(std::string_view bytes);

  // The next complete frame; std::nullopt when more bytes are needed.
  Result<std::optional<Envelope>> Next();

  // When the next complete frame is a one-row EXECUTE, decodes it into
  // `*out` (DecodeSingleExecuteBody) and consumes it: true. False, consuming
  // nothing, when more bytes are needed or the frame is anything else; then
  // Next() takes it. A malformed one-row EXECUTE fails as Next() would.
  Result<bool> NextSingleExecute(SingleExecute* out);

  // The header of the last frame Next() looked at completely, if any; after
  // a failure it names the ids of the frame that failed (nullopt when the
  // failure was in its length prefix).
  const std::optional<FrameHeader>& last_header() const { return last_header_; }

  // Bytes received and not yet consumed by Next().
  size_t buffered_bytes() const { return buffer_.size() - consumed_; }

  // Consumes the frame PeekFrame returned (`frame_bytes` after its length
  // prefix), which the caller decoded itself.
  void SkipFrame(size_t frame_bytes) { consumed_ += kLengthFieldBytes + frame_bytes; }
  friend std::optional<std::span<const uint8_t>> PeekFrame(const FrameDecoder& decoder);

 private:
  uint32_t max_frame_bytes_;
  std::string buffer_;
  size_t consumed_ = 0;  // bytes of buffer_ already decoded
  Status error_;         // sticky
  std::optional<FrameHeader> last_header_;
};

}  // namespace kopf::protocol

namespace kopf::protocol {

// Fast decoding of the frames that answer most requests (ROW_DESCRIPTION,
// ROW_BATCH, COMPLETE), for a client: straight into the caller's
// containers, with no Envelope or Message in between. Each accepts exactly
// the bodies DecodeFrameBody accepts and decodes them to the same values;
// on anything else it returns false and leaves its outputs as they were,
// so the caller falls back to DecodeFrameBody, which names the problem.

// The bytes after the length prefix of the next complete frame in
// `decoder`, without consuming them; nullopt when more bytes are needed or
// the length prefix is bad (Next() then reports it). Consume the frame with
// decoder.SkipFrame(frame.size()) once it is handled.
std::optional<std::span<const uint8_t>> PeekFrame(const FrameDecoder& decoder);

// A ROW_DESCRIPTION body: replaces `*columns`.
bool TryDecodeRowDescriptionBody(std::span<const uint8_t> body, std::vector<ColumnInfo>* columns);

// A ROW_BATCH body whose rows are `width` values wide (or that has no
// rows): appends its rows to `*rows`. A batch of another width returns
// false. Each new row takes an empty Row from the back of `*spare`, when
// given and not empty, so it reuses that vector's room.
bool TryAppendRowBatchBody(std::span<const uint8_t> body, size_t width, std::vector<Row>* rows,
                           std::vector<Row>* spare = nullptr);

// A COMPLETE body.
bool TryDecodeCompleteBody(std::span<const uint8_t> body, std::string* tag, uint64_t* count);

}  // namespace kopf::protocol
