// Nothing a user types may crash, hang or break the server: thousands of
// random, truncated and mutated statements, each answered with a result or
// a clean error, and the server still serving afterwards.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "protocol/client.h"
#include "tests/support/test_support.h"

namespace kopf {
namespace {

using protocol::Client;
using protocol::ErrorCode;

const char* const kCorpus[] = {
    "CREATE TABLE t (a INT PRIMARY KEY, b TEXT, c DOUBLE, d BOOLEAN)",
    "CREATE TABLE u (a INT, b TEXT)",
    "INSERT INTO t VALUES (1, 'x', 1.5, TRUE), (2, 'y''z', NULL, FALSE), (3, NULL, -2e10, NULL)",
    "INSERT INTO u (a, b) VALUES (1, 'one'), (2, 'two'), (NULL, '')",
    "INSERT INTO u SELECT a, b FROM t WHERE a < 3",
    "SELECT a, b, c FROM t WHERE a BETWEEN 1 AND 3 ORDER BY c DESC NULLS LAST LIMIT 2 OFFSET 1",
    "SELECT DISTINCT b FROM u ORDER BY 1",
    "SELECT t.a, u.b FROM t JOIN u ON t.a = u.a WHERE t.c > 0 OR u.b LIKE 'o%'",
    "SELECT t.a, u.b FROM t LEFT JOIN u ON t.a = u.a",
    "SELECT count(*), sum(a), avg(c), min(b), max(b), group_concat(b) FROM t",
    "SELECT b, count(*) FROM u GROUP BY b HAVING count(*) > 0",
    "SELECT a FROM t WHERE a IN (SELECT a FROM u) AND EXISTS (SELECT 1 FROM u WHERE u.a = t.a)",
    "SELECT (SELECT max(a) FROM u), a * 2 + 1, -a, a / 0, a % 2, CAST(c AS INTEGER) FROM t",
    "SELECT a FROM t UNION SELECT a FROM u EXCEPT SELECT 2",
    "SELECT CASE WHEN a > 1 THEN 'big' ELSE 'small' END, coalesce(b, 'none'), length(b) FROM t",
    "UPDATE t SET c = c * 2, b = b || '!' WHERE a = 2",
    "UPDATE t SET a = a + 10",
    "DELETE FROM u WHERE a IS NULL",
    "SELECT * FROM t, u AS x, u AS y WHERE x.a = y.a",
    "EXPLAIN SELECT a FROM t WHERE a = 1",
    "SHOW TABLES",
    "DESCRIBE t",
    "SELECT abs(-9223372036854775807 - 1)",
    "SELECT 9223372036854775807 + 1",
    "SELECT substr('hello', -3, 2), upper('x'), trim('  y  '), round(2.567, 2), nullif(1, 1)",
    "CREATE INDEX i_b ON t (b)",
    "DROP INDEX i_b",
    "DROP TABLE u",
};

const char* const kTokens[] = {
    "SELECT", "FROM", "WHERE", "(", ")", ",", "'", "\"", "--", "/*", "*/", "NULL", "1e999",
    "-9223372036854775808", "AND", "OR", "NOT", "IN", "()", "JOIN", "ON", "GROUP BY", "ORDER BY",
    "LIMIT", "UNION", "*", "/", "%", "||", "=", "<>", ";", "t", "u", "a", "\x00", "\xff", "CASE",
    "END", "CAST", "AS", "EXISTS", "(SELECT 1)", "count(*)", "sum(", "9.9e-400", "''''",
};

std::string Mutate(std::mt19937_64& rng, std::string s) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % (n == 0 ? 1 : n)); };
  switch (rng() % 6) {
    case 0:  // truncate
      return s.substr(0, pick(s.size() + 1));
    case 1: {  // delete a span
      size_t at = pick(s.size() + 1);
      return s.erase(at, pick(12));
    }
    case 2: {  // insert a token
      size_t at = pick(s.size() + 1);
      std::string token = kTokens[pick(std::size(kTokens))];
      if (token.empty()) token = std::string(1, '\0');
      return s.insert(at, " " + token + " ");
    }
    case 3: {  // random bytes
      std::string out;
      size_t n = pick(40);
      for (size_t i = 0; i < n; ++i) out += static_cast<char>(rng() & 0xff);
      return out;
    }
    case 4: {  // deep nesting
      size_t depth = 1 + pick(3000);
      return "SELECT " + std::string(depth, '(') + "1" + std::string(depth, ')');
    }
    default:  // duplicate a span
    {
      size_t at = pick(s.size() + 1);
      return s.insert(at, s.substr(at, pick(20)));
    }
  }
}

TEST_SUITE("e2e/fuzz") {
  TEST_CASE("thousands of random and truncated statements never crash or hang the server") {
    testing::TempDir dir;
    auto server = testing::ServerProcess::Start(dir.path() / "data");
    auto connected = Client::Connect("127.0.0.1", server->port());
    REQUIRE(connected.ok());
    auto& client = **connected;

    // A watchdog instead of a per-call timeout: if no statement completes
    // for 30 s, the server is killed and the test fails.
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    int progress = 0;
    std::thread watchdog([&] {
      std::unique_lock lock(mu);
      int seen = -1;
      while (!done) {
        if (seen == progress) {
          server->Kill();
          return;
        }
        seen = progress;
        cv.wait_for(lock, std::chrono::seconds(30), [&] { return done; });
      }
    });

    std::mt19937_64 rng(20261121);
    constexpr int kStatements = 4000;
    int ok = 0, errors = 0;
    std::vector<std::string> internal;
    for (int i = 0; i < kStatements; ++i) {
      std::string sql = kCorpus[rng() % std::size(kCorpus)];
      if (i % 5 != 0) sql = Mutate(rng, sql);
      auto r = client.Query(sql);
      {
        std::lock_guard lock(mu);
        ++progress;
      }
      if (r.ok()) {
        ++ok;
        continue;
      }
      ++errors;
      ErrorCode code = r.status().code();
      REQUIRE_MESSAGE(code != ErrorCode::kProtocolViolation,
                      "the connection broke on: " << sql << " -> " << r.status().ToString());
      if (code == ErrorCode::kInternal) internal.push_back(sql + " -> " + r.status().ToString());
    }
    {
      std::lock_guard lock(mu);
      done = true;
    }
    cv.notify_all();
    watchdog.join();
    MESSAGE(ok << " statements succeeded, " << errors << " failed cleanly");
    for (const auto& s : internal) FAIL_CHECK("internal error: " << s);
    auto alive = client.Query("SELECT 40 + 2");
    REQUIRE(alive.ok());
    CHECK(alive->rows[0][0] == protocol::Value::Integer(42));
  }
}

}  // namespace
}  // namespace kopf
