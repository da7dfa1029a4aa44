// Engine: the cerebellum's front door. It takes SQL requests from the
// brainstem, runs each through parse -> bind -> plan -> execute on a pool of
// worker threads, and reports each result through a plain callback.
//
// Ordering (see ../shared/DESIGN.md, "Identity of a request"): requests of
// one client are started in the order submitted, with one relaxation:
// consecutive reads (SELECT, SHOW, DESCRIBE) of a client may run in parallel
// and finish out of order. A write waits for the client's earlier requests
// to finish, and the client's later requests wait for the write. Requests of
// different clients run independently. A PREPARE orders like a write, so an
// EXECUTE sent right behind it (pipelined) finds the statement prepared.
//
// Cancellation: a request may carry a CancelFlag (executor/cancel.h). Set
// before the request starts, it answers kCancelled without running; set
// while it runs, the executor stops at its next check.
//
// Thread-safety: Submit, ForgetClient and Shutdown may be called from any
// thread. Completions run on worker threads (or inline in Submit for kBusy;
// a durable write's on the worker that ran its fsync round, which may be
// another worker than the one that ran the statement); they must not block
// for long.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cerebellum/copy_in_stream.h"
#include "cerebellum/executor/cancel.h"
#include "cerebellum/prepared_statement.h"
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
  std::shared_ptr<const CancelFlag> cancel;  // may be null
  // For COPY ... FROM STDIN / TO STDOUT; null when the client cannot
  // stream copy data (such a COPY then fails with kNotSupported). It must
  // outlive the request: the session passes itself, and its completion
  // holds the session.
  CopyClient* copy_client = nullptr;
};

using Completion = std::function<void(protocol::Result<StatementResult>)>;

// What a session keeps for one prepared statement id. Prepare() returns it
// at once, so EXECUTEs can be queued before the PREPARE has run.
struct PreparedHandle {
  // From the statement's first keyword, known before it is parsed.
  bool is_write = true;
  // Written once by the PREPARE job before `ready` turns true (release);
  // read after `ready` (acquire), or by an EXECUTE job, which the client's
  // ordering starts only after the PREPARE finished.
  std::shared_ptr<const PreparedStatement> statement;  // null when it failed
  protocol::Status error;                              // why it failed
  std::atomic<bool> ready{false};
};

struct ExecuteRequest {
  uint32_t client_id = 0;
  uint64_t payload_id = 0;
  uint64_t statement_id = 0;
  std::shared_ptr<const PreparedHandle> handle;
  std::vector<protocol::Row> parameter_rows;
  std::shared_ptr<const CancelFlag> cancel;  // may be null
};

// Sends the answer to a PREPARE and returns what it said: OK when the
// description went out, else the error sent instead. A statement that
// prepared but whose description could not be sent (the wire cannot carry
// it) is then kept as failed for that reason, as the client was told.
using PrepareCompletion =
    std::function<protocol::Status(protocol::Result<std::shared_ptr<const PreparedStatement>>)>;

class Engine {
 public:
  // REQUIRES: `database` outlives the engine.
  Engine(cerebrum::Database* database, Options options);
  ~Engine();  // Shutdown()
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues `request`; `done` is called exactly once with its result.
  void Submit(Request request, Completion done);

  // Queues the PREPARE of `request.sql` (see prepared_statement.h) and
  // returns the handle EXECUTEs name; `done` is called exactly once with the
  // prepared statement or the error, before the handle is settled, so that
  // it holds the statement only when `done` could describe it.
  std::shared_ptr<PreparedHandle> Prepare(Request request, PrepareCompletion done);

  // Queues an EXECUTE; `done` is called exactly once. A handle whose
  // PREPARE failed answers kUndefinedStatement with the reason.
  void Execute(ExecuteRequest request, Completion done);

  // Runs an EXECUTE on the calling thread when that cannot block: a
  // prepared quick read (a point lookup, planner.h IsQuickRead) of one
  // parameter row, whose client has no write running or waiting (so the
  // ordering promise holds), whose table lock is free and whose visible
  // writes are durable. Returns std::nullopt, and leaves `request` as it
  // was, when any of that does not hold; the caller then calls Execute().
  // Saves the two thread hand-offs of the queue for the commonest request.
  std::optional<protocol::Result<StatementResult>> TryExecuteInline(ExecuteRequest& request);

  // Runs a prepared INSERT ... VALUES of one parameter row on the calling
  // thread when that cannot block (prepared_statement.h, TryExecuteInsert):
  // its client has nothing running or waiting, its table lock is free, and
  // its commit needs no fsync of its own. The commit is appended and
  // registered with the group commit; `done` is called once it is durable,
  // from the thread that runs the fsync round (at once when nothing waits
  // for one), and the client's later requests start only after that.
  // False, with `request` and `done` left to the caller (who then calls
  // Execute()), when it cannot run here. Saves the hand-off to a worker and
  // back for the commonest durable write.
  bool TryInsertInline(ExecuteRequest& request, Completion& done);

  // The same for a point read by primary key (prepared_statement.h,
  // PointRead), answering with its row alone: true after handing the row to
  // `sink` (under the table's read lock) when the key exists, false when
  // not, or an error. The columns are the prepared statement's.
  // std::nullopt when it cannot run here; TryExecuteInline may still.
  // Spares the caller a StatementResult, and a copy of the row, per request.
  std::optional<protocol::Result<bool>> TryPointReadInline(ExecuteRequest& request,
                                                           PointReadSink* sink);

  // The statement of `handle` if it is a point read by primary key that
  // TryPointReadsInline may take (prepared, and prepared as such); else
  // null.
  static const PreparedStatement* InlinePointRead(const PreparedHandle& handle);

  // TryPointReadInline for a group of one-row EXECUTEs of `client_id`, in
  // request order (TryPointReads): the jobs answered through `answers`
  // from the first, and if the answer to the next one failed with an
  // internal error (something threw), that error; it counts as answered
  // by the error, which the caller sends. Jobs not counted did not run;
  // the first of them cannot run here (or `answers` refused it). None runs
  // here while the client has requests waiting in the queue. REQUIRES:
  // every job's statement came from InlinePointRead.
  struct PointReadsDone {
    size_t answered = 0;
    protocol::Status failed;
  };
  PointReadsDone TryPointReadsInline(uint32_t client_id, std::span<PointReadJob> jobs,
                                     PointReadAnswers* answers);

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
