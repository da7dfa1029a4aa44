// The cron parser of backup_schedule: next fire times for a range of
// expressions (in UTC, so the answers do not depend on the machine's zone)
// and bad expressions refused with a message naming the field.
#include <ctime>

#include <doctest/doctest.h>

#include "brainstem/cron_schedule.h"

namespace kopf::brainstem {
namespace {

using Clock = std::chrono::system_clock;

Clock::time_point Utc(int year, int month, int day, int hour, int minute, int second = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return Clock::from_time_t(::timegm(&tm));
}

std::string Text(Clock::time_point t) {
  std::time_t tt = Clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M %a", &tm);
  return buf;
}

// The next fire time after `after` as text, or "never".
std::string Next(std::string_view expression, Clock::time_point after) {
  auto schedule = CronSchedule::Parse(expression);
  REQUIRE_MESSAGE(schedule.ok(), schedule.status().ToString());
  auto next = schedule->Next(after, CronSchedule::Zone::kUtc);
  return next ? Text(*next) : "never";
}

std::string Refusal(std::string_view expression) {
  auto schedule = CronSchedule::Parse(expression);
  REQUIRE(!schedule.ok());
  CHECK(schedule.status().code() == protocol::ErrorCode::kInvalidValue);
  return schedule.status().message();
}

TEST_SUITE("brainstem/cron") {
  TEST_CASE("next fire times") {
    const auto sat = Utc(2026, 11, 21, 9, 30, 15);  // Saturday 09:30:15
    CHECK(Next("0 3 * * *", sat) == "2026-11-22 03:00 Sun");
    CHECK(Next("* * * * *", sat) == "2026-11-21 09:31 Sat");
    CHECK(Next("*/15 * * * *", sat) == "2026-11-21 09:45 Sat");
    CHECK(Next("30 9 * * *", sat) == "2026-11-22 09:30 Sun");  // strictly after
    CHECK(Next("5,35 8-10 * * *", sat) == "2026-11-21 09:35 Sat");
    CHECK(Next("0 0 1 * *", sat) == "2026-12-01 00:00 Tue");
    CHECK(Next("0 12 * * 1-5", sat) == "2026-11-23 12:00 Mon");
    CHECK(Next("0 12 * * 7", sat) == "2026-11-22 12:00 Sun");  // 7 is Sunday
    CHECK(Next("0 12 * * 0", sat) == "2026-11-22 12:00 Sun");
    CHECK(Next("0 0 29 2 *", sat) == "2028-02-29 00:00 Tue");
    CHECK(Next("0 6 * 1/6 *", sat) == "2027-01-01 06:00 Fri");  // January and July
    CHECK(Next("59 23 31 12 *", sat) == "2026-12-31 23:59 Thu");
    // Both day fields restricted: either matches (the 1st, or a Monday).
    CHECK(Next("0 0 1 * 1", sat) == "2026-11-23 00:00 Mon");
    CHECK(Next("0 0 25 * 1", Utc(2026, 11, 24, 0, 0)) == "2026-11-25 00:00 Wed");
    // Year end rolls over.
    CHECK(Next("0 0 * * *", Utc(2026, 12, 31, 23, 59, 59)) == "2027-01-01 00:00 Fri");
    CHECK(Next("0 0 1 1 *", Utc(2026, 1, 1, 0, 0)) == "2027-01-01 00:00 Fri");
  }

  TEST_CASE("bad expressions are refused with the field and the reason") {
    CHECK(Refusal("0 3 * *").find("has 4 fields; it needs 5") != std::string::npos);
    CHECK(Refusal("0 3 * * * *").find("has 6 fields") != std::string::npos);
    CHECK(Refusal("").find("has 0 fields") != std::string::npos);
    CHECK(Refusal("60 * * * *").find("minute field \"60\": 60 is out of range 0-59") !=
          std::string::npos);
    CHECK(Refusal("0 24 * * *").find("hour field") != std::string::npos);
    CHECK(Refusal("0 0 0 * *").find("day of month field \"0\": 0 is out of range 1-31") !=
          std::string::npos);
    CHECK(Refusal("0 0 * 13 *").find("month field") != std::string::npos);
    CHECK(Refusal("0 0 * * 8").find("day of week field") != std::string::npos);
    CHECK(Refusal("x 0 * * *").find("\"x\" is not a number") != std::string::npos);
    CHECK(Refusal("*/0 * * * *").find("step \"0\"") != std::string::npos);
    CHECK(Refusal("0 5-2 * * *").find("range 5-2 runs backwards") != std::string::npos);
    CHECK(Refusal("0 1,,2 * * *").find("empty list item") != std::string::npos);
    CHECK(Refusal("0 0 * JAN *").find("\"JAN\" is not a number") != std::string::npos);
    CHECK(Refusal("0 0 30 2 *").find("never fires") != std::string::npos);
    CHECK(Refusal("0 0 31 4,6,9,11 *").find("never fires") != std::string::npos);
  }
}

}  // namespace
}  // namespace kopf::brainstem
