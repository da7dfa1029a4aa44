// The asynchronous client: one read loop, one write at a time, a table of
// requests in flight keyed by payload id.
//
// 1. Connect() runs the blocking client's connect and handshake, then moves
//    the socket onto the caller's executor and starts the read loop.
// 2. AsyncQuery() encodes a QUERY frame, records its handler under the new
//    payload id and appends the frame to `queued`. Queued frames go out
//    together in one non-blocking send once the caller is done issuing
//    requests: after the read handler has handed out all the responses of
//    one read (their handlers' new requests included), or else from a
//    flush posted to the executor by the first frame queued. What the
//    socket does not take waits for an asynchronous write, and frames
//    queued meanwhile go out with it. A pipelined caller thus sends one
//    burst for each burst it receives, not a lone request and then the
//    rest (which the server would answer in the same two pieces, and so
//    on), and a loop of requests costs one system call, not one each.
// 3. The read loop feeds bytes to the frame decoder and each frame to the
//    ResponseAssembler (client_internal.h), which enforces the response
//    grammar; each finished response completes the handler of its payload
//    id, in whatever order the server answered.
// 4. Anything that ends the connection completes every request in flight
//    with the same Status, and every later request with it too.
#include "protocol/async_client.h"

#include <array>
#include <deque>
#include <map>
#include <optional>

#include <boost/asio.hpp>
#include <sys/socket.h>

#include "protocol/client_internal.h"
#include "protocol/frame_decoder.h"
#include "protocol/frame_encoder.h"
#include "protocol/message.h"

namespace kopf::protocol {

namespace asio = boost::asio;
using asio::ip::tcp;
using client_internal::ResponseAssembler;

struct AsyncClient::State : std::enable_shared_from_this<State> {
  State(const Executor& executor, const ClientOptions& options)
      : socket(executor), decoder(options.max_frame_bytes) {}

  tcp::socket socket;
  FrameDecoder decoder;
  std::optional<ResponseAssembler> assembler;
  // The requests in flight: pending[i] completes payload id pending_base + i.
  // Ids are handed out one after another, so this is a window over them;
  // answered slots are empty, and the window moves past them at its front.
  // In id order, so a failure completes the requests in the order sent.
  std::deque<Completion<Response>> pending;
  uint64_t pending_base = 1;
  size_t pending_count = 0;
  std::map<uint64_t, Completion<Status>> pings;  // by PING id
  std::string queued;   // frames waiting for the next write
  std::string writing;  // the frames of the write under way
  bool write_busy = false;
  bool corked = false;        // a read's responses are being handed out
  bool flush_posted = false;  // a Flush is posted to the executor
  bool closing = false;  // Close() was called: GOODBYE is queued or sent
  Status broken;         // non-OK once no request can be sent
  uint32_t client_id = 0;
  uint64_t last_payload_id = 0;
  uint64_t last_ping_id = 0;
  std::string server_version;
  std::array<uint8_t, 64 * 1024> read_buffer;

  // `checked` unless the connection refuses new requests (ended or
  // closing).
  Status Refusal(Status checked) const {
    if (!broken.ok()) return broken;
    if (closing) return Status::InvalidValue("the client was closed");
    return checked;
  }

  void Queue(const Envelope& envelope) {
    EncodeFrame(envelope, &queued);
    FlushSoon();
  }

  // Makes sure what was just queued is sent once the caller is done: by
  // the read handler when corked, by the write under way when there is
  // one, else by a Flush posted to the executor.
  void FlushSoon() {
    if (corked || write_busy || flush_posted) return;
    flush_posted = true;
    asio::post(socket.get_executor(), [self = shared_from_this()] {
      self->flush_posted = false;
      self->Flush();
    });
  }

  // Sends what is queued: at once, without blocking, when no write is
  // under way; what the socket does not take (or an error, which the
  // asynchronous write then reports from its handler) goes to an
  // asynchronous write.
  void Flush() {
    if (write_busy || queued.empty() || !broken.ok()) return;
    boost::system::error_code ec;
    size_t sent = socket.write_some(asio::buffer(queued), ec);
    if (!ec && sent == queued.size()) {
      queued.clear();
      return;
    }
    if (ec) sent = 0;
    write_busy = true;
    writing.assign(queued, sent);
    queued.clear();
    asio::async_write(socket, asio::buffer(writing),
                      [self = shared_from_this()](boost::system::error_code ec, size_t) {
                        self->write_busy = false;
                        if (ec) {
                          self->Fail(Status::ProtocolViolation(
                              "connection to the server lost: cannot send: " + ec.message()));
                          return;
                        }
                        self->Flush();
                      });
  }

