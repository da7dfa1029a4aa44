#include "protocol/utf8.h"

#include <cstdint>
#include <cstring>

namespace kopf::protocol {

namespace {

constexpr uint64_t kHighBits = 0x8080808080808080ull;

// Eight bytes at `p` as one word, to test them for ASCII at once.
uint64_t Word(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof(word));
  return word;
}

}  // namespace

size_t Utf8SequenceLength(std::string_view bytes, size_t pos) {
  auto at = [&](size_t i) -> unsigned { return static_cast<unsigned char>(bytes[pos + i]); };
  const size_t left = bytes.size() - pos;
  auto in = [&](size_t i, unsigned lo, unsigned hi) {
    return i < left && at(i) >= lo && at(i) <= hi;
  };
  const unsigned b0 = at(0);
  if (b0 <= 0x7F) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    // E0 needs A0.. (no overlong form), ED at most 9F (no surrogate).
    const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = b0 == 0xED ? 0x9F : 0xBF;
    return in(1, lo, hi) && in(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    // F0 needs 90.. (no overlong form), F4 at most 8F (nothing past U+10FFFF).
    const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return in(1, lo, hi) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;  // a stray continuation byte, C0, C1 or F5..FF
}

size_t FindInvalidUtf8(std::string_view bytes) {
  // Most text is ASCII: test it eight bytes at a time, the last (partial)
  // eight as an overlapping word, and walk sequences only from the first
  // word with a high bit.
  const size_t n = bytes.size();
  size_t pos = 0;
  while (n - pos >= 8 && (Word(bytes.data() + pos) & kHighBits) == 0) pos += 8;
  if (pos == n) return std::string_view::npos;
  if (n - pos < 8) {
    const bool ascii_tail =
        n >= 8 ? (Word(bytes.data() + n - 8) & kHighBits) == 0 : IsAscii(bytes);
    if (ascii_tail) return std::string_view::npos;
  }
  while (pos < n) {
    if (n - pos >= 8 && (Word(bytes.data() + pos) & kHighBits) == 0) {
      pos += 8;
      continue;
    }
    if (static_cast<unsigned char>(bytes[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const size_t length = Utf8SequenceLength(bytes, pos);
    if (length == 0) return pos;
    pos += length;
  }
  return std::string_view::npos;
}

bool IsAscii(std::string_view bytes) {
  const size_t n = bytes.size();
  if (n < 8) {
    unsigned high = 0;
    for (char c : bytes) high |= static_cast<unsigned char>(c);
    return high < 0x80;
  }
  uint64_t high = Word(bytes.data() + n - 8);  // the last eight, overlapping
  for (size_t pos = 0; pos + 8 <= n; pos += 8) high |= Word(bytes.data() + pos);
  return (high & kHighBits) == 0;
}

size_t CountCodePoints(std::string_view text) {
  // Every byte but a continuation byte (10xxxxxx) starts a code point; a
  // word's continuation bytes are those with bit 7 set and bit 6 clear.
  size_t continuations = 0;
  size_t pos = 0;
  for (; text.size() - pos >= 8; pos += 8) {
    const uint64_t w = Word(text.data() + pos);
    // One bit per byte at bit 7: the multiply adds the eight bytes' bits
    // into the top byte (no POPCNT instruction in the baseline x86-64).
    continuations += (((w & ~(w << 1) & kHighBits) >> 7) * 0x0101010101010101ull) >> 56;
  }
  for (; pos < text.size(); ++pos) continuations += IsUtf8Continuation(text[pos]);
  return text.size() - continuations;
}

}  // namespace kopf::protocol
