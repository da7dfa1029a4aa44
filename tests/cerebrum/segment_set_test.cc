// Rolling segments, the manifest, crash leftovers, --repair, and
// compaction (COMPACT TABLE's storage side and the background thread),
// through the storage layer's own interface and real files.
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>

#include "cerebrum/database.h"
#include "cerebrum/segment_format.h"
#include "tests/support/storage_helpers.h"
#include "tests/support/test_support.h"

namespace kopf::cerebrum {
namespace {

using protocol::ErrorCode;
using protocol::Type;
using protocol::Value;

namespace fs = std::filesystem;
using testing::KeyValueContents;
using testing::KeyValueSchema;
using testing::OpenDatabase;
using testing::ReadTextFile;

Options SmallSegments(const fs::path& dir) {
  Options options;
  options.data_dir = dir;
  options.segment_max_bytes = 200;
  options.compact_dead_fraction = 0;  // compaction only when a test asks
  options.compact_max_segments = 0;
  return options;
}

Change Put(int64_t k, std::string v) {
  return {Change::Kind::kInsert, {}, {Value::Integer(k), Value::Text(std::move(v))}};
}
Change Set(int64_t k, std::string v) {
  return {
      Change::Kind::kUpdate, {Value::Integer(k)}, {Value::Integer(k), Value::Text(std::move(v))}};
}
Change Del(int64_t k) { return {Change::Kind::kDelete, {Value::Integer(k)}, {}}; }

// The file without the zeros an open active segment has written ahead of
// its commits.
std::string ReadCommitted(const fs::path& file) {
  std::string text = ReadTextFile(file);
  text.erase(text.find_last_not_of('\0') + 1);
  return text;
}

void WriteRaw(const fs::path& file, const std::string& bytes, bool append = true) {
  std::ofstream out(file, (append ? std::ios::app : std::ios::trunc) | std::ios::binary);
  out << bytes;
}

// The manifest's file names, in order.
std::vector<std::string> Manifest(const fs::path& folder) {
  std::vector<std::string> names;
  std::istringstream in(ReadTextFile(folder / kManifestFileName));
  std::string line;
  std::getline(in, line);
  REQUIRE(line == kManifestHeader);
  while (std::getline(in, line)) names.push_back(line.substr(line.find(',') + 1));
  return names;
}

// Applies random inserts, updates and deletes of 200 keys to `table` and
// to `model` alike.
void RandomWrites(Table& table, std::map<int64_t, std::string>* model, int statements,
                  std::mt19937* rng) {
  for (int i = 0; i < statements; ++i) {
    std::vector<Change> changes;
    std::map<int64_t, std::string> next = *model;
    int n = 1 + static_cast<int>((*rng)() % 3);
    for (int j = 0; j < n; ++j) {
      int64_t k = (*rng)() % 200;
      if (std::any_of(changes.begin(), changes.end(), [&](const Change& c) {
            return (c.kind == Change::Kind::kInsert ? c.row[0] : c.key[0]).as_integer() == k;
          })) {
        continue;
      }
      std::string v = fmt::format("v{}-{}", k, (*rng)() % 1000);
      if (!next.contains(k)) {
        changes.push_back(Put(k, v));
        next[k] = v;
      } else if ((*rng)() % 3 == 0) {
        changes.push_back(Del(k));
        next.erase(k);
      } else {
        changes.push_back(Set(k, v));
        next[k] = v;
      }
    }
    auto r = table.Commit(table.LockExclusive(), std::move(changes));
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    *model = std::move(next);
  }
}

TEST_SUITE("cerebrum/segments") {
  TEST_CASE("segments roll over at the size limit and each is a whole CSV file") {
    testing::TempDir tmp;
    Options options = SmallSegments(tmp.path());
    std::map<int64_t, std::string> model;
    std::mt19937 rng(7);
    fs::path folder = tmp.path() / "tables" / "kv";
    {
      auto db = OpenDatabase(options);
      REQUIRE(db->CreateTable(KeyValueSchema("kv")).ok());
      RandomWrites(*db->FindTable("kv"), &model, 100, &rng);
    }
    std::vector<std::string> files = Manifest(folder);
    REQUIRE(files.size() > 5);
    for (size_t i = 0; i < files.size(); ++i) {
      CHECK(files[i] == SegmentFileName(i + 1));
      std::string text = ReadTextFile(folder / files[i]);
      INFO(files[i] << ":\n" << text);
      CHECK(text.starts_with("_seq,_op,k,v\n"));
      // A commit never spans two files: each ends with a commit line, or
      // is the active one holding only its header.
      CHECK((text.ends_with(",commit,,\n") || text == "_seq,_op,k,v\n"));
    }
    auto db = OpenDatabase(options);
    CHECK(KeyValueContents(*db->FindTable("kv")) == model);
  }

  TEST_CASE("a bulk insert (COPY) rolls over like a commit and stays one commit in one file") {
    testing::TempDir tmp;
    Options options = SmallSegments(tmp.path());
    fs::path folder = tmp.path() / "tables" / "kv";
    std::map<int64_t, std::string> model;
    {
      auto db = OpenDatabase(options);
      REQUIRE(db->CreateTable(KeyValueSchema("kv")).ok());
      auto t = db->FindTable("kv");
      // Fill the active segment past its limit, then load 50 rows (far
      // more than 200 bytes) at once.
      REQUIRE(t->Commit(t->LockExclusive(), {Put(1, std::string(300, 'x'))}).ok());
      model[1] = std::string(300, 'x');
      std::vector<protocol::Row> rows;
      for (int64_t k = 1000; k < 1050; ++k) {
        rows.push_back({Value::Integer(k), Value::Text(fmt::format("bulk{}", k))});
        model[k] = fmt::format("bulk{}", k);
      }
      size_t failed = 0;
      const size_t before = Manifest(folder).size();
      auto loaded = t->BulkInsert(t->LockExclusive(), std::move(rows), &failed);
      REQUIRE_MESSAGE(loaded.ok(), loaded.status().ToString());
      CHECK(*loaded == 50);
      std::vector<std::string> files = Manifest(folder);
      CHECK(files.size() == before + 1);  // the full segment was closed first
      std::string last = ReadCommitted(folder / files.back());
      CHECK(last.size() > options.segment_max_bytes);  // one commit, unsplit
      CHECK(last.find("bulk1000") != std::string::npos);
      CHECK(last.find("bulk1049") != std::string::npos);
      CHECK(last.ends_with(",commit,,\n"));
      REQUIRE(t->Commit(t->LockExclusive(), {Put(2000, "after")}).ok());
      model[2000] = "after";
      CHECK(Manifest(folder).size() == before + 2);  // the next commit rolls over
    }
    auto db = OpenDatabase(options);
    CHECK(KeyValueContents(*db->FindTable("kv")) == model);
  }

  TEST_CASE("memory-only storage writes no file, and compaction has nothing to do") {
    testing::TempDir tmp;
    Options options = SmallSegments(tmp.path() / "data");
    options.storage = StorageMode::kMemory;
    options.compact_max_segments = 1;  // would compact at once on disk
    auto db = OpenDatabase(options);
    REQUIRE(db->CreateTable(KeyValueSchema("kv")).ok());
    auto t = db->FindTable("kv");
    std::map<int64_t, std::string> model;
    std::mt19937 rng(5);
    RandomWrites(*t, &model, 50, &rng);
    size_t failed = 0;
    REQUIRE(t->BulkInsert(t->LockExclusive(), {{Value::Integer(500), Value::Text("b")}}, &failed)
                .ok());
    model[500] = "b";
    CHECK_FALSE(t->NeedsCompaction());
    auto compacted = db->CompactTable("kv");
    REQUIRE_MESSAGE(compacted.ok(), compacted.status().ToString());
    CHECK(*compacted == model.size());
    CHECK(KeyValueContents(*t) == model);
    CHECK(t->Files().active.empty());
    CHECK(!fs::exists(tmp.path() / "data"));
  }

  TEST_CASE("a folder written before manifests existed opens and gets a manifest") {
    testing::TempDir tmp;
    fs::path folder = tmp.path() / "tables" / "kv";
    {
      auto db = OpenDatabase(SmallSegments(tmp.path()));
      REQUIRE(db->CreateTable(KeyValueSchema("kv")).ok());
    }
    fs::remove(folder / kManifestFileName);
    WriteRaw(folder / "segment-000001.csv", "1,put,1,a\n1,commit,,\n");
    WriteRaw(folder / "segment-000002.csv", "_seq,_op,k,v\n2,put,2,b\n2,commit,,\n", false);
    auto db = OpenDatabase(SmallSegments(tmp.path()));
    auto t = db->FindTable("kv");
    CHECK(KeyValueContents(*t) == std::map<int64_t, std::string>{{1, "a"}, {2, "b"}});
    CHECK(Manifest(folder) == std::vector<std::string>{"segment-000001.csv", "segment-000002.csv"});
    REQUIRE(t->Commit(t->LockExclusive(), {Put(3, "c")}).ok());
    CHECK(ReadCommitted(folder / "segment-000002.csv").ends_with("3,put,3,c\n3,commit,,\n"));
  }

  TEST_CASE("crash leftovers of rollover and compaction are removed, strangers ignored") {
    testing::TempDir tmp;
    fs::path folder = tmp.path() / "tables" / "kv";
    std::map<int64_t, std::string> model;
    std::mt19937 rng(11);
    {
      auto db = OpenDatabase(SmallSegments(tmp.path()));
      REQUIRE(db->CreateTable(KeyValueSchema("kv")).ok());
      RandomWrites(*db->FindTable("kv"), &model, 30, &rng);
      REQUIRE(db->CompactTable("kv").ok());
      RandomWrites(*db->FindTable("kv"), &model, 30, &rng);
    }
    std::vector<std::string> live = Manifest(folder);
    REQUIRE(live.front().starts_with(kSnapshotPrefix));
    // A retired segment (crash between manifest and delete), a snapshot
    // never published, a half-written one, a rollover that stopped before
    // its manifest, a half-written manifest, and a file of someone else's.
    WriteRaw(folder / "segment-000001.csv", "_seq,_op,k,v\n1,put,1,stale\n1,commit,,\n");
    WriteRaw(folder / SnapshotFileName(999999), "_seq,_op,k,v\n999999,commit,,\n");
    WriteRaw(folder / (SnapshotFileName(1000000) + ".tmp"), "_seq,_op,k,v\n1,put,1,");
    WriteRaw(folder / SegmentFileName(900), "_seq,_op,k,v\n");
    WriteRaw(folder / "manifest.csv.tmp", "kind,file\nsegment,segm");
    WriteRaw(folder / "notes.txt", "mine");
    {
      auto db = OpenDatabase(SmallSegments(tmp.path()));
      CHECK(KeyValueContents(*db->FindTable("kv")) == model);
    }
    CHECK(Manifest(folder) == live);
    for (const char* gone : {"segment-000001.csv", "segment-000900.csv", "manifest.csv.tmp"}) {
      CHECK_MESSAGE(!fs::exists(folder / gone), gone);
    }
    CHECK(!fs::exists(folder / SnapshotFileName(999999)));
    CHECK(!fs::exists(folder / (SnapshotFileName(1000000) + ".tmp")));
    CHECK(fs::exists(folder / "notes.txt"));
  }

  TEST_CASE("only the active segment holds preallocated zeros, and recovery cuts them off") {
    testing::TempDir tmp, crash_tmp;
    fs::path crashed = crash_tmp.path() / "data";
    fs::path folder = tmp.path() / "tables" / "kv";
    std::map<int64_t, std::string> model;
    {
      auto db = OpenDatabase(SmallSegments(tmp.path()));
      REQUIRE(db->CreateTable(KeyValueSchema("kv")).ok());
      auto t = db->FindTable("kv");
      std::mt19937 rng(5);
      RandomWrites(*t, &model, 60, &rng);
      std::vector<std::string> files = Manifest(folder);
      REQUIRE(files.size() > 2);
      for (size_t i = 0; i + 1 < files.size(); ++i) {
        CHECK(ReadTextFile(folder / files[i]).find('\0') == std::string::npos);  // sealed: exact
      }
      std::string active = ReadTextFile(folder / files.back());
      CHECK(active.ends_with('\0'));
      CHECK(ReadCommitted(folder / files.back()).ends_with(",commit,,\n"));
      // The files as a crash would leave them (the process gone, the
      // zeros still there).
      fs::copy(tmp.path(), crashed, fs::copy_options::recursive);
    }
    // A graceful close cuts the zeros.
    std::vector<std::string> files = Manifest(folder);
    CHECK(ReadTextFile(folder / files.back()).find('\0') == std::string::npos);
    auto db = OpenDatabase(SmallSegments(crashed));
    auto t = db->FindTable("kv");
    CHECK(KeyValueContents(*t) == model);
    fs::path active = crashed / "tables" / "kv" / Manifest(crashed / "tables" / "kv").back();
    CHECK(ReadTextFile(active) == ReadCommitted(active));
    REQUIRE(t->Commit(t->LockExclusive(), {Put(9999, "after")}).ok());
    model[9999] = "after";
    CHECK(KeyValueContents(*t) == model);
  }

  TEST_CASE("Files lists the immutable files and the active segment's committed length") {
    testing::TempDir tmp;
    auto db = OpenDatabase(SmallSegments(tmp.path()));
    REQUIRE(db->CreateTable(KeyValueSchema("kv")).ok());
    auto t = db->FindTable("kv");
    std::map<int64_t, std::string> model;
    std::mt19937 rng(13);
    RandomWrites(*t, &model, 40, &rng);
    REQUIRE(db->CompactTable("kv").ok());
    RandomWrites(*t, &model, 10, &rng);
    auto lock = t->LockShared();
    SegmentSetFiles files = t->Files();
    REQUIRE(!files.immutable.empty());
    CHECK(files.immutable.front().filename().string().starts_with(kSnapshotPrefix));
    for (const fs::path& f : files.immutable) CHECK(fs::exists(f));
    CHECK(files.active.filename() == Manifest(t->folder()).back());
    CHECK(files.active_bytes == ReadCommitted(files.active).size());
    CHECK(fs::file_size(files.active) > files.active_bytes);  // zeros written ahead
    CHECK(files.last_sequence == db->last_sequence());
  }

  TEST_CASE("a file the manifest names but that is missing stops start-up") {
    testing::TempDir tmp;
    fs::path folder = tmp.path() / "tables" / "kv";
    {
      auto db = OpenDatabase(SmallSegments(tmp.path()));
      REQUIRE(db->CreateTable(KeyValueSchema("kv")).ok());
    }
    WriteRaw(folder / kManifestFileName, "segment,segment-000002.csv\n");
    auto db = Database::Open(SmallSegments(tmp.path()));
    REQUIRE(!db.ok());
    CHECK(db.status().code() == ErrorCode::kCorruption);
    CHECK(db.status().message().find("segment-000002.csv, which is missing") != std::string::npos);
  }

  TEST_CASE("repair cuts damage in the middle, saves it aside and keeps later files") {
    testing::TempDir tmp;
    fs::path folder = tmp.path() / "tables" / "kv";
    Options options = SmallSegments(tmp.path());
    options.segment_max_bytes = 1;  // one commit per segment
    {
      auto db = OpenDatabase(options);
      REQUIRE(db->CreateTable(KeyValueSchema("kv")).ok());
      auto t = db->FindTable("kv");
      for (int k = 1; k <= 3; ++k) {
        REQUIRE(t->Commit(t->LockExclusive(), {Put(k, fmt::format("r{}", k))}).ok());
      }
    }
    // Damage segment 2 (key 2): a bad value, then a complete commit.
    fs::path seg2 = folder / SegmentFileName(2);
    std::string original = ReadTextFile(seg2);
    WriteRaw(seg2, "_seq,_op,k,v\n2,put,x,r2\n2,commit,,\n", false);
    auto refused = Database::Open(options);
    REQUIRE(!refused.ok());
    CHECK(refused.status().code() == ErrorCode::kCorruption);
    CHECK(refused.status().message().find("segment-000002.csv line 2") != std::string::npos);

    options.repair = true;
    {
      auto db = OpenDatabase(options);
      CHECK(KeyValueContents(*db->FindTable("kv")) == std::map<int64_t, std::string>{{1, "r1"}, {3, "r3"}});
    }
    CHECK(ReadTextFile(seg2) == "_seq,_op,k,v\n");
    int saved = 0;
    for (const auto& entry : fs::directory_iterator(folder)) {
      std::string name = entry.path().filename().string();
      if (name.starts_with("segment-000002.csv.damaged-")) {
        ++saved;
        CHECK(ReadTextFile(entry.path()) == "2,put,x,r2\n2,commit,,\n");
      }
    }
    CHECK(saved == 1);
    options.repair = false;  // the repaired folder opens normally now
    auto db = OpenDatabase(options);
    CHECK(db->FindTable("kv")->row_count() == 2);
  }
}

TEST_SUITE("cerebrum/compaction") {
  TEST_CASE("compaction keeps exactly the live rows and retires the covered files") {
    testing::TempDir tmp;
    Options options = SmallSegments(tmp.path());
    fs::path folder = tmp.path() / "tables" / "kv";
    std::map<int64_t, std::string> model;
    std::mt19937 rng(3);
    for (int round = 0; round < 4; ++round) {
      auto db = OpenDatabase(options);
      if (round == 0) REQUIRE(db->CreateTable(KeyValueSchema("kv")).ok());
      auto t = db->FindTable("kv");
      CHECK(KeyValueContents(*t) == model);
      RandomWrites(*t, &model, 60, &rng);
      uint64_t lines = t->line_count();
      auto rows = db->CompactTable("kv");
      REQUIRE_MESSAGE(rows.ok(), rows.status().ToString());
      CHECK(*rows == model.size());
      CHECK(t->line_count() == model.size());
      CHECK(lines > t->line_count());
      std::vector<std::string> files = Manifest(folder);
      REQUIRE(files.size() == 2);
      CHECK(files[0].starts_with(kSnapshotPrefix));
      CHECK(files[1].starts_with(kSegmentPrefix));
      size_t on_disk = 0;
      for (const auto& entry : fs::directory_iterator(folder)) {
        on_disk += entry.path().filename().string().starts_with("s") &&
                   entry.path().filename() != kSchemaFileName;
      }
      CHECK(on_disk == 2);
      RandomWrites(*t, &model, 20, &rng);
      CHECK(KeyValueContents(*t) == model);
    }
    auto db = OpenDatabase(options);
    CHECK(KeyValueContents(*db->FindTable("kv")) == model);
  }

  TEST_CASE("writers and readers carry on during compaction and nothing is lost") {
    testing::TempDir tmp;
    Options options = SmallSegments(tmp.path());
    options.segment_max_bytes = 4096;
    std::map<int64_t, std::string> model;
    {
      auto db = OpenDatabase(options);
      REQUIRE(db->CreateTable(KeyValueSchema("kv")).ok());
      auto t = db->FindTable("kv");
      std::vector<Change> load;
      for (int64_t k = 0; k < 20000; ++k) load.push_back(Put(k, fmt::format("first {}", k)));
      REQUIRE(t->Commit(t->LockExclusive(), std::move(load)).ok());
      for (int64_t k = 0; k < 20000; ++k) model[k] = fmt::format("first {}", k);
      // A writer rewrites and deletes rows while two compactions run.
      std::atomic<bool> stop{false};
      std::thread writer([&] {
        std::mt19937 rng(5);
        int n = 0;
        while (!stop.load() || n < 200) {
          int64_t k = rng() % 20000;
          auto r = model.contains(k) && n % 4 == 0
                       ? t->Commit(t->LockExclusive(), {Del(k)})
                       : t->Commit(t->LockExclusive(),
                                   {model.contains(k) ? Set(k, fmt::format("n{}", n))
                                                      : Put(k, fmt::format("n{}", n))});
          CHECK(r.ok());
          if (model.contains(k) && n % 4 == 0) {
            model.erase(k);
          } else {
            model[k] = fmt::format("n{}", n);
          }
          ++n;
        }
      });
      for (int i = 0; i < 2; ++i) REQUIRE(db->CompactTable("kv").ok());
      stop.store(true);
      writer.join();
      CHECK(KeyValueContents(*t) == model);
    }
    auto db = OpenDatabase(options);
    CHECK(KeyValueContents(*db->FindTable("kv")) == model);
  }

  TEST_CASE("the background thread compacts a table past its thresholds") {
    testing::TempDir tmp;
    Options options = SmallSegments(tmp.path());
    int statements = 40;
    SUBCASE("too many segments") { options.compact_max_segments = 4; }
    SUBCASE("too many dead lines") {
      options.segment_max_bytes = 1 << 20;  // one segment throughout
      options.compact_dead_fraction = 0.5;
      options.compact_min_lines = 50;
      statements = 400;  // about 800 lines for at most 200 rows
    }
    fs::path folder = tmp.path() / "tables" / "kv";
    std::map<int64_t, std::string> model;
    std::mt19937 rng(9);
    auto db = OpenDatabase(options);
    REQUIRE(db->CreateTable(KeyValueSchema("kv")).ok());
    auto t = db->FindTable("kv");
    RandomWrites(*t, &model, statements, &rng);
    // The compaction runs on its own thread; wait for its manifest.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!Manifest(folder).front().starts_with(kSnapshotPrefix) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    CHECK(Manifest(folder).front().starts_with(kSnapshotPrefix));
    CHECK(KeyValueContents(*t) == model);
    db.reset();
    db = OpenDatabase(options);
    CHECK(KeyValueContents(*db->FindTable("kv")) == model);
  }

  TEST_CASE("tables without a primary key keep their row ids across compaction") {
    testing::TempDir tmp;
    Options options = SmallSegments(tmp.path());
    TableSchema log;
    log.name = "log";
    log.columns = {{"msg", Type::kText, "TEXT", false, {}}};
    {
      auto db = OpenDatabase(options);
      REQUIRE(db->CreateTable(log).ok());
      auto t = db->FindTable("log");
      for (int i = 0; i < 10; ++i) {
        REQUIRE(t->Commit(t->LockExclusive(),
                          {{Change::Kind::kInsert, {}, {Value::Text(fmt::format("m{}", i))}}})
                    .ok());
      }
      REQUIRE(
          t->Commit(t->LockExclusive(), {{Change::Kind::kDelete, {Value::Integer(3)}, {}}}).ok());
      REQUIRE(db->CompactTable("log").ok());
    }
    auto db = OpenDatabase(options);
    auto t = db->FindTable("log");
    REQUIRE(
        t->Commit(t->LockExclusive(), {{Change::Kind::kInsert, {}, {Value::Text("new")}}}).ok());
    auto lock = t->LockShared();
    std::vector<int64_t> ids;
    for (auto it = t->rows().Begin(); it.Valid(); it.Next())
      ids.push_back(it.key()[0].as_integer());
    CHECK(ids == std::vector<int64_t>{1, 2, 4, 5, 6, 7, 8, 9, 10, 11});
  }
}

}  // namespace
}  // namespace kopf::cerebrum
