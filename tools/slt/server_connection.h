// ServerConnection: an Executor that sends SQL to a running kopfd over the
// blocking client of protocol/client.h, with a deadline per statement.
//
// The client has no timeouts, so a watchdog thread keeps the deadline: when
// a statement (or the connect and handshake) is still running at its
// deadline, the watchdog shuts the connection's socket down (the blocked
// read then ends with a lost connection) and runs the optional `interrupt`
// callback (spawn mode uses it to kill the server). The client does not
// expose its socket, so the connection finds it as the one socket
// descriptor that connecting added to /proc/self/fd (Linux only).
// TODO(slt): a deadline in protocol::Client would make this unnecessary.
//
// Thread-safety: one thread calls Execute/Recover/DropAllTables; the
// watchdog thread is internal.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "protocol/client.h"
#include "protocol/status.h"
#include "tools/slt/slt_runner.h"

namespace kopf::slt {

struct ConnectionOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 5433;
  // Recover() reconnects when true (connect mode: the tables live on in
  // the server). When false, Recover() reports the database as gone (spawn
  // mode: a server that timed out is killed).
  bool reconnect = true;
  // Called from the watchdog thread when a deadline passes; may be empty.
  std::function<void()> interrupt;
  // The longest the connect and handshake may take.
  std::chrono::milliseconds connect_timeout{10000};
};

class ServerConnection final : public Executor {
 public:
  // Starts the watchdog and connects. Fails with kIoError when the server
  // cannot be reached or does not complete the handshake in time.
  static protocol::Result<std::unique_ptr<ServerConnection>> Open(ConnectionOptions options);
  ~ServerConnection() override;
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  Execution Execute(std::string_view sql, Clock::time_point deadline) override;
  bool Recover() override;

  // Drops every table SHOW TABLES lists, each statement bounded by
  // `timeout`. Fails with the first error.
  protocol::Status DropAllTables(std::chrono::milliseconds timeout);

 private:
  explicit ServerConnection(ConnectionOptions options);
  protocol::Status Connect();
  void Watch();

  ConnectionOptions options_;
  std::unique_ptr<protocol::Client> client_;

  std::mutex mutex_;
  std::condition_variable wake_;
  int socket_fd_ = -1;            // guarded by mutex_; -1 when unknown
  bool connecting_ = false;       // guarded by mutex_: Connect() is running
  std::set<int> sockets_before_;  // guarded by mutex_: sockets open before it
  bool armed_ = false;            // guarded by mutex_: a statement is running
  bool fired_ = false;            // guarded by mutex_: its deadline passed
  Clock::time_point deadline_;    // guarded by mutex_
  bool stopping_ = false;         // guarded by mutex_
  std::thread watchdog_;
};

}  // namespace kopf::slt
