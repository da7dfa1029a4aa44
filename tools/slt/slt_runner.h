// The sqllogictest runner proper: runs the records of one file against an
// Executor and counts what passed.
//
// The Executor interface hides where the SQL goes. kopf-slt's main() plugs
// in a ServerConnection (a kopfd over the wire, tools/slt/server_connection.h);
// the unit tests plug in a fake, so the scoring rules are tested without a
// socket. The rules (../shared/sqllogictest/README.md, "Scoring kopf"):
//   1. Records whose conditions exclude the engine, and every record after
//      an effective halt, are skipped and not counted.
//   2. A statement passes when success or failure matches "ok" or "error";
//      a query passes when it runs, has as many columns as its types string
//      and its rendered values (or their hash) equal the expected lines.
//   3. A failure never stops the file. A timeout or a lost connection fails
//      the record; if the Executor cannot recover with the database intact,
//      or the per-file time limit is spent, every later record that would
//      have run fails too ("abandoned").
//
// Thread-safety: RunRecords is a plain function; the Executor is used from
// the calling thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/client.h"
#include "tools/slt/slt_parser.h"

namespace kopf::slt {

using Clock = std::chrono::steady_clock;

// What happened to one SQL text.
struct Execution {
  enum class Outcome {
    kOk,       // the server answered with a result
    kError,    // the server answered with an error (`message`)
    kTimeout,  // no answer before the deadline
    kLost,     // the connection or the server is gone
  };
  Outcome outcome = Outcome::kOk;
  protocol::QueryResult result;  // kOk only
  std::string message;           // every other outcome
};

// Runs SQL somewhere. Implementations say in their header how they keep
// the deadline.
class Executor {
 public:
  virtual ~Executor() = default;
  // Runs `sql` (sent as is) and returns by `deadline` at the latest.
  virtual Execution Execute(std::string_view sql, Clock::time_point deadline) = 0;
  // Called after kTimeout or kLost. Returns true when the executor can run
  // more SQL against the same database (e.g. it reconnected), false when
  // the database is gone and the rest of the file cannot pass.
  virtual bool Recover() = 0;
};

struct RunOptions {
  // The engine name that skipif/onlyif compare with.
  std::string engine = "sqlite";
  // The longest one record may take. A timeout counts as a failure.
  std::chrono::milliseconds record_timeout{5000};
  // The longest one file may take; the records left then are failed.
  std::chrono::milliseconds file_timeout{300000};
};

// One failed record, for the -v listing.
struct Failure {
  size_t line = 0;      // 1-based line of the record in the file
  std::string sql;      // the first line of its SQL
  std::string message;  // expected vs got, or the error
};

struct FileReport {
  size_t passed = 0;
  size_t failed = 0;     // including `abandoned`
  size_t skipped = 0;    // statements and queries not run (conditions, halt)
  size_t abandoned = 0;  // failed without being run (see rule 3 above)
  std::string abandon_reason;
  std::vector<Failure> failures;  // the failures that ran, in file order

  size_t run() const { return passed + failed; }
};

// Runs `records` (one file, parsed) through `executor`, in order.
FileReport RunRecords(const std::vector<Record>& records, Executor& executor,
                      const RunOptions& options);

// The number of statement and query records that would run under
// `engine`: those before an effective halt that the conditions allow.
size_t CountRunnable(const std::vector<Record>& records, std::string_view engine);

}  // namespace kopf::slt
