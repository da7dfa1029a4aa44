// Tab completion: which words are offered where, in which case, and that
// the server's table and column names are asked once and cached until
// Invalidate().
#include "tools/kopf/completer.h"

#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace kopf::shell {
namespace {

using protocol::QueryResult;
using protocol::Result;
using protocol::Type;
using protocol::Value;

// Answers SHOW TABLES and DESCRIBE as kopfd does (same column names), from
// a fixed schema, and records what was asked.
struct Catalog {
  std::vector<std::string> asked;
  std::vector<std::string> tables = {"pets", "people"};

  Result<QueryResult> operator()(std::string_view sql) {
    asked.emplace_back(sql);
    QueryResult r;
    if (sql == "SHOW TABLES") {
      r.columns = {{"name", Type::kText}, {"columns", Type::kInteger}, {"rows", Type::kInteger}};
      for (const auto& t : tables) r.rows.push_back({Value::Text(t), Value::Integer(2), Value::Integer(0)});
      return r;
    }
    r.columns = {{"column", Type::kText}, {"type", Type::kText}};
    if (sql == "DESCRIBE \"pets\"") {
      r.rows = {{Value::Text("id"), Value::Text("INT")}, {Value::Text("weight"), Value::Text("DOUBLE")}};
      return r;
    }
    return protocol::Status::UndefinedTable("no such table");
  }
};

std::vector<std::string> Words(std::initializer_list<const char*> words) {
  return std::vector<std::string>(words.begin(), words.end());
}

TEST_SUITE("tools/completer") {
  TEST_CASE("after FROM only table names are offered") {
    Catalog catalog;
    Completer completer([&](std::string_view sql) { return catalog(sql); });
    Completion c = completer.Complete("SELECT * FROM pe");
    CHECK(c.word_length == 2);
    CHECK(c.candidates == Words({"people", "pets"}));
    CHECK(completer.Complete("select * from pets join peo").candidates == Words({"people"}));
    CHECK(completer.Complete("\\d pe").candidates == Words({"people", "pets"}));
    CHECK(completer.Complete("\\di pe").candidates == Words({"people", "pets"}));
    CHECK(completer.Complete("\\dP pe").candidates == Words({"people", "pets"}));
    CHECK(completer.Complete("\\dP").candidates == Words({"\\dP"}));
    CHECK(completer.Complete("SHOW PART").candidates == Words({"PARTITION", "PARTITIONS"}));
    // \copy's table, but no file names after it.
    CHECK(completer.Complete("\\cop").candidates == Words({"\\copy"}));
    CHECK(completer.Complete("\\copy pe").candidates == Words({"people", "pets"}));
    CHECK(completer.Complete("\\copy pets from pe").candidates.empty());
  }

  TEST_CASE("keywords follow the case typed, columns come from the tables named") {
    Catalog catalog;
    Completer completer([&](std::string_view sql) { return catalog(sql); });
    CHECK(completer.Complete("sel").candidates == Words({"select"}));
    CHECK(completer.Complete("SEL").candidates == Words({"SELECT"}));
    CHECK(completer.Complete("SELECT * FROM pets WHERE wei").candidates == Words({"weight"}));
    // "w" matches the column and the keywords WHEN/WHERE.
    CHECK(completer.Complete("SELECT * FROM pets WHERE id = 1 AND W").candidates ==
          Words({"WHEN", "WHERE", "weight"}));
  }

  TEST_CASE("meta-command names complete after a backslash, file names do not") {
    Catalog catalog;
    Completer completer([&](std::string_view sql) { return catalog(sql); });
    Completion c = completer.Complete("\\ti");
    CHECK(c.word_length == 3);
    CHECK(c.candidates == Words({"\\timing"}));
    CHECK(completer.Complete("\\d").candidates == Words({"\\d", "\\dP", "\\di", "\\dt"}));
    CHECK(completer.Complete("\\i fil").candidates.empty());
  }

  TEST_CASE("names are asked once and asked again after Invalidate") {
    Catalog catalog;
    Completer completer([&](std::string_view sql) { return catalog(sql); });
    (void)completer.Complete("SELECT * FROM pets WHERE i");
    (void)completer.Complete("SELECT * FROM pets WHERE w");
    CHECK(catalog.asked == Words({"SHOW TABLES", "DESCRIBE \"pets\""}));
    catalog.tables.push_back("plants");
    CHECK(completer.Complete("FROM pl").candidates.empty());
    completer.Invalidate();
    CHECK(completer.Complete("FROM pl").candidates == Words({"plants"}));
  }
}

}  // namespace
}  // namespace kopf::shell
