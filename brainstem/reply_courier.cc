#include "brainstem/reply_courier.h"

namespace kopf::brainstem {

namespace asio = boost::asio;

void ReplyCourier::Send(asio::any_io_executor strand, std::function<void()> reply) {
  std::lock_guard lock(mu_);
  queue_.push_back(Reply{std::move(strand), std::move(reply)});
  if (!posted_ && holds_ == 0) PostLocked();
}

void ReplyCourier::Hold() {
  std::lock_guard lock(mu_);
  ++holds_;
}

void ReplyCourier::Release() {
  std::lock_guard lock(mu_);
  if (--holds_ == 0 && !posted_ && !queue_.empty()) PostLocked();
}

void ReplyCourier::PostLocked() {
  posted_ = true;
  // Tracked: the event loop keeps running while replies are on their way.
  asio::post(asio::prefer(io_.get_executor(), asio::execution::outstanding_work.tracked),
             [self = shared_from_this()] { self->Deliver(); });
}

void ReplyCourier::Deliver() {
  std::vector<Reply> batch;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      // Only now may another Deliver start: one at a time keeps the order.
      if (queue_.empty()) {
        posted_ = false;
        return;
      }
      batch.swap(queue_);
    }
    // On the network thread a strand that is not running takes the reply
    // at once; a strand busy on another thread queues it in order.
    for (Reply& reply : batch) asio::dispatch(reply.strand, std::move(reply.run));
    batch.clear();
  }
}

}  // namespace kopf::brainstem
