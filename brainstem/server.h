// Server: the TCP listener. It accepts connections, gives each a Session on
// its own strand, and shuts them all down in order when asked.
//
// Shutdown, in order (Stop):
//   1. Close the acceptor: no new connections.
//   2. Ask every session to finish (Session::Shutdown): stop reading, answer
//      the requests already submitted, say GOODBYE, close.
//   3. After Options::shutdown_grace, abort the sessions still open.
//   4. Call `done` once no session is open. io_context::run() returns when
//      the engine has also delivered every outstanding completion.
//
// Thread-safety: Listen before running the io_context; Stop from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>  // before Asio: its C++20 coroutine support needs it
#include <vector>

#include <boost/asio.hpp>

#include "brainstem/options.h"
#include "protocol/status.h"

namespace kopf::cerebellum {
class Engine;
}

namespace kopf::brainstem {

class Authenticator;
class Session;
struct SessionContext;

class Server {
 public:
  // REQUIRES: `io` and `engine` outlive the server, and io.run() has
  // returned (or never ran) before either is destroyed. A null
  // `authenticator` turns authentication off: every client is admin.
  Server(boost::asio::io_context& io, cerebellum::Engine* engine, Options options,
         std::string server_version, std::shared_ptr<Authenticator> authenticator = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts accepting (once the io_context runs). Fails
  // with kIoError when the address cannot be resolved or bound.
  protocol::Status Listen();

  // The address actually bound, e.g. "127.0.0.1:5433" (the real port when
  // Options::port was 0). REQUIRES: Listen() succeeded.
  const std::string& address() const { return address_; }
  uint16_t port() const { return port_; }

  // Graceful shutdown (see above); `done` runs on the io_context.
  void Stop(std::function<void()> done);

  // Runs its argument with the replies it hands to sessions held back, then
  // posts them to the network thread together (ReplyCourier). For the
  // group commit's callbacks (GroupCommit::SetCallbackWrapper); it keeps
  // what it needs alive by itself.
  std::function<void(const std::function<void()>&)> ReplyBatcher() const;

 private:
  boost::asio::awaitable<void> AcceptLoop();
  boost::asio::awaitable<void> Drain(std::function<void()> done);
  std::vector<std::shared_ptr<Session>> LiveSessions();

  boost::asio::io_context& io_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<SessionContext> context_;
  std::string address_;
  uint16_t port_ = 0;
  bool stopping_ = false;  // on strand_

  std::mutex mu_;
  std::vector<std::weak_ptr<Session>> sessions_;  // guarded by mu_
};

}  // namespace kopf::brainstem
