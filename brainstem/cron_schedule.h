// CronSchedule: a 5-field cron expression (`backup_schedule = 0 3 * * *`)
// and the next minute it fires.
//
//   minute hour day-of-month month day-of-week
//   0-59   0-23 1-31         1-12  0-7 (0 and 7 are Sunday)
//
// Each field is `*` or a comma-separated list of `N`, `N-M`, `*/S`, `N-M/S`
// or `N/S` (from N to the field's end, every S). Names (JAN, MON) and the
// `@daily` shorthands are not accepted. As in Vixie cron, when both
// day-of-month and day-of-week are restricted (neither starts with `*`), a
// day matches when either does; otherwise both must.
//
// Times are wall-clock times of a zone: the server's local time (the TZ
// environment variable), as cron uses, or UTC. Around a daylight-saving
// change a minute that does not exist is skipped and one that happens twice
// fires once.
//
// Thread-safety: immutable after Parse(); Next() may be called from any
// thread.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/status.h"

namespace kopf::brainstem {

class CronSchedule {
 public:
  enum class Zone { kLocal, kUtc };
  using TimePoint = std::chrono::system_clock::time_point;

  // Parses `text`. kInvalidValue naming the field and the offending part
  // for a wrong number of fields, a bad number, a value out of range, a
  // step of 0, a range that runs backwards, or a schedule that never fires
  // (such as `0 0 30 2 *`).
  static protocol::Result<CronSchedule> Parse(std::string_view text);

  // The first whole minute strictly after `after` that the schedule
  // matches in `zone`. Nothing when none comes within five years (only
  // possible for dates like 29 February combined with a weekday).
  std::optional<TimePoint> Next(TimePoint after, Zone zone) const;

  const std::string& text() const { return text_; }

 private:
  CronSchedule() = default;
  bool DayMatches(int day_of_month, int month, int day_of_week) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;      // 1..31
  std::bitset<13> months_;    // 1..12
  std::bitset<7> weekdays_;   // 0..6, Sunday = 0
  bool any_day_ = true;       // day-of-month field starts with '*'
  bool any_weekday_ = true;   // day-of-week field starts with '*'
};

}  // namespace kopf::brainstem
