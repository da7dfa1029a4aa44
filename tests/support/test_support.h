// Helpers shared by the test suites: temporary directories, running
// programs, and starting the real kopfd binary on a free loopback port.
//
// Thread-safety: none; use from the test's own thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kopf::protocol {
class Client;
}

namespace kopf::testing {

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes `contents` to `path` (replacing it); fails the test on error.
void WriteTextFile(const std::filesystem::path& path, const std::string& contents);
// The whole file at `path`, byte for byte ("" if it cannot be read).
std::string ReadTextFile(const std::filesystem::path& path);

// Path of a built program, e.g. BinaryPath("kopfd").
std::string BinaryPath(const std::string& name);

// Flips the lowest bit of the byte at `offset` of `file` in place: damage
// that a checksum must notice.
void FlipByte(const std::filesystem::path& file, uint64_t offset);

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs argv[0] (a path) with arguments, writes `input` to its standard
// input, and collects its output. Blocks until the program exits.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input = "");

// A kopfd child process listening on 127.0.0.1 on a port the kernel chose.
class ServerProcess {
 public:
  // Starts kopfd --port 0 --data `data_dir` plus `extra_args`, with the
  // "NAME=value" entries of `env` added to its environment, and waits
  // until it prints the address it listens on. Fails the test on error.
  static std::unique_ptr<ServerProcess> Start(const std::filesystem::path& data_dir,
                                              const std::vector<std::string>& extra_args = {},
                                              const std::vector<std::string>& env = {});
  ~ServerProcess();  // SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // SIGTERM and wait; returns the exit status (0 on a clean shutdown).
  int Stop();
  // SIGKILL and wait: a crash.
  void Kill();
  // Everything the server printed on stderr so far is in this file.
  const std::filesystem::path& log_path() const { return log_path_; }

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::filesystem::path log_path_;
};

// A client connected to `server`; fails the test when it cannot connect.
std::unique_ptr<protocol::Client> Connect(const ServerProcess& server);

// The most output the server held unsent for client `client_id`, from the
// line its session logs at the close (written before the socket closes);
// nullopt when that line is not in the log.
std::optional<uint64_t> PeakUnsentBytes(const ServerProcess& server, uint32_t client_id);

// SELECT count(*) FROM `table`; fails the test when the query fails.
int64_t CountRows(protocol::Client& client, const std::string& table);

}  // namespace kopf::testing
