// kopfd --repair end to end: a real server writes rows into small segments,
// a line in the middle of a sealed segment is damaged on disk, and the next
// start refuses with the file and line, while a start with --repair serves
// what came before the damage (and every later segment), saves the cut-off
// bytes aside and says so in its log.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "protocol/client.h"
#include "tests/support/test_support.h"

namespace kopf {
namespace {

namespace fs = std::filesystem;
using testing::BinaryPath;
using testing::Connect;
using testing::ReadTextFile;
using testing::RunProcess;
using testing::ServerProcess;
using testing::TempDir;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The segment files of `table`, in the order they were written.
std::vector<fs::path> Segments(const fs::path& data, const std::string& table) {
  std::vector<fs::path> segments;
  for (const auto& entry : fs::directory_iterator(data / "tables" / table)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("segment-") && name.ends_with(".csv")) segments.push_back(entry.path());
  }
  std::sort(segments.begin(), segments.end());
  return segments;
}

// The id of a "SEQ,put,ID,..." line, or -1 for any other line.
int PutId(const std::string& line) {
  std::vector<std::string> fields;
  std::istringstream in(line);
  for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
  if (fields.size() < 3 || fields[1] != "put") return -1;
  return std::stoi(fields[2]);
}

TEST_SUITE("e2e/repair") {
  TEST_CASE("a damaged line in a sealed segment stops kopfd, and --repair cuts it out") {
    TempDir dir;
    fs::path data = dir.path() / "data";
    // Small segments: each holds a few one-row commits.
    const std::vector<std::string> small = {"--segment-max-bytes", "300"};
    {
      auto server = ServerProcess::Start(data, small);
      auto client = Connect(*server);
      REQUIRE(client->Query("CREATE TABLE t (id INT PRIMARY KEY, note TEXT)").ok());
      for (int id = 1; id <= 30; ++id) {
        auto inserted = client->Query(
            fmt::format("INSERT INTO t VALUES ({}, 'row {} with a little padding')", id, id));
        REQUIRE_MESSAGE(inserted.ok(), inserted.status().ToString());
      }
      REQUIRE(server->Stop() == 0);
    }

    // Damage the put line of the middle commit of the first segment: a
    // sealed file (later ones follow), with complete commits after the damage.
    std::vector<fs::path> segments = Segments(data, "t");
    REQUIRE(segments.size() >= 3);
    const fs::path damaged = segments[0];
    std::vector<std::string> lines = Lines(ReadTextFile(damaged));
    std::vector<size_t> puts;  // 0-based line indexes
    for (size_t i = 0; i < lines.size(); ++i) {
      if (PutId(lines[i]) >= 0) puts.push_back(i);
    }
    REQUIRE(puts.size() >= 3);
    const size_t bad = puts[puts.size() / 2];
    const int bad_id = PutId(lines[bad]);
    // What --repair keeps: the rows of the first segment before the damage
    // and every row of the later segments.
    std::set<int> expected;
    for (size_t i = 0; i < bad; ++i) {
      if (int id = PutId(lines[i]); id >= 0) expected.insert(id);
    }
    for (size_t s = 1; s < segments.size(); ++s) {
      for (const std::string& line : Lines(ReadTextFile(segments[s]))) {
        if (int id = PutId(line); id >= 0) expected.insert(id);
      }
    }
    REQUIRE(expected.count(bad_id) == 0);
    REQUIRE(expected.size() < 30);
    lines[bad].replace(lines[bad].find(",put,") + 5, 0, "x");  // "x7": not an INTEGER
    {
      std::ofstream out(damaged, std::ios::binary | std::ios::trunc);
      for (const std::string& line : lines) out << line << '\n';
    }
    const std::string line_number = std::to_string(bad + 1);

    // Without --repair: no start, a message naming the file and the line,
    // and the file untouched.
    auto refused = RunProcess({BinaryPath("kopfd"), "--port", "0", "--data", data.string(),
                               "--segment-max-bytes", "300"});
    CHECK(refused.exit_code != 0);
    CHECK_MESSAGE(refused.err.find(damaged.string() + " line " + line_number) != std::string::npos,
                  refused.err);
    CHECK(refused.err.find("--repair") != std::string::npos);
    CHECK(Lines(ReadTextFile(damaged)) == lines);

    // With --repair: it serves the rows before the damage and every later
    // segment's, and logs the cut and where the tail went.
    std::vector<std::string> repair = small;
    repair.push_back("--repair");
    auto server = ServerProcess::Start(data, repair);
    auto client = Connect(*server);
    auto rows = client->Query("SELECT id FROM t ORDER BY id");
    REQUIRE_MESSAGE(rows.ok(), rows.status().ToString());
    std::set<int> served;
    for (const auto& row : rows->rows) served.insert(static_cast<int>(row[0].as_integer()));
    CHECK(served == expected);

    std::vector<fs::path> aside;
    for (const auto& entry : fs::directory_iterator(damaged.parent_path())) {
      std::string name = entry.path().filename().string();
      if (name.starts_with(damaged.filename().string() + ".damaged-")) aside.push_back(entry.path());
    }
    REQUIRE(aside.size() == 1);
    // The file now ends at its last good commit; the saved tail starts with
    // the damaged line, so the two put together are the damaged file.
    std::string kept = ReadTextFile(damaged);
    std::string tail = ReadTextFile(aside[0]);
    CHECK(tail.starts_with(lines[bad] + "\n"));
    CHECK(Lines(kept + tail) == lines);
    std::string log = ReadTextFile(server->log_path());
    CHECK_MESSAGE(log.find("repair") != std::string::npos, log);
    CHECK_MESSAGE(log.find(damaged.string() + " line " + line_number) != std::string::npos, log);
    CHECK_MESSAGE(log.find(aside[0].string()) != std::string::npos, log);

    // The repaired table takes writes, and they last over a restart
    // without --repair.
    REQUIRE(client->Query("INSERT INTO t VALUES (100, 'after the repair')").ok());
    CHECK(server->Stop() == 0);
    server = ServerProcess::Start(data, small);
    client = Connect(*server);
    rows = client->Query("SELECT count(*) FROM t");
    REQUIRE(rows.ok());
    CHECK(rows->rows[0][0].as_integer() == static_cast<int64_t>(expected.size() + 1));
  }
}

}  // namespace
}  // namespace kopf
