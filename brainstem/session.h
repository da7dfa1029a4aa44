// Session: one client connection, from HELLO to close.
//
// The life of a connection:
//   1. The server accepts the socket on its own strand and calls Start(),
//      which spawns two coroutines on that strand: a reader and a writer.
//   2. The reader decodes frames. The first must be HELLO. With
//      authentication on, the session answers AUTH_CHALLENGE, checks the
//      AUTH_RESPONSE (SCRAM, brainstem/auth.h) and queues AUTH_OK, or an
//      ERROR and closes. Then it assigns the next client id and queues a
//      WELCOME; the user's role goes with every request. Each QUERY goes to
//      Engine::Submit, each PREPARE to Engine::Prepare (the session keeps
//      the returned handle under the statement id), each EXECUTE of a known
//      statement to Engine::Execute; the completion (on a worker thread)
//      encodes the whole response there and hands the bytes back to the
//      strand through the server's ReplyCourier. PING, CLOSE and requests the session can refuse by itself
//      (unknown statement id) are answered on the strand at once; CANCEL
//      sets the flag of the request in flight.
//   3. The writer drains the outgoing queue. Responses are queued whole, so
//      each response's frames stay contiguous, in whatever order the engine
//      finishes them. A completion's response that finds the writer idle
//      and nothing queued is sent at once instead (SendNow).
//   4. The connection ends one of three ways:
//        - gracefully (client GOODBYE or EOF, or server shutdown): reading
//          stops, in-flight requests finish and are written, the server
//          says GOODBYE and closes;
//        - on a protocol violation: an ERROR frame is queued behind what is
//          already queued, later responses are dropped, and the connection
//          closes once the ERROR is written;
//        - on an I/O error or a client that stops reading (see
//          Options::max_queued_bytes): closed at once.
//      A COPY ... FROM STDIN (protocol 1.2) runs as a QUERY whose statement,
//      once bound, calls OpenCopyIn from its worker: the session queues
//      COPY_IN_RESPONSE and pushes the client's COPY_DATA chunks into the
//      statement's CopyInStream as they arrive, stopping to read while that
//      stream is full; COPY_DONE finishes it, COPY_FAIL, CANCEL and the end
//      of the connection fail it (nothing is loaded). If the statement
//      fails first, the client's remaining COPY_DATA are dropped up to its
//      COPY_DONE or COPY_FAIL.
//      A connection that has not received WELCOME within
//      Options::handshake_timeout is closed at once.
//      Closing calls Engine::ForgetClient. Completions that arrive after
//      the close are dropped; each holds a shared_ptr to the session and a
//      tracked-work executor, so neither the session nor the io_context
//      goes away under it.
//
// Thread-safety: Start, Shutdown and Abort may be called from any thread;
// everything else runs on the session's strand (the socket's executor).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>  // before Asio: its C++20 coroutine support needs it

#include <boost/asio.hpp>

#include "brainstem/options.h"
#include "brainstem/reply_courier.h"
#include "brainstem/response_encoder.h"
#include "cerebellum/copy_in_stream.h"
#include "cerebellum/engine.h"
#include "cerebellum/executor/cancel.h"
#include "protocol/auth.h"
#include "protocol/frame_decoder.h"
#include "protocol/message.h"
#include "protocol/role.h"
#include "protocol/status.h"

namespace kopf::cerebellum {
class Engine;
struct PreparedHandle;
}  // namespace kopf::cerebellum

namespace kopf::brainstem {

class Authenticator;

// What the sessions of one server share. Held by shared_ptr by the server
// and by every session.
struct SessionContext {
  cerebellum::Engine* engine = nullptr;  // outlives every session's I/O
  Options options;
  std::string server_version;
  // Null when authentication is off: every connection is then admin.
  std::shared_ptr<Authenticator> authenticator;
  // Carries every reply finished off the network thread to its session.
  std::shared_ptr<ReplyCourier> courier;
  std::atomic<uint32_t> next_client_id{1};
  std::atomic<size_t> open_sessions{0};  // sessions not yet closed
};

class Session : public std::enable_shared_from_this<Session>, private cerebellum::CopyClient {
 public:
  // REQUIRES: the socket's executor is a strand; the caller has counted
  // this session in context->open_sessions (Close() uncounts it).
  Session(boost::asio::ip::tcp::socket socket, std::shared_ptr<SessionContext> context);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start();
  // Stops reading, finishes in-flight requests, says GOODBYE, closes.
  void Shutdown();
  // Closes now; in-flight responses are dropped.
  void Abort();

