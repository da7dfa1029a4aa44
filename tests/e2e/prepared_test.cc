// Protocol 1.1 against the real kopfd, in raw frames: prepared statements
// and their batches, wrong parameters, PING during a long query, CANCEL,
// versions and GOODBYE.
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "protocol/frame_encoder.h"
#include "protocol/frame_format.h"
#include "protocol/message.h"
#include "tests/support/raw_connection.h"
#include "tests/support/test_support.h"

namespace kopf {
namespace {

using protocol::Envelope;
using protocol::ErrorCode;
using protocol::Row;
using protocol::Type;
using protocol::Value;
using testing::RawConnection;
using testing::ServerProcess;
using testing::TempDir;

// All frames of one response.
struct Response {
  std::vector<Envelope> frames;
  const protocol::ErrorMessage* error() const {
    return std::get_if<protocol::ErrorMessage>(&frames.back().message);
  }
  const protocol::Complete* complete() const {
    return std::get_if<protocol::Complete>(&frames.back().message);
  }
  const protocol::StatementDescription* description() const {
    return std::get_if<protocol::StatementDescription>(&frames.back().message);
  }
  std::vector<Row> rows() const {
    std::vector<Row> out;
    for (const Envelope& e : frames) {
      if (auto* b = std::get_if<protocol::RowBatch>(&e.message)) {
        out.insert(out.end(), b->rows.begin(), b->rows.end());
      }
    }
    return out;
  }
};

bool Ends(const Envelope& e) {
  return std::holds_alternative<protocol::Complete>(e.message) ||
         std::holds_alternative<protocol::ErrorMessage>(e.message) ||
         std::holds_alternative<protocol::StatementDescription>(e.message);
}

// A raw connection that numbers its requests and sorts the frames it
// receives by payload id, since responses may come in any order.
class Conn {
 public:
  explicit Conn(uint16_t port) : raw_(port) {
    id_ = raw_.Handshake();
    REQUIRE(id_ != 0);
  }

  uint32_t id() const { return id_; }
  RawConnection& raw() { return raw_; }

  uint64_t Send(protocol::Message message) {
    uint64_t payload = ++last_;
    REQUIRE(raw_.Send(Envelope{id_, payload, std::move(message)}));
    return payload;
  }

  // The whole response to `payload`. Fails the test if the connection ends.
  Response Await(uint64_t payload) {
    for (;;) {
      if (auto it = done_.find(payload); it != done_.end()) {
        Response r = std::move(it->second);
        done_.erase(it);
        return r;
      }
      std::optional<Envelope> e = Next();
      REQUIRE_MESSAGE(e.has_value(), "connection ended while waiting for payload " << payload);
      Response& r = partial_[e->payload_id];
      bool end = Ends(*e);
      r.frames.push_back(std::move(*e));
      if (end) {
        done_[r.frames.back().payload_id] = std::move(r);
        partial_.erase(done_.rbegin()->first);
      }
    }
  }

  // The next frame that is not part of a response (PONG, GOODBYE), keeping
  // response frames that come first for Await.
  std::optional<Envelope> NextControl() {
    for (;;) {
      std::optional<Envelope> e = Next();
      if (!e) return e;
      if (std::holds_alternative<protocol::Pong>(e->message) ||
          std::holds_alternative<protocol::Goodbye>(e->message)) {
        return e;
      }
      Response& r = partial_[e->payload_id];
      bool end = Ends(*e);
      uint64_t payload = e->payload_id;
      r.frames.push_back(std::move(*e));
      if (end) {
        done_[payload] = std::move(r);
        partial_.erase(payload);
      }
    }
  }

  // Encodes a request into the pending burst instead of sending it; Flush
  // sends the whole burst in one write, so the server reads it at once.
  uint64_t Queue(protocol::Message message) {
    uint64_t payload = ++last_;
    protocol::EncodeFrame(Envelope{id_, payload, std::move(message)}, &pending_);
    return payload;
  }
  void QueuePing() { protocol::EncodeFrame(Envelope{id_, 0, protocol::Ping{}}, &pending_); }
  void Flush() {
    REQUIRE(raw_.SendBytes(pending_));
    pending_.clear();
  }

  Response Query(const std::string& sql) { return Await(Send(protocol::Query{sql})); }

  Response Prepare(const std::string& sql) { return Await(Send(protocol::Prepare{sql})); }

