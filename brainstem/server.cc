#include "brainstem/server.h"

#include <chrono>

#include <fmt/format.h>

#include "brainstem/log.h"
#include "brainstem/session.h"

namespace kopf::brainstem {

namespace asio = boost::asio;
using asio::ip::tcp;
using protocol::Status;

namespace {

std::string FormatAddress(const tcp::endpoint& endpoint) {
  const asio::ip::address& a = endpoint.address();
  return a.is_v6() ? fmt::format("[{}]:{}", a.to_string(), endpoint.port())
                   : fmt::format("{}:{}", a.to_string(), endpoint.port());
}

void LogIfThrown(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    Log("listener failed: {}", ex.what());
  } catch (...) {
    Log("listener failed");
  }
}

}  // namespace

Server::Server(asio::io_context& io, cerebellum::Engine* engine, Options options,
               std::string server_version, std::shared_ptr<Authenticator> authenticator)
    : io_(io),
      strand_(asio::make_strand(io)),
      acceptor_(strand_),
      context_(std::make_shared<SessionContext>()) {
  context_->engine = engine;
  context_->options = std::move(options);
  context_->server_version = std::move(server_version);
  context_->authenticator = std::move(authenticator);
  context_->courier = std::make_shared<ReplyCourier>(io);
}

std::function<void(const std::function<void()>&)> Server::ReplyBatcher() const {
  return [courier = context_->courier](const std::function<void()>& run) {
    struct Held {
      ReplyCourier& courier;
      explicit Held(ReplyCourier& c) : courier(c) { courier.Hold(); }
      ~Held() { courier.Release(); }
    } held(*courier);
    run();
  };
}

Server::~Server() = default;

Status Server::Listen() {
  const Options& options = context_->options;
  std::string wanted = fmt::format("{}:{}", options.host, options.port);
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  auto endpoints = resolver.resolve(options.host, std::to_string(options.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return Status::IoError(
        fmt::format("cannot listen on {}: {}", wanted, ec ? ec.message() : "no address"));
  }
  tcp::endpoint endpoint = *endpoints.begin();
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError(fmt::format("cannot listen on {}: {}", wanted, ec.message()));
  tcp::endpoint bound = acceptor_.local_endpoint(ec);
  if (ec) return Status::IoError(fmt::format("cannot listen on {}: {}", wanted, ec.message()));
  address_ = FormatAddress(bound);
  port_ = bound.port();
  asio::co_spawn(strand_, AcceptLoop(), LogIfThrown);
  return Status::Ok();
}

asio::awaitable<void> Server::AcceptLoop() {
  boost::system::error_code ec;
  for (;;) {
    // Each connection gets its own strand, so with several I/O threads
    // sessions run in parallel while each one's handlers stay serialised.
    tcp::socket socket = co_await acceptor_.async_accept(
        asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) co_return;
    if (ec) {
      Log("accept failed: {}", ec.message());
      // Out of file descriptors and the like: pause instead of spinning.
      asio::steady_timer pause(strand_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    context_->open_sessions.fetch_add(1);
    auto session = std::make_shared<Session>(std::move(socket), context_);
    {
      std::lock_guard lock(mu_);
      std::erase_if(sessions_, [](const std::weak_ptr<Session>& s) { return s.expired(); });
      sessions_.push_back(session);
    }
    session->Start();
  }
}

std::vector<std::shared_ptr<Session>> Server::LiveSessions() {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Session>> live;
  for (const auto& weak : sessions_) {
    if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  return live;
}

void Server::Stop(std::function<void()> done) {
  asio::post(strand_, [this, done = std::move(done)]() mutable {
    if (stopping_) return;
    stopping_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    std::vector<std::shared_ptr<Session>> live = LiveSessions();
    Log("shutting down: no new connections; finishing {} open connection(s)",
        context_->open_sessions.load());
    for (const auto& s : live) s->Shutdown();
    asio::co_spawn(strand_, Drain(std::move(done)), LogIfThrown);
  });
}

asio::awaitable<void> Server::Drain(std::function<void()> done) {
  // Polling is plenty here: it runs once, at shutdown.
  auto deadline = std::chrono::steady_clock::now() + context_->options.shutdown_grace;
  asio::steady_timer tick(strand_);
  boost::system::error_code ec;
  bool aborted = false;
  while (context_->open_sessions.load() > 0) {
    if (!aborted && std::chrono::steady_clock::now() >= deadline) {
      Log("closing {} connection(s) that did not finish within the grace period",
          context_->open_sessions.load());
      for (const auto& s : LiveSessions()) s->Abort();
      aborted = true;
    }
    tick.expires_after(std::chrono::milliseconds(20));
    co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  done();
}

}  // namespace kopf::brainstem
