// The CSV files of COPY: a streaming reader and an atomic writer for the
// dialect a COPY statement names (ast::CopyOptions: delimiter, quote, NULL
// text, header).
//
// The dialect is RFC 4180 with PostgreSQL's NULL convention, and with the
// defaults it is exactly kopf's own segment encoding (cerebrum/csv_format.h):
//   * records end with "\n" or "\r\n"; quoted fields may hold delimiters,
//     quotes (written twice) and line breaks;
//   * an unquoted field equal to the NULL text ('' by default) is NULL, a
//     quoted one never is: `1,,""` is (1, NULL, '');
//   * a quote inside an unquoted field, or text after a closing quote, is an
//     error (a stray quote never swallows the records after it);
//   * a UTF-8 byte order mark at the start of the file is skipped.
// The writer quotes a field when it holds the delimiter, the quote, a line
// break, starts with a byte order mark, or equals the NULL text, so that
// CopyCsvReader reads every value back as written, NULL and '' apart.
//
// Thread-safety: none; one statement uses a reader or writer at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cerebellum/ast/ast.h"
#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::cerebellum {

// One field of a record: its text with quoting undone, and whether it was
// quoted. `text` points into the reader's buffer and is valid until the next
// call of Next().
struct CopyField {
  std::string_view text;
  bool quoted = false;
};

class CopyCsvReader {
 public:
  // Where the bytes come from: copies up to `capacity` bytes to `dest` and
  // returns the count, 0 at the end, or an error.
  using Source = std::function<protocol::Result<size_t>(char* dest, size_t capacity)>;

  // Opens `path` for reading. kIoError if it cannot be opened.
  static protocol::Result<std::unique_ptr<CopyCsvReader>> Open(const std::filesystem::path& path,
                                                               const ast::CopyOptions& options);
  // Reads whatever `source` hands out (COPY FROM STDIN: the client's data).
  CopyCsvReader(Source source, const ast::CopyOptions& options);
  ~CopyCsvReader();
  CopyCsvReader(const CopyCsvReader&) = delete;
  CopyCsvReader& operator=(const CopyCsvReader&) = delete;

  // Reads the next record into `*fields` (overwritten). Returns true, or
  // false at the end of the file. Fails with kInvalidValue "line N: ..." for
  // a malformed record (stray quote, unterminated quoted field, a record
  // longer than kMaxRecordBytes) and kIoError when reading fails.
  protocol::Result<bool> Next(std::vector<CopyField>* fields);

  // The 1-based line where the record last returned starts.
  uint64_t line() const { return record_line_; }

  // Records longer than this are refused rather than buffered without bound.
  static constexpr size_t kMaxRecordBytes = size_t{64} << 20;

 private:
  // Moves the unread bytes to the front of the buffer and reads more after
  // them, growing the buffer when it is full. Sets eof_ at the end of file.
  protocol::Status Refill();
  // Parses one record at pos_. Returns false when the buffer ends before
  // the record does and more bytes may come.
  protocol::Result<bool> ParseRecord(std::vector<CopyField>* fields);

  Source source_;
  const char delimiter_;
  const char quote_;
  std::vector<char> buffer_;
  size_t pos_ = 0;  // next unread byte
  size_t end_ = 0;  // bytes of buffer_ filled
  bool eof_ = false;
  bool started_ = false;
  uint64_t next_line_ = 1;
  uint64_t record_line_ = 0;
  std::vector<size_t> escaped_;  // fields of the current record holding doubled quotes
};

// Formats records in a COPY dialect: the file writer below and COPY TO
// STDOUT (brainstem's response stream) share it.
class CopyCsvEncoder {
 public:
  explicit CopyCsvEncoder(const ast::CopyOptions& options) : options_(options) {}

  // Appends a record of column names (the header).
  void AppendNames(const std::vector<std::string>& names, std::string* out) const;
  // Appends one record: `row[columns[0]], row[columns[1]], ...`.
  void AppendRow(const protocol::Row& row, const std::vector<size_t>& columns,
                 std::string* out) const;
  // Appends one record of every value of `row`.
  void AppendRow(const protocol::Row& row, std::string* out) const;

 private:
  void AppendField(std::string_view text, bool force_quotes, std::string* out) const;
  void AppendValue(const protocol::Value& v, std::string* out) const;

  const ast::CopyOptions options_;
};

class CopyCsvWriter {
 public:
  // Creates a temporary file beside `path` (in the same folder, so the final
  // rename is atomic). kIoError if it cannot be created.
  static protocol::Result<std::unique_ptr<CopyCsvWriter>> Create(const std::filesystem::path& path,
                                                                 const ast::CopyOptions& options);
  // Removes the temporary file unless Finish() succeeded.
  ~CopyCsvWriter();
  CopyCsvWriter(const CopyCsvWriter&) = delete;
  CopyCsvWriter& operator=(const CopyCsvWriter&) = delete;

  // Appends a record of column names (the header).
  protocol::Status WriteNames(const std::vector<std::string>& names);
  // Appends one record: `row[columns[0]], row[columns[1]], ...`.
  protocol::Status WriteRow(const protocol::Row& row, const std::vector<size_t>& columns);
  // Flushes, fsyncs and renames the file into place, then fsyncs its folder:
  // readers see the old file or the whole new one, never a half file.
  protocol::Status Finish();

 private:
  CopyCsvWriter(std::filesystem::path path, std::filesystem::path temp, int fd,
                const ast::CopyOptions& options);
  protocol::Status FlushIfFull();
  protocol::Status Flush();

  const std::filesystem::path path_;
  const std::filesystem::path temp_;
  int fd_;
  const CopyCsvEncoder encoder_;
  std::string buffer_;
  bool finished_ = false;
};

}  // namespace kopf::cerebellum
