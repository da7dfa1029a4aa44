// AsyncClient: one kopf connection driven by a Boost.Asio executor, with any
// number of requests in flight.
//
// Each AsyncQuery() sends its statement at once (frames queued while a write
// is under way go out together in the next write) and completes when its
// answer has arrived, whatever the order the server answers in: responses
// are matched to requests by payload id (PROTOCOL.md section 5). The
// completion signature is void(Response); a server-side error is
// Response::status, and so is a lost connection (kProtocolViolation, as with
// the blocking Client), which completes every request still in flight.
//
// AsyncQuery takes any Asio completion token: a plain callback, or
// boost::asio::use_awaitable inside a C++20 coroutine:
//
//   auto client = *AsyncClient::Connect(io.get_executor(), "127.0.0.1", 5433);
//   client->AsyncQuery("SELECT 1", [](Response r) { ... });        // callback
//   Response r = co_await client->AsyncQuery("SELECT 2", asio::use_awaitable);
//
// Connect() blocks for the TCP connect and the handshake (it reuses the
// blocking Client's); after it, nothing blocks. Close() is graceful: it sends
// GOODBYE after everything queued, the server still answers every request
// it read, and the socket closes once the server's GOODBYE arrives.
//
// Left out: timeouts and cancelling a request (the protocol has no cancel
// message; Close() or destroying the io_context are the ways out), and an
// asynchronous Connect (the handshake stays the blocking client's, in one
// place).
//
// Prepared statements will slot in beside AsyncQuery as
// AsyncPrepare(sql, token) -> void(Result<Statement>) and
// AsyncExecute(statement, params, token) -> void(Response), riding the same
// payload-id matching, once PROTOCOL.md defines their messages.
//
// Thread-safety: use one AsyncClient from one thread at a time: the thread
// running its executor (or any thread before that starts). Handlers run on
// that executor. The client keeps itself alive while I/O is pending.
// REQUIRES: the executor's execution context (the io_context) outlives the
// client, whose destructor calls Close().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>  // before Asio: Boost 1.74 needs it for C++20 coroutines

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>

#include "protocol/client.h"

namespace kopf::protocol {

class AsyncClient {
 public:
  using Executor = boost::asio::any_io_executor;

  // Connects to host:port and completes the handshake (blocking). Fails with
  // kIoError when the server cannot be reached and kProtocolViolation on a
  // bad handshake.
  static Result<std::shared_ptr<AsyncClient>> Connect(const Executor& executor,
                                                      const std::string& host, uint16_t port,
                                                      const ClientOptions& options = {});
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  // Sends `sql` and completes with its Response. The payload id it got is
  // last_payload_id() right after the call. A statement that cannot be sent
  // (not UTF-8, too large, the connection closed) completes with that error.
  template <typename CompletionToken>
  auto AsyncQuery(std::string_view sql, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(Response)>(
        [this](auto handler, std::string text) {
          // Handlers may be move-only (use_awaitable's is); std::function
          // needs a copyable callable, so the handler rides in a shared_ptr.
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          auto executor = boost::asio::get_associated_executor(*shared, executor_);
          StartQuery(std::move(text), [shared, executor](Response response) mutable {
            boost::asio::dispatch(executor, [shared, r = std::move(response)]() mutable {
              (*shared)(std::move(r));
            });
          });
        },
        token, std::string(sql));
  }

  // Sends GOODBYE after everything queued; requests already sent are still
  // answered. Later AsyncQuery calls complete with an error.
  void Close();

  // Requests sent and not yet answered.
  size_t in_flight() const;
  uint64_t last_payload_id() const;
  uint32_t client_id() const;
  const std::string& server_version() const;
  const Executor& get_executor() const { return executor_; }

  // Opaque; public only so the .cc can name it.
  struct State;

 private:
  AsyncClient(Executor executor, std::shared_ptr<State> state);
  void StartQuery(std::string sql, std::function<void(Response)> done);

  Executor executor_;
  std::shared_ptr<State> state_;
};

}  // namespace kopf::protocol
