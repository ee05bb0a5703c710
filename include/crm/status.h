// Errors as values. Every fallible call in crm returns a Status or a Result<T>; neither may be
// ignored. A Status is cheap to copy when ok (no allocation).
//
// Thread safety: a Status/Result is a value; distinct objects may be used from distinct threads.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace crm {

enum class Code : uint8_t {
  kOk = 0,
  kInvalidArgument,      // the caller passed something malformed (bad stream name, empty append)
  kNotFound,             // no such stream / database / record
  kAlreadyExists,        // e.g. creating a database that exists (where that is an error)
  kConcurrencyConflict,  // an expected version did not match the stream's version
  kBusy,                 // the database is locked by another writer process
  kCorruption,           // stored bytes failed verification; the message names the position
  kIOError,              // the storage layer failed (disk full, fsync error); writes are latched off
  kNotSupported,         // the operation is not possible on this handle (e.g. append on a reader)
  kAborted,              // not applied because an earlier append of the same batch was not
};

// The stable, upper-case name of a code ("CONCURRENCY_CONFLICT"), as used in CLI output.
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status ConcurrencyConflict(std::string m) {
    return {Code::kConcurrencyConflict, std::move(m)};
  }
  static Status Busy(std::string m) { return {Code::kBusy, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status NotSupported(std::string m) { return {Code::kNotSupported, std::move(m)}; }
  static Status Aborted(std::string m) { return {Code::kAborted, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "CODE: message", or "OK".
  std::string ToString() const;

  // Explicitly discards a status the caller has decided it does not need.
  void IgnoreError() const {}

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status explaining why there is none (cf. absl::StatusOr).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "a Result built from a Status must carry an error");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok()
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace crm

// Returns early from the enclosing function if `expr` (a Status) is not ok.
#define CRM_RETURN_IF_ERROR(expr)           \
  do {                                      \
    ::crm::Status crm_status_ = (expr);     \
    if (!crm_status_.ok()) return crm_status_; \
  } while (0)
