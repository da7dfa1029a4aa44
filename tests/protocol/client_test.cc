// The client library against a scripted fake server on 127.0.0.1 (a thread
// with a blocking socket), so the handshake, response assembly, pipelining
// and failure paths are tested without kopfd.
#include "protocol/client.h"

#include <array>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <doctest/doctest.h>

#include "protocol/auth.h"
#include "protocol/frame_decoder.h"
#include "protocol/frame_encoder.h"
#include "protocol/message.h"
#include "tests/protocol/fake_server.h"

namespace kopf::protocol {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

using testing::FakeServer;
using testing::MustConnect;

TEST_SUITE("protocol/client") {
  TEST_CASE("connecting to a closed port fails with IoError naming the address") {
    uint16_t port;
    {
      asio::io_context io;
      tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      port = a.local_endpoint().port();
    }
    auto client = Client::Connect("127.0.0.1", port);
    REQUIRE_FALSE(client.ok());
    CHECK(client.status().code() == ErrorCode::kIoError);
    CHECK(client.status().message() ==
          "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
  }

  TEST_CASE("the handshake learns the client id and server version") {
    FakeServer server([](FakeServer& s) { s.Accept(42); });
    auto client = MustConnect(server.port());
    CHECK(client->client_id() == 42);
    CHECK(client->server_version() == "fake 1.0");
  }

  TEST_CASE("a client with credentials refuses a server that cannot prove it knows them") {
    // The fake server plays SCRAM honestly up to AUTH_OK, whose signature
    // it cannot compute without the user's keys: it is an impostor.
    FakeServer server([](FakeServer& s) {
      Envelope hello = s.Read();
      const auto& h = std::get<Hello>(hello.message);
      CHECK(h.user == "alice");
      auto first = scram::ParseClientFirst(h.scram_first);
      REQUIRE(first.ok());
      s.Write({0, 0,
               AuthChallenge{"SCRAM-SHA-256", "r=" + first->nonce + "impostor,s=c2FsdA==,i=4096"}});
      Envelope response = s.Read();
      CHECK(std::holds_alternative<AuthResponse>(response.message));
      s.Write({0, 0, AuthOk{"v=" + scram::Base64Encode(std::string(32, 'x'))}});
      s.Write({7, 0, Welcome{7, 1, 1, "impostor"}});
    });
    ClientOptions options;
    options.user = "alice";
    options.password = "secret";
    auto client = Client::Connect("127.0.0.1", server.port(), options);
    REQUIRE_FALSE(client.ok());
    CHECK(client.status().code() == ErrorCode::kAuthenticationFailed);
    CHECK(client.status().message().find("does not know this user's password") !=
          std::string::npos);
  }

  TEST_CASE("a client without credentials refuses an AUTH_CHALLENGE") {
    FakeServer server([](FakeServer& s) {
      (void)s.Read();
      s.Write({0, 0, AuthChallenge{"SCRAM-SHA-256", "r=x,s=c2FsdA==,i=4096"}});
    });
    auto client = Client::Connect("127.0.0.1", server.port());
    CHECK(client.status().code() == ErrorCode::kProtocolViolation);
    CHECK(client.status().message() == "AUTH_CHALLENGE to a HELLO without a user");
  }

  TEST_CASE("an ERROR answering HELLO becomes the status of Connect") {
    FakeServer server([](FakeServer& s) {
      (void)s.Read();
      s.Write({0, 0, ErrorMessage{ErrorCode::kProtocolViolation, -1, "unsupported major 1"}});
      s.Close();
    });
    auto client = Client::Connect("127.0.0.1", server.port());
    REQUIRE_FALSE(client.ok());
    CHECK(client.status().code() == ErrorCode::kProtocolViolation);
    CHECK(client.status().message() == "unsupported major 1");
  }

  TEST_CASE("Query returns columns, rows from every batch, tag and count") {
    FakeServer server([](FakeServer& s) {
      s.Accept(1);
      Envelope q = s.Read();
      CHECK(q.payload_id == 1);
      CHECK(std::get<Query>(q.message).sql == "SELECT a FROM t");
      s.Write({1, 1, RowDescription{{{"a", Type::kInteger}}}});
      s.Write({1, 1, RowBatch{{{Value::Integer(1)}, {Value::Null()}}}});
      s.Write({1, 1, RowBatch{{{Value::Integer(3)}}}});
      s.Write({1, 1, Complete{"SELECT", 3}});
      Envelope q2 = s.Read();
      CHECK(q2.payload_id == 2);
      s.Write({1, 2, Complete{"INSERT", 1}});
    });
    auto client = MustConnect(server.port());
    auto r = client->Query("SELECT a FROM t");
    REQUIRE(r.ok());
    CHECK(r->columns == std::vector<ColumnInfo>{{"a", Type::kInteger}});
    REQUIRE(r->rows.size() == 3);
    CHECK(r->rows[2][0] == Value::Integer(3));
    CHECK(r->tag == "SELECT");
    CHECK(r->count == 3);
    auto w = client->Query("INSERT INTO t VALUES (4)");
    REQUIRE(w.ok());
    CHECK(w->columns.empty());
    CHECK(w->tag == "INSERT");
  }

  TEST_CASE("Query maps a server ERROR to code, message and position") {
    FakeServer server([](FakeServer& s) {
      s.Accept(1);
      (void)s.Read();
      s.Write({1, 1, RowDescription{{{"a", Type::kInteger}}}});
      s.Write({1, 1, ErrorMessage{ErrorCode::kSyntaxError, 7, "syntax error at or near \"x\""}});
      (void)s.Read();
      s.Write({1, 2, Complete{"SELECT", 0}});
    });
    auto client = MustConnect(server.port());
    auto r = client->Query("SELECT x x");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kSyntaxError);
    CHECK(r.status().position() == 7);
    CHECK(r.status().message() == "syntax error at or near \"x\"");
    CHECK(client->Query("SELECT 1").ok());  // the connection is still usable
  }

  TEST_CASE("Query after Send keeps the other responses for Receive in arrival order") {
    FakeServer server([](FakeServer& s) {
      s.Accept(9);
      for (int i = 0; i < 3; ++i) (void)s.Read();
      s.Write({9, 3, Complete{"C", 3}});
      s.Write({9, 1, ErrorMessage{ErrorCode::kBusy, -1, "busy"}});
      s.Write({9, 2, Complete{"B", 2}});
    });
    auto client = MustConnect(server.port());
    CHECK(*client->Send("a") == 1);
    CHECK(*client->Send("b") == 2);
    auto c = client->Query("c");
    REQUIRE(c.ok());
    CHECK(c->tag == "C");
    auto first = client->Receive();
    REQUIRE(first.ok());
    CHECK(first->payload_id == 1);
    CHECK(first->status.code() == ErrorCode::kBusy);
    auto second = client->Receive();
    REQUIRE(second.ok());
    CHECK(second->payload_id == 2);
    CHECK(second->result.tag == "B");
    auto none = client->Receive();
    CHECK(none.status().code() == ErrorCode::kInvalidValue);
  }

  TEST_CASE("a response interleaved with another is a protocol violation that sticks") {
    FakeServer server([](FakeServer& s) {
      s.Accept(1);
      (void)s.Read();
      (void)s.Read();
      s.Write({1, 1, RowDescription{{{"a", Type::kInteger}}}});
      s.Write({1, 2, Complete{"X", 0}});
    });
    auto client = MustConnect(server.port());
    REQUIRE(client->Send("a").ok());
    REQUIRE(client->Send("b").ok());
    auto r = client->Receive();
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kProtocolViolation);
    CHECK(r.status().message().find("interleaved") != std::string::npos);
    CHECK(client->Query("SELECT 1").status().message() == r.status().message());
  }

