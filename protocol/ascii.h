// ASCII helpers for keywords and option words, whatever the locale.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace kopf::protocol {

// ASCII lower case of one byte; other bytes unchanged.
constexpr char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// ASCII upper case of one byte; other bytes unchanged.
constexpr char AsciiUpper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

// True when `a` and `b` are equal but for the case of ASCII letters.
constexpr bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

}  // namespace kopf::protocol