  Response Execute(uint64_t statement, std::vector<Row> rows) {
    uint16_t width = rows.empty() ? 0 : static_cast<uint16_t>(rows.front().size());
    return Await(Send(protocol::Execute{statement, width, std::move(rows)}));
  }

 private:
  std::optional<Envelope> Next() { return raw_.Receive(); }

  RawConnection raw_;
  uint32_t id_ = 0;
  uint64_t last_ = 0;
  std::map<uint64_t, Response> partial_;
  std::map<uint64_t, Response> done_;
  std::string pending_;
};

void RequireOk(const Response& r) {
  REQUIRE_MESSAGE(r.error() == nullptr, (r.error() ? r.error()->message : ""));
}

void RequireError(const Response& r, ErrorCode code, const std::string& fragment) {
  REQUIRE(r.error() != nullptr);
  INFO("message: " << r.error()->message);
  CHECK(r.error()->code == code);
  CHECK(r.error()->message.find(fragment) != std::string::npos);
}

uint64_t Count(Conn& c, const std::string& table) {
  Response r = c.Query("SELECT count(*) FROM " + table);
  RequireOk(r);
  return static_cast<uint64_t>(r.rows().at(0).at(0).as_integer());
}

// Creates t (id INTEGER PRIMARY KEY, name TEXT, score DOUBLE) and fills it
// with `n` rows through one batch EXECUTE.
void FillTable(Conn& c, int n) {
  RequireOk(c.Query("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score DOUBLE)"));
  if (n == 0) return;
  Response p = c.Prepare("INSERT INTO t VALUES ($1, $2, $3)");
  RequireOk(p);
  std::vector<Row> rows;
  for (int i = 1; i <= n; ++i) {
    rows.push_back({Value::Integer(i), Value::Text(fmt::format("n{}", i)), Value::Double(i * 0.5)});
  }
  Response r = c.Execute(p.description()->statement_id, std::move(rows));
  RequireOk(r);
  CHECK(r.complete()->count == static_cast<uint64_t>(n));
}

// A fresh server on a temporary data directory, one connection, and table
// t filled with `rows` rows.
struct ServerWithTable {
  explicit ServerWithTable(int rows)
      : server(ServerProcess::Start(dir.path() / "data")), c(server->port()) {
    FillTable(c, rows);
  }
  TempDir dir;
  std::unique_ptr<ServerProcess> server;
  Conn c;
};

// The response to `payload` succeeded with exactly `rows`.
void ExpectRows(Conn& c, uint64_t payload, const std::vector<Row>& rows) {
  Response r = c.Await(payload);
  RequireOk(r);
  CHECK(r.rows() == rows);
}

// Expects the server's answer to be a protocol violation whose message
// holds `fragment`, then the connection closed; returns its payload id.
uint64_t ExpectViolation(RawConnection& raw, const std::string& fragment) {
  auto reply = raw.Receive();
  REQUIRE(reply.has_value());
  auto* error = std::get_if<protocol::ErrorMessage>(&reply->message);
  REQUIRE(error != nullptr);
  CHECK(error->code == ErrorCode::kProtocolViolation);
  CHECK(error->message.find(fragment) != std::string::npos);
  CHECK(raw.WaitClosed());
  return reply->payload_id;
}

TEST_SUITE("e2e/prepared") {
  TEST_CASE("PREPARE describes parameters and columns, and EXECUTE runs it with values") {
    ServerWithTable f(10);
    Conn& c = f.c;

    uint64_t payload = c.Send(protocol::Prepare{"SELECT name, score FROM t WHERE id = $1"});
    Response p = c.Await(payload);
    RequireOk(p);
    const protocol::StatementDescription* d = p.description();
    REQUIRE(d != nullptr);
    CHECK(d->statement_id == payload);
    CHECK(d->parameter_types == std::vector<Type>{Type::kInteger});
    REQUIRE(d->columns.size() == 2);
    CHECK(d->columns[0].name == "name");
    CHECK(d->columns[0].type == Type::kText);
    CHECK(d->columns[1].type == Type::kDouble);

    Response one = c.Execute(payload, {{Value::Integer(3)}});
    RequireOk(one);
    CHECK(one.rows() == std::vector<Row>{{Value::Text("n3"), Value::Double(1.5)}});
    CHECK(one.complete()->tag == "SELECT");

    // Several parameter rows: the results of each, in order, in one response.
    Response many = c.Execute(
        payload, {{Value::Integer(2)}, {Value::Integer(99)}, {Value::Null()}, {Value::Integer(1)}});
    RequireOk(many);
    CHECK(many.rows() == std::vector<Row>{{Value::Text("n2"), Value::Double(1.0)},
                                          {Value::Text("n1"), Value::Double(0.5)}});
    CHECK(many.complete()->count == 2);

    // Types come from context: a DOUBLE column, LIKE, a CAST, arithmetic.
    Response q = c.Prepare(
        "SELECT id FROM t WHERE score > $1 AND name LIKE $2 AND id < CAST($3 AS INTEGER) + $4");
    RequireOk(q);
    CHECK(q.description()->parameter_types ==
          std::vector<Type>{Type::kDouble, Type::kText, Type::kInteger, Type::kInteger});
    // An INTEGER is accepted for a DOUBLE parameter.
    Response r =
        c.Execute(q.description()->statement_id,
                  {{Value::Integer(3), Value::Text("n%"), Value::Integer(8), Value::Integer(1)}});
    RequireOk(r);
    CHECK(r.rows() == std::vector<Row>{{Value::Integer(7)}, {Value::Integer(8)}});

    // UPDATE and DELETE with parameters; each row is its own statement.
    Response u = c.Prepare("UPDATE t SET name = $2 WHERE id = $1");
    RequireOk(u);
    CHECK(u.description()->columns.empty());
    Response ur = c.Execute(
        u.description()->statement_id,
        {{Value::Integer(1), Value::Text("one")}, {Value::Integer(2), Value::Text("two")}});
    RequireOk(ur);
    CHECK(ur.complete()->count == 2);
    CHECK(c.Query("SELECT name FROM t WHERE id = 2").rows() ==
          std::vector<Row>{{Value::Text("two")}});
    Response del = c.Prepare("DELETE FROM t WHERE id >= $1");
    RequireOk(del);
    Response dr = c.Execute(del.description()->statement_id, {{Value::Integer(9)}});
    RequireOk(dr);
    CHECK(dr.complete()->count == 2);
    CHECK(Count(c, "t") == 8);
  }

  TEST_CASE("a batch EXECUTE of an INSERT commits all its rows at once, or none of them") {
    ServerWithTable f(1000);
    Conn& c = f.c;
    CHECK(Count(c, "t") == 1000);

    Response p = c.Prepare("INSERT INTO t (id, name) VALUES ($1, $2)");
    RequireOk(p);
    CHECK(p.description()->parameter_types == std::vector<Type>{Type::kInteger, Type::kText});
    // Row 3 repeats a key: the whole batch fails and nothing is inserted.
    Response bad =
        c.Execute(p.description()->statement_id, {{Value::Integer(2001), Value::Text("a")},
                                                  {Value::Integer(2002), Value::Text("b")},
                                                  {Value::Integer(2001), Value::Text("c")}});
    RequireError(bad, ErrorCode::kDuplicateKey, "");
    CHECK(Count(c, "t") == 1000);

    // The rows survive a restart: the batch was durable when acknowledged.
    Response good = c.Execute(
        p.description()->statement_id,
        {{Value::Integer(2001), Value::Text("a")}, {Value::Integer(2002), Value::Null()}});
    RequireOk(good);
    CHECK(good.complete()->tag == "INSERT");
    f.server->Kill();
    f.server = ServerProcess::Start(f.dir.path() / "data");
    Conn again(f.server->port());
    CHECK(Count(again, "t") == 1002);
  }

  TEST_CASE("EXECUTE pipelined right behind its PREPARE finds the statement prepared") {
    ServerWithTable f(100);
    Conn& c = f.c;
    uint64_t prepare = c.Send(protocol::Prepare{"SELECT name FROM t WHERE id = $1"});
    std::vector<uint64_t> executes;
    for (int i = 1; i <= 50; ++i) {
      executes.push_back(c.Send(protocol::Execute{prepare, 1, {{Value::Integer(i)}}}));
    }
    RequireOk(c.Await(prepare));
    for (int i = 1; i <= 50; ++i) {
      ExpectRows(c, executes[i - 1], {{Value::Text(fmt::format("n{}", i))}});
    }
  }

  TEST_CASE("a prepared point read pipelined behind writes sees every one of them") {
    // Point reads may run on the server's event loop; the ones sent behind
    // a write must still wait for it.
    ServerWithTable f(10);
    Conn& c = f.c;
    Response read = c.Prepare("SELECT name FROM t WHERE id = $1");
    RequireOk(read);
    Response write = c.Prepare("INSERT INTO t (id, name) VALUES ($1, $2)");
    RequireOk(write);
    std::vector<std::pair<uint64_t, int>> reads;
    for (int i = 100; i < 300; ++i) {
      if (i % 2 == 0) {
        c.Send(protocol::Query{fmt::format("INSERT INTO t (id, name) VALUES ({}, 'q{}')", i, i)});
      } else {
        c.Send(protocol::Execute{write.description()->statement_id,
                                 2,
                                 {{Value::Integer(i), Value::Text(fmt::format("q{}", i))}}});
      }
      reads.emplace_back(
          c.Send(protocol::Execute{read.description()->statement_id, 1, {{Value::Integer(i)}}}), i);
    }
    for (auto [payload, i] : reads) ExpectRows(c, payload, {{Value::Text(fmt::format("q{}", i))}});
  }

  TEST_CASE("a burst of point reads, errors and PINGs in one write is answered in request order") {
    // The server looks a burst's point reads up as a group; every answer,
    // found, missing or an error, must still come back in request order.
    ServerWithTable f(20);
    Conn& c = f.c;
    RequireOk(c.Query("CREATE TABLE u (k INTEGER PRIMARY KEY, v TEXT)"));
    RequireOk(c.Query("INSERT INTO u VALUES (1, 'u1'), (2, 'u2')"));
    Response on_t = c.Prepare("SELECT name, score FROM t WHERE id = $1");
    Response on_u = c.Prepare("SELECT v FROM u WHERE k = $1");
    RequireOk(on_t);
    RequireOk(on_u);
    const uint64_t t = on_t.description()->statement_id;
    const uint64_t u = on_u.description()->statement_id;
    // What each request's answer must be, in the order they are sent
    // (payload 0: a PONG).
    struct Expected {
      uint64_t payload = 0;
      std::vector<Row> rows;
      std::optional<ErrorCode> error;
    };
    std::vector<Expected> expected;
    auto t_row = [](int i) -> std::vector<Row> {
      if (i < 1 || i > 20) return {};
      return {{Value::Text(fmt::format("n{}", i)), Value::Double(i * 0.5)}};
    };
    for (int round = 0; round < 2; ++round) {
      for (int i = 1; i <= 45; ++i) {
        switch (i % 8) {
          case 0:
          case 7:
            expected.push_back(
                {c.Queue(protocol::Execute{t, 1, {{Value::Integer(i)}}}), t_row(i), std::nullopt});
            break;
          case 1: {
            int k = i % 3;
            std::vector<Row> rows;
            if (k != 0) rows = {{Value::Text(fmt::format("u{}", k))}};
            expected.push_back(
                {c.Queue(protocol::Execute{u, 1, {{Value::Integer(k)}}}), rows, std::nullopt});
            break;
          }
          case 2:
            expected.push_back({c.Queue(protocol::Execute{t, 1, {{Value::Text("x")}}}),
                                {},
                                ErrorCode::kTypeMismatch});
            break;
          case 3:
            expected.push_back({c.Queue(protocol::Execute{9999, 1, {{Value::Integer(i)}}}),
                                {},
                                ErrorCode::kUndefinedStatement});
            break;
          case 4:
            expected.push_back(
                {c.Queue(protocol::Execute{t, 1, {{Value::Null()}}}), {}, std::nullopt});
            break;
          case 5:
            expected.push_back({c.Queue(protocol::Execute{t, 2, {{Value::Integer(i), Value::Integer(1)}}}),
                                {},
                                ErrorCode::kInvalidValue});
            break;
          case 6:
            c.QueuePing();
            expected.push_back({0, {}, std::nullopt});
            break;
        }
      }
      c.Flush();
      // Frames in the order they arrive: each response whole, then the next.
      Response current;
      size_t next = 0;
      while (next < expected.size()) {
        std::optional<Envelope> e = c.raw().Receive();
        REQUIRE(e.has_value());
        const Expected& want = expected[next];
        INFO("answer " << next << ", payload " << want.payload);
        if (std::holds_alternative<protocol::Pong>(e->message)) {
          CHECK(want.payload == 0);
          CHECK(current.frames.empty());
          ++next;
          continue;
        }
        REQUIRE(e->payload_id == want.payload);
        bool end = Ends(*e);
        current.frames.push_back(std::move(*e));
        if (!end) continue;
        if (want.error) {
          REQUIRE(current.error() != nullptr);
          CHECK(current.error()->code == *want.error);
        } else {
          RequireOk(current);
          CHECK(current.rows() == want.rows);
        }
        current = Response{};
        ++next;
      }
      expected.clear();
    }
  }

  TEST_CASE("a burst of point reads finds rows across partitions and by a key built from parameters") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    Conn c(server->port());
    RequireOk(c.Query(
        "CREATE TABLE r (id INT PRIMARY KEY, v INT) PARTITION BY RANGE (id) (PARTITION p0 VALUES "
        "LESS THAN (10), PARTITION p1 VALUES LESS THAN (20), PARTITION p2 VALUES LESS THAN "
        "(MAXVALUE))"));
    RequireOk(c.Query("CREATE TABLE w (a INT, b INT, v TEXT, PRIMARY KEY (a, b))"));
    for (int i = 0; i < 30; ++i) {
      RequireOk(c.Query(fmt::format("INSERT INTO r VALUES ({}, {})", i * 2, i * 20)));
      RequireOk(c.Query(fmt::format("INSERT INTO w VALUES ({}, {}, 'w{}')", i % 3, i, i)));
    }
    Response on_r = c.Prepare("SELECT v FROM r WHERE id = $1");
    // The key is (a, b), the parameters ($1 = b, $2 = a) in the other order.
    Response on_w = c.Prepare("SELECT v FROM w WHERE b = $1 AND a = $2");
    RequireOk(on_r);
    RequireOk(on_w);
    std::vector<std::pair<uint64_t, std::vector<Row>>> reads;
    for (int i = 0; i < 60; ++i) {
      std::vector<Row> r_rows;
      if (i % 2 == 0) r_rows = {{Value::Integer(i * 10)}};
      reads.push_back(
          {c.Queue(protocol::Execute{on_r.description()->statement_id, 1, {{Value::Integer(i)}}}),
           r_rows});
      const int b = i % 35;
      std::vector<Row> w_rows;
      if (b < 30) w_rows = {{Value::Text(fmt::format("w{}", b))}};
      reads.push_back({c.Queue(protocol::Execute{on_w.description()->statement_id,
                                                 2,
                                                 {{Value::Integer(b), Value::Integer(b % 3)}}}),
                       w_rows});
    }
    c.Flush();
    for (const auto& [payload, rows] : reads) {
      INFO("payload " << payload);
      ExpectRows(c, payload, rows);
    }
  }

