// Display width of UTF-8 text on a terminal, for aligning table columns and
// placing the caret under an error position.
//
// The width of a code point follows the usual terminal convention: combining
// marks and zero-width characters take no column, East Asian wide and
// fullwidth characters (CJK, Hangul, most emoji) take two, everything else
// one. The table of ranges is deliberately coarse (the common blocks, not
// the full Unicode EastAsianWidth data); a misjudged rare character costs a
// ragged column, nothing worse. Bytes that are not valid UTF-8 count as one
// column each, so any byte string has a width.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace kopf::shell {

// Decodes the code point starting at byte `pos` of `text`. Returns the number
// of bytes it occupies (1 for an invalid or truncated sequence, in which case
// *code_point is the byte itself). REQUIRES: pos < text.size().
size_t DecodeUtf8(std::string_view text, size_t pos, char32_t* code_point);

// Columns a terminal uses for one code point: 0, 1 or 2. Control characters
// count as 0; callers that show them must escape them first.
int CodePointWidth(char32_t code_point);

// Columns a terminal uses for `text` (a single line; no escaping done).
int DisplayWidth(std::string_view text);

}  // namespace kopf::shell
