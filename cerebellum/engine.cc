// The life of a request inside the cerebellum:
//   1. Submit() classifies the SQL as read or write by its first keyword
//      (cheap, no parse) and queues it in the client's lane (job_queue.h).
//   2. A worker pops it when the client's ordering allows and runs the
//      pipeline: ParseStatement -> Bind -> CheckPermission (the user's role
//      against the bound statement's kind) -> Plan -> Execute.
//   3. The result or error goes to the completion callback, on the worker;
//      for a statement that committed with sync=always, once its fsync
//      round is done, from the thread that ran the round (the worker does
//      not wait for it: GroupCommit::WhenDurable).
// A worker catches anything thrown by a bug and answers kInternal, so one
// statement cannot take the server down.
#include "cerebellum/engine.h"

#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "cerebellum/binder/binder.h"
#include "cerebellum/executor/executor.h"
#include "cerebellum/job_queue.h"
#include "cerebellum/parser/parser.h"
#include "cerebellum/permission.h"
#include "cerebellum/planner/explain.h"
#include "cerebellum/planner/planner.h"
#include "cerebrum/database.h"
#include "cerebrum/group_commit.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;

namespace {

// True when the statement only reads: its first keyword is SELECT, SHOW,
// DESCRIBE, EXPLAIN or VALUES. Anything unsure counts as a write, which
// only costs parallelism.
bool IsReadOnly(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(') {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
      if (i == std::string_view::npos) return false;
    } else if (sql.substr(i, 2) == "/*") {
      i = sql.find("*/", i + 2);
      if (i == std::string_view::npos) return false;
      i += 2;
    } else {
      break;
    }
  }
  std::string word;
  while (i < sql.size() && word.size() < 10 && std::isalpha(static_cast<unsigned char>(sql[i]))) {
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[i++])));
  }
  return word == "select" || word == "show" || word == "describe" || word == "explain" ||
         word == "values";
}

}  // namespace

class Engine::Impl {
 public:
  Impl(cerebrum::Database* db, Options options)
      : db_(db), queue_(options.queue_capacity), import_dirs_(std::move(options.import_dirs)) {
    int n = std::max(1, options.worker_threads);
    for (int i = 0; i < n; ++i) workers_.emplace_back([this] { WorkLoop(); });
  }

  ~Impl() { Shutdown(); }

  void Submit(Request request, Completion done) {
    JobQueue::Job job;
    job.client_id = request.client_id;
    job.is_write = !IsReadOnly(request.sql);
    auto shared_done = std::make_shared<Completion>(std::move(done));
    job.run = [this, sql = std::move(request.sql), role = request.role,
               cancel = std::move(request.cancel), copy_client = request.copy_client,
               payload_id = request.payload_id, shared_done, ticket = Ticket(job)] {
      if (IsSet(cancel)) return Answer(*shared_done, CancelledStatus());
      CancelScope scope(cancel.get());
      return AnswerWhenDurable(ticket, shared_done,
                               [&] { return Run(sql, role, copy_client, payload_id); });
    };
    if (!queue_.Push(job)) (*shared_done)(BusyStatus());
  }

  std::shared_ptr<PreparedHandle> Prepare(Request request, PrepareCompletion done) {
    auto handle = std::make_shared<PreparedHandle>();
    handle->is_write = !IsReadOnly(request.sql);
    JobQueue::Job job;
    job.client_id = request.client_id;
    job.is_write = true;  // a barrier: later EXECUTEs of the client need it done
    auto shared_done = std::make_shared<PrepareCompletion>(std::move(done));
    job.run = [this, sql = std::move(request.sql), role = request.role, handle, shared_done] {
      Result<std::shared_ptr<const PreparedStatement>> prepared =
          Guarded([&]() -> Result<std::shared_ptr<const PreparedStatement>> {
            return PrepareStatement(sql, *db_, role);
          });
      // Answer first: the handle keeps the statement only if its
      // description went out. Until Finish, EXECUTEs wait behind this job.
      Status answered = (*shared_done)(prepared);
      if (prepared.ok() && !answered.ok()) prepared = std::move(answered);
      Finish(*handle, prepared);
      return true;
    };
    if (!queue_.Push(job)) {
      Status busy = BusyStatus();
      Finish(*handle, busy);
      (void)(*shared_done)(busy);
    }
    return handle;
  }

