#include "brainstem/session.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <span>
#include <utility>

#include <fmt/format.h>

#include "brainstem/auth.h"
#include "brainstem/log.h"
#include "brainstem/response_encoder.h"
#include "cerebellum/engine.h"
#include "protocol/frame_encoder.h"
#include "protocol/users_file.h"

namespace kopf::brainstem {

namespace asio = boost::asio;
using asio::ip::tcp;
using protocol::Envelope;
using protocol::MessageType;

namespace {

constexpr size_t kReadChunkBytes = 64 * 1024;
// The writer hands the kernel up to this much per write call, gathered
// from several queued responses, to save system calls under pipelining.
constexpr size_t kWriteGatherBytes = 1 << 20;
constexpr size_t kWriteGatherResponses = 64;
// Prepared statements one connection may hold; each keeps a parsed tree.
constexpr size_t kMaxPreparedStatements = 10000;
// A streaming response is encoded this much at a time (about one ROW_BATCH
// of kRowBatchTargetBytes): enough per write call to keep the socket busy,
// little enough that a slow reader pins little memory.
constexpr size_t kResponsePieceBytes = 256 * 1024;
// Small whole responses are appended to the last queued output while it is
// below this size: a burst of pipelined answers then fills one buffer, with
// no allocation per response, and goes out in one write.
constexpr size_t kCoalesceBytes = 64 * 1024;
// Write buffers a session keeps for reuse (see WriteLoop).
constexpr size_t kSpareBuffers = 2;
// One-row EXECUTEs decoded ahead of handling them (see HandleBurst): more
// than a burst of 16 in flight brings, to look up a group's keys together.
constexpr size_t kMaxBurst = 32;

}  // namespace

Session::Session(tcp::socket socket, std::shared_ptr<SessionContext> context)
    : socket_(std::move(socket)),
      context_(std::move(context)),
      reader_wake_(socket_.get_executor()),
      writer_wake_(socket_.get_executor()),
      handshake_deadline_(socket_.get_executor()),
      decoder_(context_->options.max_frame_bytes),
      point_jobs_(kMaxBurst),
      point_statements_(kMaxBurst),
      executor_(socket_.get_executor()) {
  boost::system::error_code ec;
  tcp::endpoint peer = socket_.remote_endpoint(ec);
  peer_ = ec ? "unknown peer" : fmt::format("{}:{}", peer.address().to_string(), peer.port());
  // Frames are small and answers latency-bound: do not wait to coalesce.
  socket_.set_option(tcp::no_delay(true), ec);
  // The reader's read_some must return would_block rather than wait.
  socket_.non_blocking(true, ec);
}

void Session::Start() {
  auto on_exit = [self = shared_from_this()](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      self->Close(fmt::format("internal error: {}", ex.what()));
    } catch (...) {
      self->Close("internal error");
    }
  };
  if (context_->options.handshake_timeout.count() > 0) {
    // On the strand: the timer is the session's state like any other.
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      if (self->closed_) return;
      self->handshake_deadline_.expires_after(self->context_->options.handshake_timeout);
      self->handshake_deadline_.async_wait([self](boost::system::error_code ec) {
        if (ec || self->client_id_ != 0) return;  // cancelled, or WELCOME went out
        self->Close(fmt::format("no complete handshake within {} ms",
                                self->context_->options.handshake_timeout.count()));
      });
    });
  }
  asio::co_spawn(socket_.get_executor(), ReadLoop(shared_from_this()), on_exit);
  asio::co_spawn(socket_.get_executor(), WriteLoop(shared_from_this()), on_exit);
}

void Session::Shutdown() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->closed_) return;
    if (self->client_id_ == 0) {
      self->Close("server shutting down");
      return;
    }
    self->Finish(Ending::kGraceful, "server shutting down");
    // Wakes a reader waiting for input: the socket reads as EOF.
    boost::system::error_code ec;
    self->socket_.shutdown(tcp::socket::shutdown_receive, ec);
  });
}

void Session::Abort() {
  asio::post(socket_.get_executor(),
             [self = shared_from_this()] { self->Close("closed at shutdown before finishing"); });
}

// ---- Reading ----

bool Session::ReaderMustWait() const {
  // Back-pressure: stop taking requests while this client already has many
  // in flight or a lot of unsent output; TCP then slows the client down.
  // A COPY FROM STDIN whose statement has not caught up holds the client
  // back the same way (the drain callback wakes the reader).
  return in_flight_ >= context_->options.max_requests_in_flight ||
         queued_bytes_ >= context_->options.max_queued_bytes / 2 ||
         (copy_in_ && copy_in_->stream && copy_in_->stream->full());
}

