// CsvRecordReader: reads a CSV file (a segment or schema file, see
// csv_format.h) record by record, for recovery at start-up.
//
// A record is one or more physical lines: lines are joined while the record
// so far ends inside a quoted field, so values with embedded line breaks
// come back intact. The reader knows each record's byte range in the file,
// so recovery can cut a torn tail off with truncate(record_start_offset()).
//
// Line breaks. A record ends at "\n"; a "\r" just before that "\n" ends it
// too and is dropped when it is outside quotes (files edited on Windows),
// but kept as data inside a quoted field ("a\r\nb" survives a round trip).
// A UTF-8 byte order mark at the very start of the file is skipped (offsets
// still count it).
//
// Damage. If the file ends inside a record (no final "\n", or a quoted field
// left open), Next() still returns what is there and last_record_torn() is
// true. A NUL byte, which kopf never writes, is returned as part of the
// record (ParseCsvValue then rejects the field). I/O failures and physical
// lines longer than kMaxPhysicalLineBytes are errors (see Next()).
//
// This is the only file that uses fast-cpp-csv-parser (io::LineReader); its
// exceptions stop here. Each reader holds ~48 MiB of address space for the
// parser's buffers (only the pages that data fills are touched), so open
// readers one at a time.
//
// Thread-safety: none; one thread uses a reader at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "cerebrum/csv_format.h"
#include "protocol/status.h"

namespace io {
class LineReader;
}  // namespace io

namespace kopf::cerebrum {

class CsvRecordReader {
 public:
  // Opens `path` for reading. Fails with kIoError if it cannot be opened.
  // REQUIRES: nobody writes the file while it is being read.
  static protocol::Result<std::unique_ptr<CsvRecordReader>> Open(const std::filesystem::path& path);
  ~CsvRecordReader();
  CsvRecordReader(const CsvRecordReader&) = delete;
  CsvRecordReader& operator=(const CsvRecordReader&) = delete;

  // Reads the next record into `*record` (without its final line break;
  // inner line breaks as written) and its 1-based physical line number into
  // `*first_line`. Returns true, or false at the end of the file. An empty
  // line is a record too (one NULL field).
  // Fails with kIoError when reading fails, kCorruption when a physical line
  // is longer than kMaxPhysicalLineBytes, kInternal if the parser's buffers
  // cannot be allocated. After a failure every call returns the same error.
  protocol::Result<bool> Next(std::string* record, uint64_t* first_line);

  // The byte range [record_start_offset(), record_end_offset()) of the
  // record last returned, line break included. REQUIRES: Next() returned true.
  uint64_t record_start_offset() const { return record_start_; }
  uint64_t record_end_offset() const { return record_end_; }
  // True if the file ended in the middle of the record last returned (it is
  // then the last record). REQUIRES: Next() returned true.
  bool last_record_torn() const { return torn_; }

  const std::filesystem::path& path() const { return path_; }

 private:
  class FileState;
  class ForwardingSource;
  struct LineInfo {
    bool cr = false;  // a "\r" ended the line (dropped from the text)
    bool lf = false;  // a "\n" ended the line (false: end of file)
  };

  explicit CsvRecordReader(std::filesystem::path path);
  // Moves to the next physical line of the parser (pending_).
  protocol::Status Fetch();
  // Appends the text of the pending physical line, without its line break,
  // to `*record`, describes its end in `*info`, and fetches the next one.
  // REQUIRES: pending_ != nullptr.
  protocol::Status TakeLine(std::string* record, LineInfo* info);
  protocol::Result<bool> NextImpl(std::string* record, uint64_t* first_line);

  std::filesystem::path path_;
  std::unique_ptr<FileState> source_;  // declared first: outlives lines_
  std::unique_ptr<io::LineReader> lines_;
  const char* pending_ = nullptr;  // next physical line, valid until Fetch()
  bool started_ = false;
  protocol::Status error_;    // sticky
  uint64_t offset_ = 0;       // file offset of the pending line
  uint64_t lines_taken_ = 0;  // physical lines consumed so far
  uint64_t record_start_ = 0;
  uint64_t record_end_ = 0;
  bool torn_ = false;
  CsvQuoteScanner scanner_;
  std::string scratch_;  // the exact bytes of a line re-read from the file
};

}  // namespace kopf::cerebrum
