// Value: one typed SQL value, the unit that rows, wire frames and CSV lines
// are made of.
//
// kopf has five value types: NULL, 64-bit signed INTEGER, DOUBLE (IEEE 754
// binary64), TEXT (UTF-8 bytes, compared bytewise) and BOOLEAN. A Value is a
// small tagged union with value semantics; the numbers of Type are part of
// the wire protocol and of the catalog on disk: DO NOT CHANGE THEM.
//
// Thread-safety: a value type; const methods may be called concurrently.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kopf::protocol {

enum class Type : uint8_t {
  kNull = 0,
  kInteger = 1,
  kDouble = 2,
  kText = 3,
  kBoolean = 4,
};

// "NULL", "INTEGER", "DOUBLE", "TEXT", "BOOLEAN".
std::string_view TypeName(Type type);
// The Type named by `name` (as printed by TypeName), if any.
std::optional<Type> TypeFromName(std::string_view name);

class Value {
 public:
  Value() = default;  // NULL
  static Value Null() { return Value(); }
  static Value Integer(int64_t v) { return Value(Data(std::in_place_index<1>, v)); }
  static Value Double(double v) { return Value(Data(std::in_place_index<2>, v)); }
  static Value Text(std::string v) { return Value(Data(std::in_place_index<3>, std::move(v))); }
  static Value Boolean(bool v) { return Value(Data(std::in_place_index<4>, v)); }

  Type type() const { return static_cast<Type>(data_.index()); }
  bool is_null() const { return data_.index() == 0; }

  // REQUIRES: type() is the type asked for.
  int64_t as_integer() const { return std::get<1>(data_); }
  double as_double() const { return std::get<2>(data_); }
  const std::string& as_text() const { return std::get<3>(data_); }
  bool as_boolean() const { return std::get<4>(data_); }

  // The value of a numeric (INTEGER or DOUBLE) as a double.
  // REQUIRES: type() is kInteger or kDouble.
  double numeric() const {
    return type() == Type::kInteger ? static_cast<double>(as_integer()) : as_double();
  }

  // Canonical text: integers in decimal, doubles in the shortest form that
  // reads back to the same bits (always with a '.' or exponent so they stay
  // recognisably DOUBLE, e.g. "1.0", "2.5e-07"), booleans "true"/"false",
  // text as is, and "NULL" for NULL.
  std::string ToString() const;

  // Exact equality of type and contents (1 and 1.0 differ). For SQL
  // comparison semantics use Compare().
  bool operator==(const Value& other) const = default;

 private:
  using Data = std::variant<std::monostate, int64_t, double, std::string, bool>;
  explicit Value(Data data) : data_(std::move(data)) {}
  Data data_;
};

// Total order used for sorting and for index keys, as SQLite orders values:
// NULL < BOOLEAN and numbers (compared by numeric value; false=0, true=1)
// < TEXT (bytewise). NaN sorts below every other number. Never fails.
std::strong_ordering Compare(const Value& a, const Value& b);

// A row: one Value per column, in the table's column order.
using Row = std::vector<Value>;

// Compare() as a strict weak ordering, for std::set, std::map and sorting.
struct ValueLess {
  bool operator()(const Value& a, const Value& b) const { return Compare(a, b) < 0; }
};

// Rows ordered column by column with Compare(); a shorter row that is a
// prefix of a longer one comes first.
struct RowLess {
  bool operator()(const Row& a, const Row& b) const {
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
      auto c = Compare(a[i], b[i]);
      if (c != 0) return c < 0;
    }
    return a.size() < b.size();
  }
};

// The name and type of one result column.
struct ColumnInfo {
  std::string name;
  Type type = Type::kNull;
  bool operator==(const ColumnInfo&) const = default;
};

}  // namespace kopf::protocol
