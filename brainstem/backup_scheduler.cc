#include "brainstem/backup_scheduler.h"

#include <algorithm>
#include <ctime>
#include <vector>

#include <fmt/format.h>

#include "brainstem/log.h"
#include "cerebrum/backup_manifest.h"
#include "cerebrum/database.h"

namespace kopf::brainstem {

namespace fs = std::filesystem;
using protocol::Result;
using protocol::Status;

BackupScheduler::BackupScheduler(cerebrum::Database* db, CronSchedule schedule, uint32_t keep,
                                 CronSchedule::Zone zone)
    : db_(db),
      dir_(db->options().backup_dir),
      schedule_(std::move(schedule)),
      keep_(keep),
      zone_(zone) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(kScheduledBackupPrefix) && name.ends_with(cerebrum::kBackupWorkSuffix)) {
      Log("removing unfinished backup {}", entry.path().string());
      fs::remove_all(entry.path(), ec);
    }
  }
  thread_ = std::thread([this] { Loop(); });
}

BackupScheduler::~BackupScheduler() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::string BackupScheduler::FolderName(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{}{:04}{:02}{:02}T{:02}{:02}{:02}Z", kScheduledBackupPrefix,
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
}

void BackupScheduler::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    std::optional<CronSchedule::TimePoint> next =
        schedule_.Next(std::chrono::system_clock::now(), zone_);
    if (!next) {
      Log("backup schedule \"{}\" fires no more within five years", schedule_.text());
      return;
    }
    if (cv_.wait_until(lock, *next, [&] { return stopping_; })) return;
    lock.unlock();
    const auto started = std::chrono::steady_clock::now();
    Result<cerebrum::BackupSummary> done = RunOnce(*next);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    if (done.ok()) {
      Log("scheduled backup {}: commit {}, {} files, {} bytes in {} ms", done->folder.string(),
          done->commit, done->files, done->bytes, ms);
    } else {
      Log("scheduled backup failed: {}", done.status().ToString());
    }
    lock.lock();
  }
}

Result<cerebrum::BackupSummary> BackupScheduler::RunOnce(std::chrono::system_clock::time_point when) {
  KOPF_ASSIGN_OR_RETURN(cerebrum::BackupSummary summary, db_->Backup(dir_ / FolderName(when)));
  if (Status pruned = Prune(); !pruned.ok()) Log("pruning old backups: {}", pruned.ToString());
  return summary;
}

Status BackupScheduler::Prune() const {
  if (keep_ == 0) return Status::Ok();
  KOPF_ASSIGN_OR_RETURN(std::vector<cerebrum::BackupListing> backups, cerebrum::ListBackups(dir_));
  std::vector<std::string> scheduled;
  for (const cerebrum::BackupListing& b : backups) {
    if (b.name.starts_with(kScheduledBackupPrefix)) scheduled.push_back(b.name);
  }
  std::sort(scheduled.begin(), scheduled.end());  // names sort by fire time
  for (size_t i = 0; i + keep_ < scheduled.size(); ++i) {
    std::error_code ec;
    fs::remove_all(dir_ / scheduled[i], ec);
    if (ec) {
      return Status::IoError(
          fmt::format("cannot remove {}: {}", (dir_ / scheduled[i]).string(), ec.message()));
    }
    Log("removed old scheduled backup {}", scheduled[i]);
  }
  return Status::Ok();
}

}  // namespace kopf::brainstem
