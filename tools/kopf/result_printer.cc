#include "tools/kopf/result_printer.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "tools/kopf/display_width.h"

namespace kopf::shell {

namespace {

using protocol::QueryResult;
using protocol::Row;
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

std::string FormatExpanded(const QueryResult& result) {
  if (result.rows.empty()) return "(0 rows)\n\n";
  size_t ncols = result.columns.size();
  std::vector<Cell> names;
  int name_width = 0;
  for (const auto& column : result.columns) {
    names.push_back(MakeCell(column.name));
    for (const auto& line : names.back()) name_width = std::max(name_width, line.width);
  }
  std::string out;
  for (size_t r = 0; r < result.rows.size(); ++r) {
    out += fmt::format("-[ RECORD {} ]-\n", r + 1);
    for (size_t c = 0; c < ncols; ++c) {
      const Row& row = result.rows[r];
      Cell value = MakeCell(c < row.size() ? CellText(row[c]) : std::string());
      for (size_t k = 0; k < value.size(); ++k) {
        std::string line;
        AppendAligned(line, k < names[c].size() ? names[c][k] : CellLine{}, name_width,
                      Align::kLeft);
        line += " | " + value[k].text + (k + 1 < value.size() ? "+" : "");
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + '\n';
      }
    }
  }
  return out + '\n';
}

std::string FormatJson(const QueryResult& result) {
  auto string = [](std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
      auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c == '\r') {
        out += "\\r";
      } else if (u < 0x20) {
        out += fmt::format("\\u{:04x}", u);
      } else {
        out += c;
      }
    }
    return out + '"';
  };
  if (result.columns.empty()) {
    return fmt::format("{{\"command\":{},\"count\":{}}}\n", string(result.tag), result.count);
  }
  std::string out = "[";
  for (size_t r = 0; r < result.rows.size(); ++r) {
    out += r > 0 ? ",{" : "{";
    for (size_t c = 0; c < result.columns.size(); ++c) {
      if (c > 0) out += ',';
      out += string(result.columns[c].name) + ':';
      const Value& v = result.rows[r][c];
      switch (v.type()) {
        case Type::kNull:
          out += "null";
          break;
        case Type::kInteger:
        case Type::kBoolean:
          out += v.ToString();
          break;
        case Type::kDouble: {
          double d = v.as_double();
          out += std::isnan(d)   ? "\"NaN\""
                 : std::isinf(d) ? (d > 0 ? "\"Infinity\"" : "\"-Infinity\"")
                                 : v.ToString();
          break;
        }
        case Type::kText:
          out += string(v.as_text());
          break;
      }
    }
    out += '}';
  }
  return out + "]\n";
}

std::string_view FormatName(OutputFormat format) {
  switch (format) {
    case OutputFormat::kAligned:
      return "aligned";
    case OutputFormat::kCsv:
      return "csv";
    case OutputFormat::kJson:
      return "json";
  }
  return {};
}

std::optional<OutputFormat> FormatFromName(std::string_view name) {
  for (OutputFormat f : {OutputFormat::kAligned, OutputFormat::kCsv, OutputFormat::kJson}) {
    if (FormatName(f) == name) return f;
  }
  return std::nullopt;
}

std::string FormatCommandTag(const QueryResult& result) {
  const std::string& tag = result.tag;
  if (tag == "INSERT" || tag == "UPDATE" || tag == "DELETE" || tag == "COPY") {
    return fmt::format("{} {}", tag, result.count);
  }
  return tag;
}

std::string FormatResult(const QueryResult& result, OutputFormat format, bool expanded) {
  if (format == OutputFormat::kJson) return FormatJson(result);
  if (result.columns.empty()) {
    std::string tag = FormatCommandTag(result);
    return tag.empty() ? tag : tag + '\n';
  }
  switch (format) {
    case OutputFormat::kAligned:
      return expanded ? FormatExpanded(result) : FormatAligned(result);
    case OutputFormat::kCsv:
      return FormatCsv(result);
    case OutputFormat::kJson:
      return FormatJson(result);
  }
  return {};
}

}  // namespace kopf::shell
