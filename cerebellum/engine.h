// Engine: the cerebellum's front door. It takes SQL requests from the
// brainstem, runs each through parse -> bind -> plan -> execute on a pool of
// worker threads, and reports each result through a plain callback.
//
// Ordering (see ../shared/DESIGN.md, "Identity of a request"): requests of
// one client are started in the order submitted, with one relaxation:
// consecutive reads (SELECT, SHOW, DESCRIBE) of a client may run in parallel
// and finish out of order. A write waits for the client's earlier requests
// to finish, and the client's later requests wait for the write. Requests of
// different clients run independently.
//
// Thread-safety: Submit, ForgetClient and Shutdown may be called from any
// thread. Completions run on worker threads (or inline in Submit for kBusy);
// they must not block for long.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cerebellum/statement_result.h"
#include "protocol/role.h"
#include "protocol/status.h"

namespace kopf::cerebrum {
class Database;
}

namespace kopf::cerebellum {

struct Options {
  // Threads executing statements. Reads scale with it; writes to one table
  // serialise on that table anyway.
  int worker_threads = 4;
  // Requests waiting to run, over all clients. Past it Submit answers kBusy
  // at once instead of letting memory grow without bound.
  size_t queue_capacity = 100000;
  // Folders whose files COPY may read and write (server-side paths). Empty
  // means COPY with a file path is refused: a client must not be able to
  // make the server read /etc/shadow or overwrite its own segments. Paths
  // are checked after resolving symlinks and "..".
  std::vector<std::filesystem::path> import_dirs;
};

struct Request {
  uint32_t client_id = 0;
  uint64_t payload_id = 0;
  std::string sql;
  // The role of the user who sent it; the statement fails with
  // kPermissionDenied, before it runs, when it needs more (permission.h).
  protocol::Role role = protocol::Role::kAdmin;
};

using Completion = std::function<void(protocol::Result<StatementResult>)>;

class Engine {
 public:
  // REQUIRES: `database` outlives the engine.
  Engine(cerebrum::Database* database, Options options);
  ~Engine();  // Shutdown()
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues `request`; `done` is called exactly once with its result.
  void Submit(Request request, Completion done);

  // Runs one statement on the calling thread (tests, tools).
  protocol::Result<StatementResult> ExecuteNow(std::string_view sql,
                                               protocol::Role role = protocol::Role::kAdmin);

  // Drops the ordering state of a client that disconnected. Its queued
  // requests still run and complete (a write the client sent is not lost).
  void ForgetClient(uint32_t client_id);

  // Stops accepting work, finishes what is queued, joins the workers.
  void Shutdown();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kopf::cerebellum
