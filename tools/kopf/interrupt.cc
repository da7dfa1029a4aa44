#include "tools/kopf/interrupt.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace kopf::shell {

namespace {

// The write end, for the handler; -1 when there is no pipe.
volatile sig_atomic_t interrupt_write_fd = -1;

void OnInterrupt(int) {
  int saved = errno;  // write() may change it under the interrupted code
  int fd = interrupt_write_fd;
  if (fd >= 0) {
    char byte = 'C';
    // A full pipe already says "interrupted"; the result does not matter.
    [[maybe_unused]] ssize_t n = ::write(fd, &byte, 1);
  }
  errno = saved;
}

}  // namespace

InterruptHandler::InterruptHandler() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
    read_fd_ = fds[0];
    interrupt_write_fd = fds[1];
  }
  struct sigaction action {};
  action.sa_handler = &OnInterrupt;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: a blocked call returns EINTR, and its caller looks at
  // the pipe.
  action.sa_flags = 0;
  sigaction(SIGINT, &action, &previous_);
}

InterruptHandler::~InterruptHandler() {
  sigaction(SIGINT, &previous_, nullptr);
  if (read_fd_ >= 0) {
    ::close(interrupt_write_fd);
    interrupt_write_fd = -1;
    ::close(read_fd_);
  }
}

bool TakeInterrupts(int fd) {
  if (fd < 0) return false;
  bool any = false;
  char buffer[64];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      any = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return any;
  }
}

}  // namespace kopf::shell
