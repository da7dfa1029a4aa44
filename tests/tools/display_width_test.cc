#include "tools/kopf/display_width.h"

#include <doctest/doctest.h>

namespace kopf::shell {
namespace {

TEST_SUITE("tools/display_width") {
  TEST_CASE("counts ASCII, multi-byte, wide and zero-width characters") {
    CHECK(DisplayWidth("") == 0);
    CHECK(DisplayWidth("abc") == 3);
    CHECK(DisplayWidth("äöü") == 3);
    CHECK(DisplayWidth("日本語") == 6);
    CHECK(DisplayWidth("한국") == 4);
    CHECK(DisplayWidth("e\xCC\x81") == 1);         // e + combining acute
    CHECK(DisplayWidth("\xF0\x9F\x98\x80") == 2);  // U+1F600 grinning face
    CHECK(DisplayWidth("ＡＢ") == 4);              // fullwidth letters
  }

  TEST_CASE("invalid UTF-8 counts one column per bad byte") {
    CHECK(DisplayWidth("\xFF") == 1);
    CHECK(DisplayWidth("a\xC3") == 2);         // truncated sequence
    CHECK(DisplayWidth("\xC0\xAF") == 2);      // overlong '/'
    CHECK(DisplayWidth("\xED\xA0\x80") == 3);  // a UTF-16 surrogate
  }

  TEST_CASE("DecodeUtf8 returns the code point and its length") {
    char32_t cp = 0;
    CHECK(DecodeUtf8("€", 0, &cp) == 3);
    CHECK(cp == 0x20AC);
    CHECK(DecodeUtf8("x", 0, &cp) == 1);
    CHECK(cp == U'x');
    CHECK(DecodeUtf8("\xF0\x9F\x98\x80", 0, &cp) == 4);
    CHECK(cp == 0x1F600);
  }
}

}  // namespace
}  // namespace kopf::shell
