#include "tools/slt/slt_report.h"

#include <fmt/format.h>

namespace kopf::slt {

namespace {

// Indents every line after the first of `text` by `indent`.
std::string IndentContinuation(const std::string& text, const std::string& indent) {
  std::string out;
  for (char c : text) {
    out.push_back(c);
    if (c == '\n') out += indent;
  }
  return out;
}

double Percent(size_t part, size_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

std::string FormatFile(const FileResult& file, bool verbose) {
  const FileReport& r = file.report;
  std::string out = fmt::format("{}: {}/{}", file.path, r.passed, r.run());
  if (r.skipped > 0) out += fmt::format(" (skipped {})", r.skipped);
  out += '\n';
  if (!verbose) return out;
  for (const Failure& failure : r.failures) {
    out += fmt::format("  {}:{}: {}\n", file.path, failure.line, failure.sql);
    out += "      " + IndentContinuation(failure.message, "      ") + "\n";
  }
  if (r.abandoned > 0) {
    out += fmt::format("  {}: {} later records failed without running: {}\n", file.path,
                       r.abandoned, IndentContinuation(r.abandon_reason, "      "));
  }
  return out;
}

std::string FormatSummary(const std::vector<FileResult>& files) {
  std::string out = "| file | passed/run | % |\n|---|---:|---:|\n";
  double rate_sum = 0;
  size_t rated = 0, passed = 0, run = 0;
  for (const FileResult& file : files) {
    const FileReport& r = file.report;
    passed += r.passed;
    run += r.run();
    if (r.run() == 0) {
      out += fmt::format("| {} | 0/0 | - |\n", file.path);
      continue;
    }
    double rate = Percent(r.passed, r.run());
    rate_sum += rate;
    ++rated;
    out += fmt::format("| {} | {}/{} | {:.1f} |\n", file.path, r.passed, r.run(), rate);
  }
  out += fmt::format("mean per-file pass rate: {:.1f}% over {} files; pooled {}/{} ({:.1f}%)\n",
                     rated == 0 ? 0.0 : rate_sum / static_cast<double>(rated), rated, passed, run,
                     Percent(passed, run));
  return out;
}

std::string FormatTotals(const std::vector<FileResult>& files) {
  size_t passed = 0, failed = 0;
  for (const FileResult& file : files) {
    passed += file.report.passed;
    failed += file.report.failed;
  }
  return fmt::format("{} passed, {} failed\n", passed, failed);
}

}  // namespace kopf::slt
