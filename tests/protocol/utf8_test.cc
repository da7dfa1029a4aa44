// protocol/utf8.h: where text stops being well-formed, and stepping by code
// point, on the sequences the string functions and the storage check meet.
#include "protocol/utf8.h"

#include <string>
#include <string_view>

#include <doctest/doctest.h>

namespace kopf::protocol {
namespace {

constexpr auto npos = std::string_view::npos;

TEST_SUITE("protocol/utf8") {
  TEST_CASE("FindInvalidUtf8 gives the offset of the first byte that starts no sequence") {
    CHECK(FindInvalidUtf8("") == npos);
    CHECK(FindInvalidUtf8("äpfel 日本語 😀") == npos);
    CHECK(FindInvalidUtf8(std::string("\0a", 2)) == npos);  // NUL is UTF-8; storage refuses it
    CHECK(FindInvalidUtf8("\xc3") == 0);                    // 'ä' cut after its first byte
    CHECK(FindInvalidUtf8("abc\xc3") == 3);
    CHECK(FindInvalidUtf8("abcdefghij\xa4") == 10);   // past the eight-byte ASCII skip
    CHECK(FindInvalidUtf8("ä\xa4") == 2);             // a stray continuation byte
    CHECK(FindInvalidUtf8("x\xc0\x80") == 1);         // overlong NUL
    CHECK(FindInvalidUtf8("\xed\xa0\x80") == 0);      // a surrogate
    CHECK(FindInvalidUtf8("\xf4\x90\x80\x80") == 0);  // above U+10FFFF
    CHECK(FindInvalidUtf8("\xe2\x82z") == 0);         // truncated three-byte sequence
  }

  TEST_CASE("code points are counted and stepped over whole") {
    CHECK(CountCodePoints("") == 0);
    CHECK(CountCodePoints("äpfel") == 5);
    CHECK(CountCodePoints("日本語😀") == 4);
    const std::string_view text = "aä日😀";
    CHECK(NextCodePoint(text, 0) == 1);
    CHECK(NextCodePoint(text, 1) == 3);
    CHECK(NextCodePoint(text, 3) == 6);
    CHECK(NextCodePoint(text, 6) == 10);
    CHECK(IsAscii("plain ASCII text, longer than eight bytes"));
    CHECK_FALSE(IsAscii("plain ASCII text, then ä"));
    CHECK_FALSE(IsAscii("ä"));
    CHECK(IsAscii(""));
  }
}

}  // namespace
}  // namespace kopf::protocol
