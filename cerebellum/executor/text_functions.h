// The SQL string functions over TEXT, by character: a character is one
// Unicode code point of the UTF-8 text, as in SQLite and PostgreSQL, so
// length('äpfel') is 5, substr('äpfel', 1, 1) is 'ä' and '_' in LIKE matches
// 'ä'. Every function here cuts text only between code points, so valid
// UTF-8 in gives valid UTF-8 out. Text that is all ASCII takes a byte loop.
// Case is folded for ASCII letters only (A-Z, a-z), as SQLite does without
// ICU: upper('äpfel') is 'äPFEL'; other bytes pass through unchanged.
//
// The evaluator calls these with non-NULL TEXT arguments; NULL handling and
// type checks are the binder's and the evaluator's.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kopf::cerebellum {

// SQLite's substr(text, start, count) counted in characters: start is
// 1-based, 0 is the position before the first character, a negative start
// counts from the end; a negative count takes the characters before start.
// `has_count` false means substr(text, start): up to the end.
std::string_view Substr(std::string_view text, int64_t start, int64_t count, bool has_count);

// trim/ltrim/rtrim: `text` without the leading (`leading`) and trailing
// (`trailing`) characters that occur in `chars`.
std::string_view TrimChars(std::string_view text, std::string_view chars, bool leading,
                           bool trailing);

// lower() or upper() of `text`: ASCII letters only.
std::string AsciiCase(std::string_view text, bool upper);

// SQL LIKE with % (any run of characters) and _ (one character),
// case-insensitive for ASCII letters.
bool LikeMatch(std::string_view text, std::string_view pattern);

}  // namespace kopf::cerebellum
