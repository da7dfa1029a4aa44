#include "tests/support/sql_script.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace kopf::testing {

namespace fs = std::filesystem;
using protocol::ErrorCodeFromName;
using protocol::ErrorCodeName;

std::string ScriptText(const protocol::Value& v) {
  if (v.is_null()) return "NULL";
  if (v.type() == protocol::Type::kText && v.as_text().empty()) return "(empty)";
  return v.ToString();
}

std::vector<fs::path> AllSqlScripts() {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(fs::path(KOPF_SOURCE_DIR) / "tests/sql")) {
    if (e.path().extension() == ".test") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> RunSqlScript(const fs::path& path, const ScriptHooks& hooks,
                                      int* records_run) {
  std::vector<std::string> failures;
  std::ifstream in(path);
  if (!in) return {fmt::format("{}: cannot open", path.string())};
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  size_t i = 0;
  int run = 0;
  auto fail = [&](size_t at, const std::string& what) {
    failures.push_back(fmt::format("{}:{}: {}", path.filename().string(), at + 1, what));
  };
  while (i < lines.size()) {
    const std::string& head = lines[i];
    if (head.empty() || head[0] == '#') {
      ++i;
      continue;
    }
    size_t record_line = i++;
    std::istringstream words(head);
    std::string kind, arg;
    words >> kind >> arg;
    if (kind == "restart") {
      ++run;
      if (!hooks.restart) {
        fail(record_line, "restart is not available here");
      } else {
        hooks.restart();
      }
      continue;
    }
    // SQL runs until a blank line or "----".
    std::string sql;
    while (i < lines.size() && !lines[i].empty() && lines[i] != "----") {
      if (!sql.empty()) sql += '\n';
      sql += lines[i++];
    }
    std::vector<std::string> expected;
    if (kind == "query") {
      if (i < lines.size() && lines[i] == "----") {
        ++i;
        while (i < lines.size() && !lines[i].empty()) expected.push_back(lines[i++]);
      }
    }
    ++run;
    auto result = hooks.execute(sql);
    if (kind == "statement" && arg == "error") {
      std::string code;
      words >> code;
      if (result.ok()) {
        fail(record_line, fmt::format("expected error {} but the statement succeeded", code));
      } else if (!code.empty() && ErrorCodeName(result.status().code()) != code) {
        fail(record_line, fmt::format("expected error {} but got {}", code,
                                      result.status().ToString()));
      }
      continue;
    }
    if (!result.ok()) {
      fail(record_line, fmt::format("unexpected error {}", result.status().ToString()));
      continue;
    }
    if (kind == "statement") {
      if (arg == "count") {
        uint64_t want = 0;
        words >> want;
        if (result->count != want) {
          fail(record_line, fmt::format("expected count {} but got {}", want, result->count));
        }
      } else if (arg != "ok") {
        fail(record_line, "unknown statement mode " + arg);
      }
      continue;
    }
    if (kind != "query") {
      fail(record_line, "unknown record " + kind);
      continue;
    }
    std::vector<std::string> actual;
    for (const auto& row : result->rows) {
      std::string line;
      for (size_t c = 0; c < row.size(); ++c) {
        if (c > 0) line += '\t';
        line += ScriptText(row[c]);
      }
      actual.push_back(line);
    }
    if (arg == "rowsort") {
      std::sort(actual.begin(), actual.end());
      std::sort(expected.begin(), expected.end());
    }
    // Compare as text, so a value holding a newline spans expected lines.
    auto join = [](const std::vector<std::string>& v) {
      std::string out;
      for (const auto& s : v) out += s + "\n";
      return out;
    };
    if (join(actual) != join(expected)) {
      std::string detail = "result differs\n  expected:\n";
      for (const auto& e : expected) detail += "    " + e + "\n";
      detail += "  actual:\n";
      for (const auto& a : actual) detail += "    " + a + "\n";
      fail(record_line, detail);
    }
  }
  if (records_run) *records_run = run;
  return failures;
}

}  // namespace kopf::testing
