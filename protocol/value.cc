#include "protocol/value.h"

#include <array>
#include <charconv>
#include <cmath>

namespace kopf::protocol {

namespace {

constexpr std::array<std::string_view, 5> kTypeNames = {"NULL", "INTEGER", "DOUBLE", "TEXT",
                                                         "BOOLEAN"};

// Rank of a type's class in the cross-type order.
int ClassRank(Type t) {
  switch (t) {
    case Type::kNull: return 0;
    case Type::kBoolean:
    case Type::kInteger:
    case Type::kDouble: return 1;
    case Type::kText: return 2;
  }
  return 3;
}

std::strong_ordering CompareDoubles(double x, double y) {
  bool xn = std::isnan(x), yn = std::isnan(y);
  if (xn || yn) return yn <=> xn;  // NaN first
  if (x < y) return std::strong_ordering::less;
  if (x > y) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

// Compares an int64 with a double exactly, without losing precision for
// integers beyond 2^53.
std::strong_ordering CompareIntDouble(int64_t i, double d) {
  if (std::isnan(d)) return std::strong_ordering::greater;
  if (d >= 9223372036854775808.0) return std::strong_ordering::less;
  if (d < -9223372036854775808.0) return std::strong_ordering::greater;
  double truncated = std::trunc(d);
  auto di = static_cast<int64_t>(truncated);
  if (i != di) return i <=> di;
  if (d > truncated) return std::strong_ordering::less;
  if (d < truncated) return std::strong_ordering::greater;
  return std::strong_ordering::equal;
}

}  // namespace

std::string_view TypeName(Type type) { return kTypeNames.at(static_cast<size_t>(type)); }

std::optional<Type> TypeFromName(std::string_view name) {
  for (size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == name) return static_cast<Type>(i);
  }
  return std::nullopt;
}

std::string Value::ToString() const {
  switch (type()) {
    case Type::kNull: return "NULL";
    case Type::kInteger: return std::to_string(as_integer());
    case Type::kDouble: {
      double d = as_double();
      if (std::isnan(d)) return "NaN";
      if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
      std::array<char, 64> buf{};
      auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), d);
      std::string s(buf.data(), end);
      if (s.find_first_of(".eE") == std::string::npos) s += ".0";
      return s;
    }
    case Type::kText: return as_text();
    case Type::kBoolean: return as_boolean() ? "true" : "false";
  }
  return {};
}

std::strong_ordering Compare(const Value& a, const Value& b) {
  Type ta = a.type(), tb = b.type();
  int ra = ClassRank(ta), rb = ClassRank(tb);
  if (ra != rb) return ra <=> rb;
  switch (ra) {
    case 0: return std::strong_ordering::equal;
    case 2: {
      int c = a.as_text().compare(b.as_text());
      return c <=> 0;
    }
    default: break;
  }
  // Numbers and booleans.
  auto as_int = [](const Value& v, int64_t* out) {
    if (v.type() == Type::kInteger) { *out = v.as_integer(); return true; }
    if (v.type() == Type::kBoolean) { *out = v.as_boolean() ? 1 : 0; return true; }
    return false;
  };
  int64_t ia = 0, ib = 0;
  bool a_int = as_int(a, &ia), b_int = as_int(b, &ib);
  if (a_int && b_int) return ia <=> ib;
  if (a_int) return CompareIntDouble(ia, b.as_double());
  if (b_int) return 0 <=> CompareIntDouble(ib, a.as_double());
  return CompareDoubles(a.as_double(), b.as_double());
}

}  // namespace kopf::protocol
