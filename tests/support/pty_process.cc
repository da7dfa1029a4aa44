#include "tests/support/pty_process.h"

#include <cerrno>
#include <csignal>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

namespace kopf::testing {

namespace {

std::vector<char*> Pointers(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::unique_ptr<PtyProcess> PtyProcess::Start(const std::vector<std::string>& argv,
                                              const std::vector<std::string>& env) {
  std::unique_ptr<PtyProcess> p(new PtyProcess());
  winsize size{};
  size.ws_row = 24;
  size.ws_col = 80;
  // forkpty: the child gets the terminal as stdin, stdout, stderr and as
  // its controlling terminal.
  p->pid_ = forkpty(&p->master_, nullptr, nullptr, &size);
  REQUIRE(p->pid_ >= 0);
  if (p->pid_ == 0) {
    auto args = Pointers(argv);
    auto vars = Pointers(env);
    execve(args[0], args.data(), vars.data());
    _exit(127);
  }
  return p;
}

PtyProcess::~PtyProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (master_ >= 0) close(master_);
}

void PtyProcess::Type(const std::string& keys) {
  size_t off = 0;
  while (off < keys.size()) {
    ssize_t n = write(master_, keys.data() + off, keys.size() - off);
    if (n < 0 && errno == EINTR) continue;
    REQUIRE(n > 0);
    off += static_cast<size_t>(n);
  }
}

bool PtyProcess::WaitFor(const std::string& text, std::chrono::milliseconds timeout) {
  return WaitForAfter(0, text, timeout);
}

bool PtyProcess::WaitForAfter(size_t from, const std::string& text,
                              std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (screen_.find(text, from) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{master_, POLLIN, 0};
    int ready = poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    char buf[4096];
    ssize_t n = read(master_, buf, sizeof(buf));
    if (n <= 0) return false;  // EIO: the program ended and closed the terminal
    screen_.append(buf, static_cast<size_t>(n));
  }
  return true;
}

std::string PtyProcess::printable_screen() const {
  std::string out;
  for (char c : screen_) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 && c != '\n') {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

int PtyProcess::Wait() {
  // Drain what is left so the program never blocks on a full terminal.
  (void)WaitFor(std::string(1, '\0'), std::chrono::seconds(10));
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace kopf::testing