  TEST_CASE("writes in the middle of a burst of point reads are seen by the reads after them") {
    ServerWithTable f(10);
    Conn& c = f.c;
    Response read = c.Prepare("SELECT name FROM t WHERE id = $1");
    Response insert = c.Prepare("INSERT INTO t (id, name) VALUES ($1, $2)");
    Response update = c.Prepare("UPDATE t SET name = $2 WHERE id = $1");
    RequireOk(read);
    RequireOk(insert);
    RequireOk(update);
    const uint64_t r = read.description()->statement_id;
    std::vector<std::pair<uint64_t, std::vector<Row>>> reads;
    for (int i = 100; i < 140; ++i) {
      reads.push_back({c.Queue(protocol::Execute{r, 1, {{Value::Integer(i)}}}), {}});
      c.Queue(protocol::Execute{insert.description()->statement_id,
                                2,
                                {{Value::Integer(i), Value::Text(fmt::format("a{}", i))}}});
      reads.push_back({c.Queue(protocol::Execute{r, 1, {{Value::Integer(i)}}}),
                       {{Value::Text(fmt::format("a{}", i))}}});
      c.Queue(protocol::Execute{update.description()->statement_id,
                                2,
                                {{Value::Integer(i), Value::Text(fmt::format("b{}", i))}}});
      reads.push_back({c.Queue(protocol::Execute{r, 1, {{Value::Integer(i)}}}),
                       {{Value::Text(fmt::format("b{}", i))}}});
      reads.push_back({c.Queue(protocol::Execute{r, 1, {{Value::Integer(1)}}}),
                       {{Value::Text("n1")}}});
    }
    c.Flush();
    for (const auto& [payload, rows] : reads) {
      INFO("payload " << payload);
      ExpectRows(c, payload, rows);
    }
    CHECK(Count(c, "t") == 50);
  }

