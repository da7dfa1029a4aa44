#include "tools/kopf/display_width.h"

#include <algorithm>
#include <array>

namespace kopf::shell {

namespace {

struct Range {
  char32_t first;
  char32_t last;
};

// Code points that occupy no column: combining marks, joiners, variation
// selectors. Sorted, non-overlapping.
constexpr std::array<Range, 14> kZeroWidth = {{
    {0x0300, 0x036F},    // combining diacritical marks
    {0x0483, 0x0489},    // Cyrillic combining marks
    {0x0591, 0x05BD},    // Hebrew points
    {0x0610, 0x061A},    // Arabic marks
    {0x064B, 0x065F},    // Arabic vowel signs
    {0x1AB0, 0x1AFF},    // combining diacritical marks extended
    {0x1DC0, 0x1DFF},    // combining diacritical marks supplement
    {0x200B, 0x200F},    // zero width space, joiners, direction marks
    {0x202A, 0x202E},    // bidi embedding controls
    {0x2060, 0x2064},    // word joiner and invisible operators
    {0x20D0, 0x20FF},    // combining marks for symbols
    {0xFE00, 0xFE0F},    // variation selectors
    {0xFE20, 0xFE2F},    // combining half marks
    {0xE0100, 0xE01EF},  // variation selectors supplement
}};

// Code points that occupy two columns: East Asian wide and fullwidth blocks
// and the emoji blocks terminals draw double-width. Sorted, non-overlapping.
constexpr std::array<Range, 16> kDoubleWidth = {{
    {0x1100, 0x115F},    // Hangul Jamo initial consonants
    {0x231A, 0x231B},    // watch, hourglass
    {0x2E80, 0x303E},    // CJK radicals .. CJK symbols and punctuation
    {0x3041, 0x33FF},    // Hiragana .. CJK compatibility
    {0x3400, 0x4DBF},    // CJK unified ideographs extension A
    {0x4E00, 0x9FFF},    // CJK unified ideographs
    {0xA000, 0xA4CF},    // Yi
    {0xA960, 0xA97F},    // Hangul Jamo extended A
    {0xAC00, 0xD7A3},    // Hangul syllables
    {0xF900, 0xFAFF},    // CJK compatibility ideographs
    {0xFE30, 0xFE4F},    // CJK compatibility forms
    {0xFF00, 0xFF60},    // fullwidth forms
    {0xFFE0, 0xFFE6},    // fullwidth signs
    {0x1F300, 0x1F64F},  // pictographs, emoticons
    {0x1F900, 0x1F9FF},  // supplemental symbols and pictographs
    {0x20000, 0x3FFFD},  // CJK extensions B.. and planes 2-3
}};

template <size_t N>
bool InRanges(const std::array<Range, N>& ranges, char32_t cp) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), cp,
                             [](char32_t value, const Range& r) { return value < r.first; });
  return it != ranges.begin() && cp <= std::prev(it)->last;
}

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

size_t DecodeUtf8(std::string_view text, size_t pos, char32_t* code_point) {
  auto lead = static_cast<unsigned char>(text[pos]);
  *code_point = lead;
  size_t length = 0;
  char32_t cp = 0;
  char32_t min_value = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, min_value = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, min_value = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, min_value = 0x10000;
  } else {
    return 1;  // ASCII, a stray continuation byte or an invalid lead byte
  }
  if (pos + length > text.size()) return 1;
  for (size_t i = 1; i < length; ++i) {
    auto byte = static_cast<unsigned char>(text[pos + i]);
    if (!IsContinuation(byte)) return 1;
    cp = (cp << 6) | (byte & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if (cp < min_value || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 1;
  *code_point = cp;
  return length;
}

int CodePointWidth(char32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return 0;
  if (cp < 0x300) return 1;  // fast path: Latin
  if (InRanges(kZeroWidth, cp)) return 0;
  if (InRanges(kDoubleWidth, cp)) return 2;
  return 1;
}

int DisplayWidth(std::string_view text) {
  int width = 0;
  for (size_t pos = 0; pos < text.size();) {
    char32_t cp = 0;
    size_t length = DecodeUtf8(text, pos, &cp);
    // An undecodable byte still takes a cell: terminals draw a replacement.
    width += (length == 1 && cp >= 0x80) ? 1 : CodePointWidth(cp);
    pos += length;
  }
  return width;
}

}  // namespace kopf::shell
