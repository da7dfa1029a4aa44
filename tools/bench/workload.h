// Workload: what kopf-bench sends, one request at a time, against the
// table kv(id INT PRIMARY KEY, name TEXT, age INT, city TEXT) preloaded
// with ids 1..rows (the rows /work/shared/peers/lib.sh generates for the
// peer databases, so figures compare).
//
//   select    SELECT name, age, city FROM kv WHERE id = <random id>
//   range     SELECT id, name, age, city FROM kv WHERE id BETWEEN x AND x + 99
//   insert    INSERT INTO kv VALUES (<fresh id from 10,000,001 on>, 'name_ins', 42, 'Berlin')
//   update    UPDATE kv SET age = age + 1 WHERE id = <random id>
//   mixed70   70% select, 30% update (also mixed50, mixed30)
//
// By default each connection prepares the statement of each kind once
// (PreparedSql, with $n markers where the values above vary) and sends
// EXECUTEs with the parameters NextParameters() fills in; with --simple the
// same requests go out as SQL text (NextRequest) in QUERY frames. Both
// draw the same random sequence, so the two modes compare.
//
// Thread-safety: none; one Workload per driving thread.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/value.h"

namespace kopf::bench {

enum class WorkloadKind { kSelect, kRange, kInsert, kUpdate, kMixed };

// The kinds of statement a request can be (kMixed picks one of these).
inline constexpr WorkloadKind kStatementKinds[] = {WorkloadKind::kSelect, WorkloadKind::kRange,
                                                   WorkloadKind::kInsert, WorkloadKind::kUpdate};
// The statement of `kind` with parameter markers, for PREPARE.
// REQUIRES: kind != kMixed.
std::string_view PreparedSql(WorkloadKind kind);

struct WorkloadSpec {
  std::string name;  // as on the command line: "select", "mixed70", ...
  WorkloadKind kind = WorkloadKind::kSelect;
  int read_percent = 100;  // kMixed only: share of selects, the rest updates
};

// "select", "range", "insert", "update", "mixed70", "mixed50", "mixed30"
// (any mixedNN with NN in 0..100), or nullopt.
std::optional<WorkloadSpec> ParseWorkload(std::string_view name);
// Every workload of the standard table, in its order.
std::vector<WorkloadSpec> AllWorkloads();

class Workload {
 public:
  // `rows`: ids 1..rows exist. `next_insert_id` is shared by every Workload
  // of a process, so repeated runs never insert the same id twice.
  Workload(WorkloadSpec spec, int64_t rows, int64_t* next_insert_id, uint64_t seed);

  // The SQL of the next request.
  std::string NextRequest();
  // The next request as a statement kind (never kMixed) and its parameters,
  // written into `*params` (reused, so a steady run allocates nothing).
  WorkloadKind NextParameters(protocol::Row* params);

 private:
  // The next request: its kind and the id it is about (the point, the
  // start of the range, or the new row).
  struct Request {
    WorkloadKind kind;
    int64_t id;
  };
  Request Next();
  int64_t RandomId();

  WorkloadSpec spec_;
  int64_t rows_;
  int64_t* next_insert_id_;
  std::mt19937_64 rng_;
};

// The first id the insert workload uses: far above any preloaded id.
inline constexpr int64_t kFirstInsertId = 10'000'001;

// INSERT statements that load ids 1..rows, `per_statement` rows each.
std::vector<std::string> LoadStatements(int64_t rows, int per_statement);

}  // namespace kopf::bench
