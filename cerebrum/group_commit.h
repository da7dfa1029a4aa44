// GroupCommit: makes appended commits durable as the SyncMode asks, sharing
// one round of fsyncs among every commit that arrived while the previous
// round was running.
//
// How a write uses it (SyncMode::kAlways):
//   1. the table appends its lines under its own lock and calls
//      Register(writer), getting an epoch number. With kAlways a small
//      commit's bytes only wait in the writer's buffer (SegmentWriter::
//      AppendBuffered); the round's Sync() writes them before it fsyncs;
//   2. it releases the table lock, so other writers can append meanwhile;
//   3. it calls WaitDurable(epoch, writer). The first waiter that finds no
//      fsync round running becomes the leader: it closes the current epoch,
//      takes the set of files dirtied in it, fsyncs each once (up to 8 at
//      a time, so they share the file system's journal commit), and wakes
//      everyone whose epoch is now done. Writers that registered during that
//      round are carried by the next one.
//
// Waiting without a thread (SyncMode::kAlways): a caller that has other work
// to do (the engine's worker, which would otherwise sit idle through the
// fsync while other clients' statements queue behind it) opens a
// DurabilityScope. Table::Commit then registers and returns at once,
// leaving a PendingCommit in the scope; Finish() hands the reply to
// WhenDurable(), which calls it once the round is done. With kAlways the
// group commit has a round thread of its own: it runs rounds for these
// waiters (waiting for a round a synchronous waiter is leading, if any) and
// calls every finished waiter's callback, and sleeps when none is left. So
// at 8 connections a round carries every commit appended meanwhile, not
// just as many as there are workers blocked in WaitDurable, and the caller
// of WhenDurable (a worker, or the network thread for a prepared one-row
// INSERT) never runs an fsync itself.
//
// Gathering: clients answered by a round usually send their next commit at
// once, but a round started right away carries only those that made it in
// time, and the rest wait for the whole next round. Left alone, eight
// clients split into two cohorts that take turns, each round carrying half
// of them. So before starting a round the round thread waits until every
// client it expects has committed again: those still waiting when the last
// round ended plus those that round answered. It waits at most twice as
// long as the last round's fsyncs took (kGatherRounds), counted from that
// round's end, and never more than kMaxGather: eight clients' replies and
// next commits take longer than one fast fsync, and with a wait of one
// fsync the last one or two kept missing their round and splitting the
// clients into two groups again. Nobody waits when nothing is pending (one connection never
// waits), and durability is unchanged: every reply still follows an fsync
// that started after its commit was written. The round thread sleeps until
// all but one of the expected commits are in, then polls for the last one
// (yielding its core), so the fsync starts without a thread wake-up.
// With a single client expected it sleeps: that wait spans the client's
// whole round trip.
//
// With SyncMode::kInterval a background thread runs a round every interval
// and WaitDurable() returns at once; with SyncMode::kNone nothing is
// registered or fsync'ed. Stop() (or the destructor) runs a last round, so
// a graceful shutdown loses nothing in any mode.
//
// A failed fsync is sticky for its file only. After it, nobody knows which
// of the file's pages reached the disk, and Linux may have marked the lost
// pages clean: a later fsync of the same file can succeed without writing
// them. So the file is never fsync'ed again, every commit waiting on it
// fails with kIoError (its outcome is unknown: it may or may not survive a
// restart), and FailureOf() tells the table to refuse later writes until
// the server restarts and recovers from what is really on disk. Other files
// carry on: their own fsyncs still tell the truth about them.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cerebrum/options.h"
#include "protocol/status.h"

namespace kopf::cerebrum {

class SegmentWriter;

// The kIoError a table refuses writes with after `failure` (a failed fsync,
// or a failed write whose effect on the file is unknown): its message plus
// "...; writes are refused until the server restarts".
protocol::Status RefusalAfter(const protocol::Status& failure);

class GroupCommit;

// A commit appended under a DurabilityScope whose fsync is still to come.
struct PendingCommit {
  GroupCommit* group_commit = nullptr;
  uint64_t epoch = 0;
  std::shared_ptr<SegmentWriter> writer;
  // Turns the group commit's failure into the table's answer and makes the
  // table refuse later writes (Table::NoteFailure); called only on failure.
  std::function<protocol::Status(const protocol::Status&)> on_failure;
};

// While a DurabilityScope lives on a thread, a commit with SyncMode::kAlways
// does not wait for its fsync there: it is added to the scope, and the
// owner of the scope must call Finish() before acknowledging anything.
// Commits made without a scope (tools, tests, compaction) wait in place.
class DurabilityScope {
 public:
  DurabilityScope();
  ~DurabilityScope();  // REQUIRES: Finish() was called if !empty()
  DurabilityScope(const DurabilityScope&) = delete;
  DurabilityScope& operator=(const DurabilityScope&) = delete;

  // The scope of this thread, or null.
  static DurabilityScope* Current();

  void Add(PendingCommit commit) { pending_.push_back(std::move(commit)); }
  bool empty() const { return pending_.empty(); }

  // Closes the scope (commits after it wait in place again) and calls
  // `done` once every pending commit is durable, with OK or the first
  // failure (already noted by its table): at once, on this thread, when
  // nothing is pending, else from whichever thread completes the round,
  // possibly this one before Finish returns.
  void Finish(std::function<void(protocol::Status)> done);

