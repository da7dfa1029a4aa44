// The users file (protocol/users_file.h): round trips through a real file,
// the atomic replace, and a case-by-case list of damaged files.
#include "protocol/users_file.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "tests/support/test_support.h"

namespace kopf::protocol {
namespace {

UserTable SampleUsers() {
  UserTable users;
  auto a = scram::DeriveCredentials("secret-a", "salt-of-alice-16", scram::kDefaultIterations);
  auto b = scram::DeriveCredentials("secret-b", "another-salt", 5000);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  users["alice"] = UserRecord{Role::kAdmin, *a};
  users["bob.reader@example-1"] = UserRecord{Role::kReadOnly, *b};
  users["carol_w"] = UserRecord{Role::kReadWrite, *a};
  return users;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_SUITE("protocol/users_file") {
  TEST_CASE("a users file written and read back holds the same users") {
    testing::TempDir dir;
    auto path = dir.path() / "users.csv";
    UserTable users = SampleUsers();
    REQUIRE(WriteUsersFile(path, users).ok());
    auto read = ReadUsersFile(path);
    REQUIRE_MESSAGE(read.ok(), read.status().ToString());
    CHECK(*read == users);

    std::string text = ReadAll(path);
    CHECK(text.starts_with(std::string(kUsersFileHeader) + "\nalice,admin,"));
    CHECK(text.find("\nbob.reader@example-1,read-only,") != std::string::npos);
    CHECK(text.find(",5000,") != std::string::npos);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);  // password hashes: owner only
  }

  TEST_CASE("replacing the file leaves no temporary file behind") {
    testing::TempDir dir;
    auto path = dir.path() / "users.csv";
    REQUIRE(WriteUsersFile(path, SampleUsers()).ok());
    UserTable fewer = SampleUsers();
    fewer.erase("alice");
    REQUIRE(WriteUsersFile(path, fewer).ok());
    CHECK(*ReadUsersFile(path) == fewer);
    size_t files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      ++files;
    }
    CHECK(files == 1);
  }

  TEST_CASE("writing into a missing directory fails with IoError and the path") {
    testing::TempDir dir;
    Status status = WriteUsersFile(dir.path() / "nope" / "users.csv", SampleUsers());
    CHECK(status.code() == ErrorCode::kIoError);
    CHECK(status.message().find("nope") != std::string::npos);
    auto read = ReadUsersFile(dir.path() / "absent.csv");
    CHECK(read.status().code() == ErrorCode::kIoError);
    CHECK(read.status().message().find("absent.csv") != std::string::npos);
  }

  TEST_CASE("damaged users files are refused with file, line and field") {
    std::string good = FormatUsersFile(SampleUsers());
    std::string line = good.substr(good.find('\n') + 1);
    line = line.substr(0, line.find('\n'));  // alice's line
    std::string header = std::string(kUsersFileHeader) + "\n";
    auto replace_field = [&](int index, std::string_view value) {
      std::string out;
      int field = 0;
      size_t start = 0;
      for (;;) {
        size_t comma = line.find(',', start);
        std::string part =
            line.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        out += field == index ? std::string(value) : part;
        if (comma == std::string::npos) break;
        out += ',';
        start = comma + 1;
        ++field;
      }
      return header + out + "\n";
    };
    struct Case {
      std::string text;
      std::string_view expect;
    };
    const Case cases[] = {
        {"", "header line is missing"},
        {"user,role\n", "the header must be"},
        {header + "alice,admin\n", "expected 6 fields, found 2"},
        {header + line + ",extra\n", "expected 6 fields, found 7"},
        {replace_field(0, "bad name"), "may only hold"},
        {replace_field(0, ""), "user name is empty"},
        {replace_field(1, "root"), "unknown role \"root\""},
        {replace_field(2, "***"), "salt"},
        {replace_field(3, "12x"), "iterations"},
        {replace_field(3, "10"), "iterations"},
        {replace_field(4, "AAAA"), "stored_key"},
        {replace_field(5, ""), "server_key"},
        {header + line + "\n" + line + "\n", "listed twice"},
    };
    for (const Case& c : cases) {
      INFO(c.text);
      auto result = ParseUsersFile(c.text, "users.csv");
      CHECK(result.status().code() == ErrorCode::kCorruption);
      CHECK(result.status().message().find(c.expect) != std::string::npos);
      CHECK(result.status().message().starts_with("users.csv:"));
    }
    CHECK(ParseUsersFile(header + line + "\n", "x").ok());
    CHECK(ParseUsersFile(header + line + "\r\n\n", "x").ok());  // CRLF and a blank line
    CHECK(ParseUsersFile(header, "x")->empty());
  }
}

}  // namespace
}  // namespace kopf::protocol