asio::awaitable<void> Session::ReadLoop(std::shared_ptr<Session> self) {
  boost::system::error_code ec;
  for (;;) {
    while (!closed_ && ending_ == Ending::kNone && ReaderMustWait()) {
      reader_wake_.expires_at(asio::steady_timer::time_point::max());
      reader_waiting_ = true;
      co_await reader_wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      reader_waiting_ = false;
    }
    if (closed_ || ending_ != Ending::kNone) co_return;

    if (burst_next_ < burst_end_) {
      if (!HandleBurst()) co_return;
      continue;
    }
    // The commonest request, an EXECUTE of one parameter row, is decoded
    // straight into storage reused from request to request, as many of
    // them in a row as the input holds (up to kMaxBurst), and handled
    // together; anything else goes through a whole Envelope.
    if (client_id_ != 0 && scram_ == nullptr) {
      size_t decoded = 0;
      protocol::Result<bool> execute = false;
      while (decoded < kMaxBurst) {
        if (burst_.size() == decoded) burst_.emplace_back();
        execute = decoder_.NextSingleExecute(&burst_[decoded]);
        if (!execute.ok() || !*execute) break;
        ++decoded;
      }
      if (decoded == 1 && execute.ok()) {
        // One request and nothing behind it (one in flight): no group.
        if (!HandleSingleExecute(burst_.front())) co_return;
        continue;
      }
      if (decoded > 0) {
        // Handled at the top, after the back-pressure check. A malformed
        // frame behind them stays in the decoder, which fails the same
        // way once they are handled.
        burst_next_ = 0;
        burst_end_ = decoded;
        continue;
      }
      if (!execute.ok()) {
        Violation(execute.status().message(), decoder_.last_header()->payload_id);
        co_return;
      }
    }
    protocol::Result<std::optional<Envelope>> next = decoder_.Next();
    if (!next.ok()) {
      const auto& header = decoder_.last_header();
      Violation(next.status().message(), header && client_id_ != 0 ? header->payload_id : 0);
      co_return;
    }
    if (next->has_value()) {
      if (!Handle(std::move(**next))) co_return;
      continue;
    }

    // Wait for readability first and only then read, into a per-thread
    // buffer: an idle connection holds no read buffer at all. Nothing
    // suspends between the read and the Append, so sharing it is safe.
    // (async_read_some into a per-session buffer spares the epoll_ctl that
    // Boost 1.74's reactor makes for each async_wait, but its speculative
    // receive then fails with EAGAIN once per burst instead: one system
    // call for another, measured no cheaper; see brainstem/README.md.)
    co_await socket_.async_wait(tcp::socket::wait_read,
                                asio::redirect_error(asio::use_awaitable, ec));
    if (closed_ || ending_ != Ending::kNone) co_return;
    if (!ec) {
      thread_local std::array<uint8_t, kReadChunkBytes> scratch;
      size_t n = socket_.read_some(asio::buffer(scratch), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
      if (!ec) decoder_.Append(std::span<const uint8_t>(scratch.data(), n));
    }
    if (ec == asio::error::eof) {
      Finish(Ending::kGraceful, decoder_.buffered_bytes() > 0
                                    ? "client closed the connection in the middle of a frame"
                                    : "client closed the connection");
      co_return;
    }
    if (ec) {
      Close(fmt::format("read failed: {}", ec.message()));
      co_return;
    }
  }
}

bool Session::Handle(Envelope envelope) {
  MessageType type = protocol::TypeOf(envelope.message);
  if (client_id_ == 0 && scram_ != nullptr) {
    if (type != MessageType::kAuthResponse) {
      Violation(fmt::format("expected AUTH_RESPONSE after AUTH_CHALLENGE, got {}",
                            protocol::MessageTypeName(type)),
                0);
      return false;
    }
    return HandleAuthResponse(envelope);
  }
  if (client_id_ == 0) {
    if (type != MessageType::kHello) {
      Violation(
          fmt::format("expected HELLO as the first frame, got {}", protocol::MessageTypeName(type)),
          0);
      return false;
    }
    return HandleHello(envelope);
  }
  if (!CheckClientId(type, envelope.client_id, envelope.payload_id)) return false;
  switch (type) {
    case MessageType::kQuery:
    case MessageType::kPrepare:
    case MessageType::kExecute:
    case MessageType::kClose:
      if (!CheckSequence(type, envelope.payload_id)) return false;
      HandleRequest(std::move(envelope));
      return true;
    case MessageType::kCopyData:
    case MessageType::kCopyDone:
    case MessageType::kCopyFail:
      return HandleCopyFrame(std::move(envelope));
    case MessageType::kPing:
      // Answered here at once, whatever runs on the workers.
      EnqueueFrame(Envelope{client_id_, envelope.payload_id, protocol::Pong{}});
      return true;
    case MessageType::kCancel:
      if (auto it = cancels_.find(envelope.payload_id); it != cancels_.end()) {
        it->second->store(true, std::memory_order_relaxed);
        // A COPY FROM STDIN waits for data, not at a cancellation check.
        if (copy_in_ && copy_in_->payload_id == envelope.payload_id && copy_in_->stream) {
          copy_in_->stream->Fail(cerebellum::CancelledStatus());
        }
      } else {
        // Perhaps a response still streaming; stopped before its next piece.
        for (Outgoing& out : queue_) {
          if (out.rest && out.cancel && out.rest->payload_id() == envelope.payload_id) {
            out.cancel->store(true, std::memory_order_relaxed);
          }
        }
      }
      return true;  // an unknown or finished request: nothing to do
    case MessageType::kGoodbye:
      Finish(Ending::kGraceful, "client said GOODBYE");
      return false;
    case MessageType::kHello:
    case MessageType::kWelcome:
    case MessageType::kPong:
    case MessageType::kRowDescription:
    case MessageType::kRowBatch:
    case MessageType::kComplete:
    case MessageType::kError:
    case MessageType::kAuthChallenge:
    case MessageType::kAuthResponse:
    case MessageType::kAuthOk:
    case MessageType::kStatementDescription:
    case MessageType::kCopyInResponse:
      break;
  }
  Violation(fmt::format("a client may not send {} here", protocol::MessageTypeName(type)),
            envelope.payload_id);
  return false;
}

bool Session::CheckClientId(MessageType type, uint32_t client_id, uint64_t payload_id) {
  if (client_id == client_id_) return true;
  Violation(fmt::format("{} carries client_id {}, but this connection is client {}",
                        protocol::MessageTypeName(type), client_id, client_id_),
            payload_id);
  return false;
}

bool Session::CheckSequence(MessageType type, uint64_t payload_id) {
  if (payload_id != last_payload_id_ + 1) {
    Violation(fmt::format("{} payload_id {} is out of sequence (expected {})",
                          protocol::MessageTypeName(type), payload_id, last_payload_id_ + 1),
              payload_id);
    return false;
  }
  last_payload_id_ = payload_id;
  return true;
}

// A burst of pipelined EXECUTEs is mostly point reads. Each group of them
// in a row (well-formed, their statements prepared as point reads) goes to
// the engine at once, which looks all their keys up together under one
// read lock and hands the rows back in order; each answer is encoded into
// the output as it comes, as a read on its own would be. Anything else, a
// lone read, and a read the group could not run (it would wait, or the
// client has requests queued) is handled on its own, so requests keep
// their order: a read behind a queued write is queued behind it too.
bool Session::HandleBurst() {
  // Encodes each answer of a group into the output, checking before each
  // that the reader need not stop (flow control: the output stays bounded
  // as when each request is decoded only after that check).
  struct Answers final : cerebellum::PointReadAnswers {
    Session* session;
    size_t first;     // burst_ index of job 0
    AnswerStart at;  // of the answer being encoded
    Answers(Session* s, size_t f) : session(s), first(f) {}
    bool Room() const {
      return !session->closed_ && session->ending_ == Ending::kNone && !session->ReaderMustWait();
    }
    bool Found(size_t i, const protocol::Row* stored, std::span<const size_t> outputs) override {
      if (!Room()) return false;
      const uint64_t payload_id = session->burst_[first + i].payload_id;
      session->EncodePointRead(payload_id, *session->point_statements_[i], stored, outputs, &at);
      session->last_payload_id_ = payload_id;
      const AnswerStart done = std::exchange(at, {});
      session->Queued(done.tail->size() - done.before);
      return true;
    }
    bool Failed(size_t i, const protocol::Status& status) override {
      if (!Room()) return false;
      session->last_payload_id_ = session->burst_[first + i].payload_id;
      session->EnqueueResult(session->last_payload_id_, status);
      return true;
    }
  };
  while (burst_next_ < burst_end_) {
    if (closed_ || ending_ != Ending::kNone) return false;
    if (ReaderMustWait()) return true;
    // The group: requests in sequence for statements that are point reads.
    const size_t first = burst_next_;
    size_t end = first;
    for (; end < burst_end_; ++end) {
      const protocol::SingleExecute& e = burst_[end];
      if (e.client_id != client_id_ || e.payload_id != last_payload_id_ + 1 + (end - first)) break;
      auto it = statements_.find(e.statement_id);
      if (it == statements_.end()) break;
      const cerebellum::PreparedStatement* statement =
          cerebellum::Engine::InlinePointRead(*it->second.handle);
      if (statement == nullptr) break;
      point_jobs_[end - first] = {statement, &burst_[end].parameters};
      point_statements_[end - first] = &it->second;
    }
    // A lone read gains nothing from a group and takes the shorter way.
    if (end - first > 1) {
      Answers answers(this, first);
      cerebellum::Engine::PointReadsDone done = context_->engine->TryPointReadsInline(
          client_id_, std::span(point_jobs_.data(), end - first), &answers);
      burst_next_ += done.answered;
      if (!done.failed.ok()) {
        // Only an exception could fail it; it may have left part of an answer.
        answers.at.CutOff();
        last_payload_id_ = burst_[burst_next_].payload_id;
        EnqueueResult(last_payload_id_, done.failed);
        ++burst_next_;
      }
      if (burst_next_ > first) continue;
    }
    if (!HandleSingleExecute(burst_[burst_next_++])) return false;
  }
  return true;
}

void Session::EncodePointRead(uint64_t payload_id, Prepared& prepared, const protocol::Row* row,
                              std::span<const size_t> picks, AnswerStart* at) {
  at->tail = Tail();
  at->before = at->tail->size();
  EncodePointReadResponse(client_id_, payload_id, prepared.handle->statement->columns,
                          &prepared.point_read_description, row, picks, at->tail);
}

bool Session::HandleSingleExecute(protocol::SingleExecute& e) {
  if (!CheckClientId(MessageType::kExecute, e.client_id, e.payload_id) ||
      !CheckSequence(MessageType::kExecute, e.payload_id)) {
    return false;
  }
  // The row moves into execute_rows_ and back, keeping its capacity.
  if (execute_rows_.size() != 1) execute_rows_.resize(1);
  execute_rows_.front().swap(e.parameters);
  HandleExecute(e.payload_id, e.statement_id, &execute_rows_);
  if (execute_rows_.size() == 1) execute_rows_.front().swap(e.parameters);
  return true;
}

void Session::HandleRequest(Envelope envelope) {
  const uint64_t payload_id = envelope.payload_id;
  const uint32_t client_id = client_id_;
  if (auto* query = std::get_if<protocol::Query>(&envelope.message)) {
    cerebellum::Request request{client_id, payload_id, std::move(query->sql), role_,
                                StartRequest(payload_id)};
    // Only a 1.2 client can take part in the copy sub-protocol. The
    // completion holds the session, so `this` outlives the request.
    if (client_minor_ >= protocol::kCopyProtocolMinor) request.copy_client = this;
    context_->engine->Submit(std::move(request), ResultResponder(payload_id));
    return;
  }
  if (auto* prepare = std::get_if<protocol::Prepare>(&envelope.message)) {
    if (statements_.size() >= kMaxPreparedStatements) {
      EnqueueError(payload_id, protocol::Status::NotSupported(fmt::format(
                                   "a connection may hold {} prepared statements; CLOSE some first",
                                   kMaxPreparedStatements)));
      return;
    }
    cerebellum::Request request{client_id, payload_id, std::move(prepare->sql), role_,
                                StartRequest(payload_id)};
    statements_[payload_id].handle = context_->engine->Prepare(
        std::move(request),
        [respond = Responder(payload_id), client_id, payload_id](
            protocol::Result<std::shared_ptr<const cerebellum::PreparedStatement>> result) {
          // A description the wire cannot carry fails the statement too.
          protocol::Status sent;
          respond(Outgoing{EncodePrepareResponse(client_id, payload_id, result, &sent), nullptr,
                           nullptr});
          return sent;
        });
    return;
  }
  if (auto* execute = std::get_if<protocol::Execute>(&envelope.message)) {
    HandleExecute(payload_id, execute->statement_id, &execute->rows);
    return;
  }
  const auto& close = std::get<protocol::CloseStatement>(envelope.message);
  // An EXECUTE already queued holds the statement and still runs.
  if (statements_.erase(close.statement_id) == 0) {
    EnqueueError(payload_id, UnknownStatement(close.statement_id));
    return;
  }
  EnqueueFrame(Envelope{client_id, payload_id, protocol::Complete{"CLOSE", 0}});
}

void Session::HandleExecute(uint64_t payload_id, uint64_t statement_id,
                            std::vector<protocol::Row>* rows) {
  const uint32_t client_id = client_id_;
  auto it = statements_.find(statement_id);
  if (it == statements_.end()) {
    EnqueueError(payload_id, UnknownStatement(statement_id));
    return;
  }
  cerebellum::ExecuteRequest request{client_id,         payload_id,       statement_id,
                                     it->second.handle, std::move(*rows), nullptr};
  // Whatever runs here leaves the rows with the caller, to be reused.
  struct GiveBack {
    cerebellum::ExecuteRequest& request;
    std::vector<protocol::Row>* rows;
    ~GiveBack() { *rows = std::move(request.parameter_rows); }
  } give_back{request, rows};
  // A prepared point read runs right here when it cannot block: no hand-off
  // to a worker and back, which would cost more than the lookup itself.
  // One by primary key answers with its row alone, encoded into the output
  // straight from the table's row, under the table's read lock.
  struct EncodeRow final : cerebellum::PointReadSink {
    Session* session;
    uint64_t payload_id;
    Prepared* prepared;  // its handle's statement is set once it ran
    AnswerStart at;      // set once the response is encoded
    EncodeRow(Session* s, uint64_t p, Prepared* st) : session(s), payload_id(p), prepared(st) {}
    void Found(const protocol::Row& stored, std::span<const size_t> outputs) override {
      session->EncodePointRead(payload_id, *prepared, &stored, outputs, &at);
    }
  } encode(this, payload_id, &it->second);
  if (auto found = context_->engine->TryPointReadInline(request, &encode)) {
    if (!found->ok()) {
      // Only an exception after Found could leave part of a response.
      encode.at.CutOff();
      EnqueueResult(payload_id, found->status());
      return;
    }
    if (!**found) EncodePointRead(payload_id, it->second, nullptr, {}, &encode.at);
    Queued(encode.at.tail->size() - encode.at.before);
    return;
  }
  if (auto result = context_->engine->TryExecuteInline(request)) {
    EnqueueResult(payload_id, std::move(*result));
    return;
  }
  request.cancel = StartRequest(payload_id);
  cerebellum::Completion done = ResultResponder(payload_id);
  // A prepared single-row INSERT is appended right here when it cannot
  // block; only its fsync is left, and the reply follows the round's end.
  if (context_->engine->TryInsertInline(request, done)) return;
  context_->engine->Execute(std::move(request), std::move(done));
}

bool Session::HandleCopyFrame(Envelope envelope) {
  MessageType type = protocol::TypeOf(envelope.message);
  if (!copy_in_ || copy_in_->payload_id != envelope.payload_id || copy_in_->client_ended) {
    Violation(fmt::format("{} for payload {}, which has no COPY FROM STDIN waiting for data",
                          protocol::MessageTypeName(type), envelope.payload_id),
              envelope.payload_id);
    return false;
  }
  CopyIn& copy = *copy_in_;
  if (auto* data = std::get_if<protocol::CopyData>(&envelope.message)) {
    // After the statement ended (an error) the data is simply dropped.
    if (copy.stream) copy.stream->Push(std::move(data->data));
    return true;
  }
  copy.client_ended = true;
  if (copy.stream) {
    if (type == MessageType::kCopyDone) {
      copy.stream->Finish();
    } else {
      copy.stream->Fail(protocol::Status::Cancelled(
          fmt::format("the client aborted the copy: {}",
                      std::get<protocol::CopyFail>(envelope.message).message)));
    }
  } else {
    copy_in_.reset();  // the statement already answered
  }
  return true;
}

std::shared_ptr<cerebellum::CopyInStream> Session::OpenCopyIn(
    uint64_t payload_id, std::vector<protocol::ColumnInfo> columns) {
  auto stream = std::make_shared<cerebellum::CopyInStream>(
      cerebellum::CopyInStream::kDefaultMaxBufferedBytes, context_->options.copy_idle_timeout);
  // The statement makes room on its worker; the reader, on the strand,
  // then reads on. Weak: the stream must not keep the session alive.
  stream->SetOnDrain([weak = weak_from_this(), executor = executor_] {
    asio::post(executor, [weak] {
      if (auto self = weak.lock()) self->WakeReader();
    });
  });
  auto work = asio::prefer(executor_, asio::execution::outstanding_work.tracked);
  asio::post(work, [self = shared_from_this(), payload_id, stream,
                    columns = std::move(columns)]() mutable {
    self->StartCopyIn(payload_id, std::move(stream), std::move(columns));
  });
  return stream;
}

void Session::StartCopyIn(uint64_t payload_id, std::shared_ptr<cerebellum::CopyInStream> stream,
                          std::vector<protocol::ColumnInfo> columns) {
  if (closed_ || ending_ != Ending::kNone) {
    stream->Fail(protocol::Status::IoError("the connection closed before the copy began"));
    return;
  }
  if (copy_in_) {
    // Only when a client pipelined a second COPY FROM STDIN behind one it
    // has not ended yet.
    stream->Fail(protocol::Status::NotSupported(
        fmt::format("COPY FROM STDIN {} is still waiting for the client's COPY_DONE; one copy "
                    "at a time per connection",
                    copy_in_->payload_id)));
    return;
  }
  copy_in_ = CopyIn{payload_id, std::move(stream), false};
  EnqueueFrame(Envelope{
      client_id_, payload_id,
      protocol::CopyInResponse{protocol::CopyInResponse::Format::kCsv, std::move(columns)}});
}

void Session::AbortCopyIn(const std::string& why) {
  if (copy_in_ && copy_in_->stream) {
    copy_in_->stream->Fail(
        protocol::Status::IoError(fmt::format("COPY FROM STDIN aborted, nothing loaded: {}", why)));
  }
}

protocol::Status Session::UnknownStatement(uint64_t statement_id) const {
  return protocol::Status::UndefinedStatement(fmt::format(
      "statement {} is not prepared on this connection (a statement id is the payload id of "
      "its PREPARE)",
      statement_id));
}

bool Session::HandleHello(const Envelope& envelope) {
  const auto& hello = std::get<protocol::Hello>(envelope.message);
  if (envelope.client_id != 0 || envelope.payload_id != 0) {
    Violation("HELLO must carry client_id 0 and payload_id 0", 0);
    return false;
  }
  if (hello.major != protocol::kProtocolMajor) {
    Violation(fmt::format("unsupported protocol major version {} (this server speaks {}.{})",
                          hello.major, protocol::kProtocolMajor, protocol::kProtocolMinor),
              0);
    return false;
  }
  client_name_ = hello.client_name;
  client_minor_ = hello.minor;
  Authenticator* auth = context_->authenticator.get();
  if (auth == nullptr) {
    Welcome(protocol::Role::kAdmin);  // authentication is off (see brainstem/auth.h)
    return true;
  }
  if (hello.user.empty()) {
    EndWithError(protocol::Status::AuthenticationFailed(
                     "this server requires a user name and password (protocol 1.1 HELLO "
                     "with a user and a SCRAM-SHA-256 client-first-message)"),
                 0, "no user name given");
    return false;
  }
  if (!protocol::ValidateUserName(hello.user).ok()) {
    // No such user can exist, so saying so reveals nothing; and the name,
    // which may be megabytes long, goes neither into the log nor back.
    EndWithError(protocol::Status::AuthenticationFailed(
                     "authentication failed: a user name is 1 to 64 letters, digits and _ . @ -"),
                 0, "invalid user name");
    return false;
  }
  protocol::Result<protocol::scram::ClientFirst> first =
      protocol::scram::ParseClientFirst(hello.scram_first);
  if (!first.ok()) {
    Violation(first.status().message(), 0);
    return false;
  }
  if (first->user != hello.user) {
    Violation(fmt::format("HELLO names user \"{}\" but its SCRAM client-first-message names \"{}\"",
                          hello.user, first->user),
              0);
    return false;
  }
  protocol::Result<std::string> nonce = protocol::scram::NewNonce();
  if (!nonce.ok()) {
    EndWithError(nonce.status(), 0, nonce.status().message());
    return false;
  }
  Authenticator::Account account = auth->Find(hello.user);
  user_ = hello.user;
  user_known_ = account.known;
  role_ = account.role;
  scram_ = std::make_unique<protocol::scram::ScramServer>(
      std::move(first).value(), std::move(account.credentials), std::move(nonce).value());
  EnqueueFrame(Envelope{
      0, 0,
      protocol::AuthChallenge{std::string(protocol::scram::kMechanism), scram_->server_first()}});
  return true;
}

bool Session::HandleAuthResponse(const Envelope& envelope) {
  if (envelope.client_id != 0 || envelope.payload_id != 0) {
    Violation("AUTH_RESPONSE must carry client_id 0 and payload_id 0", 0);
    return false;
  }
  const auto& response = std::get<protocol::AuthResponse>(envelope.message);
  protocol::Result<std::string> server_final = scram_->OnClientFinal(response.data);
  scram_.reset();
  // An unknown user fails here exactly as a wrong password does: same
  // code, same message, same work done (decoy credentials).
  if (server_final.ok() && !user_known_) {
    server_final = protocol::Status::AuthenticationFailed(
        fmt::format("authentication failed for user \"{}\"", user_));
  }
  if (!server_final.ok()) {
    if (server_final.status().code() != protocol::ErrorCode::kAuthenticationFailed) {
      Violation(server_final.status().message(), 0);
      return false;
    }
    EndWithError(server_final.status(), 0,
                 fmt::format("authentication failed for user \"{}\" ({})", user_,
                             user_known_ ? "wrong password" : "no such user"));
    return false;
  }
  EnqueueFrame(Envelope{0, 0, protocol::AuthOk{std::move(server_final).value()}});
  Welcome(role_);
  return true;
}

void Session::Welcome(protocol::Role role) {
  handshake_deadline_.cancel();
  role_ = role;
  do {
    client_id_ = context_->next_client_id.fetch_add(1);
  } while (client_id_ == 0);  // 0 means "no id yet"; skipped after 2^32 connections
  if (user_.empty()) {
    Log("client {} connected from {} as \"{}\"", client_id_, peer_, client_name_);
  } else {
    Log("client {} connected from {} as \"{}\", user \"{}\" ({})", client_id_, peer_, client_name_,
        user_, protocol::RoleName(role_));
  }
  EnqueueFrame(Envelope{client_id_, 0,
                        protocol::Welcome{client_id_, protocol::kProtocolMajor,
                                          protocol::kProtocolMinor, context_->server_version}});
}

std::shared_ptr<cerebellum::CancelFlag> Session::StartRequest(uint64_t payload_id) {
  ++in_flight_;
  auto flag = std::make_shared<cerebellum::CancelFlag>(false);
  cancels_[payload_id] = flag;
  return flag;
}

std::function<void(Session::Outgoing)> Session::Responder(uint64_t payload_id) {
  // A tracked-work executor keeps io_context::run() from returning while
  // the engine still owes this session an answer (graceful shutdown).
  auto work = asio::prefer(socket_.get_executor(), asio::execution::outstanding_work.tracked);
  return [self = shared_from_this(), work, payload_id](Outgoing out) {
    self->context_->courier->Send(work, [self, payload_id, out = std::move(out)]() mutable {
      self->OnResponse(payload_id, std::move(out));
    });
  };
}

cerebellum::Completion Session::ResultResponder(uint64_t payload_id) {
  return [respond = Responder(payload_id), client_id = client_id_,
          payload_id](protocol::Result<cerebellum::StatementResult> result) {
    // The first piece is encoded here, on the worker, to keep the event
    // loop free; a large result continues piece by piece as the client
    // reads (flow control, see WriteLoop).
    respond(FirstPiece(client_id, payload_id, std::move(result)));
  };
}

Session::Outgoing Session::FirstPiece(uint32_t client_id, uint64_t payload_id,
                                      protocol::Result<cerebellum::StatementResult> result) {
  if (!result.ok()) Log("{}-{} {}", client_id, payload_id, result.status().ToString());
  // Most responses fit one piece: the stream goes to the heap only when
  // there is more to come.
  ResponseStream stream(client_id, payload_id, std::move(result));
  Outgoing out;
  if (stream.Next(&out.bytes, kResponsePieceBytes)) {
    out.rest = std::make_shared<ResponseStream>(std::move(stream));
  }
  return out;
}

// ---- Writing ----

void Session::OnResponse(uint64_t payload_id, Outgoing out) {
  --in_flight_;
  if (copy_in_ && copy_in_->payload_id == payload_id) {
    // The statement is over; the copy stays known until the client ends
    // it too, so its late COPY_DATA are dropped rather than refused.
    copy_in_->stream.reset();
    if (copy_in_->client_ended) copy_in_.reset();
  }
  // A response still streaming can be cancelled until its last piece.
  if (out.rest) {
    if (auto it = cancels_.find(payload_id); it != cancels_.end()) out.cancel = it->second;
  }
  cancels_.erase(payload_id);
  WakeReader();
  if (closed_ || ending_ == Ending::kAfterError) return;  // nobody to send it to
  // A response still streaming goes through the writer (flow control).
  if (!out.rest && !SendNow(&out.bytes)) return;
  Enqueue(std::move(out));
}

bool Session::SendNow(std::string* bytes) {
  // Only when the writer is idle with nothing queued (so nothing can go
  // out before this reply) and the connection is not ending (the writer
  // must then see in_flight_ reach 0 to say GOODBYE).
  if (!writer_waiting_ || !queue_.empty() || ending_ != Ending::kNone) return true;
  boost::system::error_code ec;
  // The socket is non-blocking: this is one send that takes what fits.
  size_t sent = socket_.write_some(asio::buffer(*bytes), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    sent = 0;
  } else if (ec) {
    Close(fmt::format("write failed: {}", ec.message()));
    return false;
  }
  peak_unsent_bytes_ = std::max(peak_unsent_bytes_, bytes->size());
  if (sent == bytes->size()) return false;
  bytes->erase(0, sent);  // the writer sends the rest
  return true;
}

void Session::EnqueueFrame(const Envelope& envelope) {
  Outgoing out;
  protocol::EncodeFrame(envelope, &out.bytes);
  Enqueue(std::move(out));
}

void Session::EnqueueError(uint64_t payload_id, const protocol::Status& status) {
  Log("{}-{} {}", client_id_, payload_id, status.ToString());
  Enqueue(Outgoing{EncodeError(client_id_, payload_id, status), nullptr, nullptr});
}

void Session::CountQueued(size_t bytes) {
  queued_bytes_ += bytes;
  peak_unsent_bytes_ = std::max(peak_unsent_bytes_, queued_bytes_ + writing_bytes_);
}

std::string* Session::Tail() {
  // Whole responses only: a response still streaming keeps its frames
  // contiguous (and may be in the writer's hands).
  if (queue_.empty() || queue_.back().rest || queue_.back().bytes.size() >= kCoalesceBytes) {
    std::string bytes;
    if (!spares_.empty()) {
      bytes = std::move(spares_.back());
      spares_.pop_back();
    }
    queue_.push_back(Outgoing{std::move(bytes), nullptr, nullptr});
  }
  return &queue_.back().bytes;
}

void Session::EnqueueResult(uint64_t payload_id,
                            protocol::Result<cerebellum::StatementResult> result) {
  if (!result.ok()) Log("{}-{} {}", client_id_, payload_id, result.status().ToString());
  ResponseStream stream(client_id_, payload_id, std::move(result));
  std::string* tail = Tail();
  size_t before = tail->size();
  bool more = stream.Next(tail, kResponsePieceBytes);
  size_t added = tail->size() - before;
  if (more) {
    // The rest follows piece by piece behind the first (see WriteLoop).
    queue_.push_back(
        Outgoing{std::string(), std::make_shared<ResponseStream>(std::move(stream)), nullptr});
  }
  Queued(added);
}

void Session::Enqueue(Outgoing out) {
  if (!out.rest && out.bytes.size() < kCoalesceBytes) {
    std::string* tail = Tail();
    tail->append(out.bytes);
    Queued(out.bytes.size());
    return;
  }
  size_t bytes = out.bytes.size();
  queue_.push_back(std::move(out));
  Queued(bytes);
}

void Session::Queued(size_t bytes) {
  CountQueued(bytes);
  if (queue_.size() > 1 && queued_bytes_ > context_->options.max_queued_bytes) {
    Close(
        fmt::format("{} bytes of responses are waiting for a client that is not reading "
                    "(limit {})",
                    queued_bytes_, context_->options.max_queued_bytes));
    return;
  }
  WakeWriter();
}

asio::awaitable<void> Session::WriteLoop(std::shared_ptr<Session> self) {
  boost::system::error_code ec;
  std::vector<std::string> batch;
  std::vector<asio::const_buffer> buffers;
  for (;;) {
    if (closed_) co_return;
    if (!queue_.empty()) {
      batch.clear();
      buffers.clear();
      size_t bytes = 0;
      // Gather whole responses; a response still streaming stays at the
      // front (its frames must stay contiguous) and ends the gathering.
      while (!queue_.empty() && batch.size() < kWriteGatherResponses && bytes < kWriteGatherBytes) {
        Outgoing& front = queue_.front();
        bytes += front.bytes.size();
        batch.push_back(std::move(front.bytes));
        front.bytes.clear();
        if (front.rest) break;
        queue_.pop_front();
      }
      queued_bytes_ -= bytes;
      writing_bytes_ = bytes;
      WakeReader();
      for (const std::string& b : batch) buffers.push_back(asio::buffer(b));
      co_await asio::async_write(socket_, buffers, asio::redirect_error(asio::use_awaitable, ec));
      writing_bytes_ = 0;
      if (closed_) co_return;
      // The next bursts of small responses reuse these buffers: a burst
      // read while this write was in flight filled another one, so keep
      // two, or each such burst would grow a new buffer from nothing.
      for (std::string& b : batch) {
        if (spares_.size() >= kSpareBuffers) break;
        if (b.capacity() > 0 && b.capacity() <= 2 * kCoalesceBytes) {
          b.clear();
          spares_.push_back(std::move(b));
        }
      }
      if (ec) {
        Close(fmt::format("write failed: {}", ec.message()));
        co_return;
      }
      // Flow control: the next piece of a streaming response is encoded
      // only now that the previous one is in the kernel's hands, so a slow
      // reader holds at most one piece of encoded output here.
      if (!queue_.empty() && queue_.front().rest && queue_.front().bytes.empty()) {
        Outgoing& front = queue_.front();
        if (front.cancel && front.cancel->load(std::memory_order_relaxed)) {
          // CANCEL during the stream: the ERROR ends the response.
          front.bytes = front.rest->Cancel();
          front.rest.reset();
        } else if (!front.rest->Next(&front.bytes, kResponsePieceBytes)) {
          front.rest.reset();
        }
        CountQueued(front.bytes.size());
      }
      continue;
    }
    if (ending_ == Ending::kAfterError) {
      Close(ending_reason_);  // the ERROR frame was the last thing queued
      co_return;
    }
    if (ending_ == Ending::kGraceful && in_flight_ == 0) {
      if (client_id_ != 0) {
        std::string goodbye;
        protocol::EncodeFrame(Envelope{client_id_, 0, protocol::Goodbye{}}, &goodbye);
        co_await asio::async_write(socket_, asio::buffer(goodbye),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      Close(ending_reason_);
      co_return;
    }
    writer_wake_.expires_at(asio::steady_timer::time_point::max());
    writer_waiting_ = true;
    co_await writer_wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    writer_waiting_ = false;
  }
}

// ---- Ending ----

void Session::Violation(const std::string& what, uint64_t payload_id) {
  if (closed_ || ending_ == Ending::kAfterError) return;
  Log("{} broke the protocol: {}", Name(), what);
  EndWithError(protocol::Status::ProtocolViolation(what), payload_id, "protocol violation");
}

void Session::EndWithError(const protocol::Status& status, uint64_t payload_id,
                           std::string reason) {
  if (closed_ || ending_ == Ending::kAfterError) return;
  AbortCopyIn(reason);
  std::string frame;
  protocol::EncodeFrame(Envelope{client_id_, payload_id, protocol::ToErrorMessage(status)}, &frame);
  ending_ = Ending::kAfterError;
  ending_reason_ = std::move(reason);
  // Not through Enqueue: the error must go out even past the queue limit.
  CountQueued(frame.size());
  queue_.push_back(Outgoing{std::move(frame), nullptr, nullptr});
  WakeWriter();
  WakeReader();
}

void Session::Finish(Ending ending, std::string reason) {
  if (ending_ != Ending::kNone) return;
  AbortCopyIn(reason);
  ending_ = ending;
  ending_reason_ = std::move(reason);
  WakeWriter();
  WakeReader();
}

void Session::Close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  AbortCopyIn(reason);
  // Logged before the socket closes, so a client that sees the close can
  // count on the line being in the log.
  Log("{} disconnected: {} (peak unsent output {} bytes)", Name(), reason, peak_unsent_bytes_);
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  reader_wake_.cancel();
  writer_wake_.cancel();
  handshake_deadline_.cancel();
  queue_.clear();
  queued_bytes_ = 0;
  if (client_id_ != 0) context_->engine->ForgetClient(client_id_);
  context_->open_sessions.fetch_sub(1);
}

void Session::WakeReader() {
  // Waiters re-check their condition after every wake-up, and both run on
  // this strand, so a wake-up with nobody waiting is simply lost; and
  // skipped, since cancelling a timer takes the event loop's lock.
  if (reader_waiting_) reader_wake_.cancel();
}

void Session::WakeWriter() {
  if (writer_waiting_) writer_wake_.cancel();
}

std::string Session::Name() const {
  if (client_id_ != 0) return fmt::format("client {}", client_id_);
  return fmt::format("connection from {}", peer_);
}

}  // namespace kopf::brainstem
