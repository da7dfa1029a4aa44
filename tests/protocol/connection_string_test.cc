// Connection strings: every part, the defaults, percent-decoding, IPv6, and
// a precise error with its position for each malformed form.
#include "protocol/connection_string.h"

#include <doctest/doctest.h>

namespace kopf::protocol {
namespace {

ConnectionString MustParse(std::string_view text) {
  auto cs = ParseConnectionString(text);
  REQUIRE_MESSAGE(cs.ok(), cs.status().ToString());
  return *cs;
}

TEST_SUITE("protocol/connection_string") {
  TEST_CASE("every part, and the defaults for parts left out") {
    ConnectionString all = MustParse("kopf://ann:secret@db.example:6000");
    CHECK(all.user == "ann");
    CHECK(all.password == "secret");
    CHECK(all.host == "db.example");
    CHECK(all.port == 6000);

    ConnectionString none = MustParse("kopf://");
    CHECK(none == ConnectionString{});
    CHECK(none.host == "127.0.0.1");
    CHECK(none.port == 5433);

    CHECK(MustParse("kopf://ann@h/").user == "ann");
    CHECK(MustParse("kopf://ann@h/").password == "");
    CHECK(MustParse("kopf://:7000").host == "127.0.0.1");
    CHECK(MustParse("kopf://:7000").port == 7000);
  }

  TEST_CASE("user, password and host are percent-decoded") {
    ConnectionString cs = MustParse("kopf://a%40b:p%3Aw%2F%25d%C3%A9@h");
    CHECK(cs.user == "a@b");
    CHECK(cs.password == "p:w/%d\xC3\xA9");
    // An '@' in the password works unescaped too: the last '@' ends it.
    CHECK(MustParse("kopf://u:p@ss@h").password == "p@ss");
    // ToString encodes again and hides the password unless asked.
    CHECK(cs.ToString() == "kopf://a%40b:***@h:5433");
    CHECK(MustParse(cs.ToString(true)) == cs);
  }

  TEST_CASE("IPv6 addresses go in brackets") {
    ConnectionString cs = MustParse("kopf://[::1]:5434");
    CHECK(cs.host == "::1");
    CHECK(cs.port == 5434);
    CHECK(cs.Address() == "[::1]:5434");
    CHECK(cs.ToString() == "kopf://[::1]:5434");
    CHECK(MustParse("kopf://u@[fe80::1]").host == "fe80::1");
  }

  TEST_CASE("malformed strings fail with a precise message and position") {
    struct Case {
      const char* text;
      const char* message_part;
      int32_t position;
    };
    const Case cases[] = {
        {"127.0.0.1:5433", "start with \"kopf://\"", 0},
        {"postgres://h", "start with \"kopf://\"", 0},
        {"kopf://h:0", "the port \"0\" is not a number from 1 to 65535", 9},
        {"kopf://h:65536", "the port \"65536\"", 9},
        {"kopf://h:54x", "the port \"54x\"", 9},
        {"kopf://h:", "the port \"\"", 9},
        {"kopf://h/db", "kopf has no databases", 9},
        {"kopf://h?sslmode=on", "a query or fragment is not allowed", 8},
        {"kopf://[::1", "'[' of an IPv6 address is not closed", 7},
        {"kopf://[::1]x", "expected ':' and a port after ']'", 12},
        {"kopf://::1:5433", "must be written in brackets", 7},
        {"kopf://u%4:p@h", "the user has a '%' not followed by two hex digits", 8},
        {"kopf://u:p%zz@h", "the password has a '%'", 10},
        {"kopf://u:%FF@h", "the password is not valid UTF-8", 9},
    };
    for (const Case& c : cases) {
      CAPTURE(c.text);
      auto cs = ParseConnectionString(c.text);
      REQUIRE_FALSE(cs.ok());
      CHECK(cs.status().code() == ErrorCode::kInvalidValue);
      CHECK(cs.status().message().find(c.message_part) != std::string::npos);
      CHECK(cs.status().message().rfind("bad connection string: ", 0) == 0);
      CHECK(cs.status().position() == c.position);
    }
  }
}

}  // namespace
}  // namespace kopf::protocol
