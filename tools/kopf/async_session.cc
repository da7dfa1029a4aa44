#include "tools/kopf/async_session.h"

#include <unistd.h>

#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "protocol/async_client.h"
#include "tools/kopf/interrupt.h"

namespace kopf::shell {

struct AsyncSession::Impl {
  protocol::ConnectionString where;
  boost::asio::io_context io;
  std::shared_ptr<protocol::AsyncClient> client;
  int interrupt_fd = -1;
};

AsyncSession::AsyncSession(protocol::ConnectionString where) : impl_(std::make_unique<Impl>()) {
  impl_->where = std::move(where);
}

AsyncSession::~AsyncSession() {
  if (impl_->client) {
    // Let the graceful close finish: the server answers GOODBYE at once.
    impl_->client->Close();
    impl_->client.reset();
    impl_->io.restart();
    impl_->io.run();
  }
}

protocol::Status AsyncSession::Run(const std::vector<std::string>& statements,
                                   const SentFunction& on_sent, const ReplyFunction& on_reply) {
  Impl& s = *impl_;
  if (!s.client) {
    KOPF_ASSIGN_OR_RETURN(s.client, protocol::AsyncClient::Connect(
                                        s.io.get_executor(), s.where.host, s.where.port,
                                        s.where.Options("kopf-shell-async")));
  }
  uint64_t first = s.client->last_payload_id() + 1;
  bool lost = false;
  size_t replied = 0;
  std::vector<bool> answered(statements.size(), false);
  for (size_t i = 0; i < statements.size(); ++i) {
    s.client->AsyncQuery(statements[i], [&, i](protocol::Response response) {
      if (response.status.code() == protocol::ErrorCode::kProtocolViolation) lost = true;
      ++replied;
      answered[i] = true;
      on_reply(i, response);
    });
  }
  on_sent(first);
  s.io.restart();

  // Ctrl-C: the self-pipe becomes readable; CANCEL every statement still
  // waiting (the first time only; the replies come as usual). The
  // descriptor watches a duplicate, so closing it leaves the pipe alone.
  std::optional<boost::asio::posix::stream_descriptor> interrupt;
  bool waiting_for_interrupt = false;
  bool cancel_sent = false;
  std::function<void()> watch = [&] {
    waiting_for_interrupt = true;
    interrupt->async_wait(boost::asio::posix::descriptor_base::wait_read,
                          [&](const boost::system::error_code& ec) {
                            waiting_for_interrupt = false;
                            if (ec) return;  // closed at the end of Run()
                            TakeInterrupts(s.interrupt_fd);
                            if (!cancel_sent) {
                              for (size_t i = 0; i < statements.size(); ++i) {
                                if (!answered[i]) s.client->Cancel(first + i);
                              }
                              cancel_sent = true;
                            }
                            watch();
                          });
  };
  if (s.interrupt_fd >= 0) {
    if (int copy = ::dup(s.interrupt_fd); copy >= 0) {
      interrupt.emplace(s.io, copy);
      watch();
    }
  }

  // The read loop never lets run() return by itself: stop at the last reply.
  while (replied < statements.size() && s.io.run_one() > 0) {
  }
  if (interrupt) {
    interrupt->close();
    while (waiting_for_interrupt && s.io.run_one() > 0) {
    }
  }
  if (lost) s.client.reset();  // reconnect next time
  return protocol::Status::Ok();
}

void AsyncSession::SetInterruptFd(int fd) { impl_->interrupt_fd = fd; }

}  // namespace kopf::shell
