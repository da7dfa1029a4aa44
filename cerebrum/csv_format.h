// The CSV codec of kopf's on-disk files (table segments, schema files):
// turning Values into CSV fields and records back into typed Values. File
// reading lives in csv_reader.h; this header knows nothing of files.
//
// Format (RFC 4180, plus a NULL convention):
//   * A record is fields separated by ',' and ends with "\n" (the writer
//     never writes "\r\n"; the reader accepts it).
//   * A field is quoted ("...") when it contains ',', '"', '\r' or '\n', when
//     it is the empty string, or when it starts with a UTF-8 byte order mark
//     (a reader would take EF BB BF at the start of a file for a BOM and
//     drop it). Inside quotes a '"' is written twice. Quoted fields may span
//     lines.
//   * NULL is an empty unquoted field; the empty string is `""`. So the
//     record `1,,""` is (1, NULL, '') and an empty line is one NULL field.
//   * Values by column type: INTEGER in decimal ("-42"); DOUBLE in the
//     shortest text that reads back to the same bits, as Value::ToString()
//     prints it ("1.0", "2.5e-07", "NaN", "Infinity", "-Infinity"); TEXT as
//     its raw bytes; BOOLEAN "true" / "false".
//   * TEXT must not contain NUL bytes: fast-cpp-csv-parser's line reader
//     hands out NUL-terminated lines, so a NUL cannot be told apart from the
//     end of a line. Callers reject such text before encoding it (a NUL found
//     on reading is damage, reported as kInvalidValue by ParseCsvValue).
//   * A quote inside an unquoted field, or text after a closing quote, is
//     malformed. Such a quote does not open a quoted field, so it cannot
//     swallow the lines after it: record boundaries stay where they were.
//
// Thread-safety: free functions without shared state; CsvQuoteScanner is a
// plain value.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::cerebrum {

// The longest physical line (bytes up to and including its '\n', counting
// a '\r' before it) that CsvRecordReader can read back: fast-cpp-csv-parser
// reads in 16 MiB blocks and rejects longer lines. Writers must refuse rows
// whose encoding (each physical line of it) would be longer.
inline constexpr size_t kMaxPhysicalLineBytes = size_t{1} << 24;

// The UTF-8 byte order mark: skipped at the start of a file, and a field
// starting with it is quoted so that it is not taken for one.
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Appends `v` as one CSV field (no separator) to `out`, encoded as above.
// REQUIRES: a TEXT value contains no NUL byte.
void AppendCsvField(std::string* out, const protocol::Value& v);

// Appends `raw` as a CSV text field, quoted when needed (header names and
// other strings that are not Values). REQUIRES: no NUL byte in `raw`.
void AppendCsvText(std::string* out, std::string_view raw);

// One field of a record as written: its text with quoting undone, and
// whether it was quoted (which tells NULL from the empty string).
struct CsvField {
  std::string text;
  bool quoted = false;
  bool operator==(const CsvField&) const = default;
};

// Splits one complete record (without its final line terminator) into
// fields. `out` is overwritten; its strings are reused to save allocations.
// An empty record is one unquoted empty field.
// Fails with kInvalidValue, naming the field and the 1-based column (byte
// within the record), on a quote inside an unquoted field, text after a
// closing quote, or a quoted field that is not closed.
protocol::Status SplitCsvRecord(std::string_view record, std::vector<CsvField>* out);

// Parses a field as a value of column type `type`. An unquoted empty field
// is NULL for every type. Anything else is parsed strictly: INTEGER as an
// optional '-' and decimal digits within int64 range; DOUBLE as decimal or
// scientific notation in range, or "NaN", "Infinity", "-Infinity"; BOOLEAN
// as "true" or "false"; TEXT as is, if IsStorableText.
// Fails with kInvalidValue quoting the offending text (also for type kNull
// with a non-NULL field).
protocol::Result<protocol::Value> ParseCsvValue(const CsvField& field, protocol::Type type);

// Whether `text` may be stored as a TEXT value: it must be well-formed
// UTF-8 (protocol/utf8.h) without NUL bytes. Every write (Table::CheckRow)
// and every TEXT read from a file (ParseCsvValue) asks. ASCII text is
// judged eight bytes at a time, as this runs for every value written.
bool IsStorableText(std::string_view text);

// Why `text` may not be stored: kInvalidValue whose message completes
// "text ..." ("contains a NUL byte, ...", "is not valid UTF-8: byte 0xff at
// offset 3"), or Ok when it may. It never quotes the text, which would
// carry the bad bytes along.
protocol::Status CheckStorableText(std::string_view text);

// Tracks whether the bytes of a record seen so far end inside a quoted
// field, i.e. whether a line break after them belongs to the data.
// Follows the same grammar as SplitCsvRecord: only a quote at the start of a
// field opens a quoted field.
class CsvQuoteScanner {
 public:
  // Feeds the next bytes of the record (line breaks inside quotes may be
  // fed or left out: they do not change the state).
  void Scan(std::string_view bytes);
  // True when the bytes so far end inside an open quoted field.
  bool in_quoted_field() const { return state_ == State::kQuoted; }
  // Starts a new record.
  void Reset() { state_ = State::kFieldStart; }

 private:
  enum class State {
    kFieldStart,     // at the start of a field
    kUnquoted,       // inside an unquoted (or malformed) field
    kQuoted,         // inside a quoted field
    kQuoteInQuoted,  // just after a '"' inside a quoted field: "" or the end
  };
  State state_ = State::kFieldStart;
};

// True if `record` does not end inside an open quoted field, i.e. appending
// "\n" would end it rather than continue a quoted value.
bool RecordIsComplete(std::string_view record);

// Reads a small CSV file held whole in memory (schema.csv, indexes.csv):
// checks that its first record is `header`, then calls `visit` with the
// fields of every later record, which must number `width`. Any problem,
// including a non-OK Status from `visit`, comes back as kCorruption
// "<path> line N: <what>" naming the record's first line.
protocol::Status ForEachCsvRecord(
    std::string_view contents, std::string_view header, size_t width,
    const std::filesystem::path& path,
    const std::function<protocol::Status(std::vector<CsvField>& fields)>& visit);

}  // namespace kopf::cerebrum
