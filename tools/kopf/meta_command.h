// MetaCommand: a parsed backslash command line of the shell ("\d users").
//
// The name is everything after the backslash up to the first blank; the
// arguments follow, separated by blanks. A "double-quoted" argument may
// contain blanks and keeps its quotes, so `\d "Order Lines"` passes the
// quoted identifier through to DESCRIBE unchanged.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kopf::shell {

struct MetaCommand {
  std::string name;  // "d", "q", "timing", "?"; empty for a lone backslash
  std::vector<std::string> args;
  bool operator==(const MetaCommand&) const = default;
};

// Parses `line`, which starts with '\' (leading blanks allowed). An
// unterminated quote runs to the end of the line.
MetaCommand ParseMetaCommand(std::string_view line);

}  // namespace kopf::shell
