// Prepared statements in process: parameter type inference, binding values,
// batches, the quick-read path, and cancellation of a running statement.
#include "cerebellum/prepared_statement.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cerebellum/engine.h"
#include "cerebellum/executor/cancel.h"
#include "cerebrum/database.h"
#include "tests/support/test_support.h"

namespace kopf::cerebellum {
namespace {

using protocol::ErrorCode;
using protocol::Row;
using protocol::Type;
using protocol::Value;

struct Db {
  Db() {
    cerebrum::Options options;
    options.data_dir = dir.path() / "data";
    options.sync = cerebrum::SyncMode::kNone;
    auto opened = cerebrum::Database::Open(options);
    REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
    db = std::move(opened).value();
    Run("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score DOUBLE, ok BOOLEAN)");
  }

  std::shared_ptr<const PreparedStatement> Prepare(const std::string& sql) {
    auto p = PrepareStatement(sql, *db);
    REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    return *p;
  }

  protocol::Status PrepareError(const std::string& sql) {
    auto p = PrepareStatement(sql, *db);
    REQUIRE_FALSE(p.ok());
    return p.status();
  }

  protocol::Result<StatementResult> Execute(const std::string& sql, std::vector<Row> rows) {
    return ExecutePrepared(*Prepare(sql), rows, *db);
  }

  void Run(const std::string& sql) {
    Engine engine(db.get(), Options{1, 10, {}});
    auto r = engine.ExecuteNow(sql);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  }