  TEST_CASE("a burst of point reads whose answers exceed the output bound is answered in full") {
    // 32 answers of 200 kB against a bound of 1 MiB: the server must stop
    // encoding when half of it is unsent, as it stops reading, or it would
    // take this client for one that does not read and close it.
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data", {"--max-queued-bytes", "1048576"});
    Conn c(server->port());
    RequireOk(c.Query("CREATE TABLE big (id INTEGER PRIMARY KEY, body TEXT)"));
    Response insert = c.Prepare("INSERT INTO big VALUES ($1, $2)");
    RequireOk(insert);
    auto body = [](int id) { return std::string(200'000, static_cast<char>('a' + id)); };
    for (int id = 1; id <= 8; ++id) {
      RequireOk(c.Execute(insert.description()->statement_id,
                          {{Value::Integer(id), Value::Text(body(id))}}));
    }
    Response read = c.Prepare("SELECT body FROM big WHERE id = $1");
    RequireOk(read);
    std::vector<std::pair<uint64_t, int>> sent;
    for (int i = 0; i < 32; ++i) {
      int id = 1 + i % 8;
      sent.emplace_back(
          c.Queue(protocol::Execute{read.description()->statement_id, 1, {{Value::Integer(id)}}}),
          id);
    }
    c.Flush();
    for (auto [payload, id] : sent) ExpectRows(c, payload, {{Value::Text(body(id))}});
    REQUIRE(c.raw().Send(Envelope{c.id(), 0, protocol::Ping{}}));
    std::optional<Envelope> pong = c.NextControl();
    REQUIRE(pong.has_value());
    CHECK(std::holds_alternative<protocol::Pong>(pong->message));
  }

  TEST_CASE("wrong statement ids and parameters get clear errors and the connection stays open") {
    ServerWithTable f(5);
    Conn& c = f.c;
    Response p = c.Prepare("SELECT name FROM t WHERE id = $1");
    RequireOk(p);
    uint64_t id = p.description()->statement_id;

    RequireError(c.Execute(12345, {{Value::Integer(1)}}), ErrorCode::kUndefinedStatement,
                 "statement 12345 is not prepared");
    RequireError(c.Execute(id, {{Value::Integer(1), Value::Integer(2)}}), ErrorCode::kInvalidValue,
                 "has 2 values, but the statement takes 1 parameters");
    RequireError(c.Execute(id, {{Value::Integer(1)}, {Value::Text("x")}}), ErrorCode::kTypeMismatch,
                 "parameter $1 of row 2 is TEXT");

    Response untyped = c.Prepare("SELECT $1");
    RequireError(untyped, ErrorCode::kTypeMismatch, "CAST($1 AS type)");
    CHECK(untyped.error()->position == 7);
    RequireError(c.Prepare("SELECT name FROM t WHERE id = $2"), ErrorCode::kSyntaxError,
                 "parameter $1 is never used");
    RequireError(c.Prepare("SELECT name FROM t WHERE id = $0"), ErrorCode::kSyntaxError,
                 "out of range");
    RequireError(c.Query("SELECT name FROM t WHERE id = $1"), ErrorCode::kSyntaxError,
                 "only allowed in a prepared statement");
    RequireError(c.Prepare("CREATE TABLE u (a INT)"), ErrorCode::kNotSupported,
                 "only SELECT, INSERT, UPDATE and DELETE");

    // A failed PREPARE leaves an id whose EXECUTE says why.
    Response failed = c.Prepare("SELECT nope FROM t WHERE id = $1");
    RequireError(failed, ErrorCode::kUndefinedColumn, "nope");
    RequireError(c.Execute(failed.frames.back().payload_id, {{Value::Integer(1)}}),
                 ErrorCode::kUndefinedStatement, "its PREPARE failed (UndefinedColumn");

    // CLOSE forgets the statement; a second CLOSE and an EXECUTE find nothing.
    Response closed = c.Await(c.Send(protocol::CloseStatement{id}));
    RequireOk(closed);
    CHECK(closed.complete()->tag == "CLOSE");
    RequireError(c.Await(c.Send(protocol::CloseStatement{id})), ErrorCode::kUndefinedStatement,
                 "not prepared");
    RequireError(c.Execute(id, {{Value::Integer(1)}}), ErrorCode::kUndefinedStatement,
                 "not prepared");

    // The connection still works.
    CHECK(c.Query("SELECT name FROM t WHERE id = 5").rows() ==
          std::vector<Row>{{Value::Text("n5")}});
  }

  TEST_CASE("PING before the handshake, or a server-only 1.1 message, is a protocol violation") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    SUBCASE("PING first") {
      RawConnection raw(server->port());
      REQUIRE(raw.Send({0, 0, protocol::Ping{}}));
      ExpectViolation(raw, "expected HELLO as the first frame, got PING");
    }
    SUBCASE("PONG from a client") {
      RawConnection raw(server->port());
      uint32_t id = raw.Handshake();
      REQUIRE(raw.Send({id, 0, protocol::Pong{}}));
      ExpectViolation(raw, "a client may not send PONG");
    }
    SUBCASE("STATEMENT_DESCRIPTION from a client") {
      RawConnection raw(server->port());
      uint32_t id = raw.Handshake();
      REQUIRE(raw.Send({id, 0, protocol::StatementDescription{1, {}, {}}}));
      ExpectViolation(raw, "a client may not send STATEMENT_DESCRIPTION");
    }
  }

  TEST_CASE("an EXECUTE out of payload sequence or malformed is a protocol violation") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    RawConnection raw(server->port());
    uint32_t id = raw.Handshake();
    REQUIRE(id != 0);
    SUBCASE("out of sequence") {
      REQUIRE(raw.Send({id, 5, protocol::Execute{1, 0, {Row{}}}}));
      ExpectViolation(raw, "EXECUTE payload_id 5 is out of sequence");
    }
    SUBCASE("one row with a BOOLEAN byte of 2, answered under its payload id") {
      std::string frame;
      protocol::EncodeFrame({id, 1, protocol::Execute{1, 1, {{Value::Boolean(true)}}}}, &frame);
      frame.back() = 2;
      REQUIRE(raw.SendBytes(frame));
      CHECK(ExpectViolation(
                raw, "EXECUTE frame: BOOLEAN value at body offset 15 is 2, not 0 or 1") == 1);
    }
  }

