// Which command lines `kopf backup` takes over, and its usage errors. The
// backups themselves are exercised against the real server in
// tests/e2e/backup_test.cc.
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tools/kopf/backup_command.h"

namespace kopf::shell {
namespace {

struct Run {
  std::optional<int> status;
  std::string out;
  std::string err;
};

Run RunWith(std::vector<std::string> args) {
  args.insert(args.begin(), "kopf");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  Run run;
  run.status = RunBackupCommandIfAsked(static_cast<int>(argv.size()), argv.data(), out, err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

TEST_SUITE("tools/backup_command") {
  TEST_CASE("only a first plain word 'backup' selects the backup command") {
    CHECK(!RunWith({}).status);
    CHECK(!RunWith({"-c", "backup"}).status);  // SQL text, not the command
    CHECK(!RunWith({"-f", "backup"}).status);
    CHECK(!RunWith({"-h", "backup", "-c", "SELECT 1"}).status);  // a host named backup
    CHECK(!RunWith({"--csv", "other", "backup"}).status);
    CHECK(RunWith({"-p", "5433", "backup", "--help"}).status == 0);
    CHECK(RunWith({"backup", "--help"}).out.find("--verify DIR") != std::string::npos);
  }

  TEST_CASE("usage errors exit 1 with a message") {
    Run none = RunWith({"backup"});
    CHECK(none.status == 1);
    CHECK(none.err.find("needs one of --to DIR or --verify DIR") != std::string::npos);
    CHECK(RunWith({"backup", "--to", "a", "--verify", "b"}).status == 1);
    CHECK(RunWith({"backup", "--to"}).err.find("option --to needs a value") != std::string::npos);
    CHECK(RunWith({"-p", "99999", "backup", "--to", "x"}).err.find("invalid port") !=
          std::string::npos);
    CHECK(RunWith({"backup", "--to", "x", "extra"}).err.find("unexpected argument \"extra\"") !=
          std::string::npos);
  }

  TEST_CASE("verifying a folder that is not a backup fails with the reason") {
    Run run = RunWith({"backup", "--verify=/nonexistent/kopf-backup"});
    CHECK(run.status == 1);
    CHECK(run.err.find("is not a readable backup") != std::string::npos);
    CHECK(run.err.find("backup.csv") != std::string::npos);
  }
}

}  // namespace
}  // namespace kopf::shell
