// The 4-column table the storage benchmarks load: id INT PRIMARY KEY,
// name TEXT, age INT, city TEXT, with rows made up from their id (cities
// include a comma and quotes, so the CSV quoting path is exercised).
#pragma once

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "cerebrum/schema.h"
#include "protocol/value.h"

namespace kopf::benchmarks {

inline cerebrum::TableSchema PeopleSchema(std::string name) {
  using protocol::Type;
  cerebrum::TableSchema s;
  s.name = std::move(name);
  s.columns = {{"id", Type::kInteger, "INT", true, {}},
               {"name", Type::kText, "TEXT", false, {}},
               {"age", Type::kInteger, "INT", false, {}},
               {"city", Type::kText, "TEXT", false, {}}};
  s.primary_key = {0};
  return s;
}

inline protocol::Row PersonRow(int64_t id) {
  using protocol::Value;
  static constexpr const char* kCities[] = {"Berlin", "Paris",        "Lisbon, Portugal", "Oslo",
                                            "Rome",   "New \"York\"", "Zurich",           "Vienna"};
  return {Value::Integer(id), Value::Text(fmt::format("person number {}", id)),
          Value::Integer(18 + id % 70), Value::Text(kCities[id % 8])};
}

}  // namespace kopf::benchmarks
