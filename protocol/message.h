// Message: the decoded form of one frame of the kopf wire protocol.
//
// Each message type of protocol/PROTOCOL.md has a plain struct here; Message
// is the variant of all of them and Envelope adds the two ids every frame
// header carries (<client_id>-<payload_id>). The frame encoder turns an
// Envelope into bytes and the frame decoder turns bytes back into one; the
// structs themselves do no I/O and no validation.
//
// Invariants the encoder relies on (REQUIRES, checked with assert): strings
// are at most 2^32-1 bytes, a RowDescription has at most 65535 columns, a
// RowBatch at most 2^32-1 rows, all of the same width (at most 65535), an
// Execute's rows all `parameter_count` wide, a StatementDescription at most
// 65535 parameters and columns, and the whole frame fits the u32 length
// field.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "protocol/error_code.h"
#include "protocol/frame_format.h"
#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::protocol {

// 0x01, client -> server. The first frame of a connection, with client_id 0
// and payload_id 0 in its header. `user` and `scram_first` are on the wire
// only when minor >= 1 (protocol 1.1); both empty means "no credentials".
struct Hello {
  uint16_t major = kProtocolMajor;
  uint16_t minor = kProtocolMinor;
  std::string client_name;
  std::string user;         // the user to log in as
  std::string scram_first;  // SCRAM client-first-message (protocol/auth.h)
  bool operator==(const Hello&) const = default;
};

// 0x02, server -> client. Accepts a HELLO and assigns the client id that
// every later frame of the connection carries.
struct Welcome {
  uint32_t client_id = 0;
  uint16_t major = kProtocolMajor;
  uint16_t minor = kProtocolMinor;
  std::string server_version;
  bool operator==(const Welcome&) const = default;
};

// 0x03, either side: the sender is done with the connection.
struct Goodbye {
  bool operator==(const Goodbye&) const = default;
};

// 0x04, client -> server (1.1): asks for a PONG. The header's payload_id
// is any value the client likes; it is not part of the request sequence.
struct Ping {
  bool operator==(const Ping&) const = default;
};

// 0x05, server -> client (1.1): answers a PING with its payload_id.
struct Pong {
  bool operator==(const Pong&) const = default;
};

// 0x06, client -> server (1.1): cancels the request whose payload_id the
// header carries. It has no response of its own.
struct Cancel {
  bool operator==(const Cancel&) const = default;
};

// 0x08, server -> client: the server's SCRAM challenge to a HELLO that
// named a user (PROTOCOL.md section 5.1).
struct AuthChallenge {
  std::string mechanism;  // "SCRAM-SHA-256"
  std::string data;       // server-first-message
  bool operator==(const AuthChallenge&) const = default;
};

// 0x09, client -> server: the client's proof.
struct AuthResponse {
  std::string data;  // client-final-message
  bool operator==(const AuthResponse&) const = default;
};

// 0x0A, server -> client: the proof was right; WELCOME follows.
struct AuthOk {
  std::string data;  // server-final-message, proving the server knows the user
  bool operator==(const AuthOk&) const = default;
};

// 0x10, client -> server: one SQL statement.
struct Query {
  std::string sql;
  bool operator==(const Query&) const = default;
};

// 0x11, client -> server (1.1): one SQL statement with parameter markers
// $1, $2, ... to parse once and execute many times. Its statement id is the
// payload_id of the PREPARE frame.
struct Prepare {
  std::string sql;
  bool operator==(const Prepare&) const = default;
};

// 0x12, client -> server (1.1): runs prepared statement `statement_id` once
// per parameter row. Every row has `parameter_count` values; a statement
// without parameters is run with one empty row.
struct Execute {
  uint64_t statement_id = 0;
  uint16_t parameter_count = 0;
  std::vector<Row> rows;
  bool operator==(const Execute&) const = default;
};

// 0x13, client -> server (1.1): forgets prepared statement `statement_id`.
struct CloseStatement {
  uint64_t statement_id = 0;
  bool operator==(const CloseStatement&) const = default;
};

// 0x20, server -> client: the columns of a result that returns rows.
struct RowDescription {
  std::vector<ColumnInfo> columns;
  bool operator==(const RowDescription&) const = default;
};

// 0x21, server -> client: some rows of a result, all of the same width.
// (Value's == compares doubles by value, so NaN != NaN: compare bits in
// tests.)
struct RowBatch {
  std::vector<Row> rows;
  bool operator==(const RowBatch&) const = default;
};

// 0x22, server -> client: the statement succeeded. `tag` names the kind of
// statement ("SELECT", "INSERT", "CREATE TABLE", ...) and `count` the rows
// it returned or affected.
struct Complete {
  std::string tag;
  uint64_t count = 0;
  bool operator==(const Complete&) const = default;
};

// 0x23, server -> client: the statement (or the connection) failed.
// `code` is never kOk; `position` is a 0-based byte offset into the SQL text
// or Status::kNoPosition (-1).
struct ErrorMessage {
  ErrorCode code = ErrorCode::kInternal;
  int32_t position = Status::kNoPosition;
  std::string message;
  bool operator==(const ErrorMessage&) const = default;
};

// 0x24, server -> client (1.1): the answer to a PREPARE: the statement id,
// the type of each parameter ($1 first; never kNull) and the columns the
// statement returns (empty for statements that return no rows).
struct StatementDescription {
  uint64_t statement_id = 0;
  std::vector<Type> parameter_types;
  std::vector<ColumnInfo> columns;
  bool operator==(const StatementDescription&) const = default;
};

// 0x25, server -> client (1.2): the server is ready for the data of a
// COPY ... FROM STDIN. `columns` are the table columns the fields of each
// CSV record fill, in order; `format` is the data's format (only kCsv).
struct CopyInResponse {
  enum class Format : uint8_t { kCsv = 0 };
  Format format = Format::kCsv;
  std::vector<ColumnInfo> columns;
  bool operator==(const CopyInResponse&) const = default;
};

// 0x14, either side (1.2): a chunk of COPY's CSV text. Chunks are cut
// anywhere (inside a record, even inside a UTF-8 sequence); only their
// concatenation means something.
struct CopyData {
  std::string data;
  bool operator==(const CopyData&) const = default;
};

// 0x15, client -> server (1.2): every byte of the COPY FROM STDIN was sent.
struct CopyDone {
  bool operator==(const CopyDone&) const = default;
};

// 0x16, client -> server (1.2): abort the COPY FROM STDIN; nothing of it is
// loaded. `message` says why (it goes into the ERROR that answers).
struct CopyFail {
  std::string message;
  bool operator==(const CopyFail&) const = default;
};

using Message = std::variant<Hello, Welcome, Goodbye, Ping, Pong, Cancel, Query, Prepare, Execute,
                             CloseStatement, RowDescription, RowBatch, Complete, ErrorMessage,
                             StatementDescription, AuthChallenge, AuthResponse, AuthOk,
                             CopyInResponse, CopyData, CopyDone, CopyFail>;

// One frame: the ids from its header and its message.
struct Envelope {
  uint32_t client_id = 0;
  uint64_t payload_id = 0;
  Message message;
  bool operator==(const Envelope&) const = default;
};

// The wire type of a message.
MessageType TypeOf(const Message& message);

// "QUERY 3-17" style text for logs: type name and ids.
std::string Describe(const Envelope& envelope);

// The Status an ERROR message stands for (code, message and position).
Status ToStatus(const ErrorMessage& error);

// The ERROR message for a failed Status. A position below -1 becomes -1.
// REQUIRES: !status.ok().
ErrorMessage ToErrorMessage(const Status& status);

}  // namespace kopf::protocol
