// The storage layer through its own interface: commits, recovery, torn
// tails, damage in the middle, crash leftovers, concurrent writers.
#include <fstream>
#include <thread>

#include <doctest/doctest.h>

#include "cerebrum/database.h"
#include "tests/support/storage_helpers.h"
#include "tests/support/test_support.h"

namespace kopf::cerebrum {
namespace {

using protocol::ErrorCode;
using protocol::Row;
using protocol::Type;
using protocol::Value;

namespace fs = std::filesystem;

TableSchema PeopleSchema() {
  TableSchema s;
  s.name = "people";
  s.columns = {{"id", Type::kInteger, "INT", true, {}},
               {"name", Type::kText, "TEXT", false, {}},
               {"score", Type::kDouble, "DOUBLE", false, {}}};
  s.primary_key = {0};
  return s;
}

Change Insert(int64_t id, std::string name) {
  return {Change::Kind::kInsert, {}, {Value::Integer(id), Value::Text(std::move(name)), Value()}};
}

std::vector<int64_t> Ids(Table& table) {
  auto lock = table.LockShared();
  std::vector<int64_t> ids;
  for (auto it = table.rows().Begin(); it.Valid(); it.Next()) {
    ids.push_back(it.value()[0].as_integer());
  }
  return ids;
}

fs::path SegmentOf(const fs::path& dir, const std::string& table) {
  return dir / "tables" / table / "segment-000001.csv";
}

void AppendRaw(const fs::path& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::app | std::ios::binary);
  out << bytes;
}

TEST_SUITE("cerebrum/database") {
  TEST_CASE("committed rows come back after reopening, as a readable CSV file") {
    testing::TempDir tmp;
    {
      auto db = testing::OpenDatabase(tmp.path());
      REQUIRE(db->CreateTable(PeopleSchema()).ok());
      auto t = db->FindTable("people");
      auto r = t->Commit(t->LockExclusive(), {Insert(2, "b, \"quoted\""), Insert(1, "")});
      REQUIRE(r.ok());
      CHECK(*r == 2);
      Change update{Change::Kind::kUpdate, {Value::Integer(2)},
                    {Value::Integer(2), Value::Text("line\nbreak"), Value::Double(0.5)}};
      REQUIRE(t->Commit(t->LockExclusive(), {update}).ok());
    }
    std::string csv = testing::ReadTextFile(SegmentOf(tmp.path(), "people"));
    CHECK(csv ==
          "_seq,_op,id,name,score\n"
          "1,put,1,\"\",\n"
          "1,put,2,\"b, \"\"quoted\"\"\",\n"
          "1,commit,,,\n"
          "2,put,2,\"line\nbreak\",0.5\n"
          "2,commit,,,\n");
    auto db = testing::OpenDatabase(tmp.path());
    auto t = db->FindTable("people");
    REQUIRE(t);
    CHECK(t->schema() == PeopleSchema());
    auto lock = t->LockShared();
    const Row* row = t->rows().Find({Value::Integer(2)});
    REQUIRE(row);
    CHECK((*row)[1] == Value::Text("line\nbreak"));
    CHECK((*row)[2] == Value::Double(0.5));
    const Row* empty = t->rows().Find({Value::Integer(1)});
    REQUIRE(empty);
    CHECK((*empty)[1] == Value::Text(""));
    CHECK((*empty)[2].is_null());
  }

  TEST_CASE("a batch with a duplicate key changes nothing, on disk or in memory") {
    testing::TempDir tmp;
    auto db = testing::OpenDatabase(tmp.path());
    REQUIRE(db->CreateTable(PeopleSchema()).ok());
    auto t = db->FindTable("people");
    REQUIRE(t->Commit(t->LockExclusive(), {Insert(1, "a")}).ok());
    auto size_before = fs::file_size(SegmentOf(tmp.path(), "people"));
    auto r = t->Commit(t->LockExclusive(), {Insert(2, "b"), Insert(1, "again")});
    REQUIRE(!r.ok());
    CHECK(r.status().code() == ErrorCode::kDuplicateKey);
    CHECK(Ids(*t) == std::vector<int64_t>{1});
    CHECK(fs::file_size(SegmentOf(tmp.path(), "people")) == size_before);
  }

  TEST_CASE("a torn last line and a commit without its commit record are cut off") {
    testing::TempDir tmp;
    {
      auto db = testing::OpenDatabase(tmp.path());
      REQUIRE(db->CreateTable(PeopleSchema()).ok());
      auto t = db->FindTable("people");
      REQUIRE(t->Commit(t->LockExclusive(), {Insert(1, "a")}).ok());
    }
    fs::path seg = SegmentOf(tmp.path(), "people");
    auto good_size = fs::file_size(seg);
    SUBCASE("torn line") { AppendRaw(seg, "2,put,2,\"half a val"); }
    SUBCASE("complete lines without commit") { AppendRaw(seg, "2,put,2,b,\n2,put,3,c,\n"); }
    SUBCASE("torn commit line") { AppendRaw(seg, "2,put,2,b,\n2,comm"); }
    {
      auto db = testing::OpenDatabase(tmp.path());
      auto t = db->FindTable("people");
      CHECK(Ids(*t) == std::vector<int64_t>{1});
      CHECK(fs::file_size(seg) == good_size);
      // New commits continue cleanly after the cut.
      REQUIRE(t->Commit(t->LockExclusive(), {Insert(5, "e")}).ok());
    }
    auto db = testing::OpenDatabase(tmp.path());
    CHECK(Ids(*db->FindTable("people")) == std::vector<int64_t>{1, 5});
  }

  TEST_CASE("a damaged line followed by complete commits stops start-up, naming file and line") {
    testing::TempDir tmp;
    {
      auto db = testing::OpenDatabase(tmp.path());
      REQUIRE(db->CreateTable(PeopleSchema()).ok());
      auto t = db->FindTable("people");
      REQUIRE(t->Commit(t->LockExclusive(), {Insert(1, "a")}).ok());
    }
    fs::path seg = SegmentOf(tmp.path(), "people");
    AppendRaw(seg, "2,put,notanumber,b,\n2,commit,,,\n3,put,3,c,\n3,commit,,,\n");
    Options options;
    options.data_dir = tmp.path();
    auto db = Database::Open(options);
    REQUIRE(!db.ok());
    CHECK(db.status().code() == ErrorCode::kCorruption);
    CHECK(db.status().message().find("segment-000001.csv line 4") != std::string::npos);
    // Nothing was cut: the data stays for a person to inspect.
    CHECK(testing::ReadTextFile(seg).find("3,commit") != std::string::npos);
  }

  TEST_CASE("crash leftovers and stray files are cleaned up or ignored") {
    testing::TempDir tmp;
    {
      auto db = testing::OpenDatabase(tmp.path());
      REQUIRE(db->CreateTable(PeopleSchema()).ok());
    }
    fs::create_directories(tmp.path() / "tables" / ".creating-half");
    fs::create_directories(tmp.path() / "tables" / "no_schema_here");
    AppendRaw(tmp.path() / "tables" / "people" / "notes.txt", "hello");
    auto db = testing::OpenDatabase(tmp.path());
    CHECK(db->TableNames() == std::vector<std::string>{"people"});
    CHECK(!fs::exists(tmp.path() / "tables" / ".creating-half"));
    CHECK(fs::exists(tmp.path() / "tables" / "people" / "notes.txt"));
  }

  TEST_CASE("a second server on the same data directory is refused") {
    testing::TempDir tmp;
    auto db = testing::OpenDatabase(tmp.path());
    Options options;
    options.data_dir = tmp.path();
    auto second = Database::Open(options);
    REQUIRE(!second.ok());
    CHECK(second.status().code() == ErrorCode::kIoError);
  }

  TEST_CASE("dropping a table removes its folder and lets the name be reused") {
    testing::TempDir tmp;
    auto db = testing::OpenDatabase(tmp.path());
    REQUIRE(db->CreateTable(PeopleSchema()).ok());
    auto old_table = db->FindTable("people");
    REQUIRE(db->DropTable("people").ok());
    CHECK(!fs::exists(tmp.path() / "tables" / "people"));
    CHECK(db->FindTable("people") == nullptr);
    auto late = old_table->Commit(old_table->LockExclusive(), {Insert(1, "a")});
    CHECK(late.status().code() == ErrorCode::kUndefinedTable);
    REQUIRE(db->CreateTable(PeopleSchema()).ok());
    CHECK(Ids(*db->FindTable("people")).empty());
  }

  TEST_CASE("concurrent writers share fsyncs and lose nothing") {
    testing::TempDir tmp;
    constexpr int kThreads = 8, kEach = 100;
    {
      auto db = testing::OpenDatabase(tmp.path());
      REQUIRE(db->CreateTable(PeopleSchema()).ok());
      auto t = db->FindTable("people");
      std::vector<std::thread> threads;
      std::atomic<int> failures{0};
      for (int w = 0; w < kThreads; ++w) {
        threads.emplace_back([&, w] {
          for (int i = 0; i < kEach; ++i) {
            auto r = t->Commit(t->LockExclusive(), {Insert(w * kEach + i, "x")});
            if (!r.ok()) ++failures;
          }
        });
      }
      for (auto& th : threads) th.join();
      CHECK(failures == 0);
    }
    auto db = testing::OpenDatabase(tmp.path());
    CHECK(Ids(*db->FindTable("people")).size() == kThreads * kEach);
  }
}

}  // namespace
}  // namespace kopf::cerebrum
