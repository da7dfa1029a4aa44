#include "cerebellum/copy_in_stream.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;

void CopyInStream::Push(std::string chunk) {
  if (chunk.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (abandoned_ || !failure_.ok() || finished_) return;
    buffered_ += chunk.size();
    chunks_.push_back(std::move(chunk));
  }
  ready_.notify_one();
}

void CopyInStream::Finish() {
  {
    std::lock_guard lock(mu_);
    finished_ = true;
  }
  ready_.notify_one();
}

void CopyInStream::Fail(Status status) {
  {
    std::lock_guard lock(mu_);
    if (!failure_.ok()) return;
    failure_ = std::move(status);
    chunks_.clear();
    buffered_ = 0;
  }
  ready_.notify_one();
}

bool CopyInStream::full() const {
  std::lock_guard lock(mu_);
  return buffered_ >= max_buffered_bytes_ && !abandoned_ && failure_.ok();
}

void CopyInStream::SetOnDrain(std::function<void()> on_drain) {
  std::lock_guard lock(mu_);
  on_drain_ = std::move(on_drain);
}

Result<size_t> CopyInStream::Read(char* dest, size_t capacity) {
  std::function<void()> drained;
  size_t n = 0;
  {
    std::unique_lock lock(mu_);
    auto arrived = [&] { return !chunks_.empty() || finished_ || !failure_.ok(); };
    if (idle_timeout_.count() == 0) {
      ready_.wait(lock, arrived);
    } else if (!ready_.wait_for(lock, idle_timeout_, arrived)) {
      failure_ = protocol::Status::Cancelled(
          fmt::format("no data from the client for {} ms (copy_idle_timeout_ms)",
                      idle_timeout_.count()));
    }
    if (!failure_.ok()) return failure_;
    if (chunks_.empty()) return size_t{0};  // finished, all read
    const bool was_full = buffered_ >= max_buffered_bytes_;
    const std::string& front = chunks_.front();
    n = std::min(capacity, front.size() - front_offset_);
    std::memcpy(dest, front.data() + front_offset_, n);
    front_offset_ += n;
    buffered_ -= n;
    if (front_offset_ == front.size()) {
      chunks_.pop_front();
      front_offset_ = 0;
    }
    if (was_full && buffered_ < max_buffered_bytes_) drained = on_drain_;
  }
  if (drained) drained();
  return n;
}

void CopyInStream::Abandon() {
  std::function<void()> drained;
  {
    std::lock_guard lock(mu_);
    if (abandoned_) return;
    abandoned_ = true;
    chunks_.clear();
    buffered_ = 0;
    drained = on_drain_;
  }
  if (drained) drained();
}

}  // namespace kopf::cerebellum
