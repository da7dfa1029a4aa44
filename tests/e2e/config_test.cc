// kopfd's config file and flags, through the real binary: errors name the
// file and line, flags override the file, and kopfd.conf.example shows every
// setting --help lists, with the same default.
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include "tests/support/test_support.h"

namespace kopf {
namespace {

namespace fs = std::filesystem;
using testing::BinaryPath;
using testing::RunProcess;
using testing::ServerProcess;
using testing::TempDir;

fs::path WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// kopfd's standard error when started with `args`; REQUIREs exit code 2.
std::string UsageError(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {BinaryPath("kopfd")};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = RunProcess(argv);
  REQUIRE_MESSAGE(result.exit_code == 2, result.err);
  return result.err;
}

TEST_SUITE("e2e/config") {
  TEST_CASE("config file errors name the file and line, and kopfd does not start") {
    TempDir dir;
    struct Case {
      std::string text;
      std::string error;
    };
    const Case cases[] = {
        {"# a comment\n\nport = 1\nporrt = 2\n", ":4: unknown key \"porrt\""},
        {"port = 1\nworkers = 2  # inline comment\nport = 3\n",
         ":3: duplicate key \"port\" (first set on line 1)"},
        {"port = 70000\n", ":1: port: 70000 is out of range (0..65535)"},
        {"sync = sometimes\n", ":1: sync: \"sometimes\" is not one of always, interval, none"},
        {"workers\n", ":1: expected \"key = value\""},
        {"host =\n", ":1: host: empty value"},
    };
    for (const Case& c : cases) {
      fs::path file = WriteFile(dir.path() / "bad.conf", c.text);
      std::string err = UsageError({"--config", file.string()});
      CHECK_MESSAGE(err.find(file.string() + c.error) != std::string::npos, err);
    }
    CHECK(UsageError({"--config", (dir.path() / "missing.conf").string()}).find("cannot read") !=
          std::string::npos);
    CHECK(UsageError({"--sync-interval-ms", "0"}).find("--sync-interval-ms: 0 is out of range") !=
          std::string::npos);
    CHECK(UsageError({"--max_frame_bytes", "100"}).find("unknown option") != std::string::npos);
  }

  TEST_CASE("flags override the config file wherever --config stands") {
    TempDir dir;
    fs::path file = WriteFile(dir.path() / "kopfd.conf",
                              "storage = memory\nsync = interval\nworkers = 3\nport = 1\n");
    // ServerProcess passes --port 0 before --config: the flag still wins.
    auto server = ServerProcess::Start(dir.path() / "data", {"--config", file.string()});
    CHECK(server->Stop() == 0);
    std::string log = ReadFile(server->log_path());
    CHECK_MESSAGE(log.find("memory only") != std::string::npos, log);
    CHECK_MESSAGE(log.find("3 workers") != std::string::npos, log);
    CHECK(!fs::exists(dir.path() / "data"));

    WriteFile(file, "sync = interval\nsync_interval_ms = 250\n");
    server = ServerProcess::Start(dir.path() / "data2", {"--config", file.string(), "--no-sync"});
    CHECK(server->Stop() == 0);
    log = ReadFile(server->log_path());
    CHECK_MESSAGE(log.find("no fsync") != std::string::npos, log);

    server = ServerProcess::Start(dir.path() / "data3", {"--config", file.string()});
    CHECK(server->Stop() == 0);
    log = ReadFile(server->log_path());
    CHECK_MESSAGE(log.find("sync every 250 ms") != std::string::npos, log);
  }

  TEST_CASE("kopfd.conf.example shows every setting of --help with its default, and loads") {
    auto help = RunProcess({BinaryPath("kopfd"), "--help"});
    REQUIRE(help.exit_code == 0);
    std::string example = ReadFile(fs::path(KOPF_SOURCE_DIR) / "kopfd.conf.example");
    REQUIRE(!example.empty());
    std::regex setting(R"(^  --([a-z0-9-]+) [A-Z]+ +default ([^;]+);.*$)");
    int settings = 0;
    std::istringstream lines(help.out);
    for (std::string line; std::getline(lines, line);) {
      std::smatch m;
      if (!std::regex_match(line, m, setting)) continue;
      std::string key = m[1];
      for (char& ch : key) {
        if (ch == '-') ch = '_';
      }
      ++settings;
      std::string shown = "\n# " + key + " = " + m[2].str() + "\n";
      CHECK_MESSAGE(example.find(shown) != std::string::npos, "missing: " << shown);
    }
    CHECK(settings >= 10);

    TempDir dir;
    auto server = ServerProcess::Start(
        dir.path() / "data", {"--config", (fs::path(KOPF_SOURCE_DIR) / "kopfd.conf.example").string()});
    CHECK(server->Stop() == 0);
  }
}

}  // namespace
}  // namespace kopf
