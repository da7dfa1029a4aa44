// Partitioned tables in the storage layer: multi-part commits across a
// crash (crafted on disk), compaction of one partition, backups.
#include <fstream>

#include <doctest/doctest.h>

#include "cerebrum/database.h"
#include "tests/support/storage_helpers.h"
#include "tests/support/test_support.h"

namespace kopf::cerebrum {
namespace {

using protocol::Type;
using protocol::Value;

namespace fs = std::filesystem;

// id < 100 in partition "low", the rest in "high".
TableSchema SplitSchema() {
  TableSchema s;
  s.name = "t";
  s.columns = {{"id", Type::kInteger, "INT", true, {}}, {"name", Type::kText, "TEXT", false, {}}};
  s.primary_key = {0};
  s.partitioning.kind = PartitionSpec::Kind::kRange;
  s.partitioning.column = 0;
  s.partitioning.partitions = {{"low", Value::Integer(100)}, {"high", std::nullopt}};
  return s;
}

Change Insert(int64_t id, std::string name) {
  return {Change::Kind::kInsert, {}, {Value::Integer(id), Value::Text(std::move(name))}, 0};
}

std::vector<int64_t> Ids(Table& table) {
  auto lock = table.LockShared();
  std::vector<int64_t> ids;
  for (const auto& partition : table.partitions()) {
    for (auto it = partition->rows().Begin(); it.Valid(); it.Next()) {
      ids.push_back(it.value()[0].as_integer());
    }
  }
  return ids;
}

using testing::ReadTextFile;

// A data directory holding table t with rows 1 (in "low") and 200 (in
// "high") from one multi-part commit, open.
std::unique_ptr<Database> OpenWithTwoParts(const fs::path& dir) {
  auto db = testing::OpenDatabase(dir);
  REQUIRE(db->CreateTable(SplitSchema()).ok());
  auto t = db->FindTable("t");
  REQUIRE(t->Commit(t->LockExclusive(), {Insert(1, "a"), Insert(200, "b")}).ok());
  return db;
}

// The active segment of a partition: the last file manifest.csv names.
fs::path ActiveSegment(const fs::path& folder) {
  std::string manifest = ReadTextFile(folder / "manifest.csv");
  auto start = manifest.rfind(',', manifest.size() - 2) + 1;
  return folder / manifest.substr(start, manifest.size() - 1 - start);
}

TEST_SUITE("cerebrum/partition") {
  TEST_CASE("a statement over two partitions is one commit in both, whole after reopening") {
    testing::TempDir tmp;
    const fs::path low = tmp.path() / "tables" / "t" / "low";
    {
      auto db = OpenWithTwoParts(tmp.path());
      auto t = db->FindTable("t");
      REQUIRE(t->Commit(t->LockExclusive(), {Insert(2, "c")}).ok());
      // The other partition's part lives on only in its snapshot.
      REQUIRE(t->partitions()[1]->Compact().ok());
    }
    std::string segment = ReadTextFile(ActiveSegment(low));
    CHECK(segment.find("1,commit:0:1,,\n") != std::string::npos);
    CHECK(segment.find("2,commit,,\n") != std::string::npos);  // one partition: a plain commit
    auto db = testing::OpenDatabase(tmp.path());
    CHECK(Ids(*db->FindTable("t")) == std::vector<int64_t>{1, 2, 200});
  }

  TEST_CASE("a torn multi-part commit stays dropped after the other partition compacts") {
    testing::TempDir tmp;
    const fs::path low = tmp.path() / "tables" / "t" / "low";
    OpenWithTwoParts(tmp.path());
    // Commit 5 reached "low" whole but never "high": a crash between the
    // two appends.
    {
      std::ofstream out(ActiveSegment(low), std::ios::app | std::ios::binary);
      out << "5,put,5,torn\n5,commit:0:1,,\n";
    }
    {
      auto db = testing::OpenDatabase(tmp.path());
      auto t = db->FindTable("t");
      CHECK(Ids(*t) == std::vector<int64_t>{1, 200});
      // Voided on disk before any write.
      CHECK(ReadTextFile(ActiveSegment(low)).find("5,abort,,\n") != std::string::npos);
      // New commits in "high" go past 5, and its snapshot carries them: its
      // number alone would make commit 5 look whole.
      REQUIRE(t->Commit(t->LockExclusive(), {Insert(300, "c")}).ok());
      REQUIRE(t->Commit(t->LockExclusive(), {Insert(301, "d")}).ok());
      REQUIRE(t->partitions()[1]->Compact().ok());
    }
    auto db = testing::OpenDatabase(tmp.path());
    CHECK(Ids(*db->FindTable("t")) == std::vector<int64_t>{1, 200, 300, 301});
  }

  TEST_CASE("a row moved to another partition by an update survives reopening") {
    testing::TempDir tmp;
    {
      auto db = testing::OpenDatabase(tmp.path());
      REQUIRE(db->CreateTable(SplitSchema()).ok());
      auto t = db->FindTable("t");
      REQUIRE(t->Commit(t->LockExclusive(), {Insert(1, "a")}).ok());
      Change move{Change::Kind::kUpdate,
                  {Value::Integer(1)},
                  {Value::Integer(150), Value::Text("moved")},
                  0};
      auto r = t->Commit(t->LockExclusive(), {move});
      REQUIRE(r.ok());
      CHECK(*r == 1);
    }
    auto db = testing::OpenDatabase(tmp.path());
    auto t = db->FindTable("t");
    CHECK(Ids(*t) == std::vector<int64_t>{150});
    CHECK(t->partitions()[0]->row_count() == 0);
  }

  TEST_CASE("a backup of a partitioned table restores every partition") {
    testing::TempDir tmp;
    const fs::path target = tmp.path() / "backups" / "b1";
    {
      auto db = testing::OpenDatabase(tmp.path() / "live");
      REQUIRE(db->CreateTable(SplitSchema()).ok());
      IndexSchema by_name{"t_name", "t", {1}, {false}, false};
      REQUIRE(db->CreateIndex(by_name).ok());
      auto t = db->FindTable("t");
      REQUIRE(t->Commit(t->LockExclusive(), {Insert(1, "a"), Insert(200, "b")}).ok());
      REQUIRE(t->partitions()[0]->Compact().ok());
      REQUIRE(t->Commit(t->LockExclusive(), {Insert(2, "c")}).ok());
      fs::create_directories(target.parent_path());
      auto summary = db->Backup(target);
      REQUIRE_MESSAGE(summary.ok(), summary.status().ToString());
    }
    CHECK(fs::exists(target / "tables" / "t" / "partitions.csv"));
    auto db = testing::OpenDatabase(target);
    auto t = db->FindTable("t");
    REQUIRE(t);
    CHECK(Ids(*t) == std::vector<int64_t>{1, 2, 200});
    CHECK(db->IndexesOf("t").size() == 1);
  }
}

}  // namespace
}  // namespace kopf::cerebrum
