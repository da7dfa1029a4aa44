// Backups through the storage layer's own interface and real files: a
// backup cut while a writer and compactions run restores exactly the rows
// of its commit number; sealed files are hard-linked and the active segment
// copied; verification finds damage; BACKUP TO paths stay inside the
// backup directory.
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include <doctest/doctest.h>

#include "cerebrum/backup.h"
#include "cerebrum/backup_manifest.h"
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

using Model = std::map<int64_t, std::string>;

Options Storage(const fs::path& data_dir) {
  Options options;
  options.data_dir = data_dir;
  options.segment_max_bytes = 512;  // many segments
  options.compact_dead_fraction = 0;  // compactions only where a test runs them
  options.compact_max_segments = 0;
  options.sync = SyncMode::kNone;  // durability is not what these tests are about
  return options;
}

Model Contents(const Database& db) {
  auto table = db.FindTable("numbers");
  REQUIRE(table);
  return KeyValueContents(*table);
}

// One committed statement of the writer: its commit number and what it did
// (a value to put, or nothing for a delete).
struct Step {
  uint64_t seq = 0;
  int64_t key = 0;
  std::optional<std::string> value;
};

// The writer's rows as of commit `seq`.
Model StateAt(const std::vector<Step>& steps, uint64_t seq) {
  Model model;
  for (const Step& s : steps) {
    if (s.seq > seq) break;
    if (s.value) {
      model[s.key] = *s.value;
    } else {
      model.erase(s.key);
    }
  }
  return model;
}

// Commits one change. CHECKs rather than REQUIREs: the writer runs on a
// thread of its own, where a REQUIRE's exception would end the program.
bool Commit(Database& db, int64_t key, const std::optional<std::string>& value, bool exists) {
  auto table = db.FindTable("numbers");
  std::vector<Change> changes;
  if (!value) {
    changes.push_back({Change::Kind::kDelete, {Value::Integer(key)}, {}});
  } else if (exists) {
    changes.push_back({Change::Kind::kUpdate, {Value::Integer(key)},
                       {Value::Integer(key), Value::Text(*value)}});
  } else {
    changes.push_back({Change::Kind::kInsert, {}, {Value::Integer(key), Value::Text(*value)}});
  }
  auto done = table->Commit(table->LockExclusive(), std::move(changes));
  CHECK_MESSAGE(done.ok(), done.status().ToString());
  return done.ok();
}

size_t CountFiles(const BackupManifest& m, std::string_view prefix) {
  size_t n = 0;
  for (const BackupFileEntry& f : m.files) {
    n += fs::path(f.path).filename().string().starts_with(prefix);
  }
  return n;
}

bool Mentions(const std::vector<std::string>& problems, std::string_view what) {
  for (const std::string& p : problems) {
    if (p.find(what) != std::string::npos) return true;
  }
  return false;
}

