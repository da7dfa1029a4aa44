// Typed row access: each C++ type against each SQL type, NULL through
// std::optional, names, and the error for every misuse.
#include "protocol/client.h"

#include <doctest/doctest.h>

namespace kopf::protocol {
namespace {

QueryResult Sample() {
  QueryResult r;
  r.columns = {{"id", Type::kInteger},
               {"name", Type::kText},
               {"score", Type::kDouble},
               {"ok", Type::kBoolean},
               {"age", Type::kInteger}};
  r.rows.push_back({Value::Integer(7), Value::Text("Ann"), Value::Double(2.5),
                    Value::Boolean(true), Value::Null()});
  return r;
}

TEST_SUITE("protocol/client_row") {
  TEST_CASE("values read by number and by name as their C++ types") {
    QueryResult r = Sample();
    RowRef row = r.row(0);
    CHECK(row.size() == 5);
    CHECK(*row.get<int64_t>(0) == 7);
    CHECK(*row.get<std::string>("name") == "Ann");
    CHECK(*row.get<double>("score") == 2.5);
    CHECK(*row.get<bool>(3) == true);
    CHECK(*row.get<double>("id") == 7.0);  // an INTEGER widens to double
    CHECK(*row.index("ok") == 3);
    CHECK(row[1] == Value::Text("Ann"));
  }

  TEST_CASE("NULL reads as std::nullopt, and as an error into a plain type") {
    QueryResult r = Sample();
    RowRef row = r.row(0);
    CHECK(*row.is_null("age"));
    CHECK_FALSE(*row.is_null(0));
    CHECK(*row.get<std::optional<int64_t>>("age") == std::nullopt);
    CHECK(*row.get<std::optional<int64_t>>("id") == 7);
    auto age = row.get<int64_t>("age");
    REQUIRE_FALSE(age.ok());
    CHECK(age.status().code() == ErrorCode::kInvalidValue);
    CHECK(age.status().message() ==
          "column 4 (\"age\") is NULL; read it as std::optional<int64_t> where NULL is expected");
  }

  TEST_CASE("a wrong type, an unknown name and a column past the end are clear errors") {
    QueryResult r = Sample();
    RowRef row = r.row(0);
    auto text = row.get<int64_t>("name");
    CHECK(text.status().code() == ErrorCode::kTypeMismatch);
    CHECK(text.status().message() == "column 1 (\"name\") holds TEXT, which cannot be read as int64_t");
    CHECK(row.get<int64_t>("score").status().code() == ErrorCode::kTypeMismatch);  // no narrowing
    CHECK(row.get<std::optional<bool>>("id").status().code() == ErrorCode::kTypeMismatch);
    auto unknown = row.get<int64_t>("nme");
    CHECK(unknown.status().code() == ErrorCode::kUndefinedColumn);
    CHECK(unknown.status().message() ==
          "the result has no column \"nme\"; its columns are: id, name, score, ok, age");
    auto past = row.get<std::string>(5);
    CHECK(past.status().code() == ErrorCode::kInvalidValue);
    CHECK(past.status().message() == "column 5 is past the end: the result has 5 columns");
  }
}

}  // namespace
}  // namespace kopf::protocol