 private:
  enum class Ending { kNone, kGraceful, kAfterError };
  // A prepared statement, and the ROW_DESCRIPTION frame of its point
  // reads, encoded at the first (EncodePointReadResponse) and copied by
  // every later one.
  struct Prepared {
    std::shared_ptr<cerebellum::PreparedHandle> handle;
    std::string point_read_description;
  };
  // Where a point read's answer is being encoded into the output, so that
  // a failure halfway (only an exception) can cut it off again.
  struct AnswerStart {
    std::string* tail = nullptr;  // null when no answer is being encoded
    size_t before = 0;            // tail's size before the answer
    void CutOff() {
      if (tail != nullptr) tail->resize(before);
    }
  };

  boost::asio::awaitable<void> ReadLoop(std::shared_ptr<Session> self);
  boost::asio::awaitable<void> WriteLoop(std::shared_ptr<Session> self);
  bool ReaderMustWait() const;
  // Acts on one frame; false when reading must stop.
  bool Handle(protocol::Envelope envelope);
  bool HandleHello(const protocol::Envelope& envelope);
  bool HandleAuthResponse(const protocol::Envelope& envelope);
  void Welcome(protocol::Role role);
  // QUERY, PREPARE, EXECUTE, CLOSE: the requests that get a response.
  void HandleRequest(protocol::Envelope envelope);
  // Handles the decoded one-row EXECUTEs of burst_ from burst_next_ on,
  // running point reads in groups (HandleBurst's comment); stops early,
  // true, when the reader must wait. False when reading must stop.
  bool HandleBurst();
  // One EXECUTE decoded by the fast path, handled on its own.
  bool HandleSingleExecute(protocol::SingleExecute& e);
  // Encodes the answer of a point read of `prepared` into the output: the
  // row's `picks`, or no row when `row` is null (EncodePointReadResponse).
  // Sets `*at` to where it starts; the caller counts it (Queued).
  void EncodePointRead(uint64_t payload_id, Prepared& prepared, const protocol::Row* row,
                       std::span<const size_t> picks, AnswerStart* at);
  // Runs an EXECUTE of `*rows`; hands the rows back when it ran inline.
  void HandleExecute(uint64_t payload_id, uint64_t statement_id, std::vector<protocol::Row>* rows);
  // Violation unless a frame's client id is this connection's.
  bool CheckClientId(protocol::MessageType type, uint32_t client_id, uint64_t payload_id);
  // Violation unless a request's payload id is the next one; else takes it.
  bool CheckSequence(protocol::MessageType type, uint64_t payload_id);
  protocol::Status UnknownStatement(uint64_t statement_id) const;
  // COPY_DATA, COPY_DONE, COPY_FAIL; false when reading must stop.
  bool HandleCopyFrame(protocol::Envelope envelope);
  // cerebellum::CopyClient, called on a worker.
  std::shared_ptr<cerebellum::CopyInStream> OpenCopyIn(
      uint64_t payload_id, std::vector<protocol::ColumnInfo> columns) override;
  void StartCopyIn(uint64_t payload_id, std::shared_ptr<cerebellum::CopyInStream> stream,
                   std::vector<protocol::ColumnInfo> columns);
  // Fails the COPY FROM STDIN in progress, if any (the connection ends).
  void AbortCopyIn(const std::string& why);
  // Counts a request in flight and makes the flag its CANCEL sets.
  std::shared_ptr<cerebellum::CancelFlag> StartRequest(uint64_t payload_id);
  // Output waiting for the writer: encoded bytes, and for a large result
  // the stream that encodes the rest of it (flow control, see WriteLoop).
  struct Outgoing {
    std::string bytes;
    std::shared_ptr<ResponseStream> rest;            // null once the response is encoded
    std::shared_ptr<cerebellum::CancelFlag> cancel;  // set by CANCEL; only with `rest`
  };
  // The callback an engine completion hands the encoded response to, on a
  // worker thread; it posts it back to the strand.
  std::function<void(Outgoing)> Responder(uint64_t payload_id);
  cerebellum::Completion ResultResponder(uint64_t payload_id);
  static Outgoing FirstPiece(uint32_t client_id, uint64_t payload_id,
                             protocol::Result<cerebellum::StatementResult> result);
  void OnResponse(uint64_t payload_id, Outgoing out);
  // A reply that arrives while the writer is idle and nothing is queued is
  // sent right here, by one non-blocking send, instead of waking the writer
  // coroutine (a timer cancel, which takes the event loop's lock, and one
  // more handler). Leaves in `*bytes` what the socket did not take; false
  // when nothing is left to queue (all sent, or the connection closed).
  bool SendNow(std::string* bytes);
  void EnqueueFrame(const protocol::Envelope& envelope);
  void EnqueueError(uint64_t payload_id, const protocol::Status& status);
  void Enqueue(Outgoing out);
  // Encodes a result right into the queue (see Tail).
  void EnqueueResult(uint64_t payload_id, protocol::Result<cerebellum::StatementResult> result);
  // The buffer the next small whole response is appended to: the last
  // queued one while it is whole and small, else a new one.
  std::string* Tail();
  // Counts `bytes` just queued, closes a client far behind, wakes the writer.
  void Queued(size_t bytes);
  void CountQueued(size_t bytes);
  void Violation(const std::string& what, uint64_t payload_id);
  // Queues an ERROR carrying `status` and closes once it is written.
  void EndWithError(const protocol::Status& status, uint64_t payload_id, std::string reason);
  void Finish(Ending ending, std::string reason);
  void Close(const std::string& reason);
  void WakeReader();
  void WakeWriter();
  std::string Name() const;

