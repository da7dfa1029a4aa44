// Cancellation: how a running statement learns that its client sent CANCEL.
//
// The session owns one CancelFlag per request in flight and sets it on
// CANCEL. The worker running the request installs the flag with a
// CancelScope; the executor's loops call Cancelled() every few thousand
// rows (one relaxed atomic load through a thread-local pointer, so the
// check costs nothing measurable) and stop with kCancelled. A thread-local
// rather than an argument, because the loops that must check sit deep in
// the executor (scans, joins, sorts, aggregation) and none of the code in
// between needs to know.
//
// Thread-safety: the flag may be set from any thread; a CancelScope belongs
// to the thread that made it.
#pragma once

#include <atomic>
#include <cstddef>

#include "protocol/status.h"

namespace kopf::cerebellum {

using CancelFlag = std::atomic<bool>;

// Makes `flag` (may be null: not cancellable) the current request's flag on
// this thread while the scope lives.
class CancelScope {
 public:
  explicit CancelScope(const CancelFlag* flag);
  ~CancelScope();
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;

 private:
  const CancelFlag* previous_;
};

// True when the request running on this thread has been cancelled.
bool Cancelled();

// kCancelled, for loops that stop because Cancelled() said so.
protocol::Status CancelledStatus();

// How many loop iterations may pass between two checks: a check every
// 4096 rows keeps a cancelled scan or sort stopping within a millisecond
// or so.
inline constexpr size_t kCancelCheckInterval = 4096;

// For loops: true every kCancelCheckInterval calls when cancelled.
inline bool CancelledEvery(size_t iteration) {
  return iteration % kCancelCheckInterval == 0 && Cancelled();
}

}  // namespace kopf::cerebellum
