// The life of a request inside the cerebellum:
//   1. Submit() classifies the SQL as read or write by its first keyword
//      (cheap, no parse) and queues it in the client's lane (job_queue.h).
//   2. A worker pops it when the client's ordering allows and runs the
//      pipeline: ParseStatement -> Bind -> CheckPermission (the user's role
//      against the bound statement's kind) -> Plan -> Execute.
//   3. The result or error goes to the completion callback, on the worker.
// A worker catches anything thrown by a bug and answers kInternal, so one
// statement cannot take the server down.
#include "cerebellum/engine.h"

#include <cctype>
#include <cstdio>
#include <thread>

#include "cerebellum/binder/binder.h"
#include "cerebellum/executor/executor.h"
#include "cerebellum/job_queue.h"
#include "cerebellum/parser/parser.h"
#include "cerebellum/permission.h"
#include "cerebellum/planner/explain.h"
#include "cerebellum/planner/planner.h"
#include "cerebrum/database.h"

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
    job.run = [this, sql = std::move(request.sql), role = request.role, shared_done] {
      (*shared_done)(Run(sql, role));
    };
    if (!queue_.Push(job)) {
      (*shared_done)(Status::Busy("the server is overloaded: too many queued requests"));
    }
  }

  Result<StatementResult> Run(std::string_view sql, protocol::Role role) {
    try {
      KOPF_ASSIGN_OR_RETURN(ast::Statement statement, ParseStatement(sql));
      if (auto* explain = std::get_if<ast::Explain>(&statement)) {
        KOPF_ASSIGN_OR_RETURN(BoundStatement inner, Bind(explain->target->statement, *db_));
        Plan(&inner);
        BoundStatement bound = BoundExplain{ExplainPlan(inner)};
        KOPF_RETURN_IF_ERROR(CheckPermission(bound, role));
        return Execute(bound, *db_);
      }
      KOPF_ASSIGN_OR_RETURN(BoundStatement bound, Bind(statement, *db_));
      KOPF_RETURN_IF_ERROR(CheckPermission(bound, role));
      if (auto* copy = std::get_if<BoundCopy>(&bound)) {
        KOPF_RETURN_IF_ERROR(ConfineCopyPath(copy, import_dirs_));
      }
      Plan(&bound);
      return Execute(bound, *db_);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "kopfd: internal error: %s\n", e.what());
      return Status::Internal(std::string("internal error: ") + e.what());
    } catch (...) {
      std::fprintf(stderr, "kopfd: internal error\n");
      return Status::Internal("internal error");
    }
  }

  void ForgetClient(uint32_t client_id) { queue_.ForgetClient(client_id); }

  void Shutdown() {
    queue_.Close();
    for (std::thread& t : workers_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void WorkLoop() {
    while (auto job = queue_.Pop()) {
      job->run();
      queue_.Done(*job);
    }
  }

  cerebrum::Database* db_;
  JobQueue queue_;
  const std::vector<std::filesystem::path> import_dirs_;  // for COPY
  std::vector<std::thread> workers_;
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

void Engine::ForgetClient(uint32_t client_id) { impl_->ForgetClient(client_id); }

void Engine::Shutdown() { impl_->Shutdown(); }

}  // namespace kopf::cerebellum
