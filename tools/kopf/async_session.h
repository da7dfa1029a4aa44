// AsyncSession: the shell's second connection, for \async: several
// statements sent at once on one asynchronous connection (async_client.h),
// each reply handed over the moment it lands, with its payload id.
//
// The connection opens at the first Run() and stays open, so payload ids
// keep counting across \async commands; a lost connection is reopened by
// the next Run().
//
// Thread-safety: none; Run() blocks the calling thread until every reply
// is in (or, after a Ctrl-C, every cancelled statement's reply).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "protocol/client.h"
#include "protocol/connection_string.h"
#include "protocol/status.h"

namespace kopf::shell {

class AsyncSession {
 public:
  explicit AsyncSession(protocol::ConnectionString where);
  ~AsyncSession();
  AsyncSession(const AsyncSession&) = delete;
  AsyncSession& operator=(const AsyncSession&) = delete;

  // Called once `statements` are all sent, with the payload id of the first
  // (the others follow one by one).
  using SentFunction = std::function<void(uint64_t first_payload_id)>;
  // Called for each reply as it arrives: the statement's index in
  // `statements` and the response (payload id, status, result).
  using ReplyFunction = std::function<void(size_t index, const protocol::Response& response)>;

  // Sends every statement without waiting and returns once all replies are
  // in. Fails only when the connection cannot be made (kIoError, ...).
  protocol::Status Run(const std::vector<std::string>& statements, const SentFunction& on_sent,
                       const ReplyFunction& on_reply);

  // While `fd` (interrupt.h's self-pipe; -1: none) is readable during Run(),
  // CANCEL goes out for every statement not answered yet; each still gets
  // its one reply (ERROR Cancelled, or its result if it had finished).
  void SetInterruptFd(int fd);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kopf::shell