  void Execute(ExecuteRequest request, Completion done) {
    JobQueue::Job job;
    job.client_id = request.client_id;
    job.is_write = request.handle->is_write;
    auto shared_done = std::make_shared<Completion>(std::move(done));
    auto shared_request = std::make_shared<ExecuteRequest>(std::move(request));
    job.run = [this, shared_request, shared_done, ticket = Ticket(job)] {
      ExecuteRequest& r = *shared_request;
      if (IsSet(r.cancel)) return Answer(*shared_done, CancelledStatus());
      if (!r.handle->statement) {
        return Answer(*shared_done, Status::UndefinedStatement(fmt::format(
                                        "statement {} is not prepared: its PREPARE failed ({})",
                                        r.statement_id, r.handle->error.ToString())));
      }
      CancelScope scope(r.cancel.get());
      return AnswerWhenDurable(ticket, shared_done, [&] {
        return Guarded([&] { return ExecutePrepared(*r.handle->statement, r.parameter_rows, *db_); });
      });
    };
    if (!queue_.Push(job)) (*shared_done)(BusyStatus());
  }

  Result<StatementResult> Run(std::string_view sql, protocol::Role role,
                              CopyClient* copy_client = nullptr, uint64_t payload_id = 0) {
    return Guarded([&]() -> Result<StatementResult> {
      KOPF_ASSIGN_OR_RETURN(ast::Statement statement, ParseStatement(sql));
      if (auto* explain = std::get_if<ast::Explain>(&statement)) {
        KOPF_ASSIGN_OR_RETURN(BoundStatement inner, Bind(explain->target->statement, *db_));
        Plan(&inner);
        BoundStatement bound = BoundExplain{ExplainPlan(inner)};
        KOPF_RETURN_IF_ERROR(CheckPermission(bound, role));
        return cerebellum::Execute(bound, *db_);
      }
      KOPF_ASSIGN_OR_RETURN(BoundStatement bound, Bind(statement, *db_));
      KOPF_RETURN_IF_ERROR(CheckPermission(bound, role));
      if (auto* copy = std::get_if<BoundCopy>(&bound)) {
        if (copy->client) {
          KOPF_RETURN_IF_ERROR(ConnectCopyClient(copy, copy_client, payload_id));
        } else {
          KOPF_RETURN_IF_ERROR(ConfineCopyPath(copy, import_dirs_));
        }
      }
      Plan(&bound);
      return cerebellum::Execute(bound, *db_);
    });
  }

  // True when `r` is a read of one parameter row that may run on the
  // calling thread as far as the queue's ordering goes.
  bool MayRunInline(const ExecuteRequest& r) {
    const PreparedHandle& handle = *r.handle;
    return handle.ready.load(std::memory_order_acquire) && handle.statement &&
           !handle.statement->is_write && r.parameter_rows.size() == 1 && !IsSet(r.cancel) &&
           queue_.ReadMayStartNow(r.client_id);
  }

  std::optional<Result<bool>> TryPointReadInline(ExecuteRequest& r, PointReadSink* sink) {
    if (Engine::InlinePointRead(*r.handle) == nullptr || !MayRunInline(r)) return std::nullopt;
    std::optional<Result<bool>> out;
    Result<bool> ran = Guarded([&]() -> Result<bool> {
      out = TryPointRead(*r.handle->statement, r.parameter_rows.front(), *db_, sink);
      return out.has_value();
    });
    if (!ran.ok()) return Result<bool>(ran.status());
    return out;
  }

