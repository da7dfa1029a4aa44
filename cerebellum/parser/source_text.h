// SourceText: the SQL text being parsed, as the parser's builders see it.
//
// ANTLR's C++ runtime counts positions in code points (it lexes UTF-32),
// while kopf reports 0-based byte offsets into the UTF-8 text. A SourceText
// validates the UTF-8, produces the code points ANTLR lexes, and maps code
// point indexes back to byte offsets, token texts, and "line L, column C".
// Pure ASCII text (the common case) needs no table: index == offset.
//
// Private to cerebellum/parser/. Thread-safety: immutable after Decode; the
// viewed SQL text must outlive the SourceText.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/status.h"

namespace kopf::cerebellum::parser {

class SourceText {
 public:
  // Validates `sql` as UTF-8 (NUL bytes and overlong, surrogate or
  // out-of-range sequences are rejected) and decodes it into `code_points`.
  // Fails with kSyntaxError pointing at the first bad byte.
  static protocol::Result<SourceText> Decode(std::string_view sql, std::u32string* code_points);

  std::string_view sql() const { return sql_; }

  // Byte offset of the code point with index `index`; index == number of
  // code points maps to sql().size().
  int32_t ByteOffset(size_t index) const {
    return byte_offsets_.empty() ? static_cast<int32_t>(index) : byte_offsets_[index];
  }

  // The bytes of code points [start, stop] (inclusive, as ANTLR tokens give
  // them); empty when stop < start.
  std::string_view Slice(size_t start, size_t stop) const;

  // "line 1, column 8": 1-based, columns counted in characters.
  std::string LineColumn(int32_t byte_offset) const;

  // `text` shortened for an error message (at most ~40 bytes, cut on a
  // character boundary, "..." appended) with control characters shown as
  // \xNN.
  static std::string Excerpt(std::string_view text);

 private:
  std::string_view sql_;
  std::vector<int32_t> byte_offsets_;  // empty for pure ASCII
};

}  // namespace kopf::cerebellum::parser
