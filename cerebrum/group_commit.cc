#include "cerebrum/group_commit.h"

#include <algorithm>
#include <atomic>

#include "cerebrum/segment_writer.h"

namespace kopf::cerebrum {

using protocol::Status;

Status RefusalAfter(const Status& failure) {
  return Status::IoError(failure.message() +
                         "; what reached the disk is unknown, so writes are refused until the "
                         "server restarts");
}

GroupCommit::GroupCommit(SyncMode mode, std::chrono::milliseconds interval)
    : mode_(mode), interval_(interval) {
  if (mode_ == SyncMode::kInterval) interval_thread_ = std::thread([this] { IntervalLoop(); });
  if (mode_ == SyncMode::kAlways) round_thread_ = std::thread([this] { RoundLoop(); });
}

GroupCommit::~GroupCommit() { Stop(); }

void GroupCommit::Stop() {
  std::unique_lock lock(mu_);
  if (stopping_) return;
  stopping_ = true;
  cv_.notify_all();
  round_cv_.notify_one();
  lock.unlock();
  // The round thread answers every waiter before it ends.
  if (interval_thread_.joinable()) interval_thread_.join();
  if (round_thread_.joinable()) round_thread_.join();
  lock.lock();
  cv_.wait(lock, [&] { return !syncing_; });
  if (!dirty_.empty()) RunRound(lock);
}

void GroupCommit::SetCallbackWrapper(CallbackWrapper wrap) {
  std::lock_guard lock(mu_);
  callback_wrapper_ = std::move(wrap);
}

uint64_t GroupCommit::Register(std::shared_ptr<SegmentWriter> writer) {
  if (mode_ == SyncMode::kNone) return 0;
  std::lock_guard lock(mu_);
  ++stats_.commits;
  if (std::find(dirty_.begin(), dirty_.end(), writer) == dirty_.end()) {
    dirty_.push_back(std::move(writer));
  }
  return open_epoch_;
}

namespace {

// Files fsync'ed at once by one round. Concurrent fsyncs of files on one
// file system share its journal commit (ext4, xfs), so a round over many
// tables costs little more than one over a single table; the cap bounds the
// threads a round starts when thousands of tables are dirty.
constexpr size_t kMaxParallelSyncs = 8;

// Sync() of every file, in parallel; the statuses in the files' order.
std::vector<Status> SyncAll(const std::vector<std::shared_ptr<SegmentWriter>>& files) {
  std::vector<Status> results(files.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < files.size(); i = next++) results[i] = files[i]->Sync();
  };
  std::vector<std::thread> helpers;
  for (size_t i = 1; i < std::min(files.size(), kMaxParallelSyncs); ++i) helpers.emplace_back(work);
  work();
  for (std::thread& helper : helpers) helper.join();
  return results;
}

}  // namespace

void GroupCommit::RunRound(std::unique_lock<std::mutex>& lock) {
  syncing_ = true;
  uint64_t closing = open_epoch_++;
  open_waiters_ = 0;
  expected_ = 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<SegmentWriter>> files;
  files.swap(dirty_);
  // A file that failed before is not fsync'ed again: a success now could
  // hide pages the failed fsync lost.
  std::erase_if(files, [&](const auto& file) { return failures_.contains(file.get()); });
  lock.unlock();
  std::vector<Status> results = SyncAll(files);
  const auto end = std::chrono::steady_clock::now();
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(end - start);
  std::vector<Failure> failed;
  for (size_t i = 0; i < files.size(); ++i) {
    if (results[i].ok()) continue;
    // Always kIoError, even for ENOSPC: the file stays refused until a
    // restart, so "retry when space returns" would be wrong advice.
    failed.push_back({files[i], RefusalAfter(results[i])});
  }
  lock.lock();
  for (Failure& failure : failed) {
    const SegmentWriter* key = failure.writer.get();
    failures_.emplace(key, std::move(failure));
  }
  syncing_ = false;
  last_round_ = took;
  round_end_ = end;
  open_at_round_end_ = open_waiters_;
  if (!files.empty()) {
    ++stats_.rounds;
    stats_.sync_time += took;
  }
  done_epoch_ = closing;
  cv_.notify_all();
  if (round_thread_waits_) round_cv_.notify_one();
}

void GroupCommit::IntervalLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, interval_, [&] { return stopping_; });
    if (stopping_) break;
    // Leaders do not exist in this mode, so no round can be running.
    if (!dirty_.empty()) RunRound(lock);
  }
}

void GroupCommit::WaitForRound(std::unique_lock<std::mutex>& lock, uint64_t epoch) {
  while (done_epoch_ < epoch) {
    if (syncing_) {
      cv_.wait(lock);
    } else {
      RunRound(lock);  // become the leader for the open epoch
    }
  }
}

Status GroupCommit::WaitDurable(uint64_t epoch, const SegmentWriter& writer) {
  if (mode_ == SyncMode::kAlways) {
    std::unique_lock lock(mu_);
    WaitForRound(lock, epoch);
  }
  return FailureOf(writer);
}

