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
    options.sync = cerebrum::SyncMode::kNone;
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

  TEST_CASE("segment, compaction, repair and backup settings work as flags and file keys") {
    // --repair is a switch: the flag after it keeps its own value.
    auto flags = ParseCommandLine({"--repair", "--segment-max-bytes", "4096",
                                   "--compact-dead-fraction", "0.25", "--compact-max-segments",
                                   "0"});
    REQUIRE_MESSAGE(flags.ok(), flags.status().ToString());
    CHECK(flags->config.storage.repair);
    CHECK(flags->config.storage.segment_max_bytes == 4096);
    CHECK(flags->config.storage.compact_dead_fraction == 0.25);
    CHECK(flags->config.storage.compact_max_segments == 0);
    CHECK_FALSE(ParseCommandLine({}).value().config.storage.repair);
    CHECK(ParseCommandLine({"--repair=true"}).status().message() == "--repair: takes no value");
    CHECK(ParseCommandLine({"--compact-dead-fraction", "1.5"}).status().message() ==
          "--compact-dead-fraction: \"1.5\" is not a number in 0..1");
    CHECK(!ParseCommandLine({"--segment-max-bytes", "0"}).ok());

    ServerConfig config;
    REQUIRE(ApplyConfigText("repair = true\nsegment_max_bytes = 1000\nbackup_dir = /b\n"
                            "backup_schedule = 30 2 * * 0\nbackup_keep = 0\n",
                            "kopfd.conf", &config)
                .ok());
    CHECK(config.storage.repair);
    CHECK(config.storage.segment_max_bytes == 1000);
    CHECK(config.storage.backup_dir == "/b");
    CHECK(config.backups.schedule == "30 2 * * 0");
    CHECK(config.backups.keep == 0);
    CHECK(ApplyConfigText("repair = yes\n", "kopfd.conf", &config).message() ==
          "kopfd.conf:1: repair: \"yes\" is not one of true, false");
    CHECK(ApplyConfigText("backup_schedule = 0 25 * * *\n", "kopfd.conf", &config)
              .message()
              .starts_with("kopfd.conf:1: backup_schedule: cron schedule"));
  }
}

}  // namespace
}  // namespace kopf::brainstem
