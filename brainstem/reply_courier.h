// ReplyCourier: carries replies from engine threads to the sessions.
//
// A reply finished off the network thread (a worker's, or a durable
// write's after its fsync round) must run on its session's strand. Each
// used to be posted there on its own, so a group-commit round that
// answered eight clients cost the round thread eight posts and the
// network thread eight handlers. All replies now go through one queue, in
// the order they were handed over, and one handler on the network thread
// hands out everything queued. While a hold is open (the round thread
// holds around a round's callbacks, see Hold) nothing is posted, so a
// round's replies leave together, as one handler.
//
// Order: a single handler at a time hands replies out, in queue order, into
// the sessions' strands (which keep their own order), so a session's
// replies run in the order they were handed over, as with direct posts.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <utility>  // before Asio: its C++20 coroutine support needs it
#include <vector>

#include <boost/asio.hpp>

namespace kopf::brainstem {

class ReplyCourier : public std::enable_shared_from_this<ReplyCourier> {
 public:
  // `io` must outlive every call that hands over a reply.
  explicit ReplyCourier(boost::asio::io_context& io) : io_(io) {}
  ReplyCourier(const ReplyCourier&) = delete;
  ReplyCourier& operator=(const ReplyCourier&) = delete;

  // Runs `reply` on `strand` (a session's tracked-work executor, which
  // keeps the event loop running until the reply is out), never inline.
  void Send(boost::asio::any_io_executor strand, std::function<void()> reply);

  // While a hold is open, replies wait in the queue; Release of the last
  // hold posts them all as one handler.
  void Hold();
  void Release();

 private:
  // Posts Deliver. REQUIRES: mu_ held, posted_ false.
  void PostLocked();
  // Hands out everything queued, until the queue is empty.
  void Deliver();

  boost::asio::io_context& io_;
  std::mutex mu_;
  struct Reply {
    boost::asio::any_io_executor strand;
    std::function<void()> run;
  };
  std::vector<Reply> queue_;  // GUARDED_BY(mu_)
  int holds_ = 0;             // GUARDED_BY(mu_)
  bool posted_ = false;       // GUARDED_BY(mu_): a Deliver is posted or running
};

}  // namespace kopf::brainstem
