// Frame format: the constants and the fixed header layout of the kopf wire
// protocol, shared by the frame encoder, the frame decoder, the client
// library and the server. The normative description is protocol/PROTOCOL.md;
// this header must agree with it byte for byte.
//
//   frame  := length:u32 header body
//   header := version:u8 type:u8 flags:u16 client_id:u32 payload_id:u64
//
// All integers are little-endian. `length` counts the header and the body
// (every byte after the length field), so kHeaderBytes <= length.
//
// Thread-safety: constants and pure functions only.
// The numbers below are on the wire: DO NOT CHANGE THEM.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace kopf::protocol {

// The frame layout version in every header. A decoder rejects any other.
inline constexpr uint8_t kFrameVersion = 1;

// The protocol version negotiated by HELLO/WELCOME. A new minor version only
// adds things an older peer may ignore; a new major version is incompatible.
inline constexpr uint16_t kProtocolMajor = 1;
// 1.1 added authentication (HELLO's user fields and AUTH_*, section 5.1),
// PING/PONG, CANCEL, prepared statements and streamed results; 1.2 the
// copy sub-protocol (COPY ... FROM STDIN / TO STDOUT, PROTOCOL.md 5.8).
inline constexpr uint16_t kProtocolMinor = 2;
// The first minor version that streams COPY data.
inline constexpr uint16_t kCopyProtocolMinor = 2;

// Size of the length prefix and of the fixed header that follows it.
inline constexpr size_t kLengthFieldBytes = 4;
inline constexpr size_t kHeaderBytes = 16;

// Default largest frame (header + body) a server accepts from a client.
// Bounds the memory one request can pin; configurable with
// kopfd --max-frame-bytes.
inline constexpr uint32_t kDefaultMaxFrameBytes = 16u << 20;

// A server never sends a frame larger than this (it splits rows into
// batches and answers with an ERROR when a single row does not fit), so a
// client that accepts frames of this size accepts every server frame.
inline constexpr uint32_t kMaxServerFrameBytes = 64u << 20;

// Smallest encodings, used to reject a declared element count before
// allocating room for it: a value is at least its tag, a string at least its
// length field, a column description at least a string and a type byte.
inline constexpr size_t kMinValueBytes = 1;
inline constexpr size_t kMinStringBytes = 4;
inline constexpr size_t kMinColumnBytes = kMinStringBytes + 1;

enum class MessageType : uint8_t {
  kHello = 0x01,           // client -> server, first frame
  kWelcome = 0x02,         // server -> client, answer to HELLO
  kGoodbye = 0x03,         // either side: clean close
  kPing = 0x04,            // client -> server: are you there? (1.1)
  kPong = 0x05,            // server -> client: answer to PING (1.1)
  kCancel = 0x06,          // client -> server: stop a request in flight (1.1)
  kAuthChallenge = 0x08,   // server -> client: SCRAM server-first-message
  kAuthResponse = 0x09,    // client -> server: SCRAM client-final-message
  kAuthOk = 0x0A,          // server -> client: SCRAM server-final-message
  kQuery = 0x10,           // client -> server: one SQL statement
  kPrepare = 0x11,         // client -> server: parse a statement with $n parameters (1.1)
  kExecute = 0x12,         // client -> server: run a prepared statement (1.1)
  kClose = 0x13,           // client -> server: forget a prepared statement (1.1)
  kCopyData = 0x14,        // either side: a chunk of COPY's CSV text (1.2)
  kCopyDone = 0x15,        // client -> server: the COPY FROM STDIN data is complete (1.2)
  kCopyFail = 0x16,        // client -> server: abort the COPY FROM STDIN (1.2)
  kRowDescription = 0x20,  // server -> client: result columns
  kRowBatch = 0x21,        // server -> client: some result rows
  kComplete = 0x22,        // server -> client: end of a successful response
  kError = 0x23,           // server -> client: end of a failed response
  // server -> client: the answer to PREPARE (1.1)
  kStatementDescription = 0x24,
  // server -> client: ready for a COPY FROM STDIN's data (1.2)
  kCopyInResponse = 0x25,
};

// "HELLO", "WELCOME", ... ; "UNKNOWN" for numbers that name no type.
constexpr std::string_view MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kHello:
      return "HELLO";
    case MessageType::kWelcome:
      return "WELCOME";
    case MessageType::kGoodbye:
      return "GOODBYE";
    case MessageType::kPing:
      return "PING";
    case MessageType::kPong:
      return "PONG";
    case MessageType::kCancel:
      return "CANCEL";
    case MessageType::kAuthChallenge:
      return "AUTH_CHALLENGE";
    case MessageType::kAuthResponse:
      return "AUTH_RESPONSE";
    case MessageType::kAuthOk:
      return "AUTH_OK";
    case MessageType::kQuery:
      return "QUERY";
    case MessageType::kPrepare:
      return "PREPARE";
    case MessageType::kExecute:
      return "EXECUTE";
    case MessageType::kClose:
      return "CLOSE";
    case MessageType::kRowDescription:
      return "ROW_DESCRIPTION";
    case MessageType::kRowBatch:
      return "ROW_BATCH";
    case MessageType::kComplete:
      return "COMPLETE";
    case MessageType::kError:
      return "ERROR";
    case MessageType::kStatementDescription:
      return "STATEMENT_DESCRIPTION";
    case MessageType::kCopyData:
      return "COPY_DATA";
    case MessageType::kCopyDone:
      return "COPY_DONE";
    case MessageType::kCopyFail:
      return "COPY_FAIL";
    case MessageType::kCopyInResponse:
      return "COPY_IN_RESPONSE";
  }
  return "UNKNOWN";
}

constexpr bool IsKnownMessageType(uint8_t number) {
  return MessageTypeName(static_cast<MessageType>(number)) != "UNKNOWN";
}

// The fixed header of a frame, as read from the wire (not yet validated).
struct FrameHeader {
  uint8_t version = kFrameVersion;
  uint8_t type = 0;
  uint16_t flags = 0;
  uint32_t client_id = 0;
  uint64_t payload_id = 0;
};

}  // namespace kopf::protocol
