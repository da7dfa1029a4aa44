#include "tools/kopf/async_session.h"

#include <utility>

#include <boost/asio/io_context.hpp>

#include "protocol/async_client.h"

namespace kopf::shell {

struct AsyncSession::Impl {
  protocol::ConnectionString where;
  boost::asio::io_context io;
  std::shared_ptr<protocol::AsyncClient> client;
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
  for (size_t i = 0; i < statements.size(); ++i) {
    s.client->AsyncQuery(statements[i], [&, i](protocol::Response response) {
      if (response.status.code() == protocol::ErrorCode::kProtocolViolation) lost = true;
      ++replied;
      on_reply(i, response);
    });
  }
  on_sent(first);
  s.io.restart();
  // The read loop never lets run() return by itself: stop at the last reply.
  while (replied < statements.size() && s.io.run_one() > 0) {
  }
  if (lost) s.client.reset();  // reconnect next time
  return protocol::Status::Ok();
}

}  // namespace kopf::shell
