// The asynchronous client against the scripted fake server: replies in any
// order reach the request they answer, coroutines and callbacks both
// complete, a lost connection completes everything in flight, and Close()
// lets every sent request be answered first.
#include "protocol/async_client.h"

#include <map>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <doctest/doctest.h>

#include "tests/protocol/fake_server.h"

namespace kopf::protocol {
namespace {

namespace asio = boost::asio;
using testing::FakeServer;

std::shared_ptr<AsyncClient> MustConnect(asio::io_context& io, uint16_t port) {
  auto client = AsyncClient::Connect(io.get_executor(), "127.0.0.1", port);
  REQUIRE_MESSAGE(client.ok(), client.status().ToString());
  return *client;
}

// Answers QUERY `payload_id` with a one-row, one-column result `value`.
void AnswerRow(FakeServer& s, uint32_t client_id, uint64_t payload_id, int64_t value) {
  s.Write({client_id, payload_id, RowDescription{{{"v", Type::kInteger}}}});
  s.Write({client_id, payload_id, RowBatch{{{Value::Integer(value)}}}});
  s.Write({client_id, payload_id, Complete{"SELECT", 1}});
}

TEST_SUITE("protocol/async_client") {
  TEST_CASE("replies arriving in reverse order complete the request they answer") {
    FakeServer server([](FakeServer& s) {
      s.Accept(7);
      std::vector<std::string> sql;
      for (int i = 0; i < 3; ++i) sql.push_back(std::get<Query>(s.Read().message).sql);
      CHECK(sql == std::vector<std::string>{"q1", "q2", "q3"});
      AnswerRow(s, 7, 3, 30);
      s.Write({7, 2, ErrorMessage{ErrorCode::kUndefinedTable, 14, "table \"t\" does not exist"}});
      AnswerRow(s, 7, 1, 10);
      (void)s.Read();  // the client's GOODBYE
      s.Write({7, 0, Goodbye{}});
    });
    asio::io_context io;
    auto client = MustConnect(io, server.port());
    CHECK(client->client_id() == 7);
    std::map<uint64_t, Response> replies;
    std::vector<uint64_t> arrival;
    for (const char* sql : {"q1", "q2", "q3"}) {
      client->AsyncQuery(sql, [&](Response r) {
        arrival.push_back(r.payload_id);
        replies[r.payload_id] = std::move(r);
      });
    }
    CHECK(client->last_payload_id() == 3);
    CHECK(client->in_flight() == 3);
    client->Close();
    io.run();
    CHECK(arrival == std::vector<uint64_t>{3, 2, 1});
    CHECK(*replies[1].result.row(0).get<int64_t>(0) == 10);
    CHECK(*replies[3].result.row(0).get<int64_t>("v") == 30);
    CHECK(replies[2].status.code() == ErrorCode::kUndefinedTable);
    CHECK(replies[2].status.position() == 14);
    CHECK(client->in_flight() == 0);
  }

  TEST_CASE("a loop of requests and the requests one read's handlers make each go out in one write") {
    FakeServer server([](FakeServer& s) {
      s.Accept(1);
      // The four queries issued before io.run(): one write.
      std::vector<Envelope> first = s.ReadOnce();
      REQUIRE(first.size() == 4);
      // All four answers in one piece: the client reads them at once, and
      // the follow-ups their handlers make go out together afterwards.
      std::string answers;
      for (uint64_t id = 1; id <= 4; ++id) {
        EncodeFrame({1, id, RowDescription{{{"v", Type::kInteger}}}}, &answers);
        EncodeFrame({1, id, RowBatch{{{Value::Integer(static_cast<int64_t>(id))}}}}, &answers);
        EncodeFrame({1, id, Complete{"SELECT", 1}}, &answers);
      }
      s.WriteRaw(answers);
      std::vector<Envelope> second = s.ReadOnce();
      REQUIRE(second.size() == 4);
      for (size_t i = 0; i < 4; ++i) {
        CHECK(second[i].payload_id == 5 + i);
        CHECK(std::get<Query>(second[i].message).sql == "next " + std::to_string(i + 1));
        AnswerRow(s, 1, 5 + i, 50 + static_cast<int64_t>(i));
      }
      (void)s.Read();  // the client's GOODBYE
      s.Write({1, 0, Goodbye{}});
    });
    asio::io_context io;
    auto client = MustConnect(io, server.port());
    std::vector<int64_t> follow_ups;
    for (int i = 0; i < 4; ++i) {
      client->AsyncQuery("first", [&](Response r) {
        REQUIRE(r.status.ok());
        client->AsyncQuery("next " + std::to_string(r.payload_id), [&](Response r2) {
          REQUIRE(r2.status.ok());
          follow_ups.push_back(*r2.result.row(0).get<int64_t>(0));
          if (follow_ups.size() == 4) client->Close();
        });
      });
    }
    io.run();
    CHECK(follow_ups == std::vector<int64_t>{50, 51, 52, 53});
  }

  TEST_CASE("a coroutine awaits its answer with use_awaitable") {
    FakeServer server([](FakeServer& s) {
      s.Accept(1);
      (void)s.Read();
      AnswerRow(s, 1, 1, 42);
      (void)s.Read();
      s.Write({1, 0, Goodbye{}});
    });
    asio::io_context io;
    auto client = MustConnect(io, server.port());
    int64_t got = 0;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          Response r = co_await client->AsyncQuery("SELECT 42", asio::use_awaitable);
          got = *r.result.row(0).get<int64_t>(0);
          client->Close();
        },
        asio::detached);
    io.run();
    CHECK(got == 42);
  }

  TEST_CASE("a lost connection completes every request in flight and every later one") {
    FakeServer server([](FakeServer& s) {
      s.Accept(1);
      (void)s.Read();
      (void)s.Read();
      AnswerRow(s, 1, 2, 2);
      s.Close();
    });
    asio::io_context io;
    auto client = MustConnect(io, server.port());
    std::vector<Response> replies;
    auto keep = [&](Response r) { replies.push_back(std::move(r)); };
    client->AsyncQuery("a", keep);
    client->AsyncQuery("b", keep);
    io.run();
    REQUIRE(replies.size() == 2);
    CHECK(replies[0].payload_id == 2);
    CHECK(replies[0].status.ok());
    CHECK(replies[1].payload_id == 1);
    CHECK(replies[1].status.code() == ErrorCode::kProtocolViolation);
    CHECK(replies[1].status.message().find("connection to the server lost") != std::string::npos);

    io.restart();
    client->AsyncQuery("c", keep);
    CHECK(replies.size() == 2);  // completes through the executor, never inline
    io.run();
    REQUIRE(replies.size() == 3);
    CHECK(replies[2].status.code() == ErrorCode::kProtocolViolation);
  }

  TEST_CASE("a statement that is not UTF-8 completes with InvalidValue and is not sent") {
    FakeServer server([](FakeServer& s) {
      s.Accept(1);
      auto next = s.Read();
      CHECK(std::holds_alternative<Goodbye>(next.message));  // nothing before it
      s.Write({1, 0, Goodbye{}});
    });
    asio::io_context io;
    auto client = MustConnect(io, server.port());
    Status status;
    client->AsyncQuery("SELECT '\xff'", [&](Response r) { status = r.status; });
    client->Close();
    io.run();
    CHECK(status.code() == ErrorCode::kInvalidValue);
    CHECK(status.message() == "statement is not valid UTF-8");
  }
}

}  // namespace
}  // namespace kopf::protocol
