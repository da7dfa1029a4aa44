#include "cerebellum/parser/source_text.h"

#include <algorithm>
#include <cstddef>
#include <limits>

#include <fmt/format.h>

#include "protocol/utf8.h"

namespace kopf::cerebellum::parser {

namespace {

// Length of the well-formed UTF-8 sequence starting at `pos`, or 0 there
// for NUL, which no statement may contain, and for any ill-formed byte.
size_t SequenceLength(std::string_view s, size_t pos) {
  return s[pos] == '\0' ? 0 : protocol::Utf8SequenceLength(s, pos);
}

char32_t DecodeSequence(std::string_view s, size_t pos, size_t length) {
  auto at = [&](size_t i) -> char32_t { return static_cast<unsigned char>(s[pos + i]); };
  switch (length) {
    case 1:
      return at(0);
    case 2:
      return (at(0) & 0x1F) << 6 | (at(1) & 0x3F);
    case 3:
      return (at(0) & 0x0F) << 12 | (at(1) & 0x3F) << 6 | (at(2) & 0x3F);
    default:
      return (at(0) & 0x07) << 18 | (at(1) & 0x3F) << 12 | (at(2) & 0x3F) << 6 | (at(3) & 0x3F);
  }
}

}  // namespace

protocol::Result<SourceText> SourceText::Decode(std::string_view sql, std::u32string* code_points) {
  // Positions travel as int32; the brainstem's frame limit is far below.
  if (sql.size() >= static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return protocol::Status::SyntaxError("statement is too long");
  }
  SourceText text;
  text.sql_ = sql;
  code_points->clear();
  code_points->reserve(sql.size());

  const bool ascii = std::all_of(sql.begin(), sql.end(), [](char c) {
    return c != '\0' && static_cast<unsigned char>(c) < 0x80;
  });
  if (ascii) {
    code_points->assign(sql.begin(), sql.end());
    return text;
  }

  text.byte_offsets_.reserve(sql.size() + 1);
  for (size_t pos = 0; pos < sql.size();) {
    const size_t length = SequenceLength(sql, pos);
    if (length == 0) {
      const auto offset = static_cast<int32_t>(pos);
      return protocol::Status::SyntaxError(
          fmt::format("invalid byte sequence for encoding \"UTF8\": 0x{:02x} ({})",
                      static_cast<unsigned char>(sql[pos]), text.LineColumn(offset)),
          offset);
    }
    code_points->push_back(DecodeSequence(sql, pos, length));
    text.byte_offsets_.push_back(static_cast<int32_t>(pos));
    pos += length;
  }
  text.byte_offsets_.push_back(static_cast<int32_t>(sql.size()));
  return text;
}

std::string_view SourceText::Slice(size_t start, size_t stop) const {
  if (stop < start || stop == std::numeric_limits<size_t>::max()) return {};
  const int32_t begin = ByteOffset(start);
  const int32_t end = ByteOffset(stop + 1);
  return sql_.substr(begin, end - begin);
}

std::string SourceText::LineColumn(int32_t byte_offset) const {
  const size_t end = std::min(static_cast<size_t>(byte_offset), sql_.size());
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < end; ++i) {
    if (sql_[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  size_t column = 1;
  for (size_t i = line_start; i < end; ++i) {
    if (!protocol::IsUtf8Continuation(sql_[i])) ++column;
  }
  return fmt::format("line {}, column {}", line, column);
}

std::string SourceText::Excerpt(std::string_view text) {
  constexpr size_t kMaxBytes = 40;
  bool cut = false;
  if (text.size() > kMaxBytes) {
    size_t end = kMaxBytes;
    while (end > 0 && protocol::IsUtf8Continuation(text[end])) --end;
    text = text.substr(0, end);
    cut = true;
  }
  std::string out;
  out.reserve(text.size() + 3);
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  if (cut) out += "...";
  return out;
}

}  // namespace kopf::cerebellum::parser
