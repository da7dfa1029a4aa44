// Pager: long results on a terminal go through $PAGER, as in psql.
//
// The shell pages only when its output is the terminal (not a file, pipe
// or \o target) and the text has more lines than the terminal has rows.
// The command is $PAGER, or "less -FRX" when PAGER is unset (-F: quit when
// the text fits, -R: keep colours, -X: leave the text on the screen); an
// empty PAGER turns paging off.
//
// Thread-safety: functions of the process's terminal; call from the main
// thread.
#pragma once

#include <string>
#include <string_view>

namespace kopf::shell {

// The pager command from the environment; "" when paging is off.
std::string PagerCommand();

// Rows of the terminal on standard output, or 0 when it is not one.
int TerminalRows();

// Writes `text` through `command` (run by /bin/sh) and waits for it to end.
// False when the command cannot be started; the caller prints instead.
bool ShowInPager(std::string_view text, const std::string& command);

}  // namespace kopf::shell
