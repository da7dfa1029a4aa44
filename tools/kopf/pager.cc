#include "tools/kopf/pager.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <sys/ioctl.h>
#include <unistd.h>

namespace kopf::shell {

std::string PagerCommand() {
  const char* pager = std::getenv("PAGER");
  return pager == nullptr ? "less -FRX" : pager;
}

int TerminalRows() {
  winsize size{};
  if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_row;
}

bool ShowInPager(std::string_view text, const std::string& command) {
  std::fflush(stdout);
  FILE* pipe = popen(command.c_str(), "w");
  if (pipe == nullptr) return false;
  // Quitting the pager early closes the pipe: that must not end the shell
  // (SIGPIPE is ignored by main) nor count as an error.
  std::fwrite(text.data(), 1, text.size(), pipe);
  pclose(pipe);
  return true;
}

}  // namespace kopf::shell
