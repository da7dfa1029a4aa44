#include "cerebrum/csv_format.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "protocol/utf8.h"

namespace kopf::cerebrum {

using protocol::Result;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

bool NeedsQuotes(std::string_view raw) {
  // A plain loop: find_first_of calls memchr over the set once per byte,
  // which showed in profiles of bulk loads.
  for (char c : raw) {
    if (c == ',' || c == '"' || c == '\r' || c == '\n') return true;
  }
  return raw.empty() || raw.starts_with(kUtf8Bom);
}

// The offending text for an error message, cut short so that a damaged
// 1 MiB field does not become a 1 MiB message. The cut falls between
// characters: half of one would make the message invalid UTF-8, which the
// wire then spells with '?' for every non-ASCII byte.
std::string Excerpt(std::string_view text) {
  constexpr size_t kMax = 64;
  if (text.size() <= kMax) return std::string(text);
  size_t end = kMax;
  while (end > 0 && protocol::IsUtf8Continuation(text[end])) --end;
  return fmt::format("{}...", text.substr(0, end));
}

Status BadValue(std::string_view what, std::string_view text) {
  return Status::InvalidValue(fmt::format("invalid {} \"{}\"", what, Excerpt(text)));
}

Result<Value> ParseInteger(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) {
    return Status::InvalidValue(fmt::format("integer out of range \"{}\"", Excerpt(text)));
  }
  if (ec != std::errc() || end != text.data() + text.size()) return BadValue("integer", text);
  return Value::Integer(v);
}

Result<Value> ParseDouble(std::string_view text) {
  if (text == "NaN") return Value::Double(std::numeric_limits<double>::quiet_NaN());
  if (text == "Infinity") return Value::Double(std::numeric_limits<double>::infinity());
  if (text == "-Infinity") return Value::Double(-std::numeric_limits<double>::infinity());
  // from_chars also takes "inf", "nan(...)" and friends; kopf's spelling is
  // the one above only.
  if (text.empty() || text.find_first_not_of("0123456789+-.eE") != std::string_view::npos) {
    return BadValue("double", text);
  }
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) {
    return Status::InvalidValue(fmt::format("double out of range \"{}\"", Excerpt(text)));
  }
  if (ec != std::errc() || end != text.data() + text.size()) return BadValue("double", text);
  return Value::Double(v);
}

}  // namespace

void AppendCsvText(std::string* out, std::string_view raw) {
  assert(raw.find('\0') == std::string_view::npos && "NUL bytes cannot be stored in CSV");
  if (!NeedsQuotes(raw)) {
    out->append(raw);
    return;
  }
  out->push_back('"');
  size_t from = 0;
  for (size_t q = raw.find('"'); q != std::string_view::npos; q = raw.find('"', from)) {
    out->append(raw.substr(from, q + 1 - from));
    out->push_back('"');
    from = q + 1;
  }
  out->append(raw.substr(from));
  out->push_back('"');
}

void AppendCsvField(std::string* out, const Value& v) {
  switch (v.type()) {
    case Type::kNull:
      return;
    case Type::kInteger: {
      char buf[24];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v.as_integer());
      out->append(buf, end);
      return;
    }
    case Type::kDouble:
      out->append(v.ToString());
      return;
    case Type::kText:
      AppendCsvText(out, v.as_text());
      return;
    case Type::kBoolean:
      out->append(v.as_boolean() ? "true" : "false");
      return;
  }
}

