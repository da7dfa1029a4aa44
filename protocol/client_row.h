// RowRef: typed, checked access to one row of a query result, by column
// number or by name.
//
//   QueryResult r = *client->Query("SELECT id, name, age FROM kv");
//   for (size_t i = 0; i < r.rows.size(); ++i) {
//     RowRef row = r.row(i);
//     Result<int64_t> id = row.get<int64_t>(0);
//     Result<std::string> name = row.get<std::string>("name");
//     Result<std::optional<int64_t>> age = row.get<std::optional<int64_t>>("age");
//   }
//
// get<T> reads int64_t (an INTEGER), double (a DOUBLE, or an INTEGER
// widened), std::string (a TEXT), bool (a BOOLEAN), or std::optional of any
// of these, which turns NULL into std::nullopt. Every mistake is a Status
// rather than undefined behaviour: a column number past the end
// (kInvalidValue), an unknown name (kUndefinedColumn, listing the names), a
// value of another type (kTypeMismatch, naming both types) and NULL read
// into a non-optional T (kInvalidValue, suggesting std::optional).
//
// Thread-safety: a view; it borrows the result's columns and row, which must
// outlive it and not change meanwhile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "protocol/status.h"
#include "protocol/value.h"

namespace kopf::protocol {

class RowRef {
 public:
  // REQUIRES: row.size() == columns.size() (the client checks every row).
  RowRef(const std::vector<ColumnInfo>& columns, const Row& row) : columns_(&columns), row_(&row) {}

  size_t size() const { return row_->size(); }
  // REQUIRES: i < size().
  const Value& operator[](size_t i) const { return (*row_)[i]; }

  // The number of the column called `name` (the first, if several are).
  Result<size_t> index(std::string_view name) const;
  // Whether column `i` holds NULL; fails only for a column past the end.
  Result<bool> is_null(size_t i) const;
  Result<bool> is_null(std::string_view name) const;

  template <typename T>
  Result<T> get(size_t i) const;
  template <typename T>
  Result<T> get(std::string_view name) const {
    KOPF_ASSIGN_OR_RETURN(size_t i, index(name));
    return get<T>(i);
  }

 private:
  // Column `i` when it may be read as `want` (with `nullable`, NULL too);
  // `cpp_type` names T in messages.
  Result<const Value*> Cell(size_t i, Type want, bool nullable, std::string_view cpp_type) const;

  template <typename T>
  static constexpr Type TypeOfCpp() {
    if constexpr (std::is_same_v<T, int64_t>) return Type::kInteger;
    if constexpr (std::is_same_v<T, double>) return Type::kDouble;
    if constexpr (std::is_same_v<T, std::string>) return Type::kText;
    if constexpr (std::is_same_v<T, bool>) return Type::kBoolean;
  }

  template <typename T>
  static T Read(const Value& v) {
    if constexpr (std::is_same_v<T, int64_t>) return v.as_integer();
    if constexpr (std::is_same_v<T, double>) return v.numeric();
    if constexpr (std::is_same_v<T, std::string>) return v.as_text();
    if constexpr (std::is_same_v<T, bool>) return v.as_boolean();
  }

  template <typename T>
  struct Optional : std::false_type {
    using Inner = T;
  };
  template <typename T>
  struct Optional<std::optional<T>> : std::true_type {
    using Inner = T;
  };

  template <typename T>
  static constexpr std::string_view CppName() {
    if constexpr (std::is_same_v<T, int64_t>) return "int64_t";
    if constexpr (std::is_same_v<T, double>) return "double";
    if constexpr (std::is_same_v<T, std::string>) return "std::string";
    if constexpr (std::is_same_v<T, bool>) return "bool";
  }

  const std::vector<ColumnInfo>* columns_;
  const Row* row_;
};

template <typename T>
Result<T> RowRef::get(size_t i) const {
  using Inner = typename Optional<T>::Inner;
  static_assert(std::is_same_v<Inner, int64_t> || std::is_same_v<Inner, double> ||
                    std::is_same_v<Inner, std::string> || std::is_same_v<Inner, bool>,
                "RowRef::get reads int64_t, double, std::string, bool or std::optional of one");
  constexpr bool kNullable = Optional<T>::value;
  KOPF_ASSIGN_OR_RETURN(const Value* cell,
                        Cell(i, TypeOfCpp<Inner>(), kNullable, CppName<Inner>()));
  if constexpr (kNullable) {
    if (cell->is_null()) return T(std::nullopt);
    return T(Read<Inner>(*cell));
  } else {
    return Read<Inner>(*cell);
  }
}

}  // namespace kopf::protocol
