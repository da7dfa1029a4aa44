// Client: a blocking connection to a kopf server, for the shell, tests and
// simple programs.
//
// Connect() performs the handshake (HELLO -> WELCOME, with the SCRAM-SHA-256
// exchange in between when ClientOptions::user is set). For many requests in
// flight driven by an event loop, see async_client.h. Query() sends one
// statement and waits for its whole answer. For pipelining, Send() queues a
// request and returns its payload id without waiting, and Receive() returns
// the next complete response, whichever request it belongs to; responses may
// arrive in any order and are matched by payload_id.
//
// Thread-safety: one Client per thread; it is not safe to share.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/client_row.h"
#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::protocol {

// The complete answer to one statement.
struct QueryResult {
  std::vector<ColumnInfo> columns;  // empty for statements that return no rows
  std::vector<Row> rows;
  std::string tag;     // command tag: "SELECT", "INSERT", "CREATE TABLE", ...
  uint64_t count = 0;  // rows returned (SELECT) or affected (writes)

  // Typed access to row `i` (see client_row.h). REQUIRES: i < rows.size().
  RowRef row(size_t i) const { return RowRef(columns, rows[i]); }
};

// One response as received by the pipelining API.
struct Response {
  uint64_t payload_id = 0;
  Status status;        // non-OK when the server answered with an error
  QueryResult result;   // meaningful when status.ok()
};

struct ClientOptions {
  std::string client_name = "kopf-client";
  // Frames larger than this from the server are a protocol violation.
  uint32_t max_frame_bytes = 64u << 20;
  // Credentials (PROTOCOL.md section 5.1). An empty user sends none, which
  // only a server without a users file accepts. The password never goes on
  // the wire; a server without a users file accepts any (the handshake
  // then has no AUTH_* step).
  std::string user;
  std::string password;
};

class Client {
 public:
  // Connects and completes the handshake. Fails with kIoError when the
  // server cannot be reached, kAuthenticationFailed when the server refuses
  // the user or password (or cannot prove it knows them), and
  // kProtocolViolation on a bad handshake.
  static Result<std::unique_ptr<Client>> Connect(const std::string& host, uint16_t port,
                                                 const ClientOptions& options = {});
  virtual ~Client() = default;

  // Sends one statement and waits for its answer. A server-side error comes
  // back as the Result's Status (with the server's code and position).
  virtual Result<QueryResult> Query(std::string_view sql) = 0;

  // Sends a statement without waiting; returns its payload id.
  virtual Result<uint64_t> Send(std::string_view sql) = 0;
  // Waits for the next complete response to any request sent with Send().
  // Fails (not via Response::status) only on connection problems.
  virtual Result<Response> Receive() = 0;

  virtual uint32_t client_id() const = 0;
  virtual const std::string& server_version() const = 0;
};

}  // namespace kopf::protocol
