// JobQueue: the queue between the brainstem and the worker pool, keeping
// each client's requests in order (see engine.h for the promise):
//
//   - a client's jobs leave the queue in the order they were pushed;
//   - a read may start while the client's earlier reads still run;
//   - a write starts only when nothing of its client runs, and nothing of
//     its client starts until it is done.
// Jobs of different clients never wait for each other here.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace kopf::cerebellum {

class JobQueue {
 public:
  struct Job {
    uint32_t client_id = 0;  // 0: no ordering with anything
    bool is_write = true;
    // Returns true when the job is finished; false when it finishes later
    // on its own (a write waiting for its fsync round without holding a
    // worker), and then calls Done(client_id, is_write) exactly once.
    std::function<bool()> run;
  };

  explicit JobQueue(size_t capacity) : capacity_(capacity) {}

  // Queues `job`. False (and `job` untouched) when the queue holds
  // `capacity` jobs already, or is closed.
  bool Push(Job& job);

  // Blocks until a job may start; nullopt once closed and drained.
  // REQUIRES: the caller calls Done() with the job after running it.
  std::optional<Job> Pop();
  void Done(const Job& job) { Done(job.client_id, job.is_write); }
  void Done(uint32_t client_id, bool is_write);

  // True when a read of `client_id` pushed now would start at once: none of
  // the client's jobs is waiting and no write of it runs. Lets the engine
  // run a read in place without breaking the client's order.
  bool ReadMayStartNow(uint32_t client_id);

  // Starts a write of `client_id` outside the queue when one pushed now
  // would start at once (nothing of the client waits or runs): true, and
  // the caller runs it and calls Done(client_id, true) exactly once, after
  // which the client's later jobs may start.
  bool TryStartWrite(uint32_t client_id);

  // Forgets a disconnected client's state once its jobs are done.
  void ForgetClient(uint32_t client_id);

  // Refuses new jobs; Pop() returns nullopt once all queued jobs started.
  void Close();

 private:
  struct Lane {
    std::deque<Job> waiting;
    int running_reads = 0;
    bool running_write = false;
    bool forgotten = false;
  };
  void Release(uint32_t client_id, Lane& lane);  // REQUIRES: mu_ held

  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable ready_cv_;
  std::deque<Job> ready_;                     // GUARDED_BY(mu_)
  std::unordered_map<uint32_t, Lane> lanes_;  // GUARDED_BY(mu_)
  size_t queued_ = 0;                         // GUARDED_BY(mu_), waiting + ready
  bool closed_ = false;                       // GUARDED_BY(mu_)
};

}  // namespace kopf::cerebellum