void GroupCommit::WhenDurable(uint64_t epoch, std::function<void()> done) {
  if (mode_ != SyncMode::kAlways) return done();
  std::unique_lock lock(mu_);
  // Once stopping, the round thread may be gone: wait in place.
  if (stopping_) WaitForRound(lock, epoch);
  if (done_epoch_ >= epoch) {
    lock.unlock();
    return done();
  }
  waiters_.push_back({epoch, std::move(done)});
  if (epoch == open_epoch_) ++open_waiters_;
  // The round thread is woken once per round: when the first waiter
  // arrives while it idles, or while it gathers when all but the last one
  // expected have arrived (it then polls for the last, see RoundLoop), or
  // the last one when it sleeps.
  if (round_thread_waits_ && (!gathering_ || open_waiters_ + 1 >= expected_)) {
    round_cv_.notify_one();
  }
}

void GroupCommit::RoundLoop() {
  std::unique_lock lock(mu_);
  std::vector<std::function<void()>> finished;
  for (;;) {
    // Callbacks of finished epochs go first: their replies are due.
    std::erase_if(waiters_, [&](Waiter& waiter) {
      if (waiter.epoch > done_epoch_) return false;
      finished.push_back(std::move(waiter.done));
      return true;
    });
    if (!finished.empty()) {
      // Those answered now will likely commit again, like those that
      // arrived during the round: the next round should carry them all.
      expected_ = open_at_round_end_ + finished.size();
      lock.unlock();
      auto run = [&finished] {
        for (auto& done : finished) done();
      };
      if (callback_wrapper_) {
        callback_wrapper_(run);
      } else {
        run();
      }
      finished.clear();
      lock.lock();
      continue;
    }
    if (syncing_) {
      cv_.wait(lock);  // a synchronous waiter leads this round
      continue;
    }
    const bool expecting = open_waiters_ < expected_ && !stopping_;
    const auto deadline = round_end_ + std::min(kGatherRounds * last_round_, kMaxGather);
    if (expecting && std::chrono::steady_clock::now() < deadline) {
      // Wait for the clients expected (see the top of the file), for at
      // most twice the last round's time since it ended, so the round carries
      // them instead of leaving them for the next one. Stops early when a
      // synchronous waiter runs a round.
      if (expected_ > 1 && open_waiters_ + 1 >= expected_) {
        // Only the last one is missing, and it is on its way: poll for it
        // rather than sleep, since waking a sleeping thread costs tens of
        // microseconds on a virtual machine, all of it on the path to the
        // next fsync. Yielding lets the threads that bring it (the network
        // thread, a client) have this core meanwhile. One connection, whose
        // whole round trip this wait would span, sleeps instead.
        lock.unlock();
        std::this_thread::yield();
        lock.lock();
        continue;
      }
      const uint64_t done_before = done_epoch_;
      gathering_ = round_thread_waits_ = true;
      const size_t wake_at = expected_ > 1 ? expected_ - 1 : expected_;
      round_cv_.wait_until(lock, deadline, [&] {
        return open_waiters_ >= wake_at || syncing_ || done_epoch_ != done_before || stopping_;
      });
      gathering_ = round_thread_waits_ = false;
      continue;
    }
    expected_ = 0;
    if (waiters_.empty()) {
      if (stopping_) break;
      round_thread_waits_ = true;
      round_cv_.wait(lock, [&] { return !waiters_.empty() || stopping_; });
      round_thread_waits_ = false;
      continue;
    }
    RunRound(lock);
  }
}

Status GroupCommit::WaitForRegistered() {
  if (mode_ != SyncMode::kAlways) return Status::Ok();
  std::unique_lock lock(mu_);
  // Epochs below open_epoch_ are closed; the open one matters only if it
  // has files.
  WaitForRound(lock, dirty_.empty() ? open_epoch_ - 1 : open_epoch_);
  return Status::Ok();
}

bool GroupCommit::RegisteredAreDurable() const {
  if (mode_ != SyncMode::kAlways) return true;
  std::lock_guard lock(mu_);
  return done_epoch_ >= (dirty_.empty() ? open_epoch_ - 1 : open_epoch_);
}

namespace {

thread_local DurabilityScope* current_scope = nullptr;

}  // namespace

DurabilityScope::DurabilityScope() : previous_(current_scope) { current_scope = this; }

DurabilityScope::~DurabilityScope() {
  if (!closed_) current_scope = previous_;
}

DurabilityScope* DurabilityScope::Current() { return current_scope; }

void DurabilityScope::Finish(std::function<void(Status)> done) {
  current_scope = previous_;
  closed_ = true;
  if (pending_.empty()) return done(Status::Ok());
  // One database has one group commit, and epochs only grow: waiting for
  // the newest epoch covers every pending commit.
  uint64_t epoch = 0;
  for (const PendingCommit& commit : pending_) epoch = std::max(epoch, commit.epoch);
  GroupCommit* group_commit = pending_.front().group_commit;
  group_commit->WhenDurable(epoch, [pending = std::move(pending_), done = std::move(done)] {
    Status first = Status::Ok();
    for (const PendingCommit& commit : pending) {
      Status status = commit.group_commit->FailureOf(*commit.writer);
      if (status.ok()) continue;
      status = commit.on_failure(status);
      if (first.ok()) first = std::move(status);
    }
    done(std::move(first));
  });
}

GroupCommit::Stats GroupCommit::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

Status GroupCommit::FailureOf(const SegmentWriter& writer) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(&writer);
  if (it == failures_.end()) return Status::Ok();
  return it->second.status;
}

}  // namespace kopf::cerebrum