  testing::TempDir dir;
  std::unique_ptr<cerebrum::Database> db;
};

std::vector<Type> Types(Db& d, const std::string& sql) { return d.Prepare(sql)->parameter_types; }

TEST_SUITE("cerebellum/prepared_statement") {
  TEST_CASE("parameter types are inferred from where the markers stand") {
    Db d;
    CHECK(Types(d, "SELECT * FROM t WHERE id = $1") == std::vector<Type>{Type::kInteger});
    CHECK(Types(d, "SELECT * FROM t WHERE $1 < score") == std::vector<Type>{Type::kDouble});
    CHECK(Types(d, "SELECT * FROM t WHERE id BETWEEN $1 AND $2") ==
          std::vector<Type>{Type::kInteger, Type::kInteger});
    CHECK(Types(d, "SELECT * FROM t WHERE name IN ($2, 'x', $1)") ==
          std::vector<Type>{Type::kText, Type::kText});
    CHECK(Types(d, "SELECT * FROM t WHERE $1 LIKE $2") ==
          std::vector<Type>{Type::kText, Type::kText});
    CHECK(Types(d, "SELECT * FROM t WHERE NOT $1 OR ok AND $2") ==
          std::vector<Type>{Type::kBoolean, Type::kBoolean});
    CHECK(Types(d, "SELECT $1 + score, $2 || name, CAST($3 AS BOOLEAN) FROM t") ==
          std::vector<Type>{Type::kDouble, Type::kText, Type::kBoolean});
    CHECK(Types(d, "SELECT $1 * $2") == std::vector<Type>{Type::kInteger, Type::kInteger});
    CHECK(Types(d, "UPDATE t SET score = $2, ok = $3 WHERE id = $1") ==
          std::vector<Type>{Type::kInteger, Type::kDouble, Type::kBoolean});
    CHECK(Types(d, "INSERT INTO t (ok, id) VALUES ($1, $2)") ==
          std::vector<Type>{Type::kBoolean, Type::kInteger});
    CHECK(Types(d, "DELETE FROM t WHERE id = $1 AND name = $1") ==
          std::vector<Type>{Type::kInteger});
    // A marker in a subquery takes its type there too.
    CHECK(Types(d, "SELECT id FROM t WHERE id IN (SELECT id FROM t WHERE score > $1)") ==
          std::vector<Type>{Type::kDouble});
  }

  TEST_CASE("PREPARE checks the role once, so EXECUTE cannot get round it") {
    Db db;
    using protocol::Role;
    auto insert = PrepareStatement("INSERT INTO t VALUES ($1, 'x', 1.0, true)", *db.db,
                                   Role::kReadOnly);
    REQUIRE_FALSE(insert.ok());
    CHECK(insert.status().code() == ErrorCode::kPermissionDenied);
    CHECK(insert.status().message().find("INSERT") != std::string::npos);
    auto update = PrepareStatement("UPDATE t SET name = $1", *db.db, Role::kReadOnly);
    REQUIRE_FALSE(update.ok());
    CHECK(update.status().code() == ErrorCode::kPermissionDenied);
    CHECK(PrepareStatement("SELECT name FROM t WHERE id = $1", *db.db, Role::kReadOnly).ok());
    CHECK(PrepareStatement("DELETE FROM t WHERE id = $1", *db.db, Role::kReadWrite).ok());
  }

  TEST_CASE("a marker whose context gives no type asks for a CAST, at its position") {
    Db d;
    protocol::Status s = d.PrepareError("SELECT id, $1 FROM t");
    CHECK(s.code() == ErrorCode::kTypeMismatch);
    CHECK(s.position() == 11);
    CHECK(s.message().find("CAST($1 AS type)") != std::string::npos);
    CHECK(d.PrepareError("SELECT abs($1)").code() == ErrorCode::kTypeMismatch);
    CHECK(d.PrepareError("SELECT 1 WHERE $1 = $2").code() == ErrorCode::kTypeMismatch);
    CHECK(d.PrepareError("SELECT * FROM t WHERE id = $2").code() == ErrorCode::kSyntaxError);
    CHECK(d.PrepareError("SELECT * FROM nope WHERE id = $1").code() == ErrorCode::kUndefinedTable);
  }

  TEST_CASE("values are checked against the types and bound as constants") {
    Db d;
    REQUIRE(
        d.Execute("INSERT INTO t VALUES ($1, $2, $3, $4)",
                  {{Value::Integer(1), Value::Text("a"), Value::Integer(2), Value::Boolean(true)},
                   {Value::Integer(2), Value::Null(), Value::Double(0.5), Value::Null()}})
            .ok());
    auto r = d.Execute("SELECT id, score FROM t WHERE score >= $1", {{Value::Integer(1)}});
    REQUIRE(r.ok());
    // The INTEGER 2 went into the DOUBLE column as 2.0.
    CHECK(r->rows == std::vector<Row>{{Value::Integer(1), Value::Double(2.0)}});
    auto bad = d.Execute("SELECT id FROM t WHERE name = $1", {{Value::Integer(1)}});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().code() == ErrorCode::kTypeMismatch);
    CHECK(bad.status().message() ==
          "parameter $1 of row 1 is INTEGER, but the statement expects TEXT");
    auto count = d.Execute("SELECT id FROM t WHERE id = $1", {{}});
    REQUIRE_FALSE(count.ok());
    CHECK(count.status().code() == ErrorCode::kInvalidValue);
    // NULL fits any parameter and compares as NULL.
    auto null = d.Execute("SELECT id FROM t WHERE id = $1", {{Value::Null()}});
    REQUIRE(null.ok());
    CHECK(null->rows.empty());
  }

  TEST_CASE("a TEXT parameter that is not UTF-8 is refused by INSERT and UPDATE alike") {
    // The wire decoder refuses such text already; a caller in process meets
    // the table's own check, and nothing of the batch is stored.
    Db d;
    const std::string half_a = "\xc3";  // the first byte of 'ä' alone
    auto insert = d.Execute("INSERT INTO t (id, name) VALUES ($1, $2)",
                            {{Value::Integer(1), Value::Text("ok")},
                             {Value::Integer(2), Value::Text("caf" + half_a)}});
    REQUIRE_FALSE(insert.ok());
    CHECK(insert.status().code() == ErrorCode::kInvalidValue);
    CHECK_MESSAGE(insert.status().message().find(
                      "text for column \"name\" is not valid UTF-8: byte 0xc3 at offset 3") !=
                      std::string::npos,
                  insert.status().message());
    REQUIRE(d.Execute("INSERT INTO t (id, name) VALUES ($1, $2)",
                      {{Value::Integer(1), Value::Text("äpfel")}})
                .ok());
    auto update = d.Execute("UPDATE t SET name = $1 WHERE id = 1", {{Value::Text(half_a)}});
    REQUIRE_FALSE(update.ok());
    CHECK(update.status().code() == ErrorCode::kInvalidValue);
    auto rows = d.Execute("SELECT id, name FROM t WHERE id >= $1", {{Value::Integer(0)}});
    REQUIRE(rows.ok());
    CHECK(rows->rows == std::vector<Row>{{Value::Integer(1), Value::Text("äpfel")}});
  }

