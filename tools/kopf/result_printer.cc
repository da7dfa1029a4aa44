#include "tools/kopf/result_printer.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "tools/kopf/display_width.h"

namespace kopf::shell {

namespace {

using protocol::QueryResult;
using protocol::Type;
using protocol::Value;

constexpr int kTabStop = 8;

// One physical line of a cell, ready to print, with its display width.
struct CellLine {
  std::string text;
  int width = 0;
};
using Cell = std::vector<CellLine>;  // never empty

enum class Align { kLeft, kRight, kCenter };

// Splits `text` at '\n' and makes each piece safe for a terminal: tabs to
// spaces, other control characters to visible escapes.
Cell MakeCell(std::string_view text) {
  Cell cell(1);
  for (size_t pos = 0; pos < text.size();) {
    CellLine& line = cell.back();
    char32_t cp = 0;
    size_t length = DecodeUtf8(text, pos, &cp);
    bool invalid = length == 1 && cp >= 0x80;
    if (cp == '\n') {
      cell.emplace_back();
    } else if (cp == '\t') {
      int spaces = kTabStop - line.width % kTabStop;
      line.text.append(spaces, ' ');
      line.width += spaces;
    } else if (!invalid && (cp < 0x20 || cp == 0x7F)) {
      std::string escaped =
          cp == '\r' ? "\\r" : fmt::format("\\x{:02X}", static_cast<unsigned>(cp));
      line.text += escaped;
      line.width += static_cast<int>(escaped.size());
    } else {
      line.text.append(text.substr(pos, length));
      line.width += invalid ? 1 : CodePointWidth(cp);
    }
    pos += length;
  }
  return cell;
}

std::string CellText(const Value& value) {
  return value.is_null() ? std::string() : value.ToString();
}

bool IsNumeric(Type type) { return type == Type::kInteger || type == Type::kDouble; }

// Numbers align right. A column typed NULL (SELECT NULL, or a server that
// could not infer a type) decides by its values.
Align ColumnAlign(const QueryResult& result, size_t column) {
  Type type = result.columns[column].type;
  if (IsNumeric(type)) return Align::kRight;
  if (type != Type::kNull) return Align::kLeft;
  bool any_number = false;
  for (const auto& row : result.rows) {
    if (column >= row.size() || row[column].is_null()) continue;
    if (!IsNumeric(row[column].type())) return Align::kLeft;
    any_number = true;
  }
  return any_number ? Align::kRight : Align::kLeft;
}

void AppendAligned(std::string& out, const CellLine& line, int width, Align align) {
  int room = std::max(0, width - line.width);
  int left = align == Align::kRight ? room : align == Align::kCenter ? room / 2 : 0;
  out.append(static_cast<size_t>(left), ' ');
  out += line.text;
  out.append(static_cast<size_t>(room - left), ' ');
}

// Appends the physical lines of one table row: " a | b ", a cell that
// continues on the next line ending in '+' instead of its last blank.
void AppendRow(std::string& out, const std::vector<Cell>& cells, const std::vector<int>& widths,
               const std::vector<Align>& aligns) {
  size_t height = 1;
  for (const auto& cell : cells) height = std::max(height, cell.size());
  static const CellLine kEmpty;
  for (size_t k = 0; k < height; ++k) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) line += '|';
      line += ' ';
      AppendAligned(line, k < cells[c].size() ? cells[c][k] : kEmpty, widths[c], aligns[c]);
      line += k + 1 < cells[c].size() ? '+' : ' ';
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  }
}

bool NeedsCsvQuotes(std::string_view field) {
  return field.find_first_of(",\"\r\n") != std::string_view::npos;
}

void AppendCsvField(std::string& out, std::string_view field, bool is_null) {
  if (is_null) return;
  if (!field.empty() && !NeedsCsvQuotes(field)) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string FormatAligned(const QueryResult& result) {
  size_t ncols = result.columns.size();
  std::vector<Cell> header;
  std::vector<int> widths(ncols, 0);
  std::vector<Align> aligns;
  for (size_t c = 0; c < ncols; ++c) {
    header.push_back(MakeCell(result.columns[c].name));
    aligns.push_back(ColumnAlign(result, c));
  }
  std::vector<std::vector<Cell>> body;
  body.reserve(result.rows.size());
  for (const auto& row : result.rows) {
    std::vector<Cell> cells;
    for (size_t c = 0; c < ncols; ++c) {
      cells.push_back(MakeCell(c < row.size() ? CellText(row[c]) : std::string()));
    }
    body.push_back(std::move(cells));
  }
  auto widen = [&widths](const std::vector<Cell>& cells) {
    for (size_t c = 0; c < cells.size(); ++c) {
      for (const auto& line : cells[c]) widths[c] = std::max(widths[c], line.width);
    }
  };
  widen(header);
  for (const auto& cells : body) widen(cells);

  std::string out;
  AppendRow(out, header, widths, std::vector<Align>(ncols, Align::kCenter));
  for (size_t c = 0; c < ncols; ++c) {
    if (c > 0) out += '+';
    out.append(static_cast<size_t>(widths[c]) + 2, '-');
  }
  out += '\n';
  for (const auto& cells : body) AppendRow(out, cells, widths, aligns);
  size_t n = result.rows.size();
  out += n == 1 ? std::string("(1 row)\n") : fmt::format("({} rows)\n", n);
  out += '\n';
  return out;
}

std::string FormatCsv(const QueryResult& result) {
  std::string out;
  for (size_t c = 0; c < result.columns.size(); ++c) {
    if (c > 0) out += ',';
    AppendCsvField(out, result.columns[c].name, false);
  }
  out += '\n';
  for (const auto& row : result.rows) {
    for (size_t c = 0; c < result.columns.size(); ++c) {
      if (c > 0) out += ',';
      bool is_null = c >= row.size() || row[c].is_null();
      AppendCsvField(out, is_null ? std::string() : row[c].ToString(), is_null);
    }
    out += '\n';
  }
  return out;
}

std::string FormatCommandTag(const QueryResult& result) {
  const std::string& tag = result.tag;
  if (tag == "INSERT" || tag == "UPDATE" || tag == "DELETE" || tag == "COPY") {
    return fmt::format("{} {}", tag, result.count);
  }
  return tag;
}

std::string FormatResult(const QueryResult& result, OutputFormat format) {
  if (result.columns.empty()) {
    std::string tag = FormatCommandTag(result);
    return tag.empty() ? tag : tag + '\n';
  }
  switch (format) {
    case OutputFormat::kAligned:
      return FormatAligned(result);
    case OutputFormat::kCsv:
      return FormatCsv(result);
  }
  return {};
}

}  // namespace kopf::shell
