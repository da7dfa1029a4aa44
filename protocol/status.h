// Status and Result<T>: how every kopf module reports failure.
//
// A Status is an ErrorCode, a message for humans and, for errors about SQL
// text, the 0-based character offset in the statement where the problem is
// (kNoPosition otherwise). Result<T> holds either a T or a non-OK Status.
// Both are plain values: they cross threads inside callbacks and become
// error frames on the wire unchanged. Exceptions from third-party libraries
// are caught in the adapter that calls them and turned into a Status.
//
// Thread-safety: values; const methods may be called from any thread.
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "protocol/error_code.h"

namespace kopf::protocol {

class [[nodiscard]] Status {
 public:
  static constexpr int32_t kNoPosition = -1;

  Status() = default;  // OK
  Status(ErrorCode code, std::string message, int32_t position = kNoPosition)
      : code_(code), message_(std::move(message)), position_(position) {}

  static Status Ok() { return Status(); }
  static Status SyntaxError(std::string m, int32_t pos = kNoPosition) {
    return {ErrorCode::kSyntaxError, std::move(m), pos};
  }
  static Status UndefinedTable(std::string m, int32_t pos = kNoPosition) {
    return {ErrorCode::kUndefinedTable, std::move(m), pos};
  }
  static Status UndefinedColumn(std::string m, int32_t pos = kNoPosition) {
    return {ErrorCode::kUndefinedColumn, std::move(m), pos};
  }
  static Status DuplicateTable(std::string m, int32_t pos = kNoPosition) {
    return {ErrorCode::kDuplicateTable, std::move(m), pos};
  }
  static Status DuplicateColumn(std::string m, int32_t pos = kNoPosition) {
    return {ErrorCode::kDuplicateColumn, std::move(m), pos};
  }
  static Status DuplicateKey(std::string m) { return {ErrorCode::kDuplicateKey, std::move(m)}; }
  static Status ConstraintViolation(std::string m, int32_t pos = kNoPosition) {
    return {ErrorCode::kConstraintViolation, std::move(m), pos};
  }
  static Status TypeMismatch(std::string m, int32_t pos = kNoPosition) {
    return {ErrorCode::kTypeMismatch, std::move(m), pos};
  }
  static Status InvalidValue(std::string m, int32_t pos = kNoPosition) {
    return {ErrorCode::kInvalidValue, std::move(m), pos};
  }
  static Status NotSupported(std::string m, int32_t pos = kNoPosition) {
    return {ErrorCode::kNotSupported, std::move(m), pos};
  }
  static Status Busy(std::string m) { return {ErrorCode::kBusy, std::move(m)}; }
  static Status Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
  static Status IoError(std::string m) { return {ErrorCode::kIoError, std::move(m)}; }
  static Status Corruption(std::string m) { return {ErrorCode::kCorruption, std::move(m)}; }
  static Status DiskFull(std::string m) { return {ErrorCode::kDiskFull, std::move(m)}; }
  static Status ReadOnly(std::string m) { return {ErrorCode::kReadOnly, std::move(m)}; }
  static Status Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
  static Status Cancelled(std::string m) { return {ErrorCode::kCancelled, std::move(m)}; }
  static Status UndefinedStatement(std::string m) {
    return {ErrorCode::kUndefinedStatement, std::move(m)};
  }
  static Status ProtocolViolation(std::string m) {
    return {ErrorCode::kProtocolViolation, std::move(m)};
  }
  static Status AuthenticationFailed(std::string m) {
    return {ErrorCode::kAuthenticationFailed, std::move(m)};
  }
  static Status PermissionDenied(std::string m) {
    return {ErrorCode::kPermissionDenied, std::move(m)};
  }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  int32_t position() const { return position_; }
  bool has_position() const { return position_ >= 0; }

  // "SyntaxError: unexpected 'FROM' at 1:8" style text for logs and tests.
  std::string ToString() const {
    if (ok()) return "OK";
    return std::string(ErrorCodeName(code_)) + ": " + message_;
  }

  // Returns a copy whose position is `pos` unless one is set already.
  Status WithPosition(int32_t pos) const {
    Status s = *this;
    if (!s.has_position()) s.position_ = pos;
    return s;
  }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  int32_t position_ = kNoPosition;
};

// Either a T or an error. REQUIRES for value(): ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(data_).ok() && "Result needs a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace kopf::protocol

// Return early from the enclosing function when `expr` (a Status) fails.
#define KOPF_RETURN_IF_ERROR(expr)                    \
  do {                                                \
    ::kopf::protocol::Status kopf_status_ = (expr);   \
    if (!kopf_status_.ok()) return kopf_status_;      \
  } while (0)

#define KOPF_CONCAT_INNER(a, b) a##b
#define KOPF_CONCAT(a, b) KOPF_CONCAT_INNER(a, b)
// Declare `lhs` from a Result, returning its Status early when it failed.
#define KOPF_ASSIGN_OR_RETURN(lhs, expr) \
  KOPF_ASSIGN_OR_RETURN_IMPL(KOPF_CONCAT(kopf_result_, __LINE__), lhs, expr)
#define KOPF_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
