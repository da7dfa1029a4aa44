// Ctrl-C in the interactive shell.
//
// InterruptHandler installs a SIGINT handler that does two async-signal-safe
// things: it writes one byte to a self-pipe and returns. Nothing else happens
// in the handler. Whoever waits watches the pipe:
//   - while a line is read, the line editor's key reader waits on the pipe
//     beside the terminal (LineEditor::SetInterruptFd), empties it and
//     drops the line being typed;
//   - from Enter on, while a statement runs, the shell waits for the server
//     with the pipe's read end as the client's interrupt fd
//     (Client::SetInterruptFd, and the \async session's event loop), and
//     sends CANCEL for what is in flight.
// A second Ctrl-C while a cancel is pending only writes another byte.
//
// Thread-safety: one InterruptHandler per process, made and destroyed on the
// main thread; the previous SIGINT action is restored on destruction.
#pragma once

#include <signal.h>

namespace kopf::shell {

class InterruptHandler {
 public:
  InterruptHandler();
  ~InterruptHandler();
  InterruptHandler(const InterruptHandler&) = delete;
  InterruptHandler& operator=(const InterruptHandler&) = delete;

  // The read end of the self-pipe: readable while a Ctrl-C is unhandled;
  // -1 if the pipe could not be made (Ctrl-C then does nothing).
  int fd() const { return read_fd_; }

 private:
  int read_fd_ = -1;
  struct sigaction previous_ {};
};

// Empties the self-pipe `fd` (non-blocking); true if it held any Ctrl-C.
bool TakeInterrupts(int fd);

}  // namespace kopf::shell
