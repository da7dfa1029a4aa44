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
// Prepared statements (protocol 1.1, PROTOCOL.md section 5.5): Prepare()
// returns a PreparedStatement (its id is the PREPARE's payload id, its
// parameter types and result columns come from STATEMENT_DESCRIPTION);
// Execute() runs it with one row or a batch of parameter rows, checked
// against the parameter types before anything is sent; Close() forgets it.
// SendPrepare()/SendExecute() are the pipelining forms: an EXECUTE may go
// out right behind its PREPARE, before the description arrived. Ping()
// waits for the server's PONG; Cancel() asks the server to stop a request
// sent with Send*() (its response then arrives through Receive()).
// CopyIn()/CopyOut() run COPY ... FROM STDIN / TO STDOUT (protocol 1.2,
// PROTOCOL.md section 5.8) from a callback or a stream.
//
// Thread-safety: one Client per thread; it is not safe to share.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
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
  // COPY ... TO STDOUT run through Query(): the CSV text the server sent.
  std::string copy_data;

  // Typed access to row `i` (see client_row.h). REQUIRES: i < rows.size().
  RowRef row(size_t i) const { return RowRef(columns, rows[i]); }
};

// A statement prepared on one connection (PROTOCOL.md section 5.5).
struct PreparedStatement {
  uint64_t id = 0;  // the payload id of its PREPARE; valid on its connection only
  // False for a handle made from the id alone (to pipeline EXECUTEs behind
  // the PREPARE before its description arrived): the types below are then
  // unknown, and only the server checks the parameter values.
  bool described = false;
  std::vector<Type> parameter_types;  // $1 first; never kNull
  std::vector<ColumnInfo> columns;    // empty for INSERT, UPDATE, DELETE

  // A handle for the statement prepared by the request `payload_id`.
  static PreparedStatement Pending(uint64_t payload_id) { return {payload_id, false, {}, {}}; }
};

// One response as received by the pipelining API.
struct Response {
  uint64_t payload_id = 0;
  Status status;        // non-OK when the server answered with an error
  QueryResult result;   // meaningful when status.ok()
  // The answer to a PREPARE that succeeded (STATEMENT_DESCRIPTION).
  std::optional<PreparedStatement> statement;
  // COPY_IN_RESPONSE (protocol 1.2): the server waits for the data of a
  // COPY ... FROM STDIN, whose records fill these columns. Not the end of
  // the request: its COMPLETE or ERROR follows the client's COPY_DONE.
  std::optional<std::vector<ColumnInfo>> copy_in;
};

// Hands out the data of a COPY ... FROM STDIN: copies up to `capacity`
// bytes into `buffer` and returns the count, 0 at the end, or an error,
// which aborts the copy (COPY_FAIL; nothing is loaded).
using CopySource = std::function<Result<size_t>(char* buffer, size_t capacity)>;
// Takes the data of a COPY ... TO STDOUT piece by piece, in order. An error
// stops the delivery (the rest of the response is read and dropped).
using CopySink = std::function<Status(std::string_view data)>;

// Checks parameter rows against `statement` before they are sent: at least
// one row; every row as wide as the statement has parameters (kInvalidValue)
// and each value NULL or of its parameter's type, an INTEGER also for a
// DOUBLE (kTypeMismatch); the message names the parameter and the row. A
// handle that is not described is checked only for rows of equal width.
// A statement without parameters takes one empty row.
Status CheckParameters(const PreparedStatement& statement, std::span<const Row> rows);

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

  // Prepares `sql` and waits for its description. A server-side error
  // (syntax, unknown names, a parameter of unknown type) is the Status.
  virtual Result<PreparedStatement> Prepare(std::string_view sql) = 0;
  // Runs `statement` once per parameter row and waits for the one answer.
  // Rows that fail CheckParameters are refused without sending anything.
  virtual Result<QueryResult> Execute(const PreparedStatement& statement,
                                      std::span<const Row> rows) = 0;
  Result<QueryResult> Execute(const PreparedStatement& statement, const Row& row) {
    return Execute(statement, std::span<const Row>(&row, 1));
  }
  // Forgets the statement on the server (COMPLETE "CLOSE").
  virtual Status Close(const PreparedStatement& statement) = 0;

  // Pipelining forms of Prepare and Execute: send without waiting and
  // return the payload id; the answers come from Receive().
  virtual Result<uint64_t> SendPrepare(std::string_view sql) = 0;
  virtual Result<uint64_t> SendExecute(const PreparedStatement& statement,
                                       std::span<const Row> rows) = 0;

  // Sends PING and waits for its PONG (responses arriving meanwhile are
  // kept for Receive()).
  virtual Status Ping() = 0;
  // Asks the server to stop request `payload_id` (sent with Send*()). It
  // still gets exactly one response: ERROR kCancelled, or its normal one
  // when it had finished. Unknown or finished ids are ignored by the server.
  virtual Status Cancel(uint64_t payload_id) = 0;

  // COPY ... FROM STDIN (protocol 1.2): sends `sql`, then the bytes of
  // `source` in COPY_DATA frames as fast as the server takes them, then
  // COPY_DONE, and waits for the COPY's answer (tag "COPY", the row count).
  // A server error (a bad value, with its line and column) stops the
  // sending early; a source error ends the copy with COPY_FAIL and is
  // returned itself. A statement that is not COPY FROM STDIN is refused
  // with kInvalidValue after it ran.
  virtual Result<QueryResult> CopyIn(std::string_view sql, const CopySource& source) = 0;
  Result<QueryResult> CopyIn(std::string_view sql, std::istream& in);
  // COPY ... TO STDOUT (protocol 1.2): sends `sql` and hands the CSV text
  // to `sink` as it arrives; the result carries the row count.
  virtual Result<QueryResult> CopyOut(std::string_view sql, const CopySink& sink) = 0;
  Result<QueryResult> CopyOut(std::string_view sql, std::ostream& out);

  // Lets a wait in Receive() be interrupted, for a program that must stay
  // responsive while a long request runs (the shell's Ctrl-C): while `fd`
  // is readable (say the read end of a self-pipe a signal handler writes
  // to), Receive() does not wait for the server but fails with kCancelled
  // "interrupted", and the connection stays usable: the caller may Cancel()
  // the request and Receive() again. The client never reads from `fd`;
  // emptying it is the caller's job. -1 (the default) turns it off.
  virtual void SetInterruptFd(int fd) { (void)fd; }

  virtual uint32_t client_id() const = 0;
  virtual const std::string& server_version() const = 0;
};

}  // namespace kopf::protocol
