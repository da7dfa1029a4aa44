#include "cerebrum/group_commit.h"

#include <algorithm>

#include "cerebrum/segment_writer.h"

namespace kopf::cerebrum {

using protocol::Status;

uint64_t GroupCommit::Register(std::shared_ptr<SegmentWriter> writer) {
  if (!enabled_) return 0;
  std::lock_guard lock(mu_);
  if (std::find(dirty_.begin(), dirty_.end(), writer) == dirty_.end()) {
    dirty_.push_back(std::move(writer));
  }
  return open_epoch_;
}

Status GroupCommit::WaitDurable(uint64_t epoch) {
  if (!enabled_) return Status::Ok();
  std::unique_lock lock(mu_);
  while (durable_epoch_ < epoch && failure_.ok()) {
    if (syncing_) {
      cv_.wait(lock);
      continue;
    }
    // Become the leader for the open epoch.
    syncing_ = true;
    uint64_t closing = open_epoch_++;
    std::vector<std::shared_ptr<SegmentWriter>> files;
    files.swap(dirty_);
    lock.unlock();
    Status status;
    for (const auto& file : files) {
      status = file->Sync();
      if (!status.ok()) break;
    }
    lock.lock();
    syncing_ = false;
    if (status.ok()) {
      durable_epoch_ = closing;
    } else {
      failure_ = Status::IoError(status.message() +
                                 " (writes are refused until the server restarts)");
    }
    cv_.notify_all();
  }
  return failure_;
}

Status GroupCommit::WaitForRegistered() {
  if (!enabled_) return Status::Ok();
  uint64_t target;
  {
    std::lock_guard lock(mu_);
    if (!failure_.ok()) return failure_;
    // Epochs below open_epoch_ are closed; the open one matters only if it
    // has files.
    target = dirty_.empty() ? open_epoch_ - 1 : open_epoch_;
    if (durable_epoch_ >= target) return Status::Ok();
  }
  return WaitDurable(target);
}

bool GroupCommit::RegisteredAreDurable() const {
  if (!enabled_) return true;
  std::lock_guard lock(mu_);
  if (!failure_.ok()) return false;
  uint64_t target = dirty_.empty() ? open_epoch_ - 1 : open_epoch_;
  return durable_epoch_ >= target;
}

Status GroupCommit::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

}  // namespace kopf::cerebrum
