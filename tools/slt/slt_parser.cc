#include "tools/slt/slt_parser.h"

#include <charconv>

#include "protocol/ascii.h"

namespace kopf::slt {

namespace {

struct Line {
  size_t number = 0;  // 1-based
  std::string_view text;
};

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n';
}

bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (!IsSpace(c)) return false;
  }
  return true;
}

std::vector<std::string_view> Tokens(std::string_view line) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (i > start) tokens.push_back(line.substr(start, i - start));
  }
  return tokens;
}

std::string JoinLines(const std::vector<Line>& lines, size_t begin, size_t end) {
  std::string joined;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) joined.push_back('\n');
    joined.append(lines[i].text);
  }
  return joined;
}

// Splits `text` into lines without their '\n' or trailing '\r'.
std::vector<Line> SplitLines(std::string_view text) {
  std::vector<Line> lines;
  size_t number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back({++number, line});
    pos = eol + 1;
  }
  return lines;
}

// Fills `record` from the lines of one block, starting at its first
// non-condition line `first`.
void ParseBody(const std::vector<Line>& block, size_t first, Record* record) {
  std::vector<std::string_view> tokens = Tokens(block[first].text);
  record->line = block[first].number;
  std::string_view keyword = tokens.empty() ? std::string_view() : tokens[0];
  if (keyword == "statement") {
    record->kind = Record::Kind::kStatement;
    if (tokens.size() >= 2 && tokens[1] == "ok") {
      record->expect_ok = true;
    } else if (tokens.size() >= 2 && tokens[1] == "error") {
      record->expect_ok = false;
    } else {
      record->kind = Record::Kind::kUnknown;
      record->error = "\"statement\" must be followed by \"ok\" or \"error\"";
      return;
    }
    record->sql = JoinLines(block, first + 1, block.size());
  } else if (keyword == "query") {
    if (tokens.size() < 2) {
      record->error = "\"query\" needs a types string";
      return;
    }
    record->kind = Record::Kind::kQuery;
    record->types = std::string(tokens[1]);
    size_t next = 2;
    if (tokens.size() > next) {
      if (tokens[next] == "nosort") {
        record->sort = SortMode::kNoSort;
        ++next;
      } else if (tokens[next] == "rowsort") {
        record->sort = SortMode::kRowSort;
        ++next;
      } else if (tokens[next] == "valuesort") {
        record->sort = SortMode::kValueSort;
        ++next;
      }
    }
    if (tokens.size() > next) record->label = std::string(tokens[next]);
    size_t separator = first + 1;
    while (separator < block.size() && block[separator].text != "----") ++separator;
    record->sql = JoinLines(block, first + 1, separator);
    for (size_t i = separator + 1; i < block.size(); ++i) {
      record->expected.emplace_back(block[i].text);
    }
  } else if (keyword == "hash-threshold") {
    size_t value = 0;
    std::string_view digits = tokens.size() >= 2 ? tokens[1] : std::string_view();
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      record->error = "\"hash-threshold\" needs a non-negative integer";
      return;
    }
    record->kind = Record::Kind::kHashThreshold;
    record->threshold = value;
  } else if (keyword == "halt") {
    record->kind = Record::Kind::kHalt;
  } else {
    record->error = "unknown record type \"" + std::string(keyword) + "\"";
  }
}

}  // namespace

bool Record::AppliesTo(std::string_view engine) const {
  for (const Condition& condition : conditions) {
    bool names_us = protocol::EqualsIgnoringCase(condition.engine, engine);
    if (condition.only_if != names_us) return false;
  }
  return true;
}

std::vector<Record> ParseScript(std::string_view text) {
  std::vector<Line> lines = SplitLines(text);
  std::vector<Record> records;
  size_t i = 0;
  while (i < lines.size()) {
    // A block is a run of non-blank lines; comment lines inside it are
    // dropped and do not end it.
    std::vector<Line> block;
    for (; i < lines.size() && !IsBlank(lines[i].text); ++i) {
      if (lines[i].text.front() != '#') block.push_back(lines[i]);
    }
    for (; i < lines.size() && IsBlank(lines[i].text); ++i) {
    }
    if (block.empty()) continue;

    Record record;
    size_t first = 0;
    for (; first < block.size(); ++first) {
      std::vector<std::string_view> tokens = Tokens(block[first].text);
      if (tokens.empty() || (tokens[0] != "skipif" && tokens[0] != "onlyif")) break;
      // Only the second token names the engine; the rest is a comment.
      std::string engine = tokens.size() >= 2 ? std::string(tokens[1]) : std::string();
      record.conditions.push_back({tokens[0] == "onlyif", std::move(engine)});
    }
    // Conditions with no record after them guard nothing.
    if (first == block.size()) continue;
    ParseBody(block, first, &record);
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace kopf::slt
