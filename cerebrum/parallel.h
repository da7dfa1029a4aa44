// ForEachInParallel: a fixed number of threads working through a list.
//
// Thread-safety: `work` runs on several threads at once, each index once.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace kopf::cerebrum {

// Calls work(i) for every i in [0, n) on up to `threads` threads (0: one
// per core), the calling thread among them, and returns when all are done.
template <typename Work>
void ForEachInParallel(size_t n, unsigned threads, Work&& work) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, n));
  std::atomic<size_t> next{0};
  auto loop = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) work(i);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(loop);
  loop();
  for (std::thread& t : pool) t.join();
}

}  // namespace kopf::cerebrum
