// BackupScheduler: takes a backup whenever `backup_schedule` fires and keeps
// the newest `backup_keep` of them.
//
// A thread sleeps until the schedule's next minute (CronSchedule::Next,
// recomputed after each backup, so a backup that overruns the next fire
// time skips it rather than queueing), then calls
// cerebrum::Database::Backup into backup_dir/scheduled-YYYYMMDDTHHMMSSZ
// (the fire time in UTC, so names sort by time). After a backup that
// succeeded, the oldest complete "scheduled-*" folders beyond backup_keep
// are removed; backups taken with BACKUP TO under other names are never
// touched. Failures are logged and the schedule carries on.
//
// Thread-safety: construct and destroy on one thread; RunOnce() may be
// called from any thread (backups are serialised by the Database).
// REQUIRES: the Database outlives the scheduler.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "brainstem/cron_schedule.h"
#include "cerebrum/backup.h"
#include "protocol/status.h"

namespace kopf::cerebrum {
class Database;
}  // namespace kopf::cerebrum

namespace kopf::brainstem {

// The scheduled-backup settings of kopfd (see server_config.h).
struct BackupScheduleOptions {
  // A 5-field cron expression (cron_schedule.h) in the server's local time;
  // empty: no scheduled backups.
  std::string schedule;
  // Scheduled backups kept; older ones are removed after each new one.
  // 0 keeps them all. More copies guard against a damage noticed late and
  // cost disk space (little when hard-linked on the same file system).
  uint32_t keep = 7;
};

inline constexpr std::string_view kScheduledBackupPrefix = "scheduled-";

class BackupScheduler {
 public:
  // Starts the thread. Removes unfinished "scheduled-*.tmp" folders left by
  // a crash (no backup runs before the server has started).
  BackupScheduler(cerebrum::Database* db, CronSchedule schedule, uint32_t keep,
                  CronSchedule::Zone zone = CronSchedule::Zone::kLocal);
  // Stops the thread, waiting for a backup in progress to finish.
  ~BackupScheduler();
  BackupScheduler(const BackupScheduler&) = delete;
  BackupScheduler& operator=(const BackupScheduler&) = delete;

  // One scheduled backup named after `when`, then the pruning. What the
  // thread runs at each fire time; tests call it directly.
  protocol::Result<cerebrum::BackupSummary> RunOnce(std::chrono::system_clock::time_point when);

  // The folder name of the scheduled backup fired at `when`.
  static std::string FolderName(std::chrono::system_clock::time_point when);

 private:
  void Loop();
  protocol::Status Prune() const;

  cerebrum::Database* const db_;
  const std::filesystem::path dir_;
  const CronSchedule schedule_;
  const uint32_t keep_;
  const CronSchedule::Zone zone_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;     // declared last: started once the rest is set
};

}  // namespace kopf::brainstem
