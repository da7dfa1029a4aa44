// Error codes shared by every layer and carried on the wire.
//
// A code says what the caller should do next, not which module failed:
//   fix the request      kSyntaxError .. kNotSupported, kDuplicateColumn,
//                        kUndefinedStatement
//   as asked             kCancelled
//   retry later          kBusy, kConflict
//   the server is hurt   kIoError, kCorruption, kInternal, kDiskFull, kReadOnly
//   connection is over   kProtocolViolation, kAuthenticationFailed
//   ask someone else     kPermissionDenied (a user with a stronger role)
//
// The numbers are part of the wire protocol (protocol/PROTOCOL.md) and of
// logs: DO NOT CHANGE OR REUSE THEM. Add new codes at the end. A switch over
// ErrorCode has no default: so -Werror=switch lists every place a new code
// must be handled.
#pragma once

#include <cstdint>
#include <string_view>

namespace kopf::protocol {

enum class ErrorCode : uint16_t {
  kOk = 0,
  kSyntaxError = 1,          // the SQL text does not parse
  kUndefinedTable = 2,       // a table name that does not exist
  kUndefinedColumn = 3,      // a column name that does not exist
  kDuplicateTable = 4,       // CREATE TABLE of a name already taken
  kDuplicateKey = 5,         // a primary key value already present
  kConstraintViolation = 6,  // NOT NULL and other declared constraints
  kTypeMismatch = 7,         // a value or expression of the wrong type
  kInvalidValue = 8,         // right type, bad value: overflow, bad literal
  kNotSupported = 9,         // valid SQL that kopf does not implement yet
  kBusy = 10,                // the server is overloaded: retry later
  kConflict = 11,            // a concurrent change got in the way: retry
  kIoError = 12,             // the disk failed (full, read-only, ...)
  kCorruption = 13,          // stored data is damaged
  kInternal = 14,            // a bug in kopf
  kProtocolViolation = 15,   // a malformed frame; the connection is closed
  kDuplicateColumn = 16,     // a column name given twice (CREATE TABLE, INSERT)
  kAuthenticationFailed = 17,  // bad user name or password; the connection is closed
  kPermissionDenied = 18,      // the user's role does not allow the statement
  kCancelled = 19,             // the client cancelled the request (CANCEL)
  kUndefinedStatement = 20,    // EXECUTE or CLOSE of a statement id that is not prepared
  kDiskFull = 21,              // no space left on the server's disk: retry when freed
  kReadOnly = 22,              // the server's data directory cannot be written
};

// The stable name of a code, e.g. "SyntaxError". Used by the shell, by SQL
// test scripts ("statement error UndefinedColumn") and in logs.
std::string_view ErrorCodeName(ErrorCode code);

// The code whose ErrorCodeName is `name`, or kOk when there is none.
ErrorCode ErrorCodeFromName(std::string_view name);

// True for numbers that name a code (not every number up to the last one
// does); used when decoding frames.
bool IsKnownErrorCode(uint16_t number);

}  // namespace kopf::protocol
