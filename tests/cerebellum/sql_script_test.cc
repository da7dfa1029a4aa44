// Runs every SQL script in tests/sql through the engine in process, with a
// fresh data directory per script. `restart` closes and reopens the
// database, so persistence scripts exercise recovery too.
#include <memory>

#include <doctest/doctest.h>

#include "cerebellum/engine.h"
#include "cerebrum/database.h"
#include "tests/support/sql_script.h"
#include "tests/support/test_support.h"

namespace kopf::cerebellum {
namespace {

struct InProcessServer {
  explicit InProcessServer(const std::filesystem::path& dir) : dir(dir) { Open(); }
  void Open() {
    cerebrum::Options options;
    options.data_dir = dir;
    auto db_result = cerebrum::Database::Open(options);
    REQUIRE_MESSAGE(db_result.ok(), db_result.status().ToString());
    db = std::move(db_result).value();
    Options engine_options;
    engine_options.worker_threads = 1;
    engine_options.queue_capacity = 1000;
    engine = std::make_unique<Engine>(db.get(), engine_options);
  }
  void Restart() {
    engine.reset();
    db.reset();
    Open();
  }
  protocol::Result<protocol::QueryResult> Execute(const std::string& sql) {
    auto r = engine->ExecuteNow(sql);
    if (!r.ok()) return r.status();
    protocol::QueryResult q;
    q.columns = r->columns;
    q.rows = std::move(r->rows);
    q.tag = r->tag;
    q.count = r->count;
    return q;
  }
  std::filesystem::path dir;
  std::unique_ptr<cerebrum::Database> db;
  std::unique_ptr<Engine> engine;
};

TEST_SUITE("cerebellum/sql_scripts") {
  TEST_CASE("every script in tests/sql passes against the engine in process") {
    auto scripts = testing::AllSqlScripts();
    REQUIRE(!scripts.empty());
    for (const auto& script : scripts) {
      testing::TempDir dir;
      InProcessServer server(dir.path() / "data");
      testing::ScriptHooks hooks;
      hooks.execute = [&](const std::string& sql) { return server.Execute(sql); };
      hooks.restart = [&] { server.Restart(); };
      int run = 0;
      auto failures = testing::RunSqlScript(script, hooks, &run);
      INFO("script " << script.string() << " ran " << run << " records");
      CHECK(run > 0);
      for (const auto& f : failures) FAIL_CHECK(f);
    }
  }
}

}  // namespace
}  // namespace kopf::cerebellum
