#include "protocol/error_code.h"

#include <array>

namespace kopf::protocol {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "Ok";
    case ErrorCode::kSyntaxError: return "SyntaxError";
    case ErrorCode::kUndefinedTable: return "UndefinedTable";
    case ErrorCode::kUndefinedColumn: return "UndefinedColumn";
    case ErrorCode::kDuplicateTable: return "DuplicateTable";
    case ErrorCode::kDuplicateKey: return "DuplicateKey";
    case ErrorCode::kConstraintViolation: return "ConstraintViolation";
    case ErrorCode::kTypeMismatch: return "TypeMismatch";
    case ErrorCode::kInvalidValue: return "InvalidValue";
    case ErrorCode::kNotSupported: return "NotSupported";
    case ErrorCode::kBusy: return "Busy";
    case ErrorCode::kConflict: return "Conflict";
    case ErrorCode::kIoError: return "IoError";
    case ErrorCode::kCorruption: return "Corruption";
    case ErrorCode::kInternal: return "Internal";
    case ErrorCode::kProtocolViolation: return "ProtocolViolation";
    case ErrorCode::kDuplicateColumn: return "DuplicateColumn";
    case ErrorCode::kCancelled: return "Cancelled";
    case ErrorCode::kUndefinedStatement: return "UndefinedStatement";
  }
  return "Unknown";
}

// Codes are small numbers with gaps (numbers reserved for features not yet
// merged), so "known" asks the name table rather than comparing with the
// last code.
constexpr uint16_t kErrorCodeLimit = 256;

bool IsKnownErrorCode(uint16_t number) {
  return number < kErrorCodeLimit && ErrorCodeName(static_cast<ErrorCode>(number)) != "Unknown";
}

ErrorCode ErrorCodeFromName(std::string_view name) {
  for (uint16_t n = 0; n < kErrorCodeLimit; ++n) {
    if (!IsKnownErrorCode(n)) continue;
    auto code = static_cast<ErrorCode>(n);
    if (ErrorCodeName(code) == name) return code;
  }
  return ErrorCode::kOk;
}

}  // namespace kopf::protocol
