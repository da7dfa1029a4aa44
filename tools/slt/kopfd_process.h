// KopfdProcess: a kopfd child process with a fresh, private data directory,
// for kopf-slt's spawn mode (one server per .test file).
//
// Start() makes a temporary directory, runs
//   KOPFD --port 0 --data DIR/data --sync none        (Storage::kDisk)
//   KOPFD --port 0 --data DIR/data --storage memory   (Storage::kMemory)
// with stdout and stderr going to DIR/kopfd.out and DIR/kopfd.log, and
// waits for the "kopfd listening on HOST:PORT" line. No fsync because a
// conformance run never needs its writes to survive a crash; kopf-slt goes
// further and keeps the tables in memory only, since a .test file never
// restarts its server and so cannot tell the difference. The destructor
// kills the server and removes the directory.
//
// Thread-safety: Interrupt() may be called from any thread (it only sends
// SIGKILL); everything else from the owning thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <sys/types.h>

#include "protocol/status.h"

namespace kopf::slt {

class KopfdProcess {
 public:
  // Where the server keeps its tables: segment files under DIR/data, or
  // memory only (nothing written at all).
  enum class Storage { kDisk, kMemory };

  // Starts `kopfd_path` and waits up to `startup_timeout` until it listens.
  // `sync` is its --sync mode with kDisk ("none" by default, as above;
  // kopf-bench passes "always" to measure durable writes). Fails with
  // kIoError (and the tail of the server's log) when it cannot be started
  // or exits or stays silent.
  static protocol::Result<std::unique_ptr<KopfdProcess>> Start(
      const std::string& kopfd_path, std::chrono::milliseconds startup_timeout,
      const std::string& sync = "none", Storage storage = Storage::kDisk);
  ~KopfdProcess();
  KopfdProcess(const KopfdProcess&) = delete;
  KopfdProcess& operator=(const KopfdProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Sends SIGKILL without waiting; safe from any thread.
  void Interrupt() const;
  // The last lines the server wrote to its log, for error messages.
  std::string LogTail() const;
  // Stops the server as SIGTERM does (a graceful shutdown, which logs its
  // figures), waiting up to `timeout` before SIGKILL, and returns its whole
  // log. The directory stays until the destructor.
  std::string StopGracefully(std::chrono::milliseconds timeout);

 private:
  KopfdProcess() = default;
  // Kills the server (if running), reaps it and removes the directory.
  void Stop();
  // Waits for the server, which has been told to end, to exit.
  void Reap();

  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::filesystem::path dir_;
};

}  // namespace kopf::slt