  TEST_CASE("an UPDATE batch stops at the first failing row and says how far it got") {
    Db d;
    REQUIRE(d.Execute("INSERT INTO t (id) VALUES ($1)",
                      {{Value::Integer(1)}, {Value::Integer(2)}, {Value::Integer(3)}})
                .ok());
    auto r =
        d.Execute("UPDATE t SET id = $2 WHERE id = $1", {{Value::Integer(1), Value::Integer(10)},
                                                         {Value::Integer(2), Value::Integer(3)},
                                                         {Value::Integer(3), Value::Integer(30)}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kDuplicateKey);
    CHECK(r.status().message().find("parameter row 2 of 3") != std::string::npos);
    CHECK(r.status().message().find("the 1 rows before it took effect") != std::string::npos);
    auto ids = d.Execute("SELECT id FROM t WHERE id > $1", {{Value::Integer(0)}});
    REQUIRE(ids.ok());
    CHECK(ids->rows ==
          std::vector<Row>{{Value::Integer(2)}, {Value::Integer(3)}, {Value::Integer(10)}});
  }

  TEST_CASE("a point read runs quickly in place, anything else is left to the queue") {
    Db d;
    REQUIRE(
        d.Execute("INSERT INTO t (id, name) VALUES ($1, $2)",
                  {{Value::Integer(1), Value::Text("a")}, {Value::Integer(2), Value::Text("b")}})
            .ok());
    auto point = d.Prepare("SELECT name FROM t WHERE id = $1");
    Row key{Value::Integer(2)};
    auto quick = TryExecuteQuickRead(*point, key, *d.db);
    REQUIRE(quick.has_value());
    REQUIRE(quick->ok());
    CHECK((*quick)->rows == std::vector<Row>{{Value::Text("b")}});

    auto scan = d.Prepare("SELECT name FROM t WHERE name = $1");
    Row name{Value::Text("a")};
    CHECK_FALSE(TryExecuteQuickRead(*scan, name, *d.db).has_value());
    CHECK_FALSE(scan->maybe_quick.load());  // not tried again

    // The table's lock taken by a writer: the quick path declines to wait.
    {
      auto table = d.db->FindTable("t");
      auto lock = table->LockExclusive();
      CHECK_FALSE(TryExecuteQuickRead(*point, key, *d.db).has_value());
    }
    CHECK(TryExecuteQuickRead(*point, key, *d.db).has_value());
  }

  TEST_CASE("a prepared point read finds each key of INT, BIGINT and TEXT tables") {
    Db d;
    // INT and BIGINT keys are found by their B+Tree prefix alone inside
    // [-2^61, 2^61); outside it, and for TEXT, whole keys decide.
    const int64_t limit = int64_t{1} << 61;
    const std::vector<int64_t> ids = {INT64_MIN, -limit - 1, -limit, -1, 0, 1, limit - 1, limit,
                                      limit + 1, INT64_MAX};
    d.Run("CREATE TABLE big (id BIGINT PRIMARY KEY, v TEXT)");
    d.Run("CREATE TABLE word (w TEXT PRIMARY KEY, v TEXT)");
    for (int64_t id : ids) {
      REQUIRE(d.Execute("INSERT INTO big VALUES ($1, $2)",
                        {{Value::Integer(id), Value::Text(std::to_string(id))}})
                  .ok());
      REQUIRE(d.Execute("INSERT INTO word VALUES ($1, $2)",
                        {{Value::Text("abcdefgh" + std::to_string(id)), Value::Text("w")}})
                  .ok());
    }
    auto read = [&](const std::string& sql, Value key) -> std::vector<Row> {
      auto prepared = d.Prepare(sql);
      REQUIRE(prepared->point_read.has_value());
      Row values{std::move(key)};
      auto quick = TryExecuteQuickRead(*prepared, values, *d.db);
      REQUIRE(quick.has_value());
      REQUIRE(quick->ok());
      return (*quick)->rows;
    };
    for (int64_t id : ids) {
      CHECK(read("SELECT v FROM big WHERE id = $1", Value::Integer(id)) ==
            std::vector<Row>{{Value::Text(std::to_string(id))}});
      if (id != INT64_MAX) {
        CHECK(read("SELECT v FROM big WHERE id = $1", Value::Integer(id + 1)).size() ==
              (std::find(ids.begin(), ids.end(), id + 1) != ids.end() ? 1u : 0u));
      }
      CHECK(read("SELECT v FROM word WHERE w = $1", Value::Text("abcdefgh" + std::to_string(id)))
                .size() == 1);
    }
    CHECK(read("SELECT v FROM word WHERE w = $1", Value::Text("abcdefgh")).empty());
    CHECK(read("SELECT v FROM big WHERE id = $1", Value::Integer(2)).empty());
  }

  TEST_CASE("a point read by the whole primary key is planned once and follows the catalog") {
    Db d;
    d.Run("CREATE TABLE pair (a INTEGER, b TEXT, v TEXT, PRIMARY KEY (a, b))");
    d.Run("INSERT INTO pair VALUES (1, 'x', 'one-x'), (1, 'y', 'one-y'), (2, 'x', 'two-x')");
    // Key columns bound in the other order than the key's, and LIMIT 1.
    auto swapped = d.Prepare("SELECT v, a FROM pair WHERE b = $1 AND a = $2 LIMIT 1");
    REQUIRE(swapped->point_read.has_value());
    Row values{Value::Text("y"), Value::Integer(1)};
    auto quick = TryExecuteQuickRead(*swapped, values, *d.db);
    REQUIRE(quick.has_value());
    REQUIRE(quick->ok());
    CHECK((*quick)->rows == std::vector<Row>{{Value::Text("one-y"), Value::Integer(1)}});
    CHECK((*quick)->count == 1);
    // No such row; and a NULL key, which `=` never matches.
    Row missing{Value::Text("z"), Value::Integer(1)};
    quick = TryExecuteQuickRead(*swapped, missing, *d.db);
    REQUIRE((quick.has_value() && quick->ok()));
    CHECK((*quick)->rows.empty());
    Row null_key{Value::Null(), Value::Integer(1)};
    quick = TryExecuteQuickRead(*swapped, null_key, *d.db);
    REQUIRE((quick.has_value() && quick->ok()));
    CHECK((*quick)->rows.empty());

    // Not point reads: part of the key, a key column twice, another
    // condition besides the key, a computed output.
    CHECK_FALSE(d.Prepare("SELECT v FROM pair WHERE a = $1")->point_read.has_value());
    CHECK_FALSE(
        d.Prepare("SELECT v FROM pair WHERE a = $1 AND a = $2")->point_read.has_value());
    CHECK_FALSE(d.Prepare("SELECT v FROM pair WHERE a = $1 AND b = $2 AND v = $3")
                    ->point_read.has_value());
    CHECK_FALSE(d.Prepare("SELECT id + 1 FROM t WHERE id = $1")->point_read.has_value());
    CHECK_FALSE(d.Prepare("SELECT count(*) FROM t WHERE id = $1")->point_read.has_value());

    // The table dropped and created again with other columns: the statement
    // reads the new table, never the plan made for the old one.
    auto point = d.Prepare("SELECT v FROM pair WHERE a = $1 AND b = $2");
    REQUIRE(point->point_read.has_value());
    d.Run("DROP TABLE pair");
    d.Run("CREATE TABLE pair (a INTEGER, b TEXT, w INTEGER, v TEXT, PRIMARY KEY (a, b))");
    d.Run("INSERT INTO pair VALUES (1, 'x', 7, 'new')");
    Row key{Value::Integer(1), Value::Text("x")};
    quick = TryExecuteQuickRead(*point, key, *d.db);
    REQUIRE(quick.has_value());
    REQUIRE(quick->ok());
    CHECK((*quick)->rows == std::vector<Row>{{Value::Text("new")}});
    d.Run("DROP TABLE pair");
    quick = TryExecuteQuickRead(*point, key, *d.db);
    REQUIRE(quick.has_value());
    REQUIRE_FALSE(quick->ok());
    CHECK(quick->status().code() == ErrorCode::kUndefinedTable);
  }

  TEST_CASE("a one-row INSERT is planned once, keeps every check and follows the catalog") {
    Db d;
    d.Run("CREATE TABLE w (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score DOUBLE, "
          "tag TEXT DEFAULT 'none')");
    auto insert = d.Prepare("INSERT INTO w (score, id, name) VALUES ($1, $2, $3)");
    REQUIRE(insert->direct_insert.has_value());
    auto run = [&](Row values) {
      auto r = TryExecuteInsert(*insert, values, *d.db);
      REQUIRE(r.has_value());
      return *r;
    };
    // An INTEGER for the DOUBLE parameter is widened; the default fills tag.
    auto ok = run({Value::Integer(2), Value::Integer(1), Value::Text("a")});
    REQUIRE_MESSAGE(ok.ok(), ok.status().ToString());
    CHECK(ok->count == 1);
    // The table's checks still apply: a duplicate key, a NULL for NOT NULL,
    // a wrong type, a wrong count.
    CHECK(run({Value::Null(), Value::Integer(1), Value::Text("b")}).status().code() ==
          ErrorCode::kDuplicateKey);
    CHECK(run({Value::Null(), Value::Integer(2), Value::Null()}).status().code() ==
          ErrorCode::kConstraintViolation);
    CHECK(run({Value::Text("x"), Value::Integer(3), Value::Text("c")}).status().code() ==
          ErrorCode::kTypeMismatch);
    CHECK(run({Value::Integer(3)}).status().code() == ErrorCode::kInvalidValue);
    Engine engine(d.db.get(), Options{1, 10, {}});
    auto rows = engine.ExecuteNow("SELECT id, name, score, tag FROM w ORDER BY id");
    REQUIRE(rows.ok());
    CHECK(rows->rows == std::vector<Row>{{Value::Integer(1), Value::Text("a"), Value::Double(2.0),
                                          Value::Text("none")}});

    // Not planned: an expression, or a value its column must convert.
    CHECK_FALSE(d.Prepare("INSERT INTO w VALUES ($1 + 1, 'n', 1.0, 't')")
                    ->direct_insert.has_value());
    CHECK_FALSE(d.Prepare("INSERT INTO w VALUES ($1, 'n', 1, 't')")->direct_insert.has_value());

    // The table dropped and created again with other columns: the statement
    // inserts into the new table as it is, never by the old plan.
    d.Run("DROP TABLE w");
    d.Run("CREATE TABLE w (id INTEGER PRIMARY KEY, extra INTEGER DEFAULT 7, name TEXT, "
          "score DOUBLE)");
    ok = run({Value::Double(1.5), Value::Integer(5), Value::Text("e")});
    REQUIRE_MESSAGE(ok.ok(), ok.status().ToString());
    rows = engine.ExecuteNow("SELECT id, extra, name, score FROM w");
    REQUIRE(rows.ok());
    CHECK(rows->rows == std::vector<Row>{{Value::Integer(5), Value::Integer(7), Value::Text("e"),
                                          Value::Double(1.5)}});
    d.Run("DROP TABLE w");
    CHECK(run({Value::Double(1.5), Value::Integer(6), Value::Text("f")}).status().code() ==
          ErrorCode::kUndefinedTable);
  }

  // EXECUTE binds the values as constants and then plans, so each
  // parameter row prunes to its own partition (EXPLAIN of literals shows
  // the pruning, tests/sql/partition/pruning.test): the right rows come
  // back and the right rows change, whichever partition holds them.
  TEST_CASE("a prepared statement on a partitioned table reaches each row's partition") {
    Db db;
    db.Run("CREATE TABLE r (id INT PRIMARY KEY, v TEXT) PARTITION BY RANGE (id) "
           "(PARTITION lo VALUES LESS THAN (100), PARTITION hi VALUES LESS THAN (MAXVALUE))");
    db.Run("INSERT INTO r VALUES (1, 'a'), (150, 'b')");
    auto updated = db.Execute("UPDATE r SET v = v || '!' WHERE id = $1",
                              {{Value::Integer(150)}, {Value::Integer(1)}});
    REQUIRE_MESSAGE(updated.ok(), updated.status().ToString());
    CHECK(updated->count == 2);
    auto found = db.Execute("SELECT v FROM r WHERE id = $1",
                            {{Value::Integer(1)}, {Value::Integer(150)}, {Value::Integer(99)}});
    REQUIRE_MESSAGE(found.ok(), found.status().ToString());
    REQUIRE(found->rows.size() == 2);
    CHECK(found->rows[0][0].as_text() == "a!");
    CHECK(found->rows[1][0].as_text() == "b!");

    // One row at a time, as a client's EXECUTE of a point read runs: the
    // plan made once at PREPARE looks in the partition of the key's value.
    db.Run("CREATE TABLE h (k INT, n TEXT, v TEXT, PRIMARY KEY (n, k)) "
           "PARTITION BY HASH (k) PARTITIONS 4");
    db.Run("INSERT INTO h VALUES (1, 'x', 'one'), (2, 'x', 'two'), (3, 'y', 'three')");
    for (const char* sql : {"SELECT v FROM r WHERE id = $1", "SELECT v FROM h WHERE k = $1 AND n = $2"}) {
      auto point = db.Prepare(sql);
      REQUIRE(point->point_read.has_value());
    }
    auto in_r = db.Prepare("SELECT v FROM r WHERE id = $1");
    auto in_h = db.Prepare("SELECT v FROM h WHERE k = $1 AND n = $2");
    auto read = [&](const auto& prepared, Row values) {
      auto quick = TryExecuteQuickRead(*prepared, values, *db.db);
      REQUIRE(quick.has_value());
      REQUIRE(quick->ok());
      return (*quick)->rows;
    };
    CHECK(read(in_r, {Value::Integer(150)}) == std::vector<Row>{{Value::Text("b!")}});
    CHECK(read(in_r, {Value::Integer(1)}) == std::vector<Row>{{Value::Text("a!")}});
    CHECK(read(in_r, {Value::Integer(99)}).empty());
    for (auto [k, n, v] : {std::tuple{1, "x", "one"}, {2, "x", "two"}, {3, "y", "three"}}) {
      CHECK(read(in_h, {Value::Integer(k), Value::Text(n)}) == std::vector<Row>{{Value::Text(v)}});
    }
    CHECK(read(in_h, {Value::Integer(3), Value::Text("x")}).empty());
  }

  TEST_CASE("a cancelled statement stops with Cancelled") {
    Db d;
    std::vector<Row> rows;
    for (int i = 0; i < 3000; ++i) rows.push_back({Value::Integer(i)});
    REQUIRE(d.Execute("INSERT INTO t (id) VALUES ($1)", rows).ok());
    auto join = d.Prepare("SELECT count(*) FROM t a, t b WHERE a.id + b.id < $1");
    std::vector<Row> values{{Value::Integer(-1)}};
    CancelFlag flag{true};
    CancelScope scope(&flag);
    auto r = ExecutePrepared(*join, values, *d.db);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kCancelled);
  }
}

}  // namespace
}  // namespace kopf::cerebellum
