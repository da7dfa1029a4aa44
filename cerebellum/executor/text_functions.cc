#include "cerebellum/executor/text_functions.h"

#include <algorithm>
#include <vector>

#include "protocol/ascii.h"
#include "protocol/utf8.h"

namespace kopf::cerebellum {

using protocol::AsciiLower;
using protocol::AsciiUpper;
using protocol::NextCodePoint;

namespace {

// Byte offset of the character `count` characters after byte offset `pos`.
size_t SkipCodePoints(std::string_view text, size_t pos, int64_t count) {
  for (; count > 0 && pos < text.size(); --count) pos = NextCodePoint(text, pos);
  return pos;
}

// Byte offset where the last character of text[0, end) starts.
size_t LastCodePoint(std::string_view text, size_t end) {
  size_t pos = end - 1;
  while (pos > 0 && protocol::IsUtf8Continuation(text[pos])) --pos;
  return pos;
}

}  // namespace

std::string_view Substr(std::string_view text, int64_t start, int64_t count, bool has_count) {
  // Counting the characters also tells whether the text is ASCII: then
  // characters are bytes and the cut needs no walk.
  const auto length = static_cast<int64_t>(protocol::CountCodePoints(text));
  const bool ascii = static_cast<size_t>(length) == text.size();
  int64_t p1 = start;
  int64_t p2 = has_count ? count : length;
  if (p1 < 0) {
    p1 += length;
    if (p1 < 0) {
      // Start before the first character: the count shrinks by as much
      // (saturating, as a count of INT64_MIN must not wrap).
      if (__builtin_add_overflow(p2, p1, &p2)) p2 = INT64_MIN;
      p1 = 0;
    }
  } else if (p1 > 0) {
    p1 -= 1;
  } else if (has_count && p2 > 0) {
    p2 -= 1;  // position 0 is before the first character, and counts
  }
  if (p2 < 0) {
    int64_t from = std::max<int64_t>(p1 + p2, 0);
    p2 = p1 - from;
    p1 = from;
  }
  if (p1 >= length || p2 <= 0) return {};
  p2 = std::min(p2, length - p1);
  if (ascii) return text.substr(static_cast<size_t>(p1), static_cast<size_t>(p2));
  const size_t from = SkipCodePoints(text, 0, p1);
  const size_t to = SkipCodePoints(text, from, p2);
  return text.substr(from, to - from);
}

std::string_view TrimChars(std::string_view text, std::string_view chars, bool leading,
                           bool trailing) {
  size_t b = 0, e = text.size();
  if (protocol::IsAscii(chars)) {
    // An ASCII byte is always a whole character in UTF-8, and a byte of a
    // multi-byte character never equals one, so bytes will do.
    if (leading) {
      while (b < e && chars.find(text[b]) != std::string_view::npos) ++b;
    }
    if (trailing) {
      while (e > b && chars.find(text[e - 1]) != std::string_view::npos) --e;
    }
    return text.substr(b, e - b);
  }
  std::vector<std::string_view> set;
  for (size_t i = 0; i < chars.size();) {
    const size_t next = NextCodePoint(chars, i);
    set.push_back(chars.substr(i, next - i));
    i = next;
  }
  auto in_set = [&](std::string_view c) { return std::ranges::find(set, c) != set.end(); };
  if (leading) {
    while (b < e) {
      const size_t next = NextCodePoint(text, b);
      if (!in_set(text.substr(b, next - b))) break;
      b = next;
    }
  }
  if (trailing) {
    while (e > b) {
      const size_t last = std::max(LastCodePoint(text, e), b);
      if (!in_set(text.substr(last, e - last))) break;
      e = last;
    }
  }
  return text.substr(b, e - b);
}

std::string AsciiCase(std::string_view text, bool upper) {
  std::string out(text);
  for (char& c : out) c = upper ? AsciiUpper(c) : AsciiLower(c);
  return out;
}

namespace {

// LIKE over `text` stepping by code point, or by byte when `kAscii` says
// every byte is a character (the commonest case, and a shorter loop).
template <bool kAscii>
bool Like(std::string_view text, std::string_view pattern) {
  auto next = [&](size_t pos) { return kAscii ? pos + 1 : NextCodePoint(text, pos); };
  // Iterative matcher with backtracking to the last '%'. Literal pattern
  // bytes compare byte by byte (a multi-byte character matches itself);
  // '_' and each retry after a '%' step over a whole character.
  size_t t = 0, p = 0, star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '%') {
      star_p = p++;
      star_t = t;
    } else if (p < pattern.size() && pattern[p] == '_') {
      ++p;
      t = next(t);
    } else if (p < pattern.size() && AsciiLower(pattern[p]) == AsciiLower(text[t])) {
      ++p;
      ++t;
    } else if (star_p != std::string_view::npos) {
      p = star_p + 1;
      t = star_t = next(star_t);
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

}  // namespace

bool LikeMatch(std::string_view text, std::string_view pattern) {
  return protocol::IsAscii(text) ? Like<true>(text, pattern) : Like<false>(text, pattern);
}

}  // namespace kopf::cerebellum
