// Prepared statements, PING and CANCEL in both client libraries against the
// scripted fake server: the frames each call sends, the response grammar of
// protocol 1.1 (STATEMENT_DESCRIPTION, ERROR after ROW_BATCHes, PONG) and
// parameters refused before anything is sent.
#include <map>
#include <string>
#include <utility>  // before Asio: Boost 1.74 needs it for C++20 coroutines
#include <vector>

#include <boost/asio.hpp>
#include <doctest/doctest.h>

#include "protocol/async_client.h"
#include "protocol/client.h"
#include "tests/protocol/fake_server.h"

namespace kopf::protocol {
namespace {

namespace asio = boost::asio;
using testing::FakeServer;
using testing::MustConnect;

constexpr uint32_t kId = 5;

// The description of `SELECT name FROM t WHERE id = $1 AND score > $2`.
StatementDescription PointRead(uint64_t id) {
  return StatementDescription{id, {Type::kInteger, Type::kDouble}, {{"name", Type::kText}}};
}

TEST_SUITE("protocol/prepared_client") {
  TEST_CASE("Prepare, Execute of a batch and Close send their frames and read their answers") {
    FakeServer server([](FakeServer& s) {
      s.Accept(kId);
      Envelope prepare = s.Read();
      REQUIRE(std::holds_alternative<Prepare>(prepare.message));
      CHECK(std::get<Prepare>(prepare.message).sql == "SELECT name FROM t WHERE id = $1");
      CHECK(prepare.payload_id == 1);
      s.Write({kId, 1, PointRead(1)});
      Envelope execute = s.Read();
      REQUIRE(std::holds_alternative<Execute>(execute.message));
      const Execute& e = std::get<Execute>(execute.message);
      CHECK(execute.payload_id == 2);
      CHECK(e.statement_id == 1);
      CHECK(e.parameter_count == 2);
      // An INTEGER for the DOUBLE parameter and a NULL both pass the check.
      CHECK(e.rows == std::vector<Row>{{Value::Integer(1), Value::Double(0.5)},
                                       {Value::Integer(2), Value::Integer(3)},
                                       {Value::Null(), Value::Null()}});
      s.Write({kId, 2, RowDescription{{{"name", Type::kText}}}});
      s.Write({kId, 2, RowBatch{{{Value::Text("ada")}, {Value::Text("bob")}}}});
      s.Write({kId, 2, Complete{"SELECT", 2}});
      Envelope close = s.Read();
      REQUIRE(std::holds_alternative<CloseStatement>(close.message));
      CHECK(std::get<CloseStatement>(close.message).statement_id == 1);
      s.Write({kId, 3, Complete{"CLOSE", 0}});
      (void)s.Read();  // GOODBYE
    });
    auto client = MustConnect(server.port());
    auto statement = client->Prepare("SELECT name FROM t WHERE id = $1");
    REQUIRE_MESSAGE(statement.ok(), statement.status().ToString());
    CHECK(statement->id == 1);
    CHECK(statement->described);
    CHECK(statement->parameter_types == std::vector<Type>{Type::kInteger, Type::kDouble});
    REQUIRE(statement->columns.size() == 1);
    CHECK(statement->columns[0].name == "name");
    std::vector<Row> rows{{Value::Integer(1), Value::Double(0.5)},
                          {Value::Integer(2), Value::Integer(3)},
                          {Value::Null(), Value::Null()}};
    auto result = client->Execute(*statement, rows);
    REQUIRE_MESSAGE(result.ok(), result.status().ToString());
    CHECK(result->count == 2);
    REQUIRE(result->rows.size() == 2);
    CHECK(result->row(1).get<std::string>(0).value() == "bob");
    CHECK(client->Close(*statement).ok());
  }

  TEST_CASE("wrong parameters are refused before sending, naming the parameter and the row") {
    FakeServer server([](FakeServer& s) {
      s.Accept(kId);
      (void)s.Read();
      s.Write({kId, 1, PointRead(1)});
      // The next frame is the PING: none of the refused EXECUTEs went out.
      Envelope ping = s.Read();
      CHECK(std::holds_alternative<Ping>(ping.message));
      s.Write({kId, ping.payload_id, Pong{}});
      (void)s.Read();  // GOODBYE
    });
    auto client = MustConnect(server.port());
    auto statement = client->Prepare("SELECT name FROM t WHERE id = $1 AND score > $2");
    REQUIRE(statement.ok());
    std::vector<Row> short_row{{Value::Integer(1), Value::Double(1)}, {Value::Integer(1)}};
    auto result = client->Execute(*statement, short_row);
    CHECK(result.status().code() == ErrorCode::kInvalidValue);
    CHECK(result.status().message() == "row 2 has 1 values, the statement takes 2 parameters");
    result = client->Execute(*statement, Row{Value::Integer(1), Value::Text("x")});
    CHECK(result.status().code() == ErrorCode::kTypeMismatch);
    CHECK(result.status().message() ==
          "parameter $2 of row 1 is TEXT, the statement expects DOUBLE");
    result = client->Execute(*statement, std::span<const Row>());
    CHECK(result.status().code() == ErrorCode::kInvalidValue);
    CHECK(client->Ping().ok());
  }

  TEST_CASE("an ERROR after ROW_BATCHes is the response and the rows are dropped") {
    FakeServer server([](FakeServer& s) {
      s.Accept(kId);
      (void)s.Read();
      s.Write({kId, 1, RowDescription{{{"v", Type::kInteger}}}});
      s.Write({kId, 1, RowBatch{{{Value::Integer(1)}}}});
      s.Write({kId, 1, ErrorMessage{ErrorCode::kCancelled, -1, "statement cancelled"}});
      (void)s.Read();
      s.Write({kId, 2, Complete{"SELECT", 0}});
      (void)s.Read();  // GOODBYE
    });
    auto client = MustConnect(server.port());
    auto result = client->Query("SELECT v FROM big");
    CHECK(result.status().code() == ErrorCode::kCancelled);
    CHECK(client->Query("SELECT 1").ok());  // the connection goes on
  }

  TEST_CASE("a PONG inside a response, or for no PING, breaks the connection") {
    bool inside = true;
    SUBCASE("inside a response") { inside = true; }
    SUBCASE("for no PING") { inside = false; }
    FakeServer server([inside](FakeServer& s) {
      s.Accept(kId);
      (void)s.Read();
      if (inside) {
        s.Write({kId, 1, RowDescription{{{"v", Type::kInteger}}}});
        s.Write({kId, 1, Pong{}});
      } else {
        s.Write({kId, 77, Pong{}});
      }
    });
    auto client = MustConnect(server.port());
    auto result = client->Query("SELECT 1");
    CHECK(result.status().code() == ErrorCode::kProtocolViolation);
    CHECK(result.status().message().find(inside
                                             ? "PONG 5-1 inside the response to payload 1"
                                             : "PONG 5-77 answers no PING") != std::string::npos);
  }

  TEST_CASE("the async client pipelines EXECUTE behind PREPARE, pings and cancels") {
    FakeServer server([](FakeServer& s) {
      s.Accept(kId);
      std::vector<Envelope> frames;
      for (int i = 0; i < 4; ++i) frames.push_back(s.Read());
      CHECK(std::holds_alternative<Prepare>(frames[0].message));
      REQUIRE(std::holds_alternative<Execute>(frames[1].message));
      CHECK(std::get<Execute>(frames[1].message).statement_id == 1);
      CHECK(std::holds_alternative<Ping>(frames[2].message));
      CHECK(std::holds_alternative<Cancel>(frames[3].message));
      CHECK(frames[3].payload_id == 2);
      s.Write({kId, frames[2].payload_id, Pong{}});
      s.Write({kId, 1, PointRead(1)});
      s.Write({kId, 2, ErrorMessage{ErrorCode::kCancelled, -1, "statement cancelled"}});
      Envelope close = s.Read();
      CHECK(std::holds_alternative<CloseStatement>(close.message));
      s.Write({kId, close.payload_id, Complete{"CLOSE", 0}});
      (void)s.Read();  // GOODBYE
      s.Write({kId, 0, Goodbye{}});
    });
    asio::io_context io;
    auto connected = AsyncClient::Connect(io.get_executor(), "127.0.0.1", server.port());
    REQUIRE(connected.ok());
    auto client = *connected;
    std::vector<std::string> events;
    Result<PreparedStatement> prepared = Status::Internal("not completed");
    client->AsyncPrepare("SELECT name FROM t WHERE id = $1 AND score > $2",
                         [&](Result<PreparedStatement> r) {
                           events.push_back("prepared");
                           prepared = std::move(r);
                         });
    PreparedStatement pending = PreparedStatement::Pending(client->last_payload_id());
    Row row{Value::Integer(7), Value::Double(1)};
    Response executed;
    client->AsyncExecute(pending, row, [&](Response r) {
      events.push_back("executed");
      executed = std::move(r);
      client->AsyncClose(*prepared, [&](Response c) {
        events.push_back("closed " + c.result.tag);
        client->Close();
      });
    });
    uint64_t execute_id = client->last_payload_id();
    client->AsyncPing([&](Status s) { events.push_back(s.ok() ? "pong" : s.ToString()); });
    client->Cancel(execute_id);
    io.run();
    CHECK(events == std::vector<std::string>{"pong", "prepared", "executed", "closed CLOSE"});
    REQUIRE(prepared.ok());
    CHECK(prepared->parameter_types.size() == 2);
    CHECK(executed.status.code() == ErrorCode::kCancelled);
  }

  TEST_CASE("async wrong parameters complete with the error, and a lost connection fails pings") {
    FakeServer server([](FakeServer& s) {
      s.Accept(kId);
      CHECK(std::holds_alternative<Ping>(s.Read().message));
      s.Close();
    });
    asio::io_context io;
    auto client = *AsyncClient::Connect(io.get_executor(), "127.0.0.1", server.port());
    PreparedStatement statement{9, true, {Type::kInteger}, {}};
    Status execute_status, ping_status;
    client->AsyncExecute(statement, Row{Value::Boolean(true)},
                         [&](Response r) { execute_status = r.status; });
    client->AsyncPing([&](Status s) { ping_status = s; });
    io.run();
    CHECK(execute_status.code() == ErrorCode::kTypeMismatch);
    CHECK(execute_status.message() ==
          "parameter $1 of row 1 is BOOLEAN, the statement expects INTEGER");
    CHECK(ping_status.code() == ErrorCode::kProtocolViolation);
  }
}

}  // namespace
}  // namespace kopf::protocol