  PointReadsDone TryPointReadsInline(uint32_t client_id, std::span<PointReadJob> jobs,
                                     PointReadAnswers* answers) {
    PointReadsDone done;
    if (!queue_.ReadMayStartNow(client_id)) return done;
    Result<bool> ran = Guarded([&]() -> Result<bool> {
      TryPointReads(jobs, *db_, answers, &done.answered);
      return true;
    });
    if (!ran.ok()) done.failed = ran.status();
    return done;
  }

  std::optional<Result<StatementResult>> TryExecuteInline(ExecuteRequest& r) {
    if (!MayRunInline(r)) return std::nullopt;
    const PreparedHandle& handle = *r.handle;
    std::optional<Result<StatementResult>> out;
    Result<bool> ran = Guarded([&]() -> Result<bool> {
      out = TryExecuteQuickRead(*handle.statement, r.parameter_rows.front(), *db_);
      return out.has_value();
    });
    if (!ran.ok()) return Result<StatementResult>(ran.status());
    return out;
  }

  bool TryInsertInline(ExecuteRequest& r, Completion& done) {
    const PreparedHandle& handle = *r.handle;
    if (!handle.ready.load(std::memory_order_acquire) || !handle.statement ||
        !handle.statement->is_insert_values || r.parameter_rows.size() != 1 || IsSet(r.cancel) ||
        !queue_.TryStartWrite(r.client_id)) {
      return false;
    }
    const JobTicket ticket{r.client_id, true};
    cerebrum::DurabilityScope durability;
    std::optional<Result<StatementResult>> out;
    Result<bool> ran = Guarded([&]() -> Result<bool> {
      out = TryExecuteInsert(*handle.statement, r.parameter_rows.front(), *db_);
      return out.has_value();
    });
    if (!ran.ok()) out = Result<StatementResult>(ran.status());
    if (!out) {  // nothing was done: the caller queues it
      durability.Finish([](Status) {});
      queue_.Done(ticket.client_id, ticket.is_write);
      return false;
    }
    if (AnswerAfter(durability, ticket, std::make_shared<Completion>(std::move(done)),
                    std::move(*out))) {
      queue_.Done(ticket.client_id, ticket.is_write);
    }
    return true;
  }

  void ForgetClient(uint32_t client_id) { queue_.ForgetClient(client_id); }

  void Shutdown() {
    queue_.Close();
    for (std::thread& t : workers_) {
      if (t.joinable()) t.join();
    }
    // Answers still waiting for their fsync round call back into the queue.
    std::unique_lock lock(durable_mu_);
    durable_cv_.wait(lock, [&] { return awaiting_durable_ == 0; });
  }

 private:
  static bool IsSet(const std::shared_ptr<const CancelFlag>& cancel) {
    return cancel && cancel->load(std::memory_order_relaxed);
  }

  // What JobQueue::Done needs of a job that finishes after its run().
  struct JobTicket {
    uint32_t client_id;
    bool is_write;
  };
  static JobTicket Ticket(const JobQueue::Job& job) { return {job.client_id, job.is_write}; }

  // Answers a job that made no commit; true: the job is finished.
  static bool Answer(const Completion& done, Result<StatementResult> result) {
    done(std::move(result));
    return true;
  }

  // Runs `body` (which returns the statement's result) under a
  // DurabilityScope, so its commits do not hold this worker through their
  // fsync: the answer goes out from the round's completion instead, and the
  // client's lane stays held until then, so its later requests still start
  // after the write is durable. True when it answered at once (nothing to
  // wait for); false when the job finishes later (JobQueue::Done).
  template <class Body>
  bool AnswerWhenDurable(JobTicket ticket, const std::shared_ptr<Completion>& done, Body&& body) {
    cerebrum::DurabilityScope durability;
    Result<StatementResult> result = body();
    return AnswerAfter(durability, ticket, done, std::move(result));
  }

