#include "tools/kopf/completer.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace kopf::shell {

namespace {

constexpr const char* kKeywords[] = {
    "ALL",     "AND",      "AS",       "ASC",     "AVG",     "BETWEEN", "BIGINT",  "BOOLEAN",
    "BY",      "CASE",     "CAST",     "COUNT",   "CREATE",  "CROSS",   "DEFAULT", "DELETE",
    "DESC",    "DESCRIBE", "DISTINCT", "DOUBLE",  "DROP",    "ELSE",    "END",     "EXCEPT",
    "EXISTS",  "EXPLAIN",  "FALSE",    "FIRST",   "FROM",    "GROUP",   "HAVING",  "IF",
    "IN",      "INDEX",    "INDEXES",  "INNER",   "INSERT",  "INT",     "INTEGER", "INTERSECT",
    "INTO",
    "IS",      "JOIN",     "KEY",      "LAST",    "LEFT",    "LIKE",    "LIMIT",   "MAX",
    "MIN",     "NOT",      "NULL",     "NULLS",   "OFFSET",  "ON",      "OR",      "ORDER",
    "OUTER",   "PRIMARY",  "SELECT",   "SET",     "SHOW",    "SUM",     "TABLE",   "TABLES",
    "TEXT",    "THEN",     "TRUE",     "UNION",   "UNIQUE",  "UPDATE",  "VALUES",  "VARCHAR",
    "WHEN",    "WHERE",
    // Partitioned tables (CREATE TABLE ... PARTITION BY, SHOW PARTITIONS).
    "HASH",    "LESS",     "MAXVALUE", "PARTITION", "PARTITIONS", "RANGE", "THAN"};

constexpr const char* kMetaCommands[] = {"\\?",  "\\async", "\\conninfo", "\\copy",   "\\d",
                                         "\\dP", "\\di",    "\\dt",       "\\i",      "\\o",
                                         "\\pset", "\\q",   "\\timing",   "\\x"};

// Words before which a table name is expected.
constexpr const char* kTableContexts[] = {"FROM",  "JOIN", "INTO",     "UPDATE",
                                          "TABLE", "ON",   "DESCRIBE", "EXISTS"};

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && Upper(text.substr(0, prefix.size())) == Upper(prefix);
}

// The words of `text` (identifier characters only), in order.
std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  for (size_t i = 0; i < text.size();) {
    if (!IsWordChar(text[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && IsWordChar(text[i])) ++i;
    words.push_back(text.substr(start, i - start));
  }
  return words;
}

}  // namespace

Completion Completer::Complete(std::string_view before_cursor) {
  Completion completion;
  size_t start = before_cursor.size();
  while (start > 0 && IsWordChar(before_cursor[start - 1])) --start;
  std::string_view word = before_cursor.substr(start);
  std::string_view before = before_cursor.substr(0, start);
  completion.word_length = word.size();
  std::set<std::string> found;
  auto offer = [&](const std::string& candidate) {
    if (StartsWithIgnoringCase(candidate, word)) found.insert(candidate);
  };

  size_t first = before_cursor.find_first_not_of(" \t");
  bool meta = first != std::string_view::npos && before_cursor[first] == '\\';
  if (meta && before.find_first_of(" \t", first) == std::string_view::npos) {
    // The meta-command's own name, backslash included.
    completion.word_length = before_cursor.size() - first;
    for (const char* name : kMetaCommands) {
      if (std::string_view(name).substr(0, completion.word_length) == before_cursor.substr(first)) {
        found.insert(name);
      }
    }
  } else {
    std::vector<std::string_view> words = Words(before);
    std::string previous = words.empty() ? std::string() : Upper(words.back());
    std::string_view command = before_cursor.substr(first == std::string_view::npos ? 0 : first);
    bool describe = meta && (command.substr(0, 3) == "\\d " || command.substr(0, 4) == "\\dt " ||
                             command.substr(0, 4) == "\\di " || command.substr(0, 4) == "\\dP ");
    // \copy's first word is a table.
    bool copy_table = meta && command.substr(0, 6) == "\\copy " && words.size() == 1;
    if (meta && !describe && !copy_table) return completion;  // no completion of file names
    bool tables_only = describe || copy_table;
    for (const char* context : kTableContexts) tables_only = tables_only || previous == context;
    for (const std::string& table : Tables()) offer(table);
    if (!tables_only) {
      bool lower = std::none_of(word.begin(), word.end(),
                                [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
      for (const char* keyword : kKeywords) offer(lower ? Lower(keyword) : keyword);
      std::vector<std::string> tables = Tables();
      for (std::string_view w : Words(before_cursor)) {
        std::string name = Lower(w);
        if (std::find(tables.begin(), tables.end(), name) == tables.end()) continue;
        for (const std::string& column : Columns(name)) offer(column);
      }
    }
  }
  completion.candidates.assign(found.begin(), found.end());
  return completion;
}

void Completer::Invalidate() {
  tables_.reset();
  columns_.clear();
}

const std::vector<std::string>& Completer::Tables() {
  if (!tables_) {
    tables_.emplace();
    if (auto result = query_("SHOW TABLES"); result.ok()) {
      for (size_t i = 0; i < result->rows.size(); ++i) {
        if (auto name = result->row(i).get<std::string>("name"); name.ok()) {
          tables_->push_back(*name);
        }
      }
    }
  }
  return *tables_;
}

const std::vector<std::string>& Completer::Columns(const std::string& table) {
  auto it = columns_.find(table);
  if (it != columns_.end()) return it->second;
  std::vector<std::string>& columns = columns_[table];
  std::string quoted;
  for (char c : table) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  if (auto result = query_("DESCRIBE \"" + quoted + "\""); result.ok()) {
    for (size_t i = 0; i < result->rows.size(); ++i) {
      if (auto name = result->row(i).get<std::string>("column"); name.ok()) {
        columns.push_back(*name);
      }
    }
  }
  return columns;
}

}  // namespace kopf::shell
