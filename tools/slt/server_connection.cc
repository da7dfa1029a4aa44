#include "tools/slt/server_connection.h"

#include <cstdlib>
#include <set>

#include <dirent.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>

namespace kopf::slt {

namespace {

using protocol::ErrorCode;
using protocol::Result;
using protocol::Status;

// The descriptors of this process that are sockets.
std::set<int> SocketDescriptors() {
  std::set<int> sockets;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return sockets;
  int own = dirfd(dir);
  while (dirent* entry = readdir(dir)) {
    int fd = std::atoi(entry->d_name);
    if (entry->d_name[0] == '.' || fd == own) continue;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) sockets.insert(fd);
  }
  closedir(dir);
  return sockets;
}

// kopf names a table in SHOW TABLES as stored; quoting keeps its case.
std::string QuoteIdentifier(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  return quoted + "\"";
}

std::string Seconds(Clock::duration d) {
  return fmt::format("{:.1f} s", std::chrono::duration<double>(d).count());
}

}  // namespace

ServerConnection::ServerConnection(ConnectionOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<ServerConnection>> ServerConnection::Open(ConnectionOptions options) {
  std::unique_ptr<ServerConnection> connection(new ServerConnection(std::move(options)));
  // The watchdog runs first: it also bounds the connect and handshake.
  connection->watchdog_ = std::thread([c = connection.get()] { c->Watch(); });
  KOPF_RETURN_IF_ERROR(connection->Connect());
  return connection;
}

ServerConnection::~ServerConnection() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
}

Status ServerConnection::Connect() {
  // Drop the old client first so its socket is gone from the "before" set.
  {
    std::lock_guard lock(mutex_);
    socket_fd_ = -1;
  }
  client_.reset();
  std::set<int> before = SocketDescriptors();
  const Clock::time_point start = Clock::now();
  {
    std::lock_guard lock(mutex_);
    sockets_before_ = before;
    connecting_ = true;
    armed_ = true;
    fired_ = false;
    deadline_ = start + options_.connect_timeout;
  }
  wake_.notify_all();
  protocol::ClientOptions client_options;
  client_options.client_name = "kopf-slt";
  auto client = protocol::Client::Connect(options_.host, options_.port, client_options);
  bool timed_out;
  {
    std::lock_guard lock(mutex_);
    armed_ = false;
    connecting_ = false;
    timed_out = fired_;
    fired_ = false;
  }
  if (timed_out) {
    return Status::IoError(fmt::format("no handshake from {}:{} after {}", options_.host,
                                       options_.port, Seconds(Clock::now() - start)));
  }
  if (!client.ok()) return client.status();
  client_ = std::move(client).value();
  std::set<int> added;
  for (int fd : SocketDescriptors()) {
    if (!before.contains(fd)) added.insert(fd);
  }
  std::lock_guard lock(mutex_);
  // Without exactly one new socket the watchdog can only run `interrupt`.
  socket_fd_ = added.size() == 1 ? *added.begin() : -1;
  return Status::Ok();
}

void ServerConnection::Watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!armed_) {
      wake_.wait(lock);
      continue;
    }
    if (wake_.wait_until(lock, deadline_) == std::cv_status::timeout && armed_ &&
        Clock::now() >= deadline_) {
      fired_ = true;
      armed_ = false;
      // shutdown() (not close()) leaves the descriptor to the client, so
      // its number cannot be reused while the client still holds it.
      if (socket_fd_ >= 0) {
        shutdown(socket_fd_, SHUT_RDWR);
      } else if (connecting_) {
        // The client's socket is not known yet: it is whichever socket
        // appeared since Connect() began (no other thread makes sockets).
        for (int fd : SocketDescriptors()) {
          if (!sockets_before_.contains(fd)) shutdown(fd, SHUT_RDWR);
        }
      }
      if (options_.interrupt) options_.interrupt();
    }
  }
}

Execution ServerConnection::Execute(std::string_view sql, Clock::time_point deadline) {
  Execution execution;
  if (client_ == nullptr) {
    execution.outcome = Execution::Outcome::kLost;
    execution.message = "not connected to the server";
    return execution;
  }
  const Clock::time_point start = Clock::now();
  {
    std::lock_guard lock(mutex_);
    armed_ = true;
    fired_ = false;
    deadline_ = deadline;
  }
  wake_.notify_all();
  Result<protocol::QueryResult> result = client_->Query(sql);
  bool timed_out;
  {
    std::lock_guard lock(mutex_);
    armed_ = false;
    timed_out = fired_;
    fired_ = false;
  }
  // A deadline that fires just as the answer arrives still broke the
  // socket, so it counts as a timeout either way.
  if (timed_out) {
    execution.outcome = Execution::Outcome::kTimeout;
    execution.message = fmt::format("timeout: no answer after {}", Seconds(Clock::now() - start));
  } else if (result.ok()) {
    execution.result = std::move(result).value();
  } else if (result.status().code() == ErrorCode::kProtocolViolation) {
    // The client reports every way a connection ends as kProtocolViolation.
    execution.outcome = Execution::Outcome::kLost;
    execution.message = result.status().ToString();
  } else {
    execution.outcome = Execution::Outcome::kError;
    execution.message = result.status().ToString();
  }
  return execution;
}

bool ServerConnection::Recover() {
  if (!options_.reconnect) {
    client_.reset();
    return false;
  }
  return Connect().ok();
}

Status ServerConnection::DropAllTables(std::chrono::milliseconds timeout) {
  Execution tables = Execute("SHOW TABLES", Clock::now() + timeout);
  if (tables.outcome != Execution::Outcome::kOk) {
    return Status::IoError("SHOW TABLES failed: " + tables.message);
  }
  for (const protocol::Row& row : tables.result.rows) {
    if (row.empty() || row[0].type() != protocol::Type::kText) continue;
    std::string sql = "DROP TABLE " + QuoteIdentifier(row[0].as_text());
    Execution drop = Execute(sql, Clock::now() + timeout);
    if (drop.outcome != Execution::Outcome::kOk) {
      return Status::IoError(sql + " failed: " + drop.message);
    }
  }
  return Status::Ok();
}

}  // namespace kopf::slt
