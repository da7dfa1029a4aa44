#include "tools/slt/slt_runner.h"

#include <algorithm>

#include "tools/slt/slt_render.h"

namespace kopf::slt {

namespace {

bool IsCounted(const Record& record) {
  return record.kind == Record::Kind::kStatement || record.kind == Record::Kind::kQuery ||
         record.kind == Record::Kind::kUnknown;
}

std::string FirstLine(std::string_view sql) { return std::string(sql.substr(0, sql.find('\n'))); }

// Checks one statement or query record against what the executor did.
// Returns an empty string when the record passed, else why it failed.
std::string Judge(const Record& record, const Execution& execution, size_t threshold) {
  bool succeeded = execution.outcome == Execution::Outcome::kOk;
  if (record.kind == Record::Kind::kStatement) {
    if (succeeded == record.expect_ok) return {};
    if (succeeded) return "statement succeeded, expected an error";
    return execution.message;
  }
  if (!succeeded) return execution.message;
  QueryCheck check = CheckQuery(record, execution.result, threshold);
  return check.passed ? std::string() : check.message;
}

}  // namespace

size_t CountRunnable(const std::vector<Record>& records, std::string_view engine) {
  size_t count = 0;
  for (const Record& record : records) {
    if (!record.AppliesTo(engine)) continue;
    if (record.kind == Record::Kind::kHalt) break;
    if (IsCounted(record)) ++count;
  }
  return count;
}

FileReport RunRecords(const std::vector<Record>& records, Executor& executor,
                      const RunOptions& options) {
  FileReport report;
  const Clock::time_point file_deadline = Clock::now() + options.file_timeout;
  size_t threshold = kDefaultHashThreshold;
  bool halted = false;
  bool abandoned = false;

  for (const Record& record : records) {
    if (halted || !record.AppliesTo(options.engine)) {
      if (IsCounted(record)) ++report.skipped;
      continue;
    }
    switch (record.kind) {
      case Record::Kind::kHashThreshold:
        threshold = record.threshold;
        continue;
      case Record::Kind::kHalt:
        halted = true;
        continue;
      case Record::Kind::kUnknown:
        ++report.failed;
        report.failures.push_back({record.line, "", record.error});
        continue;
      case Record::Kind::kStatement:
      case Record::Kind::kQuery:
        break;
    }
    if (!abandoned && Clock::now() >= file_deadline) {
      abandoned = true;
      report.abandon_reason = "the file timeout expired";
    }
    if (abandoned) {
      ++report.failed;
      ++report.abandoned;
      continue;
    }

    Clock::time_point deadline = std::min(Clock::now() + options.record_timeout, file_deadline);
    Execution execution = executor.Execute(record.sql, deadline);
    std::string why = Judge(record, execution, threshold);
    if (why.empty()) {
      ++report.passed;
      continue;
    }
    ++report.failed;
    report.failures.push_back({record.line, FirstLine(record.sql), std::move(why)});

    if (execution.outcome == Execution::Outcome::kTimeout ||
        execution.outcome == Execution::Outcome::kLost) {
      if (Clock::now() >= file_deadline) {
        abandoned = true;
        report.abandon_reason = "the file timeout expired";
      } else if (!executor.Recover()) {
        abandoned = true;
        report.abandon_reason = execution.outcome == Execution::Outcome::kTimeout
                                    ? "the database is gone after a timeout (server stopped or "
                                      "unreachable)"
                                    : "the database is gone with the lost server";
      }
    }
  }
  return report;
}

}  // namespace kopf::slt