  void Read() {
    socket.async_read_some(
        asio::buffer(read_buffer), [self = shared_from_this()](boost::system::error_code ec,
                                                               size_t n) {
          if (ec) {
            self->Fail(Status::ProtocolViolation(
                ec == asio::error::eof
                    ? std::string("connection to the server lost: the server closed it")
                    : "connection to the server lost: cannot read: " + ec.message()));
            return;
          }
          self->decoder.Append(std::span<const uint8_t>(self->read_buffer.data(), n));
          self->corked = true;
          bool open = self->DecodeAll();
          self->corked = false;
          if (!open) return;
          self->Flush();
          self->Read();
        });
  }

  // Handles every complete frame received; false once the connection ended.
  bool DecodeAll() {
    for (;;) {
      // The common frames are decoded straight into the response; any
      // other frame, or one the fast path does not accept, takes the full
      // decoder and the assembler's checks.
      std::optional<std::span<const uint8_t>> frame = PeekFrame(decoder);
      if (frame && assembler->TryFastFrame(*frame)) {
        decoder.SkipFrame(frame->size());
      } else {
        Result<std::optional<Envelope>> next = decoder.Next();
        if (!next.ok()) {
          Fail(Status::ProtocolViolation("server sent a bad frame: " + next.status().message()));
          return false;
        }
        if (!next->has_value()) return true;
        Envelope& envelope = **next;
        if (closing && TypeOf(envelope.message) == MessageType::kGoodbye) {
          // The server's answer to our GOODBYE: every request read was answered.
          Fail(Status::ProtocolViolation("the connection was closed by Close()"));
          return false;
        }
        Status status = assembler->OnFrame(std::move(envelope));
        if (!status.ok()) {
          Fail(std::move(status));
          return false;
        }
      }
      while (assembler->has_pong()) {  // checked inline: a PONG is rare
        auto it = pings.find(*assembler->TakeAnyPong());
        if (it == pings.end()) continue;  // the assembler checked it was sent
        Completion<Status> done = std::move(it->second);
        pings.erase(it);
        done(Status::Ok());
        if (!broken.ok()) return false;
      }
      // Each response is handed to its handler where the assembler keeps
      // it (it cannot change meanwhile: no read is under way while a
      // read's responses are handed out), then dropped.
      while (Response* response = assembler->Oldest()) {
        if (response->copy_in) {
          // This client does not stream COPY FROM STDIN data: end the copy
          // at once, and the server's ERROR answers the request.
          Queue(Envelope{client_id, response->payload_id,
                         CopyFail{"the asynchronous client cannot send COPY data; use the "
                                  "blocking Client::CopyIn"}});
        } else if (Completion<Response> done = TakePending(response->payload_id)) {
          done(std::move(*response));  // no `done`: the assembler checked it was sent
        }
        assembler->DropOldest();
        if (!broken.ok()) return false;  // a handler may have ended it
      }
    }
  }

  // Registers the completion of the request with the next payload id.
  void AddPending(uint64_t payload_id, Completion<Response> done) {
    if (pending.empty()) pending_base = payload_id;
    pending.push_back(std::move(done));
    ++pending_count;
  }

  // Removes and returns the completion of `payload_id`; empty if none.
  Completion<Response> TakePending(uint64_t payload_id) {
    if (payload_id < pending_base || payload_id - pending_base >= pending.size()) return nullptr;
    Completion<Response>& slot = pending[payload_id - pending_base];
    Completion<Response> done = std::move(slot);
    slot = nullptr;
    if (done) --pending_count;
    while (!pending.empty() && !pending.front()) {
      pending.pop_front();
      ++pending_base;
    }
    return done;
  }

  // Ends the connection: `status` completes every request in flight and
  // every later one.
  void Fail(Status status) {
    if (broken.ok()) broken = std::move(status);
    boost::system::error_code ec;
    socket.close(ec);
    auto failed = std::move(pending);
    uint64_t failed_base = pending_base;
    pending.clear();
    pending_count = 0;
    auto failed_pings = std::move(pings);
    pings.clear();
    for (size_t i = 0; i < failed.size(); ++i) {
      if (failed[i]) failed[i](Response{failed_base + i, broken, {}, std::nullopt, std::nullopt});
    }
    for (auto& [ping_id, done] : failed_pings) done(Status(broken));
  }
};

Result<std::shared_ptr<AsyncClient>> AsyncClient::Connect(const Executor& executor,
                                                          const std::string& host, uint16_t port,
                                                          const ClientOptions& options) {
  KOPF_ASSIGN_OR_RETURN(client_internal::ReleasedConnection connection,
                        client_internal::ConnectAndRelease(host, port, options));
  auto state = std::make_shared<State>(executor, options);
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  ::getsockname(connection.fd, reinterpret_cast<sockaddr*>(&address), &length);
  boost::system::error_code ec;
  state->socket.assign(address.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), connection.fd, ec);
  if (ec) {
    ::close(connection.fd);
    return Status::IoError("cannot take over the socket: " + ec.message());
  }
  // Flush's direct send must return would_block, not wait for room.
  state->socket.non_blocking(true, ec);
  if (ec) return Status::IoError("cannot make the socket non-blocking: " + ec.message());
  state->client_id = connection.client_id;
  state->server_version = std::move(connection.server_version);
  state->assembler.emplace(state->client_id);
  state->Read();
  return std::shared_ptr<AsyncClient>(new AsyncClient(executor, std::move(state)));
}