Status SplitCsvRecord(std::string_view record, std::vector<CsvField>* out) {
  size_t count = 0;
  auto next_field = [&]() -> CsvField& {
    if (count == out->size()) out->emplace_back();
    CsvField& f = (*out)[count++];
    f.text.clear();
    f.quoted = false;
    return f;
  };
  size_t i = 0;
  while (true) {
    CsvField& field = next_field();
    if (i < record.size() && record[i] == '"') {
      field.quoted = true;
      const size_t open = i;
      ++i;
      while (true) {
        size_t q = record.find('"', i);
        if (q == std::string_view::npos) {
          out->resize(count);
          return Status::InvalidValue(
              fmt::format("unterminated quoted field {} opened at column {}", count, open + 1));
        }
        field.text.append(record.substr(i, q - i));
        if (q + 1 < record.size() && record[q + 1] == '"') {  // an escaped quote
          field.text.push_back('"');
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      if (i == record.size()) break;
      if (record[i] != ',') {
        out->resize(count);
        return Status::InvalidValue(
            fmt::format("text after the closing quote of field {} at column {}", count, i + 1));
      }
      ++i;
      continue;
    }
    size_t comma = record.find(',', i);
    size_t end = comma == std::string_view::npos ? record.size() : comma;
    std::string_view text = record.substr(i, end - i);
    if (size_t q = text.find('"'); q != std::string_view::npos) {
      out->resize(count);
      return Status::InvalidValue(
          fmt::format("stray '\"' in unquoted field {} at column {}", count, i + q + 1));
    }
    field.text.assign(text);
    if (comma == std::string_view::npos) break;
    i = comma + 1;
  }
  out->resize(count);
  return Status::Ok();
}

Result<Value> ParseCsvValue(const CsvField& field, Type type) {
  if (!field.quoted && field.text.empty()) return Value::Null();
  const std::string& text = field.text;
  switch (type) {
    case Type::kNull:
      return BadValue("value for a NULL-typed column", text);
    case Type::kInteger:
      return ParseInteger(text);
    case Type::kDouble:
      return ParseDouble(text);
    case Type::kText:
      if (!IsStorableText(text)) {
        return Status::InvalidValue("text " + CheckStorableText(text).message());
      }
      return Value::Text(text);
    case Type::kBoolean:
      if (text == "true") return Value::Boolean(true);
      if (text == "false") return Value::Boolean(false);
      return BadValue("boolean", text);
  }
  return Status::Internal("unknown column type");
}

bool IsStorableText(std::string_view text) {
  // A byte that is NUL or not ASCII is <= 0 as a signed char; a word holds
  // one when it has a high bit or a zero byte (the classic test
  // (w - 0x01...) & ~w & 0x80...). Anything else is plain ASCII.
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighBits = 0x8080808080808080ull;
  auto plain = [&](size_t pos) {
    uint64_t w;
    std::memcpy(&w, text.data() + pos, sizeof(w));
    return ((w | ((w - kOnes) & ~w)) & kHighBits) == 0;
  };
  const size_t n = text.size();
  bool ascii = true;
  if (n < 8) {
    for (char c : text) ascii &= static_cast<signed char>(c) > 0;
  } else {
    for (size_t pos = 0; ascii && pos + 8 <= n; pos += 8) ascii = plain(pos);
    ascii = ascii && plain(n - 8);  // the last eight, overlapping
  }
  if (ascii) return true;
  return text.find('\0') == std::string_view::npos && protocol::IsValidUtf8(text);
}

Status CheckStorableText(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    return Status::InvalidValue("contains a NUL byte, which kopf does not store");
  }
  const size_t bad = protocol::FindInvalidUtf8(text);
  if (bad != std::string_view::npos) {
    return Status::InvalidValue(fmt::format("is not valid UTF-8: byte 0x{:02x} at offset {}",
                                            static_cast<unsigned char>(text[bad]), bad));
  }
  return Status::Ok();
}

void CsvQuoteScanner::Scan(std::string_view bytes) {
  size_t i = 0;
  const size_t n = bytes.size();
  while (i < n) {
    switch (state_) {
      case State::kFieldStart:
        if (bytes[i] == '"') {
          state_ = State::kQuoted;
        } else if (bytes[i] != ',') {
          state_ = State::kUnquoted;
        }
        ++i;
        break;
      case State::kUnquoted: {
        // Only a ',' matters here; skip to it.
        const void* comma = std::memchr(bytes.data() + i, ',', n - i);
        if (comma == nullptr) return;
        i = static_cast<const char*>(comma) - bytes.data() + 1;
        state_ = State::kFieldStart;
        break;
      }
      case State::kQuoted: {
        const void* quote = std::memchr(bytes.data() + i, '"', n - i);
        if (quote == nullptr) return;
        i = static_cast<const char*>(quote) - bytes.data() + 1;
        state_ = State::kQuoteInQuoted;
        break;
      }
      case State::kQuoteInQuoted:
        if (bytes[i] == '"') {
          state_ = State::kQuoted;  // an escaped quote
        } else if (bytes[i] == ',') {
          state_ = State::kFieldStart;
        } else {
          state_ = State::kUnquoted;  // malformed: text after a closing quote
        }
        ++i;
        break;
    }
  }
}

bool RecordIsComplete(std::string_view record) {
  CsvQuoteScanner scanner;
  scanner.Scan(record);
  return !scanner.in_quoted_field();
}

Status ForEachCsvRecord(std::string_view contents, std::string_view header, size_t width,
                        const std::filesystem::path& path,
                        const std::function<Status(std::vector<CsvField>& fields)>& visit) {
  size_t line_no = 0;  // first line of the current record
  size_t lines = 0;    // lines consumed so far
  size_t start = 0;
  auto bad = [&](std::string_view why) {
    return Status::Corruption(fmt::format("{} line {}: {}", path.string(), line_no, why));
  };
  std::vector<CsvField> fields;
  while (start < contents.size()) {
    // A record spans lines while its quotes are open.
    line_no = lines + 1;
    size_t end = start;
    std::string_view record;
    while (true) {
      end = contents.find('\n', end);
      if (end == std::string_view::npos) return bad("incomplete line");
      ++lines;
      record = contents.substr(start, end - start);
      if (RecordIsComplete(record)) break;
      ++end;
    }
    start = end + 1;
    if (line_no == 1) {
      if (record != header) return bad("unexpected header");
      continue;
    }
    Status split = SplitCsvRecord(record, &fields);
    if (!split.ok()) return bad(split.message());
    if (fields.size() != width) return bad(fmt::format("expected {} fields", width));
    Status visited = visit(fields);
    if (!visited.ok()) return bad(visited.message());
  }
  return Status::Ok();
}

}  // namespace kopf::cerebrum