 private:
  DurabilityScope* previous_;
  bool closed_ = false;
  std::vector<PendingCommit> pending_;
};

class GroupCommit {
 public:
  // `interval` matters for SyncMode::kInterval only.
  GroupCommit(SyncMode mode, std::chrono::milliseconds interval);
  ~GroupCommit();  // Stop()
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Notes that `writer` holds appended, unsynced bytes; returns the epoch
  // whose round makes them durable. The writer is kept alive until then.
  uint64_t Register(std::shared_ptr<SegmentWriter> writer);

  // kAlways: blocks until the round of `epoch` is done. Then (and at once
  // in the other modes) returns FailureOf(writer).
  protocol::Status WaitDurable(uint64_t epoch, const SegmentWriter& writer);

  // kAlways: calls `done` once the round of `epoch` is done, from the
  // thread that leads the async rounds (maybe this one, before returning:
  // see the top of this file). Other modes: calls it at once.
  void WhenDurable(uint64_t epoch, std::function<void()> done);

  // Wraps the round thread's calls of one round's callbacks: it calls
  // wrap(run), which must call run() once. The server holds the replies
  // the callbacks queue until all are made, then sends them together.
  // REQUIRES: no callback is due (before the first commit, or once every
  // WhenDurable waiter was answered).
  using CallbackWrapper = std::function<void(const std::function<void()>& run)>;
  void SetCallbackWrapper(CallbackWrapper wrap);

  // True when commits wait for an fsync round (SyncMode::kAlways).
  bool waits() const { return mode_ == SyncMode::kAlways; }

  // kAlways: blocks until every epoch registered so far has had its round;
  // returns at once when nothing is pending. Reads call it so that they
  // never report a write that a crash could still take back. Other modes
  // return at once: there, acknowledged writes themselves may be lost, and
  // a reader waiting would only slow reads down without making anything it
  // sees safer than what the writer was told. Always OK: a file whose fsync
  // failed refuses later writes, but what is already in memory stays
  // readable (see above).
  protocol::Status WaitForRegistered();

  // True when WaitForRegistered() would return OK at once: nothing
  // registered is waiting for an fsync. Never blocks on a sync round (the
  // server's event loop asks it before running a read in place).
  bool RegisteredAreDurable() const;

  // kIoError when an fsync of `writer` failed (naming its file); OK while
  // every fsync of it succeeded.
  protocol::Status FailureOf(const SegmentWriter& writer) const;

  // What the group commit has done so far: commits registered, fsync
  // rounds run (a round fsyncs every file dirtied since the last one) and
  // the time spent in them. commits / rounds is how well rounds are shared.
  struct Stats {
    uint64_t commits = 0;
    uint64_t rounds = 0;
    std::chrono::microseconds sync_time{0};
  };
  Stats stats() const;

  // Stops the interval thread and fsyncs what is still pending. Idempotent.
  void Stop();

 private:
  // Closes the open epoch and fsyncs its files. REQUIRES: `lock` holds mu_
  // and no round is running; it is released during the fsyncs.
  void RunRound(std::unique_lock<std::mutex>& lock);
  // Returns once the round of `epoch` is done, leading rounds as needed.
  // REQUIRES: `lock` holds mu_.
  void WaitForRound(std::unique_lock<std::mutex>& lock, uint64_t epoch);
  void IntervalLoop();
  // kAlways: the round thread. Runs rounds for the WhenDurable waiters and
  // calls their callbacks, sleeping while there are none.
  void RoundLoop();

  struct Failure {
    std::shared_ptr<SegmentWriter> writer;  // keeps the address from being reused
    protocol::Status status;
  };

  const SyncMode mode_;
  const std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t open_epoch_ = 1;    // GUARDED_BY(mu_): epoch taking registrations
  uint64_t done_epoch_ = 0;    // GUARDED_BY(mu_): every epoch <= this had its round
  bool syncing_ = false;       // GUARDED_BY(mu_): a round is running
  bool stopping_ = false;      // GUARDED_BY(mu_)
  std::vector<std::shared_ptr<SegmentWriter>> dirty_;    // GUARDED_BY(mu_): files of open_epoch_
  std::map<const SegmentWriter*, Failure> failures_;     // GUARDED_BY(mu_)
  struct Waiter {
    uint64_t epoch;
    std::function<void()> done;
  };
  std::vector<Waiter> waiters_;  // GUARDED_BY(mu_): WhenDurable callbacks not yet called
  CallbackWrapper callback_wrapper_;  // set under mu_ while no callback is due
  size_t open_waiters_ = 0;      // GUARDED_BY(mu_): waiters of open_epoch_
  // The round thread's wait for the commits of the clients it expects (see
  // Gathering at the top): at most kGatherRounds times the last round's
  // time, never more than kMaxGather, counted from the end of the last
  // round.
  static constexpr std::chrono::microseconds kMaxGather{1000};
  static constexpr int kGatherRounds = 2;  // ... and this many times the last round's fsyncs
  bool gathering_ = false;                   // GUARDED_BY(mu_): the round thread gathers
  bool round_thread_waits_ = false;          // GUARDED_BY(mu_): ... or idles
  size_t expected_ = 0;                      // GUARDED_BY(mu_): waiters the next round should carry
  size_t open_at_round_end_ = 0;             // GUARDED_BY(mu_): open_waiters_ when the last round ended
  std::chrono::microseconds last_round_{0};  // GUARDED_BY(mu_): the last round's fsyncs took
  std::chrono::steady_clock::time_point round_end_;  // GUARDED_BY(mu_)
  std::condition_variable round_cv_;  // wakes the round thread
  Stats stats_;                              // GUARDED_BY(mu_)
  std::thread interval_thread_;  // kInterval only
  std::thread round_thread_;     // kAlways only
};

}  // namespace kopf::cerebrum
