#include "tools/kopf/interactive.h"

#include <cstdio>
#include <string>

#include "tools/kopf/interrupt.h"

namespace kopf::shell {

Outcome RunInteractive(Shell& shell, LineEditor& editor) {
  InterruptHandler interrupts;
  shell.SetInterruptFd(interrupts.fd());
  editor.SetInterruptFd(interrupts.fd());
  editor.SetCompletion(
      [&shell](std::string_view before_cursor) { return shell.completer().Complete(before_cursor); });
  StatementSplitter splitter;
  std::string line;
  while (true) {
    // A Ctrl-C that came while a result printed (or a pager ran) is spent.
    // From here on one is the line editor's: it clears the line being typed.
    TakeInterrupts(interrupts.fd());
    const char* prompt = splitter.pending() ? kContinuationPrompt : kPrompt;
    switch (editor.ReadLine(prompt, &line)) {
      case LineEditor::ReadStatus::kEnd:
        shell.SetInterruptFd(-1);
        editor.SetInterruptFd(-1);
        std::fputs("\n", stdout);
        std::fflush(stdout);
        return Outcome::kQuit;
      case LineEditor::ReadStatus::kInterrupted:
        // Like psql: Ctrl-C throws away the statement being typed.
        (void)splitter.TakeRemainder();
        std::fputs("\n", stdout);
        std::fflush(stdout);
        continue;
      case LineEditor::ReadStatus::kLine:
        break;
    }
    editor.AddHistory(line);
    splitter.AddLine(line);
    Outcome outcome = shell.Drain(splitter);
    if (outcome == Outcome::kQuit || outcome == Outcome::kConnectionLost) {
      shell.SetInterruptFd(-1);
      editor.SetInterruptFd(-1);
      return outcome;
    }
  }
}

}  // namespace kopf::shell
