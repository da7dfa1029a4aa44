// UTF-8 text: well-formedness and stepping by code point.
//
// kopf's TEXT is UTF-8 (RFC 3629). The frame decoder requires every string
// on the wire to be well-formed, the storage layer refuses to store a TEXT
// value that is not, and the SQL string functions use these helpers to count
// and cut text by code point rather than by byte. Well-formed means Unicode
// table 3-7: no overlong forms, no surrogates (U+D800..U+DFFF), nothing
// above U+10FFFF, no stray continuation byte and no truncated sequence.
// NUL (U+0000) is well-formed UTF-8; callers that refuse it check for it.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace kopf::protocol {

// Length in bytes (1..4) of the well-formed sequence that starts at
// `bytes[pos]`, or 0 when none starts there. REQUIRES: pos < bytes.size().
size_t Utf8SequenceLength(std::string_view bytes, size_t pos);

// Offset of the first byte of `bytes` where no well-formed sequence starts,
// or std::string_view::npos when all of `bytes` is well-formed UTF-8.
size_t FindInvalidUtf8(std::string_view bytes);

// True when `bytes` is well-formed UTF-8.
inline bool IsValidUtf8(std::string_view bytes) {
  return FindInvalidUtf8(bytes) == std::string_view::npos;
}

// True when every byte is below 0x80, so bytes and code points coincide.
bool IsAscii(std::string_view bytes);

// True when `byte` continues a multi-byte sequence (10xxxxxx) and so never
// starts a code point.
constexpr bool IsUtf8Continuation(char byte) {
  return (static_cast<unsigned char>(byte) & 0xC0) == 0x80;
}

// Offset of the code point after the one starting at `pos` in well-formed
// `text`: pos + 1, then past any continuation bytes. Never stops inside a
// sequence, so a cut there keeps valid text valid. REQUIRES: pos < size.
constexpr size_t NextCodePoint(std::string_view text, size_t pos) {
  ++pos;
  while (pos < text.size() && IsUtf8Continuation(text[pos])) ++pos;
  return pos;
}

// Number of code points in well-formed `text` (its length in characters).
size_t CountCodePoints(std::string_view text);

}  // namespace kopf::protocol
