// GroupCommit: makes appended commits durable, sharing one round of fsyncs
// among every commit that arrived while the previous round was running.
//
// How a write uses it:
//   1. the table appends its lines (write(2)) under its own lock and calls
//      Register(writer), getting an epoch number;
//   2. it releases the table lock, so other writers can append meanwhile;
//   3. it calls WaitDurable(epoch). The first waiter that finds no fsync
//      round running becomes the leader: it closes the current epoch, takes
//      the set of files dirtied in it, fsyncs each once, and wakes everyone
//      whose epoch is now durable. Writers that registered during that round
//      are carried by the next one.
// A failed fsync is sticky: the pages may be lost, so every later write is
// refused with kIoError until the server restarts and recovers from disk.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "protocol/status.h"

namespace kopf::cerebrum {

class SegmentWriter;

class GroupCommit {
 public:
  // When `enabled` is false nothing is ever fsync'ed and waits return at
  // once (the --no-sync mode).
  explicit GroupCommit(bool enabled) : enabled_(enabled) {}

  // Notes that `writer` holds appended, unsynced bytes; returns the epoch
  // whose completion makes them durable. The writer is kept alive until then.
  uint64_t Register(std::shared_ptr<SegmentWriter> writer);

  // Blocks until `epoch` is durable. Fails with kIoError when an fsync
  // failed (now or earlier).
  protocol::Status WaitDurable(uint64_t epoch);

  // Blocks until every epoch registered so far is durable; returns at once
  // when nothing is pending. Reads call it so that they never report a
  // write that could still be lost.
  protocol::Status WaitForRegistered();

  // True when WaitForRegistered() would return OK at once: nothing
  // registered is waiting for an fsync. Never blocks on a sync round (the
  // server's event loop asks it before running a read in place).
  bool RegisteredAreDurable() const;

  // The sticky failure, OK while every fsync succeeded.
  protocol::Status failure() const;

 private:
  const bool enabled_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t open_epoch_ = 1;    // epoch taking registrations
  uint64_t durable_epoch_ = 0; // every epoch <= this is durable
  bool syncing_ = false;       // a leader is running fsyncs
  std::vector<std::shared_ptr<SegmentWriter>> dirty_;  // files of open_epoch_
  protocol::Status failure_;
};

}  // namespace kopf::cerebrum
