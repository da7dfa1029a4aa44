#include "tools/kopf/interactive.h"

#include <csignal>
#include <cstdio>
#include <string>

#include <signal.h>

namespace kopf::shell {

namespace {

volatile std::sig_atomic_t interrupted = 0;

void OnInterrupt(int) { interrupted = 1; }

// Installs OnInterrupt for SIGINT without SA_RESTART, so a blocked terminal
// read returns EINTR and the prompt can start over; restores the previous
// action on destruction.
class InterruptGuard {
 public:
  InterruptGuard() {
    struct sigaction action {};
    action.sa_handler = &OnInterrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    sigaction(SIGINT, &action, &previous_);
  }
  ~InterruptGuard() { sigaction(SIGINT, &previous_, nullptr); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction previous_ {};
};

}  // namespace

Outcome RunInteractive(Shell& shell, LineEditor& editor) {
  InterruptGuard guard;
  editor.SetCompletion(
      [&shell](std::string_view before_cursor) { return shell.completer().Complete(before_cursor); });
  StatementSplitter splitter;
  std::string line;
  while (true) {
    interrupted = 0;
    const char* prompt = splitter.pending() ? kContinuationPrompt : kPrompt;
    switch (editor.ReadLine(prompt, &line)) {
      case LineEditor::ReadStatus::kEnd:
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
    if (outcome == Outcome::kQuit || outcome == Outcome::kConnectionLost) return outcome;
  }
}

}  // namespace kopf::shell
