// The client libraries' prepared statements, PING and CANCEL against the
// real kopfd: typed parameters, a 10,000-row batch INSERT in one frame,
// errors from the client and from the server, and cancelling a long query
// from the async client.
#include <string>
#include <utility>  // before Asio: Boost 1.74 needs it for C++20 coroutines
#include <vector>

#include <boost/asio.hpp>
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "protocol/async_client.h"
#include "protocol/client.h"
#include "tests/support/test_support.h"

namespace kopf {
namespace {

using protocol::ErrorCode;
using protocol::PreparedStatement;
using protocol::Row;
using protocol::Type;
using protocol::Value;
using testing::ServerProcess;
using testing::TempDir;

// A fresh kopfd with t(id INT PRIMARY KEY, name TEXT, score DOUBLE) and a
// blocking client connected to it.
struct Fixture {
  TempDir dir;
  std::unique_ptr<ServerProcess> server = ServerProcess::Start(dir.path() / "data");
  std::unique_ptr<protocol::Client> client = Connect();

  std::unique_ptr<protocol::Client> Connect() {
    auto c = protocol::Client::Connect("127.0.0.1", server->port());
    REQUIRE_MESSAGE(c.ok(), c.status().ToString());
    auto q = (*c)->Query("CREATE TABLE t (id INT PRIMARY KEY, name TEXT, score DOUBLE)");
    if (!q.ok()) REQUIRE(q.status().code() == ErrorCode::kDuplicateTable);
    return std::move(c).value();
  }

