// AsyncClient: one kopf connection driven by a Boost.Asio executor, with any
// number of requests in flight.
//
// Each AsyncQuery() (and each prepared-statement call below) queues its
// request, which is sent as soon as the caller gives control back to the
// executor: the requests made in one go (a loop, or the handlers of one
// read's replies) leave together in one write. It completes when its
// answer has arrived, whatever the order the server answers in: responses
// are matched to requests by payload id (PROTOCOL.md section 5). A handler
// may take a `const Response&`: it then reads the client's own copy, which
// is not moved. AsyncQuery's completion signature is void(Response); a
// server-side error is Response::status, and so is a lost connection
// (kProtocolViolation, as with the blocking Client), which completes every
// request still in flight.
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
// Prepared statements ride the same payload-id matching (PROTOCOL.md
// section 5.5): AsyncPrepare(sql, token) completes with
// void(Result<PreparedStatement>); AsyncExecute(statement, rows, token) and
// AsyncClose(statement, token) with void(Response). An EXECUTE may be sent
// right behind its PREPARE: PreparedStatement::Pending(last_payload_id())
// names the statement before its description arrived. AsyncPing(token)
// completes with void(Status) when the PONG arrives; Cancel(payload_id)
// asks the server to stop a request, which then completes with
// kCancelled (or its normal answer, if it had finished).
//
// Left out: timeouts (Cancel(), Close() or destroying the io_context are
// the ways out), and an asynchronous Connect (the handshake stays the
// blocking client's, in one place).
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
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>  // before Asio: Boost 1.74 needs it for C++20 coroutines

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>

#include "protocol/client.h"
#include "protocol/message.h"

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
          StartQuery(std::move(text), Wrap<Response>(std::move(handler)));
        },
        token, std::string(sql));
  }

  // Prepares `sql`; completes with the statement or the server's error.
  // The statement id is last_payload_id() right after the call.
  template <typename CompletionToken>
  auto AsyncPrepare(std::string_view sql, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(Result<PreparedStatement>)>(
        [this](auto handler, std::string text) {
          StartPrepare(std::move(text), Wrap<Result<PreparedStatement>>(std::move(handler)));
        },
        token, std::string(sql));
  }

  // Runs `statement` once per parameter row (see CheckParameters in
  // client.h: rows that fail it complete with that error, unsent). The
  // rows are encoded when the operation starts: at once for a callback,
  // at the co_await for use_awaitable; afterwards the caller may reuse
  // them. (A token that defers the start must keep `statement` and `rows`
  // alive until then.)
  template <typename CompletionToken>
  auto AsyncExecute(const PreparedStatement& statement, std::span<const Row> rows,
                    CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(Response)>(
        [this, &statement, rows](auto handler) {
          StartExecute(statement, rows, Wrap<Response>(std::move(handler)));
        },
        token);
  }
  template <typename CompletionToken>
  auto AsyncExecute(const PreparedStatement& statement, const Row& row, CompletionToken&& token) {
    return AsyncExecute(statement, std::span<const Row>(&row, 1),
                        std::forward<CompletionToken>(token));
  }

  // Forgets `statement` on the server; completes with COMPLETE "CLOSE".
  template <typename CompletionToken>
  auto AsyncClose(const PreparedStatement& statement, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(Response)>(
        [this, id = statement.id](auto handler) {
          StartClose(id, Wrap<Response>(std::move(handler)));
        },
        token);
  }

  // Sends PING; completes with OK when its PONG arrives, or the error that
  // ended the connection.
  template <typename CompletionToken>
  auto AsyncPing(CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(Status)>(
        [this](auto handler) { StartPing(Wrap<Status>(std::move(handler))); }, token);
  }

  // Asks the server to stop request `payload_id`. Nothing completes for the
  // CANCEL itself; the request completes as usual, with kCancelled when it
  // was stopped. Does nothing once the connection is closed.
  void Cancel(uint64_t payload_id);

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
  // Turns an Asio handler into a callback that runs it on the handler's
  // associated executor. Handlers may be move-only (use_awaitable's is);
  // std::function needs a copyable callable, so such a handler rides in a
  // shared_ptr. A copyable one (a plain callback) is held directly, which
  // saves an allocation per request.
  // A plain callback whose executor is the client's own is called directly:
  // completions are only ever made inside the client's I/O handlers, which
  // run on that executor, where dispatch would call it at once anyway.
  // The result is passed by rvalue reference, so a handler that takes a
  // `const Response&` reads the client's own copy and nothing is moved.
  template <typename Arg>
  using Completion = std::function<void(Arg&&)>;
  template <typename Arg, typename Handler>
  Completion<Arg> Wrap(Handler handler) {
    auto executor = boost::asio::get_associated_executor(handler, executor_);
    if constexpr (std::is_copy_constructible_v<Handler> &&
                  std::is_same_v<decltype(executor), Executor>) {
      if (executor == executor_) return Completion<Arg>(std::move(handler));
    }
    if constexpr (std::is_copy_constructible_v<Handler>) {
      return [handler = std::move(handler), executor](Arg&& arg) mutable {
        boost::asio::dispatch(executor, [h = std::move(handler), a = std::move(arg)]() mutable {
          h(std::move(a));
        });
      };
    } else {
      auto shared = std::make_shared<Handler>(std::move(handler));
      return [shared, executor](Arg&& arg) mutable {
        boost::asio::dispatch(executor,
                              [shared, a = std::move(arg)]() mutable { (*shared)(std::move(a)); });
      };
    }
  }

  void StartQuery(std::string sql, Completion<Response> done);
  void StartPrepare(std::string sql, Completion<Result<PreparedStatement>> done);
  void StartExecute(const PreparedStatement& statement, std::span<const Row> rows,
                    Completion<Response> done);
  void StartClose(uint64_t statement_id, Completion<Response> done);
  void StartPing(Completion<Status> done);
  // Registers `done` under the next payload id and returns it; the caller
  // then queues the request's frame. When `refused` is not OK, or the
  // connection takes no more requests, completes `done` (posted) with the
  // reason and returns 0.
  uint64_t BeginRequest(Status refused, Completion<Response>& done);

  Executor executor_;
  std::shared_ptr<State> state_;
};

}  // namespace kopf::protocol