  TEST_CASE("PING is answered while a long query runs, and CANCEL stops the query") {
    ServerWithTable f(4000);
    Conn& c = f.c;
    // 16 million row pairs, none matching: seconds of work, little memory.
    uint64_t slow =
        c.Send(protocol::Query{"SELECT count(*) FROM t a, t b WHERE a.score + b.score < 0"});
    REQUIRE(c.raw().Send(Envelope{c.id(), 4242, protocol::Ping{}}));
    std::optional<Envelope> pong = c.NextControl();
    REQUIRE(pong.has_value());
    CHECK(std::holds_alternative<protocol::Pong>(pong->message));
    CHECK(pong->payload_id == 4242);
    CHECK(pong->client_id == c.id());

    // Cancelling an unknown id does nothing; cancelling the query stops it.
    REQUIRE(c.raw().Send(Envelope{c.id(), 999, protocol::Cancel{}}));
    REQUIRE(c.raw().Send(Envelope{c.id(), slow, protocol::Cancel{}}));
    RequireError(c.Await(slow), ErrorCode::kCancelled, "cancelled");

    // A finished request: CANCEL is harmless and the connection goes on.
    Response done = c.Query("SELECT count(*) FROM t");
    REQUIRE(c.raw().Send(Envelope{c.id(), 1, protocol::Cancel{}}));
    RequireOk(done);
    CHECK(Count(c, "t") == 4000);
  }

