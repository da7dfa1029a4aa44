// CopyInStream: the data of one COPY ... FROM STDIN on its way from the
// client's connection (brainstem/session.cc, which pushes COPY_DATA chunks
// as they arrive) to the statement running on a worker (executor, which
// reads and parses them as they come).
//
// The buffer between the two is bounded: once it holds `max_buffered_bytes`
// the connection stops reading its socket (full()), and TCP holds the
// client back; the statement's Read() calls the drain callback when it has
// made room again. So a copy holds at most about that much raw CSV text on
// the server however large the file, plus one frame being decoded.
//
// How a copy ends:
//   - Finish() (COPY_DONE): Read() returns what is left, then 0;
//   - Fail(status) (COPY_FAIL, CANCEL, a lost connection): Read() returns
//     `status` at once, unread chunks are dropped, and the statement loads
//     nothing;
//   - no chunk, Finish() or Fail() for `idle_timeout` while the statement
//     waits in Read(): Read() fails with kCancelled, as after Fail();
//   - Abandon() (the statement stopped early, say at a bad value): later
//     chunks are dropped as they arrive, and full() is false for good, so
//     the connection reads on to the client's COPY_DONE or COPY_FAIL.
//
// Thread-safety: every method may be called from any thread; Read() blocks
// its caller until data, the end or a failure arrives.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::cerebellum {

class CopyInStream {
 public:
  static constexpr size_t kDefaultMaxBufferedBytes = size_t{1} << 20;

  // `idle_timeout` zero: Read() waits for the client for ever.
  explicit CopyInStream(size_t max_buffered_bytes = kDefaultMaxBufferedBytes,
                        std::chrono::milliseconds idle_timeout = std::chrono::milliseconds(0))
      : max_buffered_bytes_(max_buffered_bytes), idle_timeout_(idle_timeout) {}
  CopyInStream(const CopyInStream&) = delete;
  CopyInStream& operator=(const CopyInStream&) = delete;

  // ---- The connection's side.

  // Adds a chunk (dropped after Fail or Abandon).
  void Push(std::string chunk);
  // The client sent everything.
  void Finish();
  // The copy is off; the statement fails with `status`. REQUIRES: !ok().
  void Fail(protocol::Status status);
  // True while the buffer is at its limit and the statement still reads:
  // stop reading the socket until the drain callback runs.
  bool full() const;
  // Called (on the statement's thread) when full() turns false.
  void SetOnDrain(std::function<void()> on_drain);

  // ---- The statement's side.

  // Copies up to `capacity` bytes into `dest`, waiting for a chunk when
  // none is buffered. Returns the count, 0 once the client finished and
  // everything was read, or the failure.
  protocol::Result<size_t> Read(char* dest, size_t capacity);
  // The statement will read no more (it failed, or succeeded without
  // needing the rest).
  void Abandon();

 private:
  const size_t max_buffered_bytes_;
  const std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::string> chunks_;
  size_t front_offset_ = 0;  // bytes of chunks_.front() already read
  size_t buffered_ = 0;      // unread bytes in chunks_
  bool finished_ = false;
  bool abandoned_ = false;
  protocol::Status failure_;
  std::function<void()> on_drain_;
};

// The connection a request arrived on, as COPY ... FROM STDIN and TO STDOUT
// need it. A request without one (an old protocol version, or a statement
// run in-process) cannot copy from or to the client.
class CopyClient {
 public:
  virtual ~CopyClient() = default;
  // Called on the worker once a COPY FROM STDIN of request `payload_id` is
  // bound and allowed: tells the client to start sending (COPY_IN_RESPONSE
  // naming `columns`, the columns each record's fields fill, in order) and
  // returns the stream the data arrives on.
  virtual std::shared_ptr<CopyInStream> OpenCopyIn(uint64_t payload_id,
                                                   std::vector<protocol::ColumnInfo> columns) = 0;
};

}  // namespace kopf::cerebellum
