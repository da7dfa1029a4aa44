// The text kopf-slt prints: one line per file, the -v failure listing, the
// --summary table and the closing "N passed, N failed" line that CI reads.
//
// Thread-safety: plain functions.
#pragma once

#include <string>
#include <vector>

#include "tools/slt/slt_runner.h"

namespace kopf::slt {

struct FileResult {
  std::string path;  // as given on the command line or found under a directory
  FileReport report;
};

// "PATH: PASSED/RUN", plus " (skipped S)" when S > 0, and a newline. With
// `verbose`, one indented entry per failure follows ("PATH:LINE: SQL" and
// the message), then a line for the abandoned records, if any.
std::string FormatFile(const FileResult& file, bool verbose);

// A Markdown table of every file's pass rate and the unweighted mean of
// the per-file rates (files that ran nothing are left out of the mean),
// with the pooled totals beside it.
std::string FormatSummary(const std::vector<FileResult>& files);

// "N passed, N failed\n", summed over `files`.
std::string FormatTotals(const std::vector<FileResult>& files);

}  // namespace kopf::slt