AsyncClient::AsyncClient(Executor executor, std::shared_ptr<State> state)
    : executor_(std::move(executor)), state_(std::move(state)) {}

AsyncClient::~AsyncClient() { Close(); }

void AsyncClient::StartQuery(std::string sql, Completion<Response> done) {
  uint64_t payload_id = BeginRequest(client_internal::CheckSql(sql), done);
  if (payload_id == 0) return;
  state_->Queue(Envelope{state_->client_id, payload_id, protocol::Query{std::move(sql)}});
}

void AsyncClient::StartPrepare(std::string sql,
                               Completion<Result<PreparedStatement>> done) {
  Completion<Response> described = [done = std::move(done)](Response&& response) {
    if (!response.status.ok()) return done(std::move(response.status));
    if (!response.statement) {
      return done(Status::ProtocolViolation(
          "server broke the protocol: PREPARE answered without STATEMENT_DESCRIPTION"));
    }
    done(std::move(*response.statement));
  };
  uint64_t payload_id = BeginRequest(client_internal::CheckSql(sql), described);
  if (payload_id == 0) return;
  state_->Queue(Envelope{state_->client_id, payload_id, protocol::Prepare{std::move(sql)}});
}

void AsyncClient::StartExecute(const PreparedStatement& statement, std::span<const Row> rows,
                               Completion<Response> done) {
  uint64_t payload_id = BeginRequest(CheckParameters(statement, rows), done);
  if (payload_id == 0) return;
  // Encoded straight from the caller's rows: nothing is copied or allocated
  // for the parameters.
  State& s = *state_;
  EncodeExecuteFrame(s.client_id, payload_id, statement.id, rows, &s.queued);
  s.FlushSoon();
}

void AsyncClient::StartClose(uint64_t statement_id, Completion<Response> done) {
  uint64_t payload_id = BeginRequest(Status::Ok(), done);
  if (payload_id == 0) return;
  state_->Queue(Envelope{state_->client_id, payload_id, CloseStatement{statement_id}});
}

void AsyncClient::StartPing(Completion<Status> done) {
  State& s = *state_;
  Status refused = s.Refusal(Status::Ok());
  if (!refused.ok()) {
    // Never complete from inside the initiating call (Asio's rule): post.
    asio::post(executor_, [done = std::move(done), refused]() mutable { done(Status(refused)); });
    return;
  }
  uint64_t ping_id = ++s.last_ping_id;
  s.assembler->ExpectPong(ping_id);
  s.pings.emplace(ping_id, std::move(done));
  s.Queue(Envelope{s.client_id, ping_id, protocol::Ping{}});
}

void AsyncClient::Cancel(uint64_t payload_id) {
  State& s = *state_;
  if (!s.Refusal(Status::Ok()).ok()) return;
  s.Queue(Envelope{s.client_id, payload_id, protocol::Cancel{}});
}

uint64_t AsyncClient::BeginRequest(Status refused, Completion<Response>& done) {
  State& s = *state_;
  if (!refused.ok() || !s.broken.ok() || s.closing) {
    refused = s.Refusal(std::move(refused));
    // Never complete from inside the initiating call (Asio's rule): post.
    asio::post(executor_, [done = std::move(done), refused]() mutable {
      done(Response{0, refused, {}, std::nullopt, std::nullopt});
    });
    return 0;
  }
  uint64_t payload_id = ++s.last_payload_id;
  s.assembler->Expect(payload_id);
  s.AddPending(payload_id, std::move(done));
  return payload_id;
}

void AsyncClient::Close() {
  State& s = *state_;
  if (s.closing || !s.broken.ok()) return;
  s.closing = true;
  EncodeFrame(Envelope{s.client_id, 0, Goodbye{}}, &s.queued);
  // Sent at once (with anything queued before it), not by a posted flush:
  // the destructor closes too, and its caller may never run the executor
  // again. Inside a read's handlers the read handler sends it right after.
  if (s.corked) return;
  s.Flush();
}

size_t AsyncClient::in_flight() const { return state_->pending_count; }
uint64_t AsyncClient::last_payload_id() const { return state_->last_payload_id; }
uint32_t AsyncClient::client_id() const { return state_->client_id; }
const std::string& AsyncClient::server_version() const { return state_->server_version; }

}  // namespace kopf::protocol
