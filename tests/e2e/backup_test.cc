// Backups against the real kopfd and kopf binaries: a backup taken while
// several clients insert is restored by a second kopfd started on the
// backup folder; `kopf backup --verify` passes on it and fails once a byte
// is flipped; paths outside --backup-dir are refused; SHOW BACKUPS.
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "protocol/client.h"
#include "tests/support/test_support.h"

namespace kopf {
namespace {

namespace fs = std::filesystem;
using protocol::Client;
using protocol::ErrorCode;
using testing::RunProcess;
using testing::ServerProcess;
using testing::TempDir;

constexpr int kWriters = 4;
constexpr int64_t kAcksBeforeBackup = 100;  // per writer
constexpr int64_t kAcksAfterBackup = 100;   // in all
constexpr int64_t kWriterStride = 1000000;  // writer w inserts ids w*stride + 1, + 2, ...

protocol::QueryResult Query(Client& c, const std::string& sql) {
  auto r = c.Query(sql);
  REQUIRE_MESSAGE(r.ok(), sql << ": " << r.status().ToString());
  return std::move(r).value();
}

std::string ReadAll(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  return lines;
}

// Rows (count and sum of ids) that commits numbered up to `commit` put into
// table `folder`, read from its files on disk. The table only ever gets
// single-row inserts of integers, so every line is plain digits and commas.
std::pair<int64_t, int64_t> RowsUpTo(const fs::path& folder, uint64_t commit) {
  int64_t count = 0;
  int64_t sum = 0;
  std::vector<std::string> manifest = SplitLines(ReadAll(folder / "manifest.csv"));
  REQUIRE(manifest.size() >= 2);
  for (size_t i = 1; i < manifest.size(); ++i) {
    const std::string file = manifest[i].substr(manifest[i].find(',') + 1);
    std::vector<std::string> lines = SplitLines(ReadAll(folder / file));
    for (size_t j = 1; j < lines.size(); ++j) {
      std::stringstream fields(lines[j]);
      std::string seq, op, id;
      std::getline(fields, seq, ',');
      std::getline(fields, op, ',');
      std::getline(fields, id, ',');
      if (op == "put" && std::stoull(seq) <= commit) {
        ++count;
        sum += std::stoll(id);
      }
    }
  }
  return {count, sum};
}

TEST_SUITE("e2e/backup") {
  TEST_CASE("a backup under concurrent inserts restores a gap-free prefix at its commit number") {
    TempDir dir;
    const fs::path data = dir.path() / "data";
    const fs::path backups = dir.path() / "backups";
    // Small segments: the backup sees sealed files and an active one, and
    // rollovers happen while it runs.
    auto server = ServerProcess::Start(
        data, {"--backup-dir", backups.string(), "--segment-max-bytes", "4096",
               "--compact-dead-fraction", "0", "--compact-max-segments", "0"});
    auto admin = Connect(*server);
    Query(*admin, "CREATE TABLE t (id INT PRIMARY KEY, writer INT NOT NULL, n INT NOT NULL)");

    std::mutex mu;
    std::condition_variable cv;
    std::vector<int64_t> acked(kWriters, 0);  // GUARDED_BY(mu)
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        auto client = Client::Connect("127.0.0.1", server->port());
        if (!client.ok()) return;
        for (int64_t n = 1; !stop; ++n) {
          auto r = (*client)->Query(fmt::format("INSERT INTO t VALUES ({}, {}, {})",
                                                w * kWriterStride + n, w, n));
          if (!r.ok()) return;
          std::lock_guard lock(mu);
          acked[w] = n;
          cv.notify_all();
        }
      });
    }
    auto total = [&] {
      int64_t sum = 0;
      for (int64_t a : acked) sum += a;
      return sum;
    };
    std::vector<int64_t> acked_before;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] {
        for (int64_t a : acked) {
          if (a < kAcksBeforeBackup) return false;
        }
        return true;
      });
      acked_before = acked;
    }
    auto backup = Query(*admin, "BACKUP TO 'under-load'");
    {
      std::unique_lock lock(mu);
      const int64_t at_backup = total();
      cv.wait(lock, [&] { return total() >= at_backup + kAcksAfterBackup; });
    }
    stop = true;
    for (auto& t : writers) t.join();

    REQUIRE(backup.rows.size() == 1);
    const fs::path folder = backup.rows[0][0].as_text();
    const uint64_t commit = static_cast<uint64_t>(backup.rows[0][1].as_integer());
    CHECK(backup.tag == "BACKUP");
    CHECK(folder == fs::canonical(backups) / "under-load");
    CHECK(backup.rows[0][2].as_integer() >= 5);  // schema, manifest, several segments
    CHECK(!fs::exists(backups / "under-load.tmp"));

    auto verify = RunProcess({testing::BinaryPath("kopf"), "backup", "--verify", folder.string()});
    CHECK_MESSAGE(verify.exit_code == 0, verify.err);
    CHECK(verify.out.find("is intact: commit " + std::to_string(commit)) != std::string::npos);

    // What the commit number says, from the live server's own files.
    REQUIRE(server->Stop() == 0);
    const auto [expected_count, expected_sum] = RowsUpTo(data / "tables" / "t", commit);
    // Every commit is one single-row INSERT, so commit N holds N rows.
    CHECK(expected_count == static_cast<int64_t>(commit));

    auto restored = ServerProcess::Start(folder);
    auto c = Connect(*restored);
    auto totals = Query(*c, "SELECT count(*), sum(id) FROM t");
    CHECK(totals.rows[0][0].as_integer() == expected_count);
    CHECK(totals.rows[0][1].as_integer() == expected_sum);
    auto per_writer =
        Query(*c, "SELECT writer, count(*), min(n), max(n) FROM t GROUP BY writer ORDER BY writer");
    REQUIRE(per_writer.rows.size() == kWriters);
    for (int w = 0; w < kWriters; ++w) {
      const auto& row = per_writer.rows[static_cast<size_t>(w)];
      CAPTURE(w);
      CHECK(row[0].as_integer() == w);
      CHECK(row[2].as_integer() == 1);                      // starts at 1,
      CHECK(row[1].as_integer() == row[3].as_integer());    // has no gap,
      CHECK(row[3].as_integer() >= acked_before[static_cast<size_t>(w)]);  // has every ack
    }
    // The restored server takes writes like any other.
    Query(*c, "INSERT INTO t VALUES (-1, -1, -1)");
  }

  TEST_CASE("kill -9 during BACKUP leaves no backup that looks complete, and the next one works") {
    TempDir dir;
    const fs::path data = dir.path() / "data";
    const fs::path backups = dir.path() / "backups";
    const std::vector<std::string> flags = {"--backup-dir", backups.string(), "--no-sync"};
    auto server = ServerProcess::Start(data, flags);
    auto c = Connect(*server);
    Query(*c, "CREATE TABLE big (id INT PRIMARY KEY, payload TEXT)");
    // About 10 MiB in the active segment: long enough to copy that the
    // kill lands while the backup is being written.
    for (int batch = 0; batch < 40; ++batch) {
      std::string sql = "INSERT INTO big VALUES ";
      for (int i = 0; i < 2500; ++i) {
        sql += fmt::format("{}({}, '{:080}')", i ? ", " : "", batch * 2500 + i, i);
      }
      Query(*c, sql);
    }
    REQUIRE(c->Send("BACKUP TO 'crash'").ok());
    // The work folder appears once the backup has started writing.
    while (!fs::exists(backups / "crash.tmp") && !fs::exists(backups / "crash")) {
      std::this_thread::yield();
    }
    server->Kill();
    const bool finished = fs::exists(backups / "crash");
    MESSAGE(std::string(finished ? "the backup had finished at the kill" : "the kill stopped the backup half way"));
    if (finished) {
      auto verify = RunProcess({testing::BinaryPath("kopf"), "backup", "--verify",
                                (backups / "crash").string()});
      CHECK_MESSAGE(verify.exit_code == 0, verify.err);
    } else {
      CHECK(!fs::exists(backups / "crash" / "backup.csv"));
    }

    server = ServerProcess::Start(data, flags);
    c = Connect(*server);
    CHECK(Query(*c, "SHOW BACKUPS").rows.size() == (finished ? 1u : 0u));
    auto again = Query(*c, finished ? "BACKUP TO 'crash2'" : "BACKUP TO 'crash'");
    const fs::path folder = again.rows[0][0].as_text();
    CHECK(!fs::exists(folder.string() + ".tmp"));
    auto verify = RunProcess({testing::BinaryPath("kopf"), "backup", "--verify", folder.string()});
    CHECK_MESSAGE(verify.exit_code == 0, verify.err);
  }

  TEST_CASE("a backup of a partitioned table verifies and restores every partition") {
    TempDir dir;
    const fs::path backups = dir.path() / "backups";
    auto server = ServerProcess::Start(dir.path() / "data", {"--backup-dir", backups.string()});
    auto c = Connect(*server);
    Query(*c, "CREATE TABLE p (id INT PRIMARY KEY, v TEXT) PARTITION BY HASH (id) PARTITIONS 4");
    std::string values;
    for (int i = 1; i <= 40; ++i) values += fmt::format("{}({}, 'v{}')", i > 1 ? ", " : "", i, i);
    Query(*c, "INSERT INTO p VALUES " + values);  // one commit, four parts
    Query(*c, "COMPACT TABLE p");                 // each partition from a snapshot
    Query(*c, "UPDATE p SET v = 'x' WHERE id <= 10");
    auto backup = Query(*c, "BACKUP TO 'parted'");
    const fs::path folder = backup.rows[0][0].as_text();
    for (const char* partition : {"p0", "p1", "p2", "p3"}) {
      CHECK(fs::exists(folder / "tables" / "p" / partition / "manifest.csv"));
    }
    auto verify = RunProcess({testing::BinaryPath("kopf"), "backup", "--verify", folder.string()});
    CHECK_MESSAGE(verify.exit_code == 0, verify.err);
    REQUIRE(server->Stop() == 0);

    auto restored = ServerProcess::Start(folder);
    auto r = Connect(*restored);
    auto totals = Query(*r, "SELECT count(*), sum(id), sum(CASE WHEN v = 'x' THEN 1 ELSE 0 END) FROM p");
    CHECK(totals.rows[0][0].as_integer() == 40);
    CHECK(totals.rows[0][1].as_integer() == 820);
    CHECK(totals.rows[0][2].as_integer() == 10);
    CHECK(Query(*r, "SHOW PARTITIONS FROM p").rows.size() == 4);
  }

  TEST_CASE("kopf backup --to and --verify, a flipped byte, SHOW BACKUPS, refused paths") {
    TempDir dir;
    const fs::path backups = dir.path() / "backups";
    auto server = ServerProcess::Start(dir.path() / "data", {"--backup-dir", backups.string()});
    auto c = Connect(*server);
    Query(*c, "CREATE TABLE pets (id INT PRIMARY KEY, name TEXT)");
    Query(*c, "INSERT INTO pets VALUES (1, 'Rex'), (2, 'a, \"quoted\"\nline')");
    const std::string port = std::to_string(server->port());
    const std::string kopf = testing::BinaryPath("kopf");

    auto taken = RunProcess({kopf, "-p", port, "backup", "--to", "nightly"});
    CHECK_MESSAGE(taken.exit_code == 0, taken.err);
    CHECK(taken.out.find("backup of commit 1 written to") != std::string::npos);
    const fs::path folder = backups / "nightly";

    auto shown = Query(*c, "SHOW BACKUPS");
    REQUIRE(shown.rows.size() == 1);
    CHECK(shown.rows[0][0].as_text() == "nightly");
    CHECK(shown.rows[0][1].as_integer() == 1);
    CHECK(shown.rows[0][3].as_integer() == 3);  // schema, manifest, segment
    CHECK(shown.rows[0][5].is_null());          // never verified

    auto verified = RunProcess({kopf, "backup", "--verify", folder.string()});
    CHECK_MESSAGE(verified.exit_code == 0, verified.err);
    shown = Query(*c, "SHOW BACKUPS");
    CHECK(!shown.rows[0][5].is_null());

    // The segment was active when the backup was cut, so it is a copy:
    // damaging it leaves the live table alone.
    testing::FlipByte(folder / "tables" / "pets" / "segment-000001.csv", 30);
    auto damaged = RunProcess({kopf, "backup", "--verify", folder.string()});
    CHECK(damaged.exit_code == 1);
    CHECK(damaged.err.find("tables/pets/segment-000001.csv: SHA-256") != std::string::npos);
    CHECK(damaged.err.find("is damaged: 1 problem") != std::string::npos);
    shown = Query(*c, "SHOW BACKUPS");
    CHECK(shown.rows[0][5].is_null());  // the earlier pass no longer counts
    CHECK(Query(*c, "SELECT count(*) FROM pets").rows[0][0].as_integer() == 2);

    // Paths outside the backup directory.
    auto outside = c->Query("BACKUP TO '../escape'");
    CHECK(outside.status().code() == ErrorCode::kInvalidValue);
    CHECK(outside.status().position() == 10);
    CHECK(outside.status().message().find("outside the backup directory") != std::string::npos);
    auto absolute = RunProcess({kopf, "-p", port, "backup", "--to", "/etc/kopf-backup"});
    CHECK(absolute.exit_code == 1);
    CHECK(absolute.err.find("outside the backup directory") != std::string::npos);
    CHECK(!fs::exists("/etc/kopf-backup"));
    auto again = c->Query("BACKUP TO 'nightly'");
    CHECK(again.status().code() == ErrorCode::kInvalidValue);
    CHECK(again.status().message().find("already exists") != std::string::npos);

    // Without --backup-dir, BACKUP TO is refused.
    auto plain = ServerProcess::Start(dir.path() / "data2");
    auto p = Connect(*plain);
    auto refused = p->Query("BACKUP TO 'x'");
    CHECK(refused.status().code() == ErrorCode::kNotSupported);
    CHECK(refused.status().message().find("--backup-dir") != std::string::npos);
  }
}

}  // namespace
}  // namespace kopf