  TEST_CASE("a large result is encoded only as fast as the client reads it") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    uint64_t expected_bytes = 0;
    {
      Conn loader(server->port());
      RequireOk(loader.Query("CREATE TABLE big (id INTEGER PRIMARY KEY, body TEXT)"));
      Response p = loader.Prepare("INSERT INTO big VALUES ($1, $2)");
      RequireOk(p);
      for (int batch = 0; batch < 4; ++batch) {
        std::vector<Row> rows;
        for (int i = 0; i < 1000; ++i) {
          int id = batch * 1000 + i;
          rows.push_back({Value::Integer(id), Value::Text(std::string(10000, 'a' + id % 26))});
          expected_bytes += 10000;
        }
        RequireOk(loader.Execute(p.description()->statement_id, std::move(rows)));
      }
    }
    // About 40 MB of rows. The server used to encode the whole response
    // before writing any of it; now it encodes a piece after each write.
    Conn reader(server->port());
    Response all = reader.Query("SELECT id, body FROM big");
    RequireOk(all);
    std::vector<Row> rows = all.rows();
    REQUIRE(rows.size() == 4000);
    uint64_t got_bytes = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      CHECK(rows[i][0] == Value::Integer(static_cast<int64_t>(i)));
      got_bytes += rows[i][1].as_text().size();
    }
    CHECK(got_bytes == expected_bytes);
    REQUIRE(reader.raw().Send(Envelope{reader.id(), 0, protocol::Goodbye{}}));
    REQUIRE(reader.NextControl().has_value());
    REQUIRE(reader.raw().WaitClosed());

