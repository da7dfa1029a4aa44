// Log: the server's diagnostic lines on stderr.
//
// One line per event, "2024-05-01T12:00:00.123Z kopfd: <text>", written
// with a single fwrite so lines from different threads never interleave.
// Requests are named <client_id>-<payload_id>, as in DESIGN.md. Standard
// output is reserved for the one "listening on" line that scripts parse.
//
// Thread-safety: Log may be called from any thread.
#pragma once

#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace kopf::brainstem {

// Writes one line (a newline is added).
void LogLine(std::string_view text);

template <typename... Args>
void Log(fmt::format_string<Args...> format, Args&&... args) {
  LogLine(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace kopf::brainstem