  // Closes `durability` and answers `result` once its commits are durable
  // (see AnswerWhenDurable).
  bool AnswerAfter(cerebrum::DurabilityScope& durability, JobTicket ticket,
                   const std::shared_ptr<Completion>& done, Result<StatementResult> result) {
    if (durability.empty()) {
      durability.Finish([](Status) {});
      return Answer(*done, std::move(result));
    }
    {
      std::lock_guard lock(durable_mu_);
      ++awaiting_durable_;
    }
    durability.Finish([this, ticket, done, result = std::move(result)](Status durable) mutable {
      if (!durable.ok()) result = std::move(durable);
      (*done)(std::move(result));
      queue_.Done(ticket.client_id, ticket.is_write);
      std::lock_guard lock(durable_mu_);
      if (--awaiting_durable_ == 0) durable_cv_.notify_all();
    });
    return false;
  }

  static Status BusyStatus() {
    return Status::Busy("the server is overloaded: too many queued requests");
  }

  static void Finish(PreparedHandle& handle,
                     const Result<std::shared_ptr<const PreparedStatement>>& prepared) {
    if (prepared.ok()) {
      handle.statement = *prepared;
    } else {
      handle.error = prepared.status();
    }
    handle.ready.store(true, std::memory_order_release);
  }

  // Runs `body`, turning anything a bug throws into kInternal, so one
  // statement cannot take the server down.
  template <class Body>
  static auto Guarded(Body&& body) -> decltype(body()) {
    try {
      return body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "kopfd: internal error: %s\n", e.what());
      return Status::Internal(std::string("internal error: ") + e.what());
    } catch (...) {
      std::fprintf(stderr, "kopfd: internal error\n");
      return Status::Internal("internal error");
    }
  }

  void WorkLoop() {
    while (auto job = queue_.Pop()) {
      if (job->run()) queue_.Done(*job);
    }
  }

  cerebrum::Database* db_;
  JobQueue queue_;
  const std::vector<std::filesystem::path> import_dirs_;  // for COPY
  std::vector<std::thread> workers_;
  std::mutex durable_mu_;
  std::condition_variable durable_cv_;
  size_t awaiting_durable_ = 0;  // GUARDED_BY(durable_mu_): answers waiting for a round
};

Engine::Engine(cerebrum::Database* database, Options options)
    : impl_(std::make_unique<Impl>(database, options)) {}

Engine::~Engine() = default;

void Engine::Submit(Request request, Completion done) {
  impl_->Submit(std::move(request), std::move(done));
}

Result<StatementResult> Engine::ExecuteNow(std::string_view sql, protocol::Role role) {
  return impl_->Run(sql, role);
}

std::shared_ptr<PreparedHandle> Engine::Prepare(Request request, PrepareCompletion done) {
  return impl_->Prepare(std::move(request), std::move(done));
}

void Engine::Execute(ExecuteRequest request, Completion done) {
  impl_->Execute(std::move(request), std::move(done));
}

std::optional<Result<StatementResult>> Engine::TryExecuteInline(ExecuteRequest& request) {
  return impl_->TryExecuteInline(request);
}

bool Engine::TryInsertInline(ExecuteRequest& request, Completion& done) {
  return impl_->TryInsertInline(request, done);
}

const PreparedStatement* Engine::InlinePointRead(const PreparedHandle& handle) {
  if (!handle.ready.load(std::memory_order_acquire) || !handle.statement ||
      !handle.statement->point_read) {
    return nullptr;
  }
  return handle.statement.get();
}

Engine::PointReadsDone Engine::TryPointReadsInline(uint32_t client_id,
                                                   std::span<PointReadJob> jobs,
                                                   PointReadAnswers* answers) {
  return impl_->TryPointReadsInline(client_id, jobs, answers);
}

std::optional<Result<bool>> Engine::TryPointReadInline(ExecuteRequest& request,
                                                       PointReadSink* sink) {
  return impl_->TryPointReadInline(request, sink);
}

void Engine::ForgetClient(uint32_t client_id) { impl_->ForgetClient(client_id); }

void Engine::Shutdown() { impl_->Shutdown(); }

}  // namespace kopf::cerebellum