  int64_t Count() {
    auto r = client->Query("SELECT count(*) FROM t");
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return r->row(0).get<int64_t>(0).value();
  }
};

TEST_SUITE("e2e/client_prepared") {
  TEST_CASE("a batch of 10000 rows goes in with one EXECUTE and prepared reads find them") {
    Fixture f;
    auto insert = f.client->Prepare("INSERT INTO t VALUES ($1, $2, $3)");
    REQUIRE_MESSAGE(insert.ok(), insert.status().ToString());
    CHECK(insert->parameter_types == std::vector<Type>{Type::kInteger, Type::kText, Type::kDouble});
    CHECK(insert->columns.empty());
    std::vector<Row> rows;
    for (int64_t id = 1; id <= 10000; ++id) {
      // INTEGER for the DOUBLE column is accepted on both sides.
      rows.push_back({Value::Integer(id), Value::Text(fmt::format("n{}", id)),
                      id % 2 ? Value::Integer(id) : Value::Double(id + 0.5)});
    }
    auto inserted = f.client->Execute(*insert, rows);
    REQUIRE_MESSAGE(inserted.ok(), inserted.status().ToString());
    CHECK(inserted->tag == "INSERT");
    CHECK(inserted->count == 10000);
    CHECK(f.Count() == 10000);

    auto read = f.client->Prepare("SELECT name, score FROM t WHERE id = $1");
    REQUIRE(read.ok());
    CHECK(read->columns.size() == 2);
    auto one = f.client->Execute(*read, Row{Value::Integer(4242)});
    REQUIRE(one.ok());
    REQUIRE(one->rows.size() == 1);
    CHECK(one->row(0).get<std::string>("name").value() == "n4242");
    CHECK(one->row(0).get<double>("score").value() == 4242.5);
    // Several parameter rows of a SELECT: one answer with the rows of each run.
    auto many =
        f.client->Execute(*read, std::vector<Row>{{Value::Integer(3)}, {Value::Integer(9)}});
    REQUIRE(many.ok());
    REQUIRE(many->rows.size() == 2);
    CHECK(many->row(1).get<std::string>(0).value() == "n9");
    CHECK(f.client->Close(*read).ok());

    // A duplicate key anywhere in a batch inserts none of it.
    std::vector<Row> clash{{Value::Integer(20001), Value::Text("a"), Value::Null()},
                           {Value::Integer(5), Value::Text("b"), Value::Null()}};
    auto failed = f.client->Execute(*insert, clash);
    CHECK(failed.status().code() == ErrorCode::kDuplicateKey);
    CHECK(f.Count() == 10000);
  }

  TEST_CASE("wrong parameters and unknown statements get clear errors and the connection goes on") {
    Fixture f;
    auto read = f.client->Prepare("SELECT name FROM t WHERE id = $1");
    REQUIRE(read.ok());
    // Refused by the client: nothing is sent.
    auto wrong = f.client->Execute(*read, Row{Value::Text("1")});
    CHECK(wrong.status().code() == ErrorCode::kTypeMismatch);
    CHECK(wrong.status().message() ==
          "parameter $1 of row 1 is TEXT, the statement expects INTEGER");
    // A handle without a description is checked by the server instead.
    auto unchecked = f.client->Execute(PreparedStatement::Pending(read->id), Row{Value::Text("1")});
    CHECK(unchecked.status().code() == ErrorCode::kTypeMismatch);
    auto unknown = f.client->Execute(PreparedStatement::Pending(999), Row{Value::Integer(1)});
    CHECK(unknown.status().code() == ErrorCode::kUndefinedStatement);
    // A statement that cannot be prepared: the server's error and position.
    auto bad = f.client->Prepare("SELECT nope FROM t WHERE id = $1");
    CHECK(bad.status().code() == ErrorCode::kUndefinedColumn);
    CHECK(bad.status().position() == 7);
    // Closed statements are unknown afterwards.
    REQUIRE(f.client->Close(*read).ok());
    auto closed = f.client->Execute(*read, Row{Value::Integer(1)});
    CHECK(closed.status().code() == ErrorCode::kUndefinedStatement);
    CHECK(f.client->Ping().ok());
    CHECK(f.Count() == 0);
  }

  TEST_CASE("a PREPARE whose description cannot be sent names a failed statement") {
    Fixture f;
    // 65,536 columns prepare well, but a description carries at most 65,535.
    std::string sql = "SELECT 0";
    for (int i = 1; i < 65536; ++i) sql += ", 0";
    auto prepare_id = f.client->SendPrepare(sql);
    REQUIRE(prepare_id.ok());
    // One EXECUTE pipelined right behind it, one after its answer: neither
    // may run the statement the client was told did not prepare.
    PreparedStatement pending = PreparedStatement::Pending(*prepare_id);
    auto behind = f.client->SendExecute(pending, std::vector<Row>{Row{}});
    REQUIRE(behind.ok());
    for (int i = 0; i < 2; ++i) {
      auto r = f.client->Receive();
      REQUIRE_MESSAGE(r.ok(), r.status().ToString());
      if (r->payload_id == *prepare_id) {
        CHECK(r->status.code() == ErrorCode::kNotSupported);
        CHECK(r->status.message() == "a result of 65536 columns; at most 65535 can be sent");
      } else {
        CHECK(r->status.code() == ErrorCode::kUndefinedStatement);
        CHECK(r->status.message().find("its PREPARE failed") != std::string::npos);
      }
    }
    auto after = f.client->Execute(pending, Row{});
    CHECK(after.status().code() == ErrorCode::kUndefinedStatement);
    CHECK(after.status().message().find("65536 columns") != std::string::npos);
    // Like any failed statement it can be closed, and the connection goes on.
    CHECK(f.client->Close(pending).ok());
    CHECK(f.Count() == 0);
  }

  TEST_CASE("EXECUTEs pipelined behind their PREPARE come back through Receive") {
    Fixture f;
    auto prepare_id = f.client->SendPrepare("INSERT INTO t (id, name) VALUES ($1, $2)");
    REQUIRE(prepare_id.ok());
    PreparedStatement pending = PreparedStatement::Pending(*prepare_id);
    std::vector<uint64_t> ids;
    for (int64_t id = 1; id <= 50; ++id) {
      auto sent =
          f.client->SendExecute(pending, std::vector<Row>{{Value::Integer(id), Value::Text("x")}});
      REQUIRE(sent.ok());
      ids.push_back(*sent);
    }
    bool described = false;
    int inserted = 0;
    for (size_t i = 0; i < ids.size() + 1; ++i) {
      auto r = f.client->Receive();
      REQUIRE_MESSAGE(r.ok(), r.status().ToString());
      REQUIRE_MESSAGE(r->status.ok(), r->status.ToString());
      if (r->payload_id == *prepare_id) {
        REQUIRE(r->statement.has_value());
        described = r->statement->parameter_types.size() == 2;
      } else {
        inserted += static_cast<int>(r->result.count);
      }
    }
    CHECK(described);
    CHECK(inserted == 50);
    CHECK(f.Count() == 50);
  }

  TEST_CASE("the async client cancels a long cross join and pings while it runs") {
    Fixture f;
    auto insert = f.client->Prepare("INSERT INTO t VALUES ($1, 'x', $2)");
    REQUIRE(insert.ok());
    std::vector<Row> rows;
    for (int64_t id = 1; id <= 4000; ++id) rows.push_back({Value::Integer(id), Value::Double(1)});
    REQUIRE(f.client->Execute(*insert, rows).ok());

    boost::asio::io_context io;
    auto connected =
        protocol::AsyncClient::Connect(io.get_executor(), "127.0.0.1", f.server->port());
    REQUIRE(connected.ok());
    auto client = *connected;
    // 16 million row pairs, none matching: seconds of work unless cancelled.
    protocol::Response slow;
    client->AsyncQuery("SELECT count(*) FROM t a, t b WHERE a.score + b.score < 0",
                       [&](protocol::Response r) {
                         slow = std::move(r);
                         client->Close();
                       });
    uint64_t slow_id = client->last_payload_id();
    protocol::Status pong = protocol::Status::Internal("no PONG");
    // The PONG proves the query is under way; then cancel it.
    client->AsyncPing([&](protocol::Status s) {
      pong = s;
      client->Cancel(slow_id);
    });
    io.run();
    CHECK(pong.ok());
    CHECK(slow.status.code() == ErrorCode::kCancelled);
    CHECK(f.Count() == 4000);  // the server goes on serving
  }

  TEST_CASE("the async client keeps answers apart when a large result and an error sit among small ones") {
    Fixture f;
    auto insert = f.client->Prepare("INSERT INTO t VALUES ($1, $2, $3)");
    REQUIRE(insert.ok());
    std::vector<Row> rows;
    for (int64_t id = 1; id <= 20000; ++id) {
      rows.push_back({Value::Integer(id), Value::Text(fmt::format("n{}", id)), Value::Double(0.5)});
    }
    REQUIRE(f.client->Execute(*insert, rows).ok());

    boost::asio::io_context io;
    auto client = *protocol::AsyncClient::Connect(io.get_executor(), "127.0.0.1", f.server->port());
    client->AsyncPrepare("SELECT name FROM t WHERE id = $1",
                         [](protocol::Result<PreparedStatement> s) { REQUIRE(s.ok()); });
    PreparedStatement point = PreparedStatement::Pending(client->last_payload_id());
    // Point reads (a third of them for ids that do not exist) sent in one
    // go, with the whole table and a failing query among them. The answers
    // reuse the client's response slots, so each must show only its own
    // rows, columns and status.
    std::vector<std::string> names(300, "unanswered");
    size_t big_rows = 0;
    protocol::Status big_status = protocol::Status::Internal("unanswered");
    protocol::Status missing = protocol::Status::Ok();
    for (int i = 0; i < 300; ++i) {
      if (i == 100) {
        client->AsyncQuery("SELECT id, name, score FROM t", [&](const protocol::Response& r) {
          big_status = r.status;
          if (r.result.columns.size() == 3) big_rows = r.result.rows.size();
        });
      }
      if (i == 200) {
        client->AsyncQuery("SELECT name FROM missing",
                           [&](const protocol::Response& r) { missing = r.status; });
      }
      int64_t id = i % 3 == 0 ? 1000000 + i : i * 60 + 1;
      client->AsyncExecute(point, Row{Value::Integer(id)}, [&, i](const protocol::Response& r) {
        if (!r.status.ok()) {
          names[i] = r.status.ToString();
        } else if (r.result.columns.size() != 1 || r.result.rows.size() > 1) {
          names[i] = fmt::format("{} columns, {} rows", r.result.columns.size(), r.result.rows.size());
        } else {
          names[i] = r.result.rows.empty() ? "none" : *r.result.row(0).get<std::string>(0);
        }
        if (i == 299) client->Close();
      });
    }
    io.run();
    CHECK(big_status.ok());
    CHECK(big_rows == 20000);
    CHECK(missing.code() == ErrorCode::kUndefinedTable);
    for (int i = 0; i < 300; ++i) {
      CAPTURE(i);
      CHECK(names[i] == (i % 3 == 0 ? std::string("none") : fmt::format("n{}", i * 60 + 1)));
    }
  }

  TEST_CASE("a coroutine prepares and executes with use_awaitable") {
    Fixture f;
    REQUIRE(f.client->Query("INSERT INTO t VALUES (1, 'ada', 2.5)").ok());
    boost::asio::io_context io;
    auto client = *protocol::AsyncClient::Connect(io.get_executor(), "127.0.0.1", f.server->port());
    // doctest's macros do not compile inside a coroutine (GCC 12): the
    // coroutine records what it saw and the checks come after io.run().
    std::string name;
    protocol::Status prepared, executed, pinged;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          // Arguments are named locals: GCC 12 rejects a braced temporary
          // inside co_await ("array used as initializer").
          std::string_view sql = "SELECT name FROM t WHERE id = $1";
          auto statement = co_await client->AsyncPrepare(sql, boost::asio::use_awaitable);
          prepared = statement.status();
          if (statement.ok()) {
            Row id{Value::Integer(1)};
            protocol::Response r =
                co_await client->AsyncExecute(*statement, id, boost::asio::use_awaitable);
            executed = r.status;
            if (r.status.ok() && r.result.rows.size() == 1) {
              auto got = r.result.row(0).get<std::string>(0);
              if (got.ok()) name = *got;
            }
            pinged = co_await client->AsyncPing(boost::asio::use_awaitable);
          }
          client->Close();
        },
        boost::asio::detached);
    io.run();
    CHECK(prepared.ok());
    CHECK(executed.ok());
    CHECK(pinged.ok());
    CHECK(name == "ada");
  }
}

}  // namespace
}  // namespace kopf
