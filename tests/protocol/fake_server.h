// FakeServer: a scripted one-connection kopf server on 127.0.0.1 (a thread
// with a blocking socket), so the client libraries' handshake, response
// assembly, pipelining and failure paths are tested without kopfd. Shared
// by client_test.cc, async_client_test.cc and prepared_client_test.cc.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <doctest/doctest.h>

#include "protocol/client.h"
#include "protocol/frame_decoder.h"
#include "protocol/frame_encoder.h"
#include "protocol/message.h"

namespace kopf::protocol::testing {

namespace asio = boost::asio;
using asio::ip::tcp;

// One connection's worth of server behaviour, run on its own thread.
class FakeServer {
 public:
  using Script = std::function<void(FakeServer&)>;

  explicit FakeServer(Script script)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        socket_(io_),
        thread_([this, script = std::move(script)] {
          boost::system::error_code ec;
          acceptor_.accept(socket_, ec);
          if (ec) return;
          // A failed REQUIRE throws; it is recorded by doctest, and must not
          // escape the thread. The connection then closes, so the client
          // under test sees it end instead of waiting for an answer.
          try {
            script(*this);
          } catch (...) {
            Close();
          }
        }) {}

  ~FakeServer() {
    thread_.join();
    boost::system::error_code ec;
    socket_.close(ec);
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // Reads one frame; fails the test on a bad frame or EOF.
  Envelope Read() {
    for (;;) {
      auto next = decoder_.Next();
      REQUIRE(next.ok());
      if (next->has_value()) return std::move(**next);
      std::array<char, 4096> buf;
      boost::system::error_code ec;
      size_t n = socket_.read_some(asio::buffer(buf), ec);
      REQUIRE_FALSE(ec);
      decoder_.Append(std::string_view(buf.data(), n));
    }
  }

  // Reads from the socket once and returns the frames that one read
  // completed: what the client sent in one piece arrives in one read on
  // loopback. REQUIRES: no frame is buffered from an earlier read.
  std::vector<Envelope> ReadOnce() {
    std::array<char, 64 * 1024> buf;
    boost::system::error_code ec;
    size_t n = socket_.read_some(asio::buffer(buf), ec);
    REQUIRE_FALSE(ec);
    decoder_.Append(std::string_view(buf.data(), n));
    std::vector<Envelope> frames;
    for (;;) {
      auto next = decoder_.Next();
      REQUIRE(next.ok());
      if (!next->has_value()) return frames;
      frames.push_back(std::move(**next));
    }
  }

  void Write(const Envelope& envelope) {
    std::string frame;
    EncodeFrame(envelope, &frame);
    WriteRaw(frame);
  }

  void WriteRaw(const std::string& bytes) {
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
  }

  // Answers HELLO with WELCOME for client id `id`.
  void Accept(uint32_t id) {
    Envelope hello = Read();
    CHECK(std::holds_alternative<Hello>(hello.message));
    CHECK(hello.client_id == 0);
    CHECK(hello.payload_id == 0);
    Write({id, 0, Welcome{id, 1, 0, "fake 1.0"}});
  }

  void Close() {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  tcp::socket socket_;
  FrameDecoder decoder_;
  std::thread thread_;
};

// A blocking Client connected to `port` on 127.0.0.1; fails the test when
// it cannot connect.
inline std::unique_ptr<Client> MustConnect(uint16_t port) {
  auto client = Client::Connect("127.0.0.1", port);
  REQUIRE_MESSAGE(client.ok(), client.status().ToString());
  return std::move(client).value();
}

}  // namespace kopf::protocol::testing
