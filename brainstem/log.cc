#include "brainstem/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace kopf::brainstem {

void LogLine(std::string_view text) {
  using std::chrono::system_clock;
  auto now = system_clock::now();
  std::time_t seconds = system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string line = fmt::format("{}.{:03d}Z kopfd: {}\n", stamp, millis.count(), text);
  // stderr is unbuffered: one fwrite is one write(2), so whole lines stay whole.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace kopf::brainstem
