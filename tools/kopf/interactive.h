// The interactive session: prompt, read a line, run what completed, repeat.
//
// Shows "kopf=> " at the start of a statement and "kopf-> " while one is
// pending, keeps every entered line in the editor's history, and ends on
// \q, on Ctrl-D, or when the connection is lost. Tab completes through the
// shell's Completer. Ctrl-C at the prompt discards the statement being
// typed instead of ending the program; Ctrl-C while a statement runs cancels
// it (interrupt.h, Shell::SetInterruptFd).
//
// Thread-safety: run on the main thread; installs a SIGINT handler for its
// duration.
#pragma once

#include "tools/kopf/line_editor.h"
#include "tools/kopf/shell.h"

namespace kopf::shell {

inline constexpr const char* kPrompt = "kopf=> ";
inline constexpr const char* kContinuationPrompt = "kopf-> ";

// Runs until the user quits. Returns kQuit (also for Ctrl-D) or
// kConnectionLost. Failed statements do not end the session.
Outcome RunInteractive(Shell& shell, LineEditor& editor);

}  // namespace kopf::shell