  TEST_CASE("a batch wider than its description, or an unknown payload, is a violation") {
    SUBCASE("wide batch") {
      FakeServer server([](FakeServer& s) {
        s.Accept(1);
        (void)s.Read();
        s.Write({1, 1, RowDescription{{{"a", Type::kInteger}}}});
        s.Write({1, 1, RowBatch{{{Value::Integer(1), Value::Integer(2)}}}});
      });
      auto client = MustConnect(server.port());
      CHECK(client->Query("q").status().code() == ErrorCode::kProtocolViolation);
    }
    SUBCASE("unknown payload") {
      FakeServer server([](FakeServer& s) {
        s.Accept(1);
        (void)s.Read();
        s.Write({1, 5, Complete{"X", 0}});
      });
      auto client = MustConnect(server.port());
      auto r = client->Query("q");
      CHECK(r.status().message().find("answers no outstanding request") != std::string::npos);
    }
  }

  TEST_CASE("the server closing the connection ends every later call") {
    FakeServer server([](FakeServer& s) {
      s.Accept(1);
      (void)s.Read();
      s.Close();
    });
    auto client = MustConnect(server.port());
    auto r = client->Query("SELECT 1");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kProtocolViolation);
    CHECK(r.status().message().find("connection to the server lost") != std::string::npos);
    CHECK(client->Send("x").status().code() == ErrorCode::kProtocolViolation);
  }

  TEST_CASE("a garbage frame from the server is a protocol violation") {
    FakeServer server([](FakeServer& s) {
      s.Accept(1);
      (void)s.Read();
      s.WriteRaw(std::string("\x10\x00\x00\x00\x07", 5) + std::string(15, '\0'));
    });
    auto client = MustConnect(server.port());
    auto r = client->Query("q");
    CHECK(r.status().message() == "server sent a bad frame: unsupported protocol version 7");
  }

  TEST_CASE("statements that are not UTF-8 are refused before sending") {
    FakeServer server([](FakeServer& s) { s.Accept(1); });
    auto client = MustConnect(server.port());
    CHECK(client->Send("SELECT '\xff'").status().code() == ErrorCode::kInvalidValue);
  }

  TEST_CASE("pipelining many requests does not deadlock against a server that stops reading") {
    // The fake server answers each query with ~64 KiB before reading the
    // next, so its writes block while the client is still sending; the
    // client must read while it writes.
    constexpr int kQueries = 1000;
    FakeServer server([](FakeServer& s) {
      s.Accept(1);
      std::vector<Row> rows(64, Row{Value::Text(std::string(1000, 'r'))});
      for (int i = 1; i <= kQueries; ++i) {
        Envelope q = s.Read();
        s.Write({1, q.payload_id, RowDescription{{{"r", Type::kText}}}});
        s.Write({1, q.payload_id, RowBatch{rows}});
        s.Write({1, q.payload_id, Complete{"SELECT", rows.size()}});
      }
    });
    auto client = MustConnect(server.port());
    std::string padding(16000, ' ');
    for (int i = 1; i <= kQueries; ++i) {
      auto id = client->Send("SELECT r FROM t" + padding);
      REQUIRE(id.ok());
    }
    for (int i = 1; i <= kQueries; ++i) {
      auto r = client->Receive();
      REQUIRE(r.ok());
      CHECK(r->payload_id == static_cast<uint64_t>(i));
      CHECK(r->result.rows.size() == 64);
    }
  }
}

}  // namespace
}  // namespace kopf::protocol
