#include "tools/kopf/error_printer.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "tools/kopf/display_width.h"

namespace kopf::shell {

namespace {

constexpr int kTabStop = 8;
// Widest line shown in full; longer lines are cut around the caret, as psql
// does, so the report still reads in an 80-column terminal.
constexpr int kMaxShownWidth = 60;
// How far left of the caret a cut line keeps text.
constexpr int kContextBeforeCaret = 30;

// One character of the shown line: where its bytes sit in `line`, and the
// display columns it starts at and spans.
struct Glyph {
  size_t begin;
  size_t end;
  int column;
  int width;
};

}  // namespace

std::string FormatErrorPosition(std::string_view sql, int32_t position) {
  if (position < 0) return {};
  size_t offset = static_cast<size_t>(position);
  if (offset >= sql.size()) {
    // "Unexpected end of input": point just after the last visible character.
    offset = sql.find_last_not_of(" \t\r\n");
    offset = offset == std::string_view::npos ? 0 : offset + 1;
  }

  // 1. Find the line holding the offset, and its number.
  size_t line_begin = offset == 0 ? std::string_view::npos : sql.rfind('\n', offset - 1);
  line_begin = line_begin == std::string_view::npos ? 0 : line_begin + 1;
  int line_number = 1 + static_cast<int>(std::count(sql.begin(), sql.begin() + line_begin, '\n'));
  size_t line_end = sql.find('\n', line_begin);
  std::string_view line =
      sql.substr(line_begin, line_end == std::string_view::npos ? std::string_view::npos
                                                                : line_end - line_begin);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  offset = std::min(offset - line_begin, line.size());

  // 2. Lay the line out in display columns; the caret goes under the glyph
  //    containing the offset (an offset inside a multi-byte character
  //    counts as that character).
  std::vector<Glyph> glyphs;
  int column = 0;
  int caret = -1;
  for (size_t pos = 0; pos < line.size();) {
    char32_t cp = 0;
    size_t length = DecodeUtf8(line, pos, &cp);
    int width = cp == '\t'                    ? kTabStop - column % kTabStop
                : (length == 1 && cp >= 0x80) ? 1
                                              : CodePointWidth(cp);
    if (caret < 0 && offset < pos + length) caret = column;
    glyphs.push_back({pos, pos + length, column, width});
    column += width;
    pos += length;
  }
  if (caret < 0) caret = column;  // at the end of the line
  int total = column;

  // 3. Cut a window around the caret if the line is too wide.
  int first = 0;
  if (total > kMaxShownWidth && caret > kContextBeforeCaret) first = caret - kContextBeforeCaret;
  int last = std::min(total, first + kMaxShownWidth);
  std::string shown = first > 0 ? "..." : "";
  int shown_first = -1;
  for (const Glyph& g : glyphs) {
    if (g.column < first || g.column + g.width > last) continue;
    if (shown_first < 0) shown_first = g.column;
    if (line[g.begin] == '\t') {
      shown.append(static_cast<size_t>(g.width), ' ');
    } else {
      shown.append(line.substr(g.begin, g.end - g.begin));
    }
  }
  if (shown_first < 0) shown_first = first;
  if (last < total) shown += "...";
  int caret_column = caret - shown_first + (first > 0 ? 3 : 0);

  std::string prefix = fmt::format("LINE {}: ", line_number);
  return fmt::format("{}{}\n{}^\n", prefix, shown,
                     std::string(prefix.size() + static_cast<size_t>(caret_column), ' '));
}

std::string FormatError(const protocol::Status& status, std::string_view sql) {
  std::string out = fmt::format("ERROR:  {}\n", status.message());
  if (status.has_position()) out += FormatErrorPosition(sql, status.position());
  out += fmt::format("CODE: {} ({})\n", protocol::ErrorCodeName(status.code()),
                     static_cast<unsigned>(status.code()));
  return out;
}

}  // namespace kopf::shell
