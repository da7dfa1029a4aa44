// Internals of the client library (protocol/client.h), shared by its .cc
// files and its tests only.
//
// ResponseAssembler turns the stream of server frames of one connection
// into complete Responses. It knows which payload ids are outstanding,
// enforces the response grammar of protocol/PROTOCOL.md section 5.3
// (ROW_DESCRIPTION ROW_BATCH* COMPLETE, a lone COMPLETE, STATEMENT_DESCRIPTION
// or ERROR, or ROW_DESCRIPTION ROW_BATCH* ERROR; the frames of one response
// contiguous; PONG only for a PING sent and never inside a response) and
// keeps finished responses until the client asks for them, so Query() can
// wait for its own answer while answers to earlier Send()s pile up for
// Receive().
//
// ConnectAndRelease lets the asynchronous client (async_client.cc) reuse the
// blocking client's connect and handshake, so the handshake lives in one
// place.
//
// Thread-safety: none; owned by one Client.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "protocol/client.h"
#include "protocol/message.h"
#include "protocol/status.h"

namespace kopf::protocol::client_internal {

// The payload ids of the requests sent and not yet answered. Both clients
// hand out ids in increasing order, so the set is mostly a window over
// them: a flag per id from the oldest one outstanding on, which costs no
// allocation and no hashing per request. An id before the window or far
// beyond its end goes to a hash set instead. (A request left unanswered
// keeps the window from moving: it grows by a byte per later id.)
class PayloadIdSet {
 public:
  void Insert(uint64_t id);
  bool Contains(uint64_t id) const {
    return InWindow(id) ? window_[id - base_] : others_.contains(id);
  }
  void Erase(uint64_t id);
  bool empty() const { return in_window_ == 0 && others_.empty(); }

 private:
  // Ids further than this past the window's end are not added to it.
  static constexpr uint64_t kMaxGap = 4096;
  bool InWindow(uint64_t id) const { return id >= base_ && id - base_ < window_.size(); }

  uint64_t base_ = 0;          // the id of window_[0]
  std::deque<bool> window_;    // window_[i]: id base_ + i is in the set
  size_t in_window_ = 0;       // how many flags are set
  std::unordered_set<uint64_t> others_;
};

class ResponseAssembler {
 public:
  explicit ResponseAssembler(uint32_t client_id) : client_id_(client_id) {}
  // partial_ points into ring_.
  ResponseAssembler(const ResponseAssembler&) = delete;
  ResponseAssembler& operator=(const ResponseAssembler&) = delete;

  // Records that a request with `payload_id` was sent.
  void Expect(uint64_t payload_id) { outstanding_.Insert(payload_id); }
  // Records that a PING with `payload_id` was sent (PINGs have their own ids).
  void ExpectPong(uint64_t payload_id) { pings_.insert(payload_id); }
  // True once the PONG to PING `payload_id` arrived; forgets it.
  bool TakePong(uint64_t payload_id);
  // The id of the oldest PONG received and not yet taken, if any.
  std::optional<uint64_t> TakeAnyPong();
  // True when a PONG was received and not yet taken.
  bool has_pong() const { return !pongs_.empty(); }

  // Consumes one frame from the server. Fails with kProtocolViolation when
  // the frame breaks the protocol or the server said GOODBYE; the
  // connection is unusable afterwards.
  Status OnFrame(Envelope envelope);

  // The fast path for the common frames: consumes `frame` (the bytes after
  // its length prefix) when it is a well-formed ROW_DESCRIPTION, ROW_BATCH
  // or COMPLETE that continues the response being received as the protocol
  // allows, decoding it straight into that response, and returns true.
  // Returns false, changing nothing, for any other frame: the caller then
  // decodes it with DecodeFrameBody and hands it to OnFrame, which gives
  // the same result or names the problem.
  bool TryFastFrame(std::span<const uint8_t> frame);

