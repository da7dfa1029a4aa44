// The blocking client over Boost.Asio's synchronous socket API.
//
// The socket is kept non-blocking and waited on with poll(), so a write that
// would block can read responses meanwhile: a program that Send()s
// thousands of statements before its first Receive() cannot deadlock
// against a server that stops reading while its answers are not read
// (PROTOCOL.md, "Flow control").
//
// Error mapping: failing to reach the server is kIoError; once connected,
// anything that ends the connection (EOF, reset, a malformed frame, the
// server's GOODBYE) is kProtocolViolation, and every later call returns that
// same Status. Left out: timeouts (a call waits as long as the server
// takes).
#include "protocol/client.h"

#include <array>
#include <cerrno>
#include <istream>
#include <limits>
#include <ostream>
#include <utility>

#include <boost/asio.hpp>
#include <poll.h>

#include "protocol/auth.h"
#include "protocol/client_internal.h"
#include "protocol/frame_decoder.h"
#include "protocol/frame_encoder.h"
#include "protocol/message.h"

namespace kopf::protocol {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using client_internal::ResponseAssembler;

std::string Address(const std::string& host, uint16_t port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// COPY FROM STDIN data goes out in COPY_DATA frames of this size: large
// enough that framing costs nothing, far below any server's frame limit.
constexpr size_t kCopyChunkBytes = 128 * 1024;

bool WouldBlock(const boost::system::error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

class ClientImpl final : public Client {
 public:
  explicit ClientImpl(ClientOptions options)
      : options_(std::move(options)), socket_(io_), decoder_(options_.max_frame_bytes) {}

  ~ClientImpl() override {
    if (broken_.ok() && socket_.is_open()) {
      // Best effort: say GOODBYE if it fits in the send buffer right away.
      std::string frame;
      EncodeFrame(Envelope{client_id_, 0, Goodbye{}}, &frame);
      boost::system::error_code ec;
      socket_.write_some(asio::buffer(frame), ec);
    }
    boost::system::error_code ec;
    socket_.close(ec);
  }

  Status Open(const std::string& host, uint16_t port) {
    boost::system::error_code ec;
    tcp::resolver resolver(io_);
    auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (!ec) asio::connect(socket_, endpoints, ec);
    if (ec) {
      return Status::IoError("cannot connect to " + Address(host, port) + ": " + ec.message());
    }
    socket_.set_option(tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);
    if (ec) return Status::IoError("cannot configure the socket: " + ec.message());
    return Status::Ok();
  }

  Status Handshake() {
    if (!IsValidUtf8(options_.client_name)) {
      return Status::InvalidValue("client name is not valid UTF-8");
    }
    Hello hello{kProtocolMajor, kProtocolMinor, options_.client_name, "", ""};
    std::optional<scram::ScramClient> scram;
    if (!options_.user.empty()) {
      KOPF_ASSIGN_OR_RETURN(scram, scram::ScramClient::Start(options_.user, options_.password));
      hello.user = options_.user;
      hello.scram_first = scram->client_first();
    }
    std::string frame;
    EncodeFrame(Envelope{0, 0, std::move(hello)}, &frame);
    KOPF_RETURN_IF_ERROR(WriteAll(frame));
    KOPF_ASSIGN_OR_RETURN(Envelope reply, NextFrame());
    if (auto* challenge = std::get_if<AuthChallenge>(&reply.message)) {
      KOPF_ASSIGN_OR_RETURN(reply, Authenticate(scram, *challenge));
    }
    if (auto* error = std::get_if<ErrorMessage>(&reply.message)) {
      return Fail(ToStatus(*error));
    }
    auto* welcome = std::get_if<Welcome>(&reply.message);
    if (welcome == nullptr) {
      return Fail(Status::ProtocolViolation("expected WELCOME, got " + Describe(reply)));
    }
    if (welcome->major != kProtocolMajor) {
      return Fail(Status::ProtocolViolation("server speaks protocol major version " +
                                            std::to_string(welcome->major) + ", this client " +
                                            std::to_string(kProtocolMajor)));
    }
    if (welcome->client_id == 0 || reply.client_id != welcome->client_id) {
      return Fail(Status::ProtocolViolation("WELCOME assigns a bad client id"));
    }
    client_id_ = welcome->client_id;
    server_version_ = welcome->server_version;
    assembler_.emplace(client_id_);
    return Status::Ok();
  }

  // The SCRAM exchange after AUTH_CHALLENGE; returns the frame after
  // AUTH_OK (WELCOME) or the server's ERROR.
  Result<Envelope> Authenticate(std::optional<scram::ScramClient>& scram,
                                const AuthChallenge& challenge) {
    if (!scram) {
      return Fail(Status::ProtocolViolation("AUTH_CHALLENGE to a HELLO without a user"));
    }
    if (challenge.mechanism != scram::kMechanism) {
      return Fail(Status::ProtocolViolation("the server asks for mechanism \"" +
                                            challenge.mechanism + "\", this client speaks " +
                                            std::string(scram::kMechanism)));
    }
    Result<std::string> client_final = scram->OnServerFirst(challenge.data);
    if (!client_final.ok()) return Fail(client_final.status());
    std::string frame;
    EncodeFrame(Envelope{0, 0, AuthResponse{std::move(client_final).value()}}, &frame);
    KOPF_RETURN_IF_ERROR(WriteAll(frame));
    KOPF_ASSIGN_OR_RETURN(Envelope reply, NextFrame());
    auto* ok = std::get_if<AuthOk>(&reply.message);
    if (ok == nullptr) return reply;  // an ERROR, or anything else: judged by the caller
    if (Status verified = scram->OnServerFinal(ok->data); !verified.ok()) return Fail(verified);
    return NextFrame();
  }

  Result<QueryResult> Query(std::string_view sql) override {
    KOPF_ASSIGN_OR_RETURN(uint64_t payload_id, Send(sql));
    return ResultOf(payload_id);
  }

  Result<uint64_t> Send(std::string_view sql) override {
    KOPF_RETURN_IF_ERROR(client_internal::CheckSql(sql));
    return SendRequest(protocol::Query{std::string(sql)});
  }

  Result<uint64_t> SendPrepare(std::string_view sql) override {
    KOPF_RETURN_IF_ERROR(client_internal::CheckSql(sql));
    return SendRequest(protocol::Prepare{std::string(sql)});
  }

  Result<uint64_t> SendExecute(const PreparedStatement& statement,
                               std::span<const Row> rows) override {
    KOPF_RETURN_IF_ERROR(CheckParameters(statement, rows));
    return SendRequest(protocol::Execute{statement.id, static_cast<uint16_t>(rows[0].size()),
                                         std::vector<Row>(rows.begin(), rows.end())});
  }

  Result<PreparedStatement> Prepare(std::string_view sql) override {
    KOPF_ASSIGN_OR_RETURN(uint64_t payload_id, SendPrepare(sql));
    KOPF_ASSIGN_OR_RETURN(Response response, Await(payload_id));
    if (!response.status.ok()) return response.status;
    if (!response.statement) {
      return Fail(Status::ProtocolViolation("server broke the protocol: PREPARE " +
                                            std::to_string(payload_id) +
                                            " answered without STATEMENT_DESCRIPTION"));
    }
    return std::move(*response.statement);
  }

  Result<QueryResult> Execute(const PreparedStatement& statement,
                              std::span<const Row> rows) override {
    KOPF_ASSIGN_OR_RETURN(uint64_t payload_id, SendExecute(statement, rows));
    return ResultOf(payload_id);
  }

  Status Close(const PreparedStatement& statement) override {
    KOPF_ASSIGN_OR_RETURN(uint64_t payload_id, SendRequest(CloseStatement{statement.id}));
    return ResultOf(payload_id).status();
  }

  Status Ping() override {
    if (!broken_.ok()) return broken_;
    uint64_t ping_id = ++last_ping_id_;
    std::string frame;
    EncodeFrame(Envelope{client_id_, ping_id, protocol::Ping{}}, &frame);
    assembler_->ExpectPong(ping_id);
    KOPF_RETURN_IF_ERROR(WriteAll(frame));
    while (!assembler_->TakePong(ping_id)) KOPF_RETURN_IF_ERROR(ReceiveFrame());
    return Status::Ok();
  }

  Status Cancel(uint64_t payload_id) override {
    if (!broken_.ok()) return broken_;
    std::string frame;
    EncodeFrame(Envelope{client_id_, payload_id, protocol::Cancel{}}, &frame);
    return WriteAll(frame);
  }

  Result<Response> Receive() override {
    if (!broken_.ok()) return broken_;
    for (;;) {
      if (std::optional<Response> response = assembler_->TakeAny()) return std::move(*response);
      if (!assembler_->awaiting()) {
        return Status::InvalidValue("Receive() called with no request outstanding");
      }
      // Only this wait may be interrupted: a half-read frame stays in the
      // decoder and the next Receive() goes on from there.
      receiving_ = true;
      Status status = ReceiveFrame();
      receiving_ = false;
      KOPF_RETURN_IF_ERROR(status);
    }
  }

  Result<QueryResult> CopyIn(std::string_view sql, const CopySource& source) override {
    KOPF_ASSIGN_OR_RETURN(uint64_t payload_id, Send(sql));
    KOPF_ASSIGN_OR_RETURN(Response first, Await(payload_id));
    if (!first.status.ok()) return first.status;
    if (!first.copy_in) {
      return Status::InvalidValue("CopyIn() needs COPY ... FROM STDIN; the statement ran as " +
                                  first.result.tag);
    }
    std::string chunk(kCopyChunkBytes, '\0');
    Status source_error;
    for (;;) {
      Result<size_t> n = source(chunk.data(), chunk.size());
      if (!n.ok()) {
        source_error = n.status();
        KOPF_RETURN_IF_ERROR(SendCopyEnd(payload_id, CopyFail{source_error.message()}));
        break;
      }
      if (*n == 0) {
        KOPF_RETURN_IF_ERROR(SendCopyEnd(payload_id, CopyDone{}));
        break;
      }
      frame_.clear();
      EncodeCopyDataFrame(client_id_, payload_id, std::string_view(chunk.data(), *n), &frame_);
      KOPF_RETURN_IF_ERROR(WriteAll(frame_));
      // A server that failed the copy early (a bad value near the start)
      // has answered already: stop sending what it would only drop.
      if (Status arrived = TakeArrived(); !arrived.ok()) {
        // The server ended the copy and then the connection (shutting
        // down): its answer to the copy says more than the lost connection.
        if (std::optional<Response> done = assembler_->Take(payload_id)) {
          if (!done->status.ok()) return done->status;
        }
        return arrived;
      }
      if (assembler_->finished(payload_id)) {
        KOPF_RETURN_IF_ERROR(SendCopyEnd(payload_id, CopyDone{}));
        break;
      }
    }
    KOPF_ASSIGN_OR_RETURN(Response done, Await(payload_id));
    if (!source_error.ok()) return source_error;
    if (!done.status.ok()) return done.status;
    return std::move(done.result);
  }

  Result<QueryResult> CopyOut(std::string_view sql, const CopySink& sink) override {
    KOPF_ASSIGN_OR_RETURN(uint64_t payload_id, Send(sql));
    assembler_->SetCopySink(payload_id, &sink);
    Result<QueryResult> result = ResultOf(payload_id);
    Status sink_error = assembler_->sink_error();
    assembler_->SetCopySink(0, nullptr);
    if (!result.ok()) return result;
    if (!sink_error.ok()) return sink_error;
    return result;
  }

  void SetInterruptFd(int fd) override { interrupt_fd_ = fd; }

  uint32_t client_id() const override { return client_id_; }
  const std::string& server_version() const override { return server_version_; }

  // Hands the socket over after the handshake (client_internal.h). The
  // server says nothing between WELCOME and the first request, so no
  // bytes can be left behind in the decoder.
  Result<client_internal::ReleasedConnection> Release() {
    if (decoder_.buffered_bytes() != 0) {
      return Fail(Status::ProtocolViolation("server sent bytes after WELCOME unasked"));
    }
    boost::system::error_code ec;
    int fd = socket_.release(ec);
    if (ec) return Fail(Status::IoError("cannot take over the socket: " + ec.message()));
    broken_ = Status::InvalidValue("the connection was handed over");  // no GOODBYE on destruction
    return client_internal::ReleasedConnection{fd, client_id_, server_version_};
  }

 private:
  // Marks the connection dead; every later call returns `status`.
  Status Fail(Status status) {
    if (broken_.ok()) broken_ = std::move(status);
    boost::system::error_code ec;
    socket_.close(ec);
    return broken_;
  }

  Status Lost(const std::string& what, const boost::system::error_code& ec) {
    return Fail(
        Status::ProtocolViolation("connection to the server lost: " + what + ": " + ec.message()));
  }

  // Sends one request under the next payload id.
  Result<uint64_t> SendRequest(Message message) {
    if (!broken_.ok()) return broken_;
    uint64_t payload_id = ++last_payload_id_;
    frame_.clear();
    EncodeFrame(Envelope{client_id_, payload_id, std::move(message)}, &frame_);
    assembler_->Expect(payload_id);
    KOPF_RETURN_IF_ERROR(WriteAll(frame_));
    return payload_id;
  }

  // Waits for the response to `payload_id`, keeping others for Receive().
  Result<Response> Await(uint64_t payload_id) {
    for (;;) {
      if (std::optional<Response> response = assembler_->Take(payload_id)) {
        return std::move(*response);
      }
      KOPF_RETURN_IF_ERROR(ReceiveFrame());
    }
  }

  // The result of request `payload_id`, or the server's error.
  Result<QueryResult> ResultOf(uint64_t payload_id) {
    KOPF_ASSIGN_OR_RETURN(Response response, Await(payload_id));
    if (response.copy_in) {
      // A COPY FROM STDIN sent without data to go with it: end it at once.
      KOPF_RETURN_IF_ERROR(
          SendCopyEnd(payload_id, CopyFail{"COPY FROM STDIN needs its data (the shell sends it "
                                           "with \\copy, a program with Client::CopyIn)"}));
      KOPF_ASSIGN_OR_RETURN(response, Await(payload_id));
    }
    if (!response.status.ok()) return response.status;
    return std::move(response.result);
  }

  // Sends COPY_DONE or COPY_FAIL for the copy of request `payload_id`.
  Status SendCopyEnd(uint64_t payload_id, Message end) {
    frame_.clear();
    EncodeFrame(Envelope{client_id_, payload_id, std::move(end)}, &frame_);
    return WriteAll(frame_);
  }

  // Takes in, without waiting, the frames that have arrived.
  Status TakeArrived() {
    KOPF_RETURN_IF_ERROR(ReadSome(false));
    for (;;) {
      KOPF_ASSIGN_OR_RETURN(bool taken, TakeBufferedFrame());
      if (!taken) return Status::Ok();
    }
  }

  // Hands the next complete frame in the decoder to the assembler; false
  // when none is complete yet. As in AsyncClient, the common frames
  // (ROW_DESCRIPTION, ROW_BATCH, COMPLETE) are decoded straight into the
  // response; any other, or one the fast path does not accept, takes the
  // full decoder and the assembler's checks.
  Result<bool> TakeBufferedFrame() {
    std::optional<std::span<const uint8_t>> frame = PeekFrame(decoder_);
    if (frame && assembler_->TryFastFrame(*frame)) {
      decoder_.SkipFrame(frame->size());
      return true;
    }
    Result<std::optional<Envelope>> next = decoder_.Next();
    if (!next.ok()) return BadFrame(next.status());
    if (!next->has_value()) return false;
    Status status = assembler_->OnFrame(std::move(**next));
    if (!status.ok()) return Fail(std::move(status));
    return true;
  }

  // Waits until the socket is ready for `events` (POLLIN/POLLOUT). Inside
  // Receive(), a readable interrupt fd ends the wait with kCancelled.
  Result<short> Wait(short events) {
    const bool interruptible = receiving_ && interrupt_fd_ >= 0;
    pollfd pfds[2] = {{socket_.native_handle(), events, 0}, {interrupt_fd_, POLLIN, 0}};
    for (;;) {
      int n = ::poll(pfds, interruptible ? 2 : 1, -1);
      if (n > 0 && interruptible && pfds[1].revents != 0) {
        return Status::Cancelled("interrupted while waiting for the server");
      }
      if (n > 0) return pfds[0].revents;
      if (n < 0 && errno != EINTR) {
        return Lost("poll", boost::system::error_code(errno, boost::system::system_category()));
      }
    }
  }

  // Reads once into the decoder. With `block`, waits for data first;
  // without, reads only what has already arrived.
  Status ReadSome(bool block) {
    if (block) {
      KOPF_ASSIGN_OR_RETURN(short ready, Wait(POLLIN));
      (void)ready;
    }
    boost::system::error_code ec;
    size_t n = socket_.read_some(asio::buffer(read_buffer_), ec);
    if (WouldBlock(ec)) return Status::Ok();
    if (ec == asio::error::eof) {
      return Fail(Status::ProtocolViolation("connection to the server lost: the server closed it"));
    }
    if (ec) return Lost("cannot read", ec);
    decoder_.Append(std::span<const uint8_t>(read_buffer_.data(), n));
    return Status::Ok();
  }

  // Writes all of `bytes`, taking in responses while the socket is full.
  Status WriteAll(std::string_view bytes) {
    size_t written = 0;
    while (written < bytes.size()) {
      boost::system::error_code ec;
      written += socket_.write_some(asio::buffer(bytes.substr(written)), ec);
      if (WouldBlock(ec)) {
        KOPF_ASSIGN_OR_RETURN(short ready, Wait(POLLIN | POLLOUT));
        if (ready & (POLLIN | POLLERR | POLLHUP)) KOPF_RETURN_IF_ERROR(ReadSome(false));
      } else if (ec) {
        return Lost("cannot send", ec);
      }
    }
    return Status::Ok();
  }

  // A frame the decoder refused ends the connection.
  Status BadFrame(const Status& decoding) {
    return Fail(Status::ProtocolViolation("server sent a bad frame: " + decoding.message()));
  }

  // The next frame, wholly decoded: the handshake's, before the assembler.
  Result<Envelope> NextFrame() {
    for (;;) {
      Result<std::optional<Envelope>> next = decoder_.Next();
      if (!next.ok()) return BadFrame(next.status());
      if (next->has_value()) return std::move(**next);
      KOPF_RETURN_IF_ERROR(ReadSome(true));
    }
  }

  // Receives one frame and adds it to the response it belongs to.
  Status ReceiveFrame() {
    for (;;) {
      KOPF_ASSIGN_OR_RETURN(bool taken, TakeBufferedFrame());
      if (taken) return Status::Ok();
      KOPF_RETURN_IF_ERROR(ReadSome(true));
    }
  }

  ClientOptions options_;
  asio::io_context io_;  // before socket_: the socket's I/O object needs it
  tcp::socket socket_;
  FrameDecoder decoder_;
  std::array<uint8_t, 64 * 1024> read_buffer_;
  std::optional<ResponseAssembler> assembler_;  // set by the handshake
  Status broken_;                               // non-OK once the connection is unusable
  uint32_t client_id_ = 0;
  uint64_t last_payload_id_ = 0;
  uint64_t last_ping_id_ = 0;  // PINGs count apart from requests
  std::string frame_;          // the request being sent, reused
  std::string server_version_;
  int interrupt_fd_ = -1;   // SetInterruptFd()
  bool receiving_ = false;  // inside Receive(): waits may be interrupted
};

}  // namespace

namespace client_internal {

Result<ReleasedConnection> ConnectAndRelease(const std::string& host, uint16_t port,
                                             const ClientOptions& options) {
  ClientImpl client(options);
  KOPF_RETURN_IF_ERROR(client.Open(host, port));
  KOPF_RETURN_IF_ERROR(client.Handshake());
  return client.Release();
}

}  // namespace client_internal

Result<QueryResult> Client::CopyIn(std::string_view sql, std::istream& in) {
  return CopyIn(sql, [&in](char* buffer, size_t capacity) -> Result<size_t> {
    in.read(buffer, static_cast<std::streamsize>(capacity));
    if (in.bad()) return Status::IoError("cannot read the data to copy");
    return static_cast<size_t>(in.gcount());
  });
}

Result<QueryResult> Client::CopyOut(std::string_view sql, std::ostream& out) {
  return CopyOut(sql, [&out](std::string_view data) -> Status {
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) return Status::IoError("cannot write the copied data");
    return Status::Ok();
  });
}

Result<std::unique_ptr<Client>> Client::Connect(const std::string& host, uint16_t port,
                                                const ClientOptions& options) {
  auto client = std::make_unique<ClientImpl>(options);
  KOPF_RETURN_IF_ERROR(client->Open(host, port));
  KOPF_RETURN_IF_ERROR(client->Handshake());
  return std::unique_ptr<Client>(std::move(client));
}

}  // namespace kopf::protocol