  boost::asio::ip::tcp::socket socket_;
  std::shared_ptr<SessionContext> context_;
  boost::asio::steady_timer reader_wake_;
  boost::asio::steady_timer writer_wake_;
  boost::asio::steady_timer handshake_deadline_;
  protocol::FrameDecoder decoder_;
  std::string peer_;
  uint32_t client_id_ = 0;  // 0 until the handshake
  // Set between AUTH_CHALLENGE and AUTH_RESPONSE.
  std::unique_ptr<protocol::scram::ScramServer> scram_;
  std::string client_name_;  // from HELLO, for the log
  std::string user_;         // the user the connection logs in as; empty without authentication
  bool user_known_ = false;
  protocol::Role role_ = protocol::Role::kAdmin;  // after the handshake: the user's role
  uint64_t last_payload_id_ = 0;
  size_t in_flight_ = 0;  // submitted, completion not yet back on the strand
  // Prepared statements by id (the PREPARE's payload id).
  std::unordered_map<uint64_t, Prepared> statements_;
  // The cancel flag of each request in flight, by payload id.
  std::unordered_map<uint64_t, std::shared_ptr<cerebellum::CancelFlag>> cancels_;
  std::deque<Outgoing> queue_;  // responses waiting for the writer, in order
  // Empty buffers with capacity from past writes, for the next bursts of
  // small responses: one is filled while another is being written.
  std::vector<std::string> spares_;
  // The one-row EXECUTEs the fast path decoded from the input at hand, the
  // first burst_end_ of burst_, and the first not yet handled; the rows
  // vector a parameter row runs in when it runs on its own. All reused
  // from request to request.
  std::vector<protocol::SingleExecute> burst_;
  size_t burst_next_ = 0;
  size_t burst_end_ = 0;
  std::vector<protocol::Row> execute_rows_;
  // A group of point reads of burst_ and their statements (HandleBurst).
  std::vector<cerebellum::PointReadJob> point_jobs_;
  std::vector<Prepared*> point_statements_;
  size_t queued_bytes_ = 0;       // encoded bytes in queue_
  size_t writing_bytes_ = 0;      // bytes of the write in progress
  size_t peak_unsent_bytes_ = 0;  // most of queued + writing at once (logged at close)
  // The COPY FROM STDIN in progress: from its COPY_IN_RESPONSE until both
  // the client ended it (COPY_DONE or COPY_FAIL) and the statement did.
  struct CopyIn {
    uint64_t payload_id = 0;
    std::shared_ptr<cerebellum::CopyInStream> stream;  // null once the statement ended
    bool client_ended = false;
  };
  std::optional<CopyIn> copy_in_;
  uint16_t client_minor_ = 0;                    // HELLO's minor version
  const boost::asio::any_io_executor executor_;  // the strand; may be copied on any thread
  Ending ending_ = Ending::kNone;
  std::string ending_reason_;
  bool closed_ = false;
  // Set while the reader or writer coroutine waits on its wake-up timer.
  bool reader_waiting_ = false;
  bool writer_waiting_ = false;
};

}  // namespace kopf::brainstem
