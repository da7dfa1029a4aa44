#include "cerebellum/job_queue.h"

namespace kopf::cerebellum {

bool JobQueue::Push(Job& job) {
  std::lock_guard lock(mu_);
  if (closed_ || queued_ >= capacity_) return false;
  ++queued_;
  if (job.client_id == 0) {
    ready_.push_back(std::move(job));
    ready_cv_.notify_one();
    return true;
  }
  Lane& lane = lanes_[job.client_id];
  lane.waiting.push_back(std::move(job));
  Release(lane.waiting.back().client_id, lane);
  return true;
}

void JobQueue::Release(uint32_t, Lane& lane) {
  size_t released = 0;
  while (!lane.waiting.empty()) {
    Job& next = lane.waiting.front();
    if (next.is_write) {
      if (lane.running_write || lane.running_reads > 0) break;
      lane.running_write = true;
    } else {
      if (lane.running_write) break;
      ++lane.running_reads;
    }
    ready_.push_back(std::move(next));
    lane.waiting.pop_front();
    ++released;
    if (lane.running_write) break;
  }
  if (released == 1) ready_cv_.notify_one();
  if (released > 1) ready_cv_.notify_all();
}

std::optional<JobQueue::Job> JobQueue::Pop() {
  std::unique_lock lock(mu_);
  ready_cv_.wait(lock, [&] { return !ready_.empty() || (closed_ && queued_ == 0); });
  if (ready_.empty()) return std::nullopt;
  Job job = std::move(ready_.front());
  ready_.pop_front();
  --queued_;
  return job;
}

void JobQueue::Done(uint32_t client_id, bool is_write) {
  std::lock_guard lock(mu_);
  if (client_id == 0) return;
  auto it = lanes_.find(client_id);
  if (it == lanes_.end()) return;
  Lane& lane = it->second;
  if (is_write) {
    lane.running_write = false;
  } else {
    --lane.running_reads;
  }
  Release(client_id, lane);
  if (lane.forgotten && lane.waiting.empty() && lane.running_reads == 0 && !lane.running_write) {
    lanes_.erase(it);
  }
  if (closed_ && queued_ == 0) ready_cv_.notify_all();
}

bool JobQueue::ReadMayStartNow(uint32_t client_id) {
  std::lock_guard lock(mu_);
  auto it = lanes_.find(client_id);
  return it == lanes_.end() || (it->second.waiting.empty() && !it->second.running_write);
}

bool JobQueue::TryStartWrite(uint32_t client_id) {
  std::lock_guard lock(mu_);
  if (closed_ || client_id == 0) return false;
  Lane& lane = lanes_[client_id];
  if (!lane.waiting.empty() || lane.running_reads > 0 || lane.running_write) return false;
  lane.running_write = true;
  return true;
}

void JobQueue::ForgetClient(uint32_t client_id) {
  std::lock_guard lock(mu_);
  auto it = lanes_.find(client_id);
  if (it == lanes_.end()) return;
  Lane& lane = it->second;
  if (lane.waiting.empty() && lane.running_reads == 0 && !lane.running_write) {
    lanes_.erase(it);
  } else {
    lane.forgotten = true;
  }
}

void JobQueue::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  ready_cv_.notify_all();
}

}  // namespace kopf::cerebellum
