#include "tools/slt/kopfd_process.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace kopf::slt {

namespace fs = std::filesystem;
using protocol::Result;
using protocol::Status;

namespace {

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<std::unique_ptr<KopfdProcess>> KopfdProcess::Start(const std::string& kopfd_path,
                                                          std::chrono::milliseconds startup_timeout,
                                                          const std::string& sync,
                                                          Storage storage) {
  std::unique_ptr<KopfdProcess> server(new KopfdProcess());
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string pattern = (base / "kopf-slt-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status::IoError(fmt::format("cannot make a temporary directory: {}", strerror(errno)));
  }
  server->dir_ = pattern;
  const std::string out_path = (server->dir_ / "kopfd.out").string();
  const std::string log_path = (server->dir_ / "kopfd.log").string();
  const std::string data_path = (server->dir_ / "data").string();

  // Everything the child needs is prepared before fork(): between fork and
  // exec only async-signal-safe calls are allowed (the watchdog thread of
  // an earlier connection may exist).
  std::vector<std::string> args = {kopfd_path, "--port", "0", "--data", data_path};
  if (storage == Storage::kMemory) {
    args.insert(args.end(), {"--storage", "memory"});
  } else {
    args.insert(args.end(), {"--sync", sync});
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) return Status::IoError(fmt::format("fork: {}", strerror(errno)));
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || log < 0) _exit(127);
    // kopf-slt ignores SIGPIPE, and ignored signals survive exec.
    signal(SIGPIPE, SIG_DFL);
    dup2(in, 0);
    dup2(out, 1);
    dup2(log, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  server->pid_ = pid;

  auto with_log = [&server](std::string message) {
    std::string tail = server->LogTail();
    return Status::IoError(tail.empty() ? message : message + ": " + tail);
  };
  // Wait for "listening on HOST:PORT\n" in its stdout.
  const auto deadline = std::chrono::steady_clock::now() + startup_timeout;
  for (;;) {
    std::string out = ReadFile(out_path);
    size_t at = out.find("listening on ");
    size_t eol = at == std::string::npos ? std::string::npos : out.find('\n', at);
    if (eol != std::string::npos) {
      std::string address = out.substr(at + 13, eol - at - 13);
      int port = std::atoi(address.c_str() + address.rfind(':') + 1);
      if (port <= 0 || port > 65535) {
        return Status::IoError("kopfd printed a bad address: " + address);
      }
      server->port_ = static_cast<uint16_t>(port);
      return server;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      std::string how = WIFSIGNALED(status) ? fmt::format("killed by signal {}", WTERMSIG(status))
                                            : fmt::format("exit status {}", WEXITSTATUS(status));
      if (WIFEXITED(status) && WEXITSTATUS(status) == 127) how += ", cannot run " + kopfd_path;
      return with_log(fmt::format("kopfd exited before listening ({})", how));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return with_log("kopfd did not start listening in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

KopfdProcess::~KopfdProcess() { Stop(); }

void KopfdProcess::Interrupt() const {
  if (pid_ > 0) kill(pid_, SIGKILL);
}

std::string KopfdProcess::LogTail() const {
  std::string log = ReadFile(dir_ / "kopfd.log");
  constexpr size_t kTail = 400;
  if (log.size() > kTail) log = "..." + log.substr(log.size() - kTail);
  while (!log.empty() && log.back() == '\n') log.pop_back();
  return log;
}

std::string KopfdProcess::StopGracefully(std::chrono::milliseconds timeout) {
  if (pid_ > 0) {
    // A pidfd becomes readable when the process ends: waited for, not
    // polled. (The system call directly: Debian 12's <sys/pidfd.h> lacks
    // the C linkage a C++ caller needs.)
    const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
    kill(pid_, SIGTERM);
    pollfd ended{pidfd, POLLIN, 0};
    if (pidfd < 0 || poll(&ended, 1, static_cast<int>(timeout.count())) <= 0) Interrupt();
    if (pidfd >= 0) close(pidfd);
    Reap();
  }
  return ReadFile(dir_ / "kopfd.log");
}

void KopfdProcess::Reap() {
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void KopfdProcess::Stop() {
  if (pid_ > 0) {
    Interrupt();
    Reap();
  }
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
  }
}

}  // namespace kopf::slt