TEST_SUITE("cerebrum/backup") {
  TEST_CASE("backups cut during writes and compactions restore exactly their commit") {
    testing::TempDir dir;
    auto db = OpenDatabase(Storage(dir.path() / "data"));
    REQUIRE(db->CreateTable(KeyValueSchema("numbers")).ok());

    // One writer, so the sequence number right after its commit is that
    // commit's number. Inserts, updates of older keys and deletes.
    std::vector<Step> steps;
    std::atomic<bool> writing{true};
    std::thread writer([&] {
      Model live;
      for (int64_t i = 0; i < 1500; ++i) {
        int64_t key = i;
        std::optional<std::string> value = "v" + std::to_string(i);
        if (i % 3 == 1) key = i / 2;  // update (or re-insert) an older key
        if (i % 5 == 4) {              // delete an older key
          key = i - 7;
          value.reset();
          if (!live.contains(key)) continue;
        }
        if (!Commit(*db, key, value, live.contains(key))) break;
        if (value) {
          live[key] = *value;
        } else {
          live.erase(key);
        }
        steps.push_back({db->last_sequence(), key, value});
      }
      writing = false;
    });
    std::thread compactor([&] {
      while (writing) {
        auto compacted = db->CompactTable("numbers");
        CHECK_MESSAGE(compacted.ok(), compacted.status().ToString());
        if (!compacted.ok()) break;
      }
    });
    std::vector<BackupSummary> backups;
    while ((writing && backups.size() < 25) || backups.empty()) {
      auto summary = db->Backup(dir.path() / "backups" / std::to_string(backups.size()));
      REQUIRE_MESSAGE(summary.ok(), summary.status().ToString());
      backups.push_back(*summary);
    }
    writer.join();
    compactor.join();
    db.reset();

    size_t with_snapshot_and_segments = 0;
    for (const BackupSummary& b : backups) {
      CAPTURE(b.folder);
      auto check = VerifyBackup(b.folder);
      REQUIRE(check.ok());
      CHECK(check->problems.empty());
      CHECK(check->manifest.commit == b.commit);
      if (CountFiles(check->manifest, kSnapshotPrefix) == 1 &&
          CountFiles(check->manifest, kSegmentPrefix) >= 2) {
        ++with_snapshot_and_segments;
      }
      auto restored = OpenDatabase(Storage(b.folder));
      CHECK(Contents(*restored) == StateAt(steps, b.commit));
    }
    MESSAGE(backups.size() << " backups, " << with_snapshot_and_segments
                           << " with a snapshot and several segments");
    CHECK(with_snapshot_and_segments > 0);
  }

  TEST_CASE("memory-only storage refuses a backup and writes nothing") {
    testing::TempDir tmp;
    Options options = Storage(tmp.path() / "data");
    options.storage = StorageMode::kMemory;
    auto db = OpenDatabase(options);
    REQUIRE(db->CreateTable(KeyValueSchema("numbers")).ok());
    auto backup = db->Backup(tmp.path() / "b");
    CHECK(backup.status().code() == protocol::ErrorCode::kNotSupported);
    CHECK(backup.status().message().find("--memory") != std::string::npos);
    CHECK(!fs::exists(tmp.path() / "b"));
    CHECK(!fs::exists(tmp.path() / "b.tmp"));
    CHECK(!fs::exists(tmp.path() / "data"));
  }

  TEST_CASE("sealed files are hard-linked, the active segment is copied up to its last commit") {
    testing::TempDir dir;
    auto db = OpenDatabase(Storage(dir.path() / "data"));
    REQUIRE(db->CreateTable(KeyValueSchema("numbers")).ok());
    for (int64_t k = 0; k < 100; ++k) Commit(*db, k, "row " + std::to_string(k), false);
    auto summary = db->Backup(dir.path() / "backups" / "b");
    REQUIRE(summary.ok());
    CHECK(summary->commit == 100);
    Commit(*db, 1000, "after the backup", false);  // appends to the live active segment

    const fs::path live = dir.path() / "data" / "tables" / "numbers";
    const fs::path copy = summary->folder / "tables" / "numbers";
    auto check = VerifyBackup(summary->folder);
    REQUIRE(check.ok());
    CHECK(check->problems.empty());
    const size_t segments = CountFiles(check->manifest, kSegmentPrefix);
    REQUIRE(segments > 2);
    for (size_t n = 1; n <= segments; ++n) {
      struct stat a {}, b {};
      REQUIRE(::stat((live / SegmentFileName(n)).c_str(), &a) == 0);
      REQUIRE(::stat((copy / SegmentFileName(n)).c_str(), &b) == 0);
      const bool active = n == segments;
      CHECK((a.st_ino == b.st_ino) == !active);
    }
    db.reset();
    auto restored = OpenDatabase(Storage(summary->folder));
    CHECK(Contents(*restored).size() == 100);
  }

  TEST_CASE("an active segment of 1 MiB or more is sealed first and linked, not copied") {
    testing::TempDir dir;
    Options options = Storage(dir.path() / "data");
    options.segment_max_bytes = uint64_t{64} << 20;
    auto db = OpenDatabase(options);
    REQUIRE(db->CreateTable(KeyValueSchema("numbers")).ok());
    const std::string payload(2000, 'x');
    for (int64_t k = 0; k < 600; ++k) Commit(*db, k, payload, false);  // about 1.2 MB
    auto summary = db->Backup(dir.path() / "b");
    REQUIRE(summary.ok());
    const fs::path live = dir.path() / "data" / "tables" / "numbers";
    const fs::path copy = summary->folder / "tables" / "numbers";
    struct stat a {}, b {};
    REQUIRE(::stat((live / SegmentFileName(1)).c_str(), &a) == 0);
    REQUIRE(::stat((copy / SegmentFileName(1)).c_str(), &b) == 0);
    CHECK(a.st_ino == b.st_ino);
    CHECK(fs::exists(copy / SegmentFileName(2)));  // the new, empty active segment
    Commit(*db, 1000, "later", false);              // lands in the live segment 2 only
    auto check = VerifyBackup(summary->folder);
    REQUIRE(check.ok());
    CHECK(check->problems.empty());
    db.reset();
    auto restored = OpenDatabase(Storage(summary->folder));
    CHECK(Contents(*restored).size() == 600);
  }

  TEST_CASE("verification names flipped bytes, missing, stray and unnamed files") {
    testing::TempDir dir;
    auto db = OpenDatabase(Storage(dir.path() / "data"));
    REQUIRE(db->CreateTable(KeyValueSchema("numbers")).ok());
    for (int64_t k = 0; k < 50; ++k) Commit(*db, k, "x", false);
    auto summary = db->Backup(dir.path() / "b");
    REQUIRE(summary.ok());
    const fs::path table = summary->folder / "tables" / "numbers";
    auto clean = VerifyBackup(summary->folder);
    REQUIRE(clean.ok());
    REQUIRE(clean->problems.empty());
    const size_t segments = CountFiles(clean->manifest, kSegmentPrefix);

    // The active segment is a copy, so damaging it leaves the live data alone.
    testing::FlipByte(table / SegmentFileName(segments), 40);
    fs::remove(table / kSchemaFileName);
    std::ofstream(table / "segment-999999.csv") << "_seq,_op,k,v\n";
    // A manifest that names a file the backup does not hold.
    std::ofstream(table / kManifestFileName, std::ios::app) << "segment,segment-777777.csv\n";

    auto check = VerifyBackup(summary->folder);
    REQUIRE(check.ok());
    CHECK(Mentions(check->problems, SegmentFileName(segments) + ": SHA-256"));
    CHECK(Mentions(check->problems, "tables/numbers/schema.csv is missing"));
    CHECK(Mentions(check->problems, "tables/numbers/segment-999999.csv is not listed"));
    CHECK(Mentions(check->problems, "names segment-777777.csv, which backup.csv does not list"));
    CHECK(Mentions(check->problems, "tables/numbers/manifest.csv holds"));  // its size changed

    fs::remove(summary->folder / kBackupManifestFileName);
    auto unreadable = VerifyBackup(summary->folder);
    CHECK(unreadable.status().code() == ErrorCode::kIoError);
  }

  TEST_CASE("an unfinished backup is never listed and its work folder is replaced") {
    testing::TempDir dir;
    auto db = OpenDatabase(Storage(dir.path() / "data"));
    REQUIRE(db->CreateTable(KeyValueSchema("numbers")).ok());
    Commit(*db, 1, "one", false);
    const fs::path backups = dir.path() / "backups";
    fs::create_directories(backups / "x.tmp" / "tables" / "junk");
    std::ofstream(backups / "x.tmp" / kBackupManifestFileName) << "left by a crash\n";
    auto listed = ListBackups(backups);
    REQUIRE(listed.ok());
    CHECK(listed->empty());

    auto summary = db->Backup(backups / "x");
    REQUIRE(summary.ok());
    CHECK(!fs::exists(backups / "x.tmp"));
    CHECK(!fs::exists(backups / "x" / "tables" / "junk"));
    auto again = db->Backup(backups / "x");
    CHECK(again.status().code() == ErrorCode::kInvalidValue);

    listed = ListBackups(backups);
    REQUIRE(listed.ok());
    REQUIRE(listed->size() == 1);
    CHECK((*listed)[0].name == "x");
    REQUIRE((*listed)[0].manifest);
    CHECK((*listed)[0].manifest->commit == 1);
    CHECK(!(*listed)[0].verified_at);
    REQUIRE(RecordVerification(backups / "x", *(*listed)[0].manifest, "2026-01-02T03:04:05Z").ok());
    listed = ListBackups(backups);
    REQUIRE(listed.ok());
    CHECK((*listed)[0].verified_at == "2026-01-02T03:04:05Z");
  }

  TEST_CASE("BACKUP TO paths resolve inside the backup directory or are refused") {
    testing::TempDir dir;
    const fs::path base = fs::canonical(dir.path());
    auto inside = [&](std::string_view requested) {
      auto target = ResolveBackupTarget(base, requested);
      REQUIRE_MESSAGE(target.ok(), target.status().ToString());
      return *target;
    };
    auto refused = [&](std::string_view requested) {
      auto target = ResolveBackupTarget(base, requested);
      REQUIRE(!target.ok());
      return target.status();
    };
    CHECK(inside("daily") == base / "daily");
    CHECK(inside("2026/11/21") == base / "2026" / "11" / "21");
    CHECK(inside((base / "abs").string()) == base / "abs");
    CHECK(inside("a/../b") == base / "b");

    CHECK(refused("../escape").code() == ErrorCode::kInvalidValue);
    CHECK(refused("/etc/kopf").message().find("outside the backup directory") != std::string::npos);
    CHECK(refused(".").code() == ErrorCode::kInvalidValue);
    CHECK(refused(base.string()).code() == ErrorCode::kInvalidValue);
    CHECK(refused("").code() == ErrorCode::kInvalidValue);
    CHECK(refused("x.tmp").message().find(".tmp") != std::string::npos);
    fs::create_directory_symlink("/tmp", base / "link");
    CHECK(refused("link/escape").code() == ErrorCode::kInvalidValue);

    auto unconfigured = ResolveBackupTarget("", "x");
    CHECK(unconfigured.status().code() == ErrorCode::kNotSupported);
    CHECK(unconfigured.status().message().find("--backup-dir") != std::string::npos);
  }
}

}  // namespace
}  // namespace kopf::cerebrum
