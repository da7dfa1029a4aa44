#include "protocol/error_code.h"

#include <array>

namespace kopf::protocol {

namespace {
constexpr std::string_view kUnknownName = "Unknown";
// Every code is below this; the name lookup scans up to it.
constexpr uint16_t kErrorCodeLimit = 256;
}  // namespace

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
    case ErrorCode::kAuthenticationFailed: return "AuthenticationFailed";
    case ErrorCode::kPermissionDenied: return "PermissionDenied";
    case ErrorCode::kDiskFull: return "DiskFull";
    case ErrorCode::kReadOnly: return "ReadOnly";
    case ErrorCode::kCancelled: return "Cancelled";
    case ErrorCode::kUndefinedStatement: return "UndefinedStatement";
  }
  return kUnknownName;
}

// "Known" asks the name table rather than comparing with the last code, so
// a gap in the numbers can never be taken for a code.
bool IsKnownErrorCode(uint16_t number) {
  return number < kErrorCodeLimit && ErrorCodeName(static_cast<ErrorCode>(number)) != kUnknownName;
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
