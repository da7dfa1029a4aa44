// Error reports for the shell, shaped like psql's:
//
//   ERROR:  syntax error at or near "FORM" (line 2, column 10)
//   LINE 2: SELECT * FORM t;
//                    ^
//   CODE: SyntaxError (1)
//
// The LINE/caret pair appears only when the Status carries a position (a
// 0-based byte offset into the statement text that was sent). The caret
// sits under the display column of that byte, counting UTF-8 code points by
// their width and expanding tabs, so it lines up on a terminal. Lines too
// wide for a terminal are cut to a window around the caret, with "..." on
// the cut sides.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "protocol/status.h"

namespace kopf::shell {

// The full report for `status` (REQUIRES: !status.ok()) raised by the
// statement `sql`, one or more lines each ending in '\n'.
std::string FormatError(const protocol::Status& status, std::string_view sql);

// Just the "LINE n: ..." and caret lines for byte offset `position` in
// `sql`; empty when the position is negative. An offset past the end points
// just after the last character.
std::string FormatErrorPosition(std::string_view sql, int32_t position);

}  // namespace kopf::shell
