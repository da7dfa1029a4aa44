// ReplyCourier on a real io_context: replies handed over from several
// threads run on their strands in the order each thread handed them over,
// a hold keeps them back until its release, and queued replies keep the
// event loop running (tracked work), as a graceful shutdown relies on.
#include <atomic>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "brainstem/reply_courier.h"

namespace kopf::brainstem {
namespace {

namespace asio = boost::asio;

auto Tracked(const asio::strand<asio::io_context::executor_type>& strand) {
  return asio::prefer(strand, asio::execution::outstanding_work.tracked);
}

TEST_SUITE("brainstem/reply_courier") {
  TEST_CASE("replies from several threads run on their strands in the order handed over") {
    asio::io_context io;
    auto courier = std::make_shared<ReplyCourier>(io);
    constexpr int kThreads = 4;
    constexpr int kReplies = 5000;
    // One strand per sending thread; each strand's log is touched only on it.
    std::vector<asio::strand<asio::io_context::executor_type>> strands;
    std::vector<std::vector<int>> seen(kThreads);
    for (int t = 0; t < kThreads; ++t) strands.push_back(asio::make_strand(io));
    std::vector<std::thread> senders;
    for (int t = 0; t < kThreads; ++t) {
      senders.emplace_back([&, t] {
        for (int i = 0; i < kReplies; ++i) {
          // Every 100 replies a hold, as a round thread takes around a round.
          if (i % 100 == 0) courier->Hold();
          courier->Send(Tracked(strands[t]), [&seen, t, i] { seen[t].push_back(i); });
          if (i % 100 == 99) courier->Release();
        }
      });
    }
    // Two network threads: strands busy on one thread must keep order too.
    std::thread second([&io] { io.run(); });
    io.run();  // returns once every reply ran: each held tracked work
    second.join();
    for (std::thread& s : senders) s.join();
    io.restart();
    io.run();  // replies sent after the first run() returned, if any
    for (int t = 0; t < kThreads; ++t) {
      REQUIRE(seen[t].size() == kReplies);
      for (int i = 0; i < kReplies; ++i) REQUIRE(seen[t][i] == i);
    }
  }

  TEST_CASE("a held reply waits for the release and keeps the event loop running") {
    asio::io_context io;
    auto courier = std::make_shared<ReplyCourier>(io);
    auto strand = asio::make_strand(io);
    std::atomic<int> ran{0};
    courier->Hold();
    courier->Send(Tracked(strand), [&ran] { ++ran; });
    courier->Send(Tracked(strand), [&ran] { ++ran; });
    io.poll();
    CHECK(ran.load() == 0);  // nothing posted while held
    std::thread runner([&io] { io.run(); });  // stays in run(): work is owed
    courier->Release();
    runner.join();  // returns only after both ran
    CHECK(ran.load() == 2);
  }
}

}  // namespace
}  // namespace kopf::brainstem