    // The session logs the most output it ever held unsent at close (before
    // closing the socket, so the line is there now).
    std::optional<uint64_t> peak = testing::PeakUnsentBytes(*server, reader.id());
    REQUIRE(peak.has_value());
    MESSAGE("peak unsent output: " << *peak << " bytes for " << got_bytes << " bytes of rows");
    CHECK(*peak < 2u * 1024 * 1024);
  }

  TEST_CASE("CANCEL stops a large result in the middle of streaming it") {
    ServerWithTable f(0);
    Conn& c = f.c;
    Response p = c.Prepare("INSERT INTO t (id, name) VALUES ($1, $2)");
    RequireOk(p);
    for (int batch = 0; batch < 4; ++batch) {
      std::vector<Row> rows;
      for (int i = 0; i < 1000; ++i) {
        rows.push_back({Value::Integer(batch * 1000 + i), Value::Text(std::string(10000, 'x'))});
      }
      RequireOk(c.Execute(p.description()->statement_id, std::move(rows)));
    }
    // 40 MB: far more than the socket buffers hold while the client waits.
    uint64_t big = c.Send(protocol::Query{"SELECT id, name FROM t"});
    std::optional<Envelope> first = c.raw().Receive();
    REQUIRE(first.has_value());
    CHECK(std::holds_alternative<protocol::RowDescription>(first->message));
    REQUIRE(c.raw().Send(Envelope{c.id(), big, protocol::Cancel{}}));
    size_t rows = 0;
    std::optional<Envelope> last;
    while ((last = c.raw().Receive())) {
      if (auto* b = std::get_if<protocol::RowBatch>(&last->message)) {
        rows += b->rows.size();
        continue;
      }
      break;
    }
    REQUIRE(last.has_value());
    auto* error = std::get_if<protocol::ErrorMessage>(&last->message);
    REQUIRE(error != nullptr);
    CHECK(error->code == ErrorCode::kCancelled);
    CHECK(rows < 4000);
    // The connection goes on.
    CHECK(Count(c, "t") == 4000);
  }

  TEST_CASE("a HELLO of another major version is refused with both versions named") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    RawConnection raw(server->port());
    protocol::Hello hello;
    hello.major = 2;
    REQUIRE(raw.Send({0, 0, hello}));
    auto reply = raw.Receive();
    REQUIRE(reply.has_value());
    auto* error = std::get_if<protocol::ErrorMessage>(&reply->message);
    REQUIRE(error != nullptr);
    CHECK(error->code == ErrorCode::kProtocolViolation);
    CHECK(error->message == "unsupported protocol major version 2 (this server speaks 1.2)");
    CHECK(raw.WaitClosed());

    // An older minor version of the same major is welcome.
    RawConnection old(server->port());
    REQUIRE(old.Send({0, 0, protocol::Hello{1, 0, "old client", "", ""}}));
    auto welcome = old.Receive();
    REQUIRE(welcome.has_value());
    auto* w = std::get_if<protocol::Welcome>(&welcome->message);
    REQUIRE(w != nullptr);
    CHECK(w->major == 1);
    CHECK(w->minor == protocol::kProtocolMinor);
  }

  TEST_CASE("after GOODBYE the server answers what it read, says GOODBYE and closes") {
    ServerWithTable f(100);
    Conn& c = f.c;
    std::vector<uint64_t> sent;
    for (int i = 0; i < 20; ++i) {
      sent.push_back(c.Send(protocol::Query{fmt::format("SELECT name FROM t WHERE id = {}", i)}));
    }
    REQUIRE(c.raw().Send(Envelope{c.id(), 0, protocol::Goodbye{}}));
    for (uint64_t p : sent) RequireOk(c.Await(p));
    std::optional<Envelope> bye = c.NextControl();
    REQUIRE(bye.has_value());
    CHECK(std::holds_alternative<protocol::Goodbye>(bye->message));
    CHECK(c.raw().WaitClosed());
  }
}

}  // namespace
}  // namespace kopf
