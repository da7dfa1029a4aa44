#include "tests/support/test_support.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "protocol/client.h"

namespace kopf::testing {

namespace fs = std::filesystem;

namespace {

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::vector<char*> ArgvPointers(const std::vector<std::string>& argv) {
  std::vector<char*> ptrs;
  for (const auto& a : argv) ptrs.push_back(const_cast<char*>(a.c_str()));
  ptrs.push_back(nullptr);
  return ptrs;
}

}  // namespace

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  fs::path base = fs::temp_directory_path();
  path_ = base / fmt::format("kopf-test-{}-{}-{}", getpid(), counter++, rd());
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void WriteTextFile(const std::filesystem::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
  REQUIRE_MESSAGE(out.good(), "cannot write " << path.string());
}

std::string ReadTextFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void FlipByte(const fs::path& file, uint64_t offset) {
  int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  REQUIRE_MESSAGE(fd >= 0, file);
  char c = 0;
  REQUIRE(::pread(fd, &c, 1, static_cast<off_t>(offset)) == 1);
  c = static_cast<char>(c ^ 0x01);
  REQUIRE(::pwrite(fd, &c, 1, static_cast<off_t>(offset)) == 1);
  ::close(fd);
}

std::string BinaryPath(const std::string& name) { return std::string(KOPF_BIN_DIR) + "/" + name; }

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input) {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  REQUIRE(pipe(in_pipe) == 0);
  REQUIRE(pipe(out_pipe) == 0);
  REQUIRE(pipe(err_pipe) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      close(fd);
    }
    auto ptrs = ArgvPointers(argv);
    execv(ptrs[0], ptrs.data());
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  // Feed stdin from a thread so a chatty child cannot deadlock us.
  std::thread writer([fd = in_pipe[1], &input] {
    signal(SIGPIPE, SIG_IGN);
    size_t off = 0;
    while (off < input.size()) {
      ssize_t n = write(fd, input.data() + off, input.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fd);
  });
  ProcessResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  writer.join();
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = DecodeWaitStatus(status);
  return result;
}

std::unique_ptr<ServerProcess> ServerProcess::Start(const fs::path& data_dir,
                                                    const std::vector<std::string>& extra_args,
                                                    const std::vector<std::string>& env) {
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->log_path_ = data_dir.parent_path() / (data_dir.filename().string() + ".kopfd.log");
  std::vector<std::string> argv = {BinaryPath("kopfd"), "--port", "0", "--data",
                                   data_dir.string()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  int out_pipe[2];
  REQUIRE(pipe(out_pipe) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    int log = open(server->log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log >= 0) dup2(log, 2);
    close(out_pipe[0]);
    close(out_pipe[1]);
    for (const std::string& entry : env) putenv(const_cast<char*>(entry.c_str()));
    auto ptrs = ArgvPointers(argv);
    execv(ptrs[0], ptrs.data());
    _exit(127);
  }
  close(out_pipe[1]);
  server->pid_ = pid;
  // Wait (at most 30 s) for "listening on HOST:PORT".
  std::string seen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{out_pipe[0], POLLIN, 0};
    if (poll(&pfd, 1, 1000) <= 0) continue;
    ssize_t n = read(out_pipe[0], buf, sizeof buf);
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
    auto at = seen.find("listening on ");
    auto eol = seen.find('\n', at == std::string::npos ? 0 : at);
    if (at != std::string::npos && eol != std::string::npos) {
      std::string addr = seen.substr(at + 13, eol - at - 13);
      server->port_ = static_cast<uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1)));
      break;
    }
  }
  // Keep draining stdout in the background so the server never blocks on it.
  std::thread([fd = out_pipe[0]] {
    char sink[4096];
    while (read(fd, sink, sizeof sink) > 0) {
    }
    close(fd);
  }).detach();
  if (server->port_ == 0) {
    FAIL("kopfd did not start; output: " << seen);
  }
  return server;
}

int ServerProcess::Stop() {
  if (pid_ < 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return DecodeWaitStatus(status);
}

void ServerProcess::Kill() {
  if (pid_ < 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

ServerProcess::~ServerProcess() { Kill(); }

std::unique_ptr<protocol::Client> Connect(const ServerProcess& server) {
  auto client = protocol::Client::Connect("127.0.0.1", server.port());
  REQUIRE_MESSAGE(client.ok(), client.status().ToString());
  return std::move(client).value();
}

std::optional<uint64_t> PeakUnsentBytes(const ServerProcess& server, uint32_t client_id) {
  std::ifstream log(server.log_path());
  std::string line;
  std::optional<uint64_t> peak;
  const std::string wanted = "client " + std::to_string(client_id) + " disconnected";
  while (std::getline(log, line)) {
    size_t at = line.find("peak unsent output ");
    if (line.find(wanted) != std::string::npos && at != std::string::npos) {
      peak = std::stoull(line.substr(at + 19));
    }
  }
  return peak;
}

int64_t CountRows(protocol::Client& client, const std::string& table) {
  auto r = client.Query("SELECT count(*) FROM " + table);
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  return r->rows[0][0].as_integer();
}

}  // namespace kopf::testing
