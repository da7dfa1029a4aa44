// Result printing for the shell: turns one statement's QueryResult into the
// text the user sees, either as a psql-style aligned table or as CSV.
//
// Aligned (the default, like psql's "aligned" format):
//
//    id |  name  | price
//   ----+--------+-------
//     1 | apple  |   1.5
//     2 |        |
//   (2 rows)
//
// Headers are centred, INTEGER and DOUBLE columns right-aligned, everything
// else left-aligned, padded by display columns (display_width.h). NULL
// prints as nothing; booleans as true/false; doubles in Value::ToString's
// canonical text. A value containing newlines spans several lines, each but
// its last marked with '+' at the column's right edge; tabs expand to
// 8-column stops and other control characters print as \r or \xNN. Trailing
// blanks are trimmed from every line. A blank line follows the footer.
//
// CSV (--csv, like psql --csv): a header row, then one line per row, fields
// quoted per RFC 4180 when they contain ',', '"', CR or LF; NULL is an empty
// unquoted field and the empty string is "" so the two stay distinct. Lines
// end in '\n' (as psql writes them) rather than RFC 4180's CRLF. No footer.
//
// Expanded (\x, like psql's): one block per row, a "-[ RECORD n ]-" header
// line, then "name | value" per column with names padded to one width;
// "(0 rows)" for an empty result.
//
// JSON (--json): one JSON array per result, one object per row with the
// column names as keys, on one line: [{"id":1,"name":"Rex"}]. INTEGER and
// finite DOUBLE values are JSON numbers, booleans true/false, NULL null, text a
// string (escaped per RFC 8259); NaN and infinities, which JSON lacks, are
// the strings "NaN", "Infinity", "-Infinity". A result without columns is
// {"command":"INSERT","count":3}.
//
// A result without columns (INSERT, CREATE TABLE, ...) prints its command
// tag in the aligned and CSV formats: "INSERT 3", "UPDATE 2", "DELETE 0" carry the count,
// other tags print alone ("CREATE TABLE").
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/client.h"

namespace kopf::shell {

enum class OutputFormat { kAligned, kCsv, kJson };

// "aligned", "csv", "json", and back.
std::string_view FormatName(OutputFormat format);
std::optional<OutputFormat> FormatFromName(std::string_view name);

// The complete output for one result, ending in '\n' (empty only for a
// columnless result with an empty tag). `expanded` applies to kAligned.
std::string FormatResult(const protocol::QueryResult& result, OutputFormat format,
                         bool expanded = false);

// Rows as expanded records (\x).
std::string FormatExpanded(const protocol::QueryResult& result);

// The JSON text for a result, with its newline.
std::string FormatJson(const protocol::QueryResult& result);

// The psql-style table for a result with columns.
std::string FormatAligned(const protocol::QueryResult& result);

// Header plus rows in CSV for a result with columns.
std::string FormatCsv(const protocol::QueryResult& result);

// "INSERT 3", "CREATE TABLE", ...: the tag line for a result without rows,
// without a newline.
std::string FormatCommandTag(const protocol::QueryResult& result);

}  // namespace kopf::shell
