// \copy: psql's client-side COPY. The shell reads or writes the file on
// its own machine (relative paths from its working directory) and streams
// the data over the connection with COPY ... FROM STDIN / TO STDOUT
// (protocol 1.2, PROTOCOL.md section 5.8), so the server needs no access
// to the file and no --import-dir.
//
//   \copy TABLE [(COLUMNS)] from 'FILE' | FILE | stdin | pstdin [[with] (OPTIONS)]
//   \copy TABLE [(COLUMNS)] | (QUERY) to 'FILE' | FILE | stdout | pstdout [[with] (OPTIONS)]
//
// OPTIONS are COPY's (HEADER, DELIMITER, NULL, QUOTE, FORMAT csv) and go to
// the server as written. stdin and pstdin both read the shell's standard
// input to its end; stdout and pstdout write where results go (\o).
// `to FILE` writes a temporary file beside FILE and renames it into place
// once the copy succeeded, so a failed copy leaves an existing FILE as it
// was.
//
// While a copy runs, a progress line on stderr (only on a terminal, only
// once the copy has taken a moment) shows the bytes moved, the share of the
// file when its size is known, and records per second (counted as line
// breaks); it is erased when the copy ends.
//
// Thread-safety: none; runs on the shell's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "protocol/client.h"
#include "protocol/status.h"

namespace kopf::shell {

struct CopyCommand {
  bool from = true;              // from a file into a table; false: to a file
  std::string source;            // "t (a, b)" or "(SELECT ...)", as written
  std::string file;              // the local file; empty with `standard_stream`
  bool standard_stream = false;  // stdin/pstdin or stdout/pstdout
  std::string options;           // "with (header)" or "", as written

  // The statement the server runs: COPY SOURCE FROM STDIN | TO STDOUT OPTIONS.
  std::string Sql() const;
};

// Parses the text after "\copy". kSyntaxError with a message naming what
// is missing or wrong.
protocol::Result<CopyCommand> ParseCopyCommand(std::string_view text);

// The progress line of a copy on a terminal's stderr.
class CopyProgress {
 public:
  // `enabled`: stderr is a terminal. `total_bytes`: 0 when unknown.
  CopyProgress(std::ostream& err, bool enabled, uint64_t total_bytes);
  ~CopyProgress() { Clear(); }
  CopyProgress(const CopyProgress&) = delete;
  CopyProgress& operator=(const CopyProgress&) = delete;

  // Counts `data` as moved and redraws now and then.
  void Add(std::string_view data);
  // Erases the line if it was drawn.
  void Clear();

 private:
  void Draw(std::chrono::steady_clock::time_point now);

  std::ostream& err_;
  const bool enabled_;
  const uint64_t total_bytes_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  uint64_t bytes_ = 0;
  uint64_t rows_ = 0;
  bool drawn_ = false;
};

// Runs `command` on `client`: streams the file (or standard input) to the
// server, or the server's data to the file (or `out` for stdout). Local
// problems (a file that cannot be opened, read or written) are kIoError
// naming the file; server errors come back as the server sent them.
protocol::Result<protocol::QueryResult> RunCopyCommand(protocol::Client& client,
                                                       const CopyCommand& command, std::istream& in,
                                                       std::ostream& out, std::ostream& err,
                                                       bool progress);

}  // namespace kopf::shell
