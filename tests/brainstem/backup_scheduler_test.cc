// Scheduled backups against a real database in a temp dir: each run writes
// a complete backup named after its fire time, only the newest backup_keep
// scheduled ones stay, other backups are never touched, and leftovers of an
// interrupted run are cleared at start; kopfd's backup flags.
#include <ctime>
#include <fstream>

#include <doctest/doctest.h>

#include "brainstem/backup_scheduler.h"
#include "brainstem/server_config.h"
#include "cerebrum/backup_manifest.h"
#include "cerebrum/database.h"
#include "tests/support/test_support.h"

namespace kopf::brainstem {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

std::vector<std::string> Listed(const fs::path& dir) {
  auto backups = cerebrum::ListBackups(dir);
  REQUIRE(backups.ok());
  std::vector<std::string> names;
  for (const auto& b : *backups) names.push_back(b.name);
  return names;
}

TEST_SUITE("brainstem/backup_scheduler") {
  TEST_CASE("scheduled backups keep the newest backup_keep and leave other backups alone") {
    testing::TempDir dir;
    cerebrum::Options options;
    options.data_dir = dir.path() / "data";
    options.backup_dir = dir.path() / "backups";
    options.sync = false;
    auto db = cerebrum::Database::Open(options);
    REQUIRE(db.ok());
    cerebrum::TableSchema schema;
    schema.name = "t";
    schema.columns = {{"id", protocol::Type::kInteger, "INT", true, {}}};
    schema.primary_key = {0};
    REQUIRE((*db)->CreateTable(schema).ok());

    fs::create_directories(options.backup_dir / "scheduled-20260101T000000Z.tmp");
    REQUIRE((*db)->Backup(options.backup_dir / "manual").ok());

    // Fires on 1 January only: the thread stays asleep during the test.
    auto schedule = CronSchedule::Parse("0 0 1 1 *");
    REQUIRE(schedule.ok());
    BackupScheduler scheduler(db->get(), *schedule, /*keep=*/2);
    CHECK(!fs::exists(options.backup_dir / "scheduled-20260101T000000Z.tmp"));

    const auto base = Clock::from_time_t(1795000000);  // 2026-11-18T11:06:40Z
    std::vector<std::string> names;
    for (int i = 0; i < 4; ++i) {
      const auto when = base + std::chrono::hours(24 * i);
      auto table = (*db)->FindTable("t");
      auto done = table->Commit(
          table->LockExclusive(),
          {{cerebrum::Change::Kind::kInsert, {}, {protocol::Value::Integer(i)}}});
      REQUIRE(done.ok());
      auto summary = scheduler.RunOnce(when);
      REQUIRE_MESSAGE(summary.ok(), summary.status().ToString());
      CHECK(summary->commit == static_cast<uint64_t>(i + 1));
      CHECK(summary->folder.filename() == BackupScheduler::FolderName(when));
      names.push_back(BackupScheduler::FolderName(when));
    }
    CHECK(names[0] == "scheduled-20261118T110640Z");
    // Oldest first: the manual backup, then the two newest scheduled ones.
    CHECK(Listed(options.backup_dir) == std::vector<std::string>{"manual", names[2], names[3]});
    auto check = cerebrum::VerifyBackup(options.backup_dir / names[3]);
    REQUIRE(check.ok());
    CHECK(check->problems.empty());
  }
}

}  // namespace
}  // namespace kopf::brainstem

namespace kopf::brainstem {
namespace {

TEST_SUITE("brainstem/backup_flags") {
  TEST_CASE("backup flags are parsed and checked together") {
    auto ok = ParseCommandLine({"--backup-dir", "/var/backups/kopf", "--backup-schedule",
                                "0 3 * * *", "--backup-keep", "3"});
    REQUIRE(ok.ok());
    CHECK(ok->config.storage.backup_dir == "/var/backups/kopf");
    CHECK(ok->config.backups.schedule == "0 3 * * *");
    CHECK(ok->config.backups.keep == 3);

    auto no_dir = ParseCommandLine({"--backup-schedule", "0 3 * * *"});
    CHECK(no_dir.status().message().find("need --backup-dir") != std::string::npos);
    auto bad = ParseCommandLine({"--backup-dir", "b", "--backup-schedule", "0 25 * * *"});
    CHECK(bad.status().message().find("--backup-schedule: cron schedule \"0 25 * * *\": hour") !=
          std::string::npos);
    CHECK(!ParseCommandLine({"--backup-keep", "-1"}).ok());
  }
}

}  // namespace
}  // namespace kopf::brainstem