  // Removes and returns the finished response to `payload_id`, if any.
  std::optional<Response> Take(uint64_t payload_id);
  // Removes and returns the oldest finished response, if any.
  std::optional<Response> TakeAny();
  // The oldest finished response, left in place to be read or moved from,
  // or nullptr; valid until the next frame or DropOldest(). Saves
  // TakeAny's move for a caller that only reads it.
  Response* Oldest() { return has_finished() ? &At(0) : nullptr; }
  // Removes the response Oldest() returned. Its slot, with the room its
  // columns and rows took (unless moved away, or large), serves a later
  // response, so a caller that only reads responses does not allocate
  // for them each time.
  void DropOldest();

  // Hands the COPY_DATA of request `payload_id` to `sink` instead of
  // collecting it in QueryResult::copy_data; nullptr stops that. The sink
  // must outlive the request's response.
  void SetCopySink(uint64_t payload_id, const CopySink* sink) {
    sink_id_ = payload_id;
    sink_ = sink;
    sink_error_ = Status::Ok();
  }
  // The first error the sink returned, if any.
  const Status& sink_error() const { return sink_error_; }
  // True when the response to `payload_id` is finished and not taken.
  bool finished(uint64_t payload_id) const;

  // True while some request has no finished response yet.
  bool awaiting() const { return !outstanding_.empty(); }
  bool has_finished() const { return count_ > (partial_ != nullptr ? 1 : 0); }

 private:
  // Begins the response to `payload_id` in partial_.
  void StartResponse(uint64_t payload_id);
  Status Finish(Status status);

  uint32_t client_id_;
  PayloadIdSet outstanding_;                  // sent, not yet finished
  std::unordered_set<uint64_t> pings_;        // PINGs sent, not yet answered
  std::deque<uint64_t> pongs_;                // PONGs received, not yet taken
  // The responses received, in order of arrival, as a ring of reused
  // slots: the i-th is At(i), i < count_. The last one is partial_ while
  // a response is being received: it is built where it waits once
  // finished, so finishing it moves nothing.
  Response& At(size_t i) { return ring_[(head_ + i) & (ring_.size() - 1)]; }
  const Response& At(size_t i) const { return ring_[(head_ + i) & (ring_.size() - 1)]; }
  std::vector<Response> ring_;  // a power of two in size, or empty
  size_t head_ = 0;
  size_t count_ = 0;
  Response* partial_ = nullptr;  // the response being received, or nullptr
  bool described_ = false;                    // partial_ had a ROW_DESCRIPTION
  bool copying_out_ = false;                  // partial_ had COPY_DATA
  // The last ROW_DESCRIPTION body the fast path decoded, and its columns.
  std::vector<uint8_t> last_description_;
  std::vector<ColumnInfo> last_columns_;
  // The tag bytes of the last COMPLETE body it decoded, and that tag.
  std::vector<uint8_t> last_complete_tag_bytes_;
  std::string last_complete_tag_;
  // Emptied rows of responses gone by, whose vectors keep their room: the
  // fast path fills them with the next rows instead of allocating a
  // vector per row.
  static constexpr size_t kMaxSpareRows = 64;
  std::vector<Row> spare_rows_;
  uint64_t sink_id_ = 0;
  const CopySink* sink_ = nullptr;
  Status sink_error_;
};

// Checks a statement's text before it is sent: valid UTF-8 and small
// enough for one frame (kInvalidValue otherwise).
Status CheckSql(std::string_view sql);

// A connected socket whose handshake is done, no longer owned by a Client.
struct ReleasedConnection {
  int fd = -1;  // the caller owns it; it is in non-blocking mode
  uint32_t client_id = 0;
  std::string server_version;
};

// Connects and completes the handshake exactly as Client::Connect does, then
// gives up the socket. Fails as Client::Connect fails.
Result<ReleasedConnection> ConnectAndRelease(const std::string& host, uint16_t port,
                                             const ClientOptions& options);

}  // namespace kopf::protocol::client_internal
