#include "brainstem/cron_schedule.h"

#include <charconv>
#include <ctime>
#include <vector>

#include <fmt/format.h>

namespace kopf::brainstem {

using protocol::Result;
using protocol::Status;

namespace {

struct FieldSpec {
  std::string_view name;
  int min;
  int max;
};

constexpr FieldSpec kFields[] = {
    {"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12},
    {"day of week", 0, 7},
};

// How far Next() looks before giving up: long enough for any 29 February.
constexpr int kSearchYears = 5;

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::vector<std::string_view> SplitWhitespace(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

// Parses one field into the values it allows (bit i = value i).
Result<std::bitset<64>> ParseField(std::string_view text, const FieldSpec& spec) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidValue(fmt::format("{} field \"{}\": {}", spec.name, text, why));
  };
  auto number = [&](std::string_view digits) -> Result<int> {
    int n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      return bad(fmt::format("\"{}\" is not a number", digits));
    }
    if (n < spec.min || n > spec.max) {
      return bad(fmt::format("{} is out of range {}-{}", n, spec.min, spec.max));
    }
    return n;
  };
  std::bitset<64> allowed;
  for (std::string_view item : Split(text, ',')) {
    if (item.empty()) return bad("empty list item");
    int step = 1;
    bool has_step = false;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      std::string_view digits = item.substr(slash + 1);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), step);
      if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
          step < 1) {
        return bad(fmt::format("step \"{}\" is not a whole number from 1", digits));
      }
      item = item.substr(0, slash);
      has_step = true;
    }
    int low = spec.min;
    int high = spec.max;
    if (item != "*") {
      if (size_t dash = item.find('-'); dash != std::string_view::npos) {
        KOPF_ASSIGN_OR_RETURN(low, number(item.substr(0, dash)));
        KOPF_ASSIGN_OR_RETURN(high, number(item.substr(dash + 1)));
        if (low > high) return bad(fmt::format("range {}-{} runs backwards", low, high));
      } else {
        KOPF_ASSIGN_OR_RETURN(low, number(item));
        high = has_step ? spec.max : low;  // "N/S": from N to the end
      }
    }
    for (int v = low; v <= high; v += step) allowed.set(static_cast<size_t>(v));
  }
  return allowed;
}

template <size_t N>
std::bitset<N> Narrow(const std::bitset<64>& wide) {
  std::bitset<N> out;
  for (size_t i = 0; i < N; ++i) out[i] = wide[i];
  return out;
}

// Broken-down time of `t` in `zone`.
std::tm BrokenDown(std::time_t t, CronSchedule::Zone zone) {
  std::tm tm{};
  if (zone == CronSchedule::Zone::kUtc) {
    ::gmtime_r(&t, &tm);
  } else {
    ::localtime_r(&t, &tm);
  }
  return tm;
}

// The time `tm` names in `zone` (fields out of range roll over).
std::time_t FromBrokenDown(std::tm tm, CronSchedule::Zone zone) {
  if (zone == CronSchedule::Zone::kUtc) return ::timegm(&tm);
  tm.tm_isdst = -1;  // let the zone decide whether daylight saving applies
  return std::mktime(&tm);
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view text) {
  std::vector<std::string_view> fields = SplitWhitespace(text);
  if (fields.size() != 5) {
    return Status::InvalidValue(fmt::format(
        "cron schedule \"{}\" has {} fields; it needs 5: minute hour day-of-month month "
        "day-of-week (e.g. \"0 3 * * *\")",
        text, fields.size()));
  }
  CronSchedule s;
  s.text_ = std::string(text);
  std::bitset<64> parsed[5];
  for (size_t i = 0; i < 5; ++i) {
    Result<std::bitset<64>> field = ParseField(fields[i], kFields[i]);
    if (!field.ok()) {
      return Status::InvalidValue(
          fmt::format("cron schedule \"{}\": {}", text, field.status().message()));
    }
    parsed[i] = *field;
  }
  s.minutes_ = Narrow<60>(parsed[0]);
  s.hours_ = Narrow<24>(parsed[1]);
  s.days_ = Narrow<32>(parsed[2]);
  s.months_ = Narrow<13>(parsed[3]);
  s.weekdays_ = Narrow<7>(parsed[4]);
  if (parsed[4][7]) s.weekdays_.set(0);  // 7 is Sunday too
  s.any_day_ = fields[2].starts_with('*');
  s.any_weekday_ = fields[4].starts_with('*');
  // A fixed starting point that sees two leap days within the search.
  const TimePoint reference = std::chrono::system_clock::from_time_t(946684800);  // 2000-01-01
  if (!s.Next(reference, Zone::kUtc)) {
    return Status::InvalidValue(fmt::format(
        "cron schedule \"{}\" never fires: no month it allows has such a day", text));
  }
  return s;
}

bool CronSchedule::DayMatches(int day_of_month, int month, int day_of_week) const {
  if (!months_[static_cast<size_t>(month)]) return false;
  const bool day = days_[static_cast<size_t>(day_of_month)];
  const bool weekday = weekdays_[static_cast<size_t>(day_of_week)];
  if (!any_day_ && !any_weekday_) return day || weekday;
  return day && weekday;
}

std::optional<CronSchedule::TimePoint> CronSchedule::Next(TimePoint after, Zone zone) const {
  std::time_t t = std::chrono::system_clock::to_time_t(after);
  t = t - (t % 60 + 60) % 60 + 60;  // the next whole minute
  const std::time_t give_up = t + std::time_t{kSearchYears} * 366 * 24 * 3600;
  // Each step moves t forward to the next candidate: the next day when the
  // day does not match, the next hour when the hour does not, else the next
  // minute. Steps are computed on the wall clock and converted back, and
  // the result is checked again, so a daylight-saving jump cannot be
  // skipped over wrongly.
  while (t < give_up) {
    const std::tm tm = BrokenDown(t, zone);
    std::time_t next = 0;
    if (!DayMatches(tm.tm_mday, tm.tm_mon + 1, tm.tm_wday)) {
      std::tm midnight = tm;
      midnight.tm_mday += 1;
      midnight.tm_hour = 0;
      midnight.tm_min = 0;
      midnight.tm_sec = 0;
      next = FromBrokenDown(midnight, zone);
    } else if (!hours_[static_cast<size_t>(tm.tm_hour)]) {
      next = t + (60 - tm.tm_min) * 60;
    } else if (!minutes_[static_cast<size_t>(tm.tm_min)]) {
      next = t + 60;
    } else {
      return std::chrono::system_clock::from_time_t(t);
    }
    t = next > t ? next : t + 60;
  }
  return std::nullopt;
}

}  // namespace kopf::brainstem
