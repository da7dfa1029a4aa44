// COPY FROM / TO through the engine in process, with real files in a temp
// directory: round trips of awkward values, the dialect options, precise
// errors that load nothing, and the confinement of paths to the import
// directories.
#include <cmath>
#include <limits>
#include <future>
#include <memory>

#include <doctest/doctest.h>

#include "cerebellum/ast/ast.h"
#include "cerebellum/copy_in_stream.h"
#include "cerebellum/engine.h"
#include "cerebrum/database.h"
#include "tests/support/test_support.h"

namespace kopf::cerebellum {
namespace {

namespace fs = std::filesystem;
using protocol::ErrorCode;
using protocol::Row;
using testing::ReadTextFile;
using testing::WriteTextFile;

// A database in a temp dir and an engine allowed to use `imports/`.
struct Fixture {
  explicit Fixture(bool allow_imports = true) {
    imports = dir.path() / "imports";
    fs::create_directories(imports);
    cerebrum::Options options;
    options.data_dir = dir.path() / "data";
    auto db_result = cerebrum::Database::Open(options);
    REQUIRE_MESSAGE(db_result.ok(), db_result.status().ToString());
    db = std::move(db_result).value();
    Options engine_options;
    engine_options.worker_threads = 1;
    if (allow_imports) engine_options.import_dirs.push_back(fs::canonical(imports));
    engine = std::make_unique<Engine>(db.get(), engine_options);
  }
  StatementResult Ok(const std::string& sql) {
    auto r = engine->ExecuteNow(sql);
    REQUIRE_MESSAGE(r.ok(), sql << " -> " << r.status().ToString());
    return std::move(r).value();
  }
  protocol::Status Fails(const std::string& sql) {
    auto r = engine->ExecuteNow(sql);
    REQUIRE_MESSAGE(!r.ok(), sql << " succeeded");
    return r.status();
  }
  std::vector<Row> Rows(const std::string& sql) { return Ok(sql).rows; }
  uint64_t Count(const std::string& table) {
    return static_cast<uint64_t>(Rows("SELECT count(*) FROM " + table)[0][0].as_integer());
  }

  testing::TempDir dir;
  fs::path imports;
  std::unique_ptr<cerebrum::Database> db;
  std::unique_ptr<Engine> engine;
};

// A client whose COPY FROM STDIN data is all there at once, cut into
// `chunk`-byte pieces, and then finished (or failed with `failure`).
class FeedingClient : public CopyClient {
 public:
  FeedingClient(std::string data, size_t chunk) : data_(std::move(data)), chunk_(chunk) {}
  std::shared_ptr<CopyInStream> OpenCopyIn(uint64_t payload_id,
                                           std::vector<protocol::ColumnInfo> columns) override {
    opened_payload = payload_id;
    this->columns = std::move(columns);
    auto stream = std::make_shared<CopyInStream>(data_.size() + 1);
    for (size_t i = 0; i < data_.size(); i += chunk_) stream->Push(data_.substr(i, chunk_));
    if (failure.ok()) {
      stream->Finish();
    } else {
      stream->Fail(failure);
    }
    return stream;
  }
  uint64_t opened_payload = 0;
  std::vector<protocol::ColumnInfo> columns;
  protocol::Status failure;

 private:
  std::string data_;
  size_t chunk_;
};

// Runs `sql` as request 9 of a client that streams copy data.
protocol::Result<StatementResult> RunWithClient(Engine& engine, const std::string& sql,
                                                CopyClient* client,
                                                protocol::Role role = protocol::Role::kAdmin) {
  std::promise<protocol::Result<StatementResult>> done;
  Request request{1, 9, sql, role, nullptr};
  request.copy_client = client;
  engine.Submit(std::move(request), [&](protocol::Result<StatementResult> r) {
    done.set_value(std::move(r));
  });
  return done.get_future().get();
}

TEST_SUITE("cerebellum/copy") {
  TEST_CASE("COPY FROM STDIN parses records cut anywhere, even inside a UTF-8 character") {
    Fixture f(/*allow_imports=*/false);  // the client's data needs no import directory
    f.Ok("CREATE TABLE t (id INT PRIMARY KEY, name TEXT, score DOUBLE)");
    const std::string csv = "id,name,score\n1,\"a, \"\"b\"\"\nc\",1.5\n2,Ünïcødé ✓,\n3,,-2\r\n";
    for (size_t chunk : {1, 2, 3, 7, 4096}) {
      CAPTURE(chunk);
      f.Ok("DELETE FROM t");
      FeedingClient client(csv, chunk);
      auto r = RunWithClient(*f.engine, "COPY t (id, name, score) FROM STDIN WITH (HEADER)", &client);
      REQUIRE_MESSAGE(r.ok(), r.status().ToString());
      CHECK(r->count == 3);
      CHECK(client.opened_payload == 9);
      REQUIRE(client.columns.size() == 3);
      CHECK(client.columns[2].type == protocol::Type::kDouble);
      auto rows = f.Rows("SELECT name, score FROM t ORDER BY id");
      CHECK(rows[0][0].as_text() == "a, \"b\"\nc");
      CHECK(rows[1][0].as_text() == "Ünïcødé ✓");
      CHECK(rows[1][1].is_null());
      CHECK(rows[2][0].is_null());
    }
  }

  TEST_CASE("a failed or bad COPY FROM STDIN loads nothing, and TO STDOUT returns rows and dialect") {
    Fixture f(false);
    f.Ok("CREATE TABLE t (id INT PRIMARY KEY, name TEXT)");
    FeedingClient aborted("1,a\n2,b\n", 3);
    aborted.failure = protocol::Status::Cancelled("the client aborted the copy: no");
    auto r = RunWithClient(*f.engine, "COPY t FROM STDIN", &aborted);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == ErrorCode::kCancelled);
    CHECK(r.status().message() == "COPY t, the client aborted the copy: no");
    FeedingClient bad("1,a\n2,b\nx,c\n", 5);
    r = RunWithClient(*f.engine, "COPY t FROM STDIN", &bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("COPY t, line 3, column \"id\"") == 0);
    CHECK(r.status().position() == 12);
    CHECK(f.Count("t") == 0);
    // Read-only may copy out, not in.
    CHECK(RunWithClient(*f.engine, "COPY t FROM STDIN", &bad, protocol::Role::kReadOnly)
              .status()
              .code() == ErrorCode::kPermissionDenied);

    f.Ok("INSERT INTO t VALUES (1, 'one'), (2, NULL)");
    FeedingClient none("", 1);
    auto out = RunWithClient(*f.engine, "COPY t (name) TO STDOUT WITH (NULL 'NA')", &none,
                             protocol::Role::kReadOnly);
    REQUIRE_MESSAGE(out.ok(), out.status().ToString());
    REQUIRE(out->copy_out != nullptr);
    CHECK(out->copy_out->null_text == "NA");
    CHECK(out->columns.size() == 1);
    CHECK(out->rows == std::vector<Row>{{protocol::Value::Text("one")}, {protocol::Value()}});
    CHECK(out->count == 2);
  }

  TEST_CASE("without a client that streams, COPY FROM STDIN and TO STDOUT say what they need") {
    Fixture f(false);
    f.Ok("CREATE TABLE t (id INT PRIMARY KEY)");
    for (const char* sql : {"COPY t FROM STDIN", "COPY t TO stdout"}) {
      auto s = f.Fails(sql);
      CHECK(s.code() == ErrorCode::kNotSupported);
      CHECK(s.message().find("needs protocol 1.2") != std::string::npos);
      CHECK(s.position() == static_cast<int32_t>(std::string_view(sql).rfind(' ') + 1));
    }
  }

  TEST_CASE("COPY TO then COPY FROM round-trips awkward values exactly") {
    Fixture f;
    f.Ok("CREATE TABLE t (id INT PRIMARY KEY, s TEXT, d DOUBLE, b BOOLEAN)");
    f.Ok(
        "INSERT INTO t VALUES (1, 'a,b', 0.1, true), (2, 'say \"hi\"', -2.5e-07, false), "
        "(3, 'two\nlines', 1e300, NULL), (4, '', 0.0, true), (5, NULL, NULL, NULL), "
        "(6, 'Grüße 😀 ünïcödé', 123456789.125, false), (7, 'cr\r\nlf', -0.0, true), "
        "(8, ',', 3.0, NULL), (9, '\"', 1.5, false), (10, ' padded ', 2.0, true)");
    auto copied = f.Ok("COPY t TO 'out.csv'");
    CHECK(copied.tag == "COPY");
    CHECK(copied.count == 10);
    std::string text = ReadTextFile(f.imports / "out.csv");
    CHECK(text.find("4,\"\",0.0,true\n") != std::string::npos);  // '' is quoted
    CHECK(text.find("5,,,\n") != std::string::npos);             // NULL is empty
    CHECK(text.find("2,\"say \"\"hi\"\"\",") != std::string::npos);

    f.Ok("CREATE TABLE u (id INT PRIMARY KEY, s TEXT, d DOUBLE, b BOOLEAN)");
    CHECK(f.Ok("COPY u FROM 'out.csv'").count == 10);
    CHECK(f.Rows("SELECT * FROM u ORDER BY id") == f.Rows("SELECT * FROM t ORDER BY id"));
    // And out again: the same bytes.
    f.Ok("COPY u TO 'again.csv'");
    CHECK(ReadTextFile(f.imports / "again.csv") == text);
  }

  TEST_CASE("records that straddle the reader's buffer refills come back intact") {
    // Several MiB of quoted fields with doubled quotes and line breaks, so
    // record, field and "" boundaries fall on every kind of refill edge,
    // plus one field larger than the reader's initial buffer.
    Fixture f;
    f.Ok("CREATE TABLE t (id INT PRIMARY KEY, s TEXT)");
    std::string csv;
    for (int i = 1; i <= 60000; ++i) {
      csv += std::to_string(i) + ",\"";
      for (int k = 0; k < i % 13; ++k) csv += k % 3 == 0 ? "\"\"" : k % 3 == 1 ? "\n," : "x";
      csv += "\"\n";
    }
    csv += "60001,\"" + std::string(3u << 20, 'y') + ",\"\n";
    WriteTextFile(f.imports / "big.csv", csv);
    CHECK(f.Ok("COPY t FROM 'big.csv'").count == 60001);
    f.Ok("COPY t TO 'big_out.csv'");
    CHECK(ReadTextFile(f.imports / "big_out.csv") == csv);
  }

  TEST_CASE("COPY FROM reads special doubles, boolean spellings, CRLF and a byte order mark") {
    Fixture f;
    f.Ok("CREATE TABLE t (id INT PRIMARY KEY, d DOUBLE, b BOOLEAN)");
    WriteTextFile(f.imports / "in.csv",
                  "\xEF\xBB\xBF"
                  "1,NaN,t\r\n2,Infinity,F\r\n3,-Infinity,1\n4,42,0\n5,1e3,TRUE\n"
                  "6,-7.5,false");  // no final line break
    CHECK(f.Ok("COPY t FROM 'in.csv'").count == 6);
    auto rows = f.Rows("SELECT d, b FROM t ORDER BY id");
    REQUIRE(rows.size() == 6);
    CHECK(std::isnan(rows[0][0].as_double()));
    CHECK(rows[1][0].as_double() == std::numeric_limits<double>::infinity());
    CHECK(rows[2][0].as_double() == -std::numeric_limits<double>::infinity());
    CHECK(rows[3][0] == protocol::Value::Double(42));
    CHECK(rows[4][0] == protocol::Value::Double(1000));
    CHECK(rows[5][0] == protocol::Value::Double(-7.5));
    std::vector<bool> booleans;
    for (const Row& r : rows) booleans.push_back(r[1].as_boolean());
    CHECK(booleans == std::vector<bool>{true, false, true, false, true, false});
  }

  TEST_CASE("HEADER, DELIMITER, NULL and QUOTE options read and write the same dialect") {
    Fixture f;
    f.Ok("CREATE TABLE t (id INT PRIMARY KEY, s TEXT)");
    const std::string options = "WITH (HEADER, DELIMITER ';', NULL 'NA', QUOTE '''')";
    WriteTextFile(f.imports / "in.csv", "id;s\n1;'a;b'\n2;NA\n3;'NA'\n4;\n5;'it''s'\n");
    CHECK(f.Ok("COPY t FROM 'in.csv' " + options).count == 5);
    auto rows = f.Rows("SELECT s FROM t ORDER BY id");
    REQUIRE(rows.size() == 5);
    CHECK(rows[0][0].as_text() == "a;b");
    CHECK(rows[1][0].is_null());
    CHECK(rows[2][0].as_text() == "NA");
    CHECK(rows[3][0].as_text() == "");  // empty is not the NULL text here
    CHECK(rows[4][0].as_text() == "it's");
    f.Ok("COPY t TO 'out.csv' " + options);
    CHECK(ReadTextFile(f.imports / "out.csv") == "id;s\n1;'a;b'\n2;NA\n3;'NA'\n4;\n5;'it''s'\n");

    SUBCASE("without HEADER the first line is data") {
      f.Ok("CREATE TABLE n (a TEXT, b TEXT)");
      WriteTextFile(f.imports / "h.csv", "a,b\nx,y\n");
      CHECK(f.Ok("COPY n FROM 'h.csv' WITH (HEADER false)").count == 2);
      CHECK(f.Ok("COPY n TO 'h2.csv' (HEADER off)").count == 2);
      CHECK(ReadTextFile(f.imports / "h2.csv") == "a,b\nx,y\n");
    }
    SUBCASE("a column list picks and orders the fields, the rest take defaults") {
      f.Ok("CREATE TABLE c (id INT PRIMARY KEY, s TEXT DEFAULT 'dflt', n INT)");
      WriteTextFile(f.imports / "c.csv", "7,1\n");
      f.Ok("COPY c (n, id) FROM 'c.csv'");
      CHECK(f.Rows("SELECT id, s, n FROM c") ==
            std::vector<Row>{{protocol::Value::Integer(1), protocol::Value::Text("dflt"),
                              protocol::Value::Integer(7)}});
      f.Ok("COPY c (s, id) TO 'c2.csv' (HEADER)");
      CHECK(ReadTextFile(f.imports / "c2.csv") == "s,id\ndflt,1\n");
    }
  }

  TEST_CASE("COPY of a query writes its rows with its column names") {
    Fixture f;
    f.Ok("CREATE TABLE t (id INT PRIMARY KEY, name TEXT)");
    f.Ok("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, NULL)");
    auto r = f.Ok(
        "COPY (SELECT id * 10 AS x, upper(name) AS n FROM t WHERE id > 1 ORDER BY id) "
        "TO 'q.csv' WITH (HEADER)");
    CHECK(r.count == 2);
    CHECK(ReadTextFile(f.imports / "q.csv") == "x,n\n20,B\n30,\n");
  }

  TEST_CASE("a failed COPY TO leaves the old file and no temporary file behind") {
    Fixture f;
    f.Ok("CREATE TABLE t (id INT PRIMARY KEY)");
    f.Ok("INSERT INTO t VALUES (1), (2)");
    WriteTextFile(f.imports / "out.csv", "old\n");
    auto s = f.Fails("COPY (SELECT 9223372036854775807 + id FROM t) TO 'out.csv'");
    CHECK(s.code() == ErrorCode::kInvalidValue);
    CHECK(ReadTextFile(f.imports / "out.csv") == "old\n");
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(f.imports)) {
      names.push_back(entry.path().filename().string());
    }
    CHECK(names == std::vector<std::string>{"out.csv"});
    // A successful COPY replaces it whole.
    CHECK(f.Ok("COPY t TO 'out.csv'").count == 2);
    CHECK(ReadTextFile(f.imports / "out.csv") == "1\n2\n");
  }

  TEST_CASE("a bad value names line and column, points at the file name and loads nothing") {
    Fixture f;
    f.Ok("CREATE TABLE t (id INT PRIMARY KEY, name TEXT NOT NULL, age INT, ok BOOLEAN)");
    f.Ok("INSERT INTO t VALUES (100, 'kept', 1, true)");
    const std::string sql = "COPY t FROM 'bad.csv' WITH (HEADER)";
    const int32_t file_position = static_cast<int32_t>(sql.find("'bad.csv'"));
    struct Case {
      std::string contents;
      ErrorCode code;
      std::string message;
    };
    const Case cases[] = {
        {"id,name,age,ok\n1,a,3,t\n2,\"multi\nline\",4,f\n3,c,x1,t\n", ErrorCode::kInvalidValue,
         "COPY t, line 5, column \"age\": invalid integer \"x1\""},
        {"h\n1,a,99999999999999999999,t\n", ErrorCode::kInvalidValue,
         "COPY t, line 2, column \"age\": integer out of range \"99999999999999999999\""},
        {"h\n1,a,3,maybe\n", ErrorCode::kInvalidValue,
         "COPY t, line 2, column \"ok\": invalid boolean \"maybe\""},
        {"h\n1,,3,t\n", ErrorCode::kConstraintViolation,
         "COPY t, line 2, column \"name\": null value violates the not-null constraint"},
        {"h\n1,a,3\n", ErrorCode::kInvalidValue, "COPY t, line 2: 3 fields where 4 are expected"},
        {"h\n1,a,3,t\n2,\"open,3,t\n", ErrorCode::kInvalidValue,
         "COPY t, line 3: unterminated quoted field (field 2)"},
        {"h\n1,a\"b,3,t\n", ErrorCode::kInvalidValue,
         "COPY t, line 2: quote inside an unquoted field (quote the whole field) (field 2)"},
        {"h\n1,\"a\"b,3,t\n", ErrorCode::kInvalidValue,
         "COPY t, line 2: text after the closing quote of a field (field 2)"},
        {"h\n1,a,3,t\n2,b,3,t\n1,c,3,t\n", ErrorCode::kDuplicateKey,
         "COPY t, line 4: duplicate key (1) violates the primary key of table \"t\""},
        {"h\n5,a,3,t\n100,c,3,t\n", ErrorCode::kDuplicateKey,
         "COPY t, line 3: duplicate key (100) violates the primary key of table \"t\""},
        {std::string("h\n1,a\0b,3,t\n", 12), ErrorCode::kInvalidValue,
         "COPY t, line 2: text for column \"name\" contains a NUL byte, which kopf does not store"},
        // A file in Latin-1, not UTF-8: "café" with é as the one byte 0xe9.
        {"h\n1,ok,3,t\n2,caf\xe9,3,t\n", ErrorCode::kInvalidValue,
         "COPY t, line 3: text for column \"name\" is not valid UTF-8: byte 0xe9 at offset 3"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.message);
      WriteTextFile(f.imports / "bad.csv", c.contents);
      protocol::Status s = f.Fails(sql);
      CHECK(s.code() == c.code);
      CHECK(s.message() == c.message);
      CHECK(s.position() == file_position);
      CHECK(f.Count("t") == 1);
    }
  }

  TEST_CASE("a unique index is checked within the file and against the table") {
    Fixture f;
    f.Ok("CREATE TABLE t (id INT PRIMARY KEY, email TEXT UNIQUE)");
    f.Ok("INSERT INTO t VALUES (1, 'a@x')");
    WriteTextFile(f.imports / "in.csv", "2,b@x\n3,b@x\n");
    CHECK(f.Fails("COPY t FROM 'in.csv'").code() == ErrorCode::kDuplicateKey);
    WriteTextFile(f.imports / "in.csv", "2,b@x\n3,a@x\n");
    auto s = f.Fails("COPY t FROM 'in.csv'");
    CHECK(s.code() == ErrorCode::kDuplicateKey);
    CHECK(s.message().starts_with("COPY t, line 2: "));
    WriteTextFile(f.imports / "in.csv", "2,b@x\n3,\n4,\n");  // NULLs never clash
    CHECK(f.Ok("COPY t FROM 'in.csv'").count == 3);
    CHECK(f.Rows("SELECT id FROM t WHERE email = 'b@x'") ==
          std::vector<Row>{{protocol::Value::Integer(2)}});
  }

  TEST_CASE("a table without a primary key takes COPY rows with fresh row ids") {
    Fixture f;
    f.Ok("CREATE TABLE t (a INT, b TEXT)");
    f.Ok("INSERT INTO t VALUES (1, 'x')");
    WriteTextFile(f.imports / "in.csv", "1,x\n2,y\n");
    CHECK(f.Ok("COPY t FROM 'in.csv'").count == 2);
    f.Ok("INSERT INTO t VALUES (3, 'z')");
    CHECK(f.Count("t") == 4);
  }

  TEST_CASE("paths outside the import directories are refused") {
    Fixture f;
    f.Ok("CREATE TABLE t (id INT PRIMARY KEY)");
    WriteTextFile(f.dir.path() / "secret.csv", "1\n");
    fs::create_directories(f.imports / "sub");
    WriteTextFile(f.imports / "sub" / "ok.csv", "1\n");
    fs::create_symlink(f.dir.path() / "secret.csv", f.imports / "link.csv");
    fs::create_directory_symlink(f.dir.path(), f.imports / "dirlink");

    for (std::string path : {(f.dir.path() / "secret.csv").string(), std::string("../secret.csv"),
                             std::string("sub/../../secret.csv"), std::string("link.csv"),
                             std::string("dirlink/secret.csv"), std::string("/etc/passwd")}) {
      CAPTURE(path);
      auto s = f.Fails("COPY t FROM '" + path + "'");
      CHECK(s.code() == ErrorCode::kInvalidValue);
      CHECK(s.message().find("outside the import directories") != std::string::npos);
      CHECK(s.position() == 12);
    }
    for (std::string path : {std::string("../out.csv"), std::string("dirlink/out.csv")}) {
      CAPTURE(path);
      CHECK(f.Fails("COPY t TO '" + path + "'").code() == ErrorCode::kInvalidValue);
    }
    CHECK(!fs::exists(f.dir.path() / "out.csv"));
    CHECK(f.Count("t") == 0);

    // Inside, by relative, "..", and absolute path.
    CHECK(f.Ok("COPY t FROM 'sub/ok.csv'").count == 1);
    CHECK(f.Ok("COPY t TO 'sub/../back.csv'").count == 1);
    CHECK(f.Ok("COPY t TO '" + (f.imports / "abs.csv").string() + "'").count == 1);
    CHECK(ReadTextFile(f.imports / "back.csv") == "1\n");

    // COPY TO over a symlink replaces the link, never the file it points to.
    fs::create_symlink(f.dir.path() / "secret.csv", f.imports / "victim.csv");
    f.Ok("INSERT INTO t VALUES (2)");
    CHECK(f.Ok("COPY t TO 'victim.csv'").count == 2);
    CHECK(ReadTextFile(f.dir.path() / "secret.csv") == "1\n");
    CHECK(!fs::is_symlink(f.imports / "victim.csv"));
  }

  TEST_CASE("without import directories COPY refuses files and says how to allow them") {
    Fixture f(/*allow_imports=*/false);
    f.Ok("CREATE TABLE t (id INT PRIMARY KEY)");
    WriteTextFile(f.imports / "in.csv", "1\n");
    for (std::string sql : {"COPY t FROM '" + (f.imports / "in.csv").string() + "'",
                            std::string("COPY t TO 'x.csv'")}) {
      auto s = f.Fails(sql);
      CHECK(s.code() == ErrorCode::kNotSupported);
      CHECK(s.message().find("--import-dir") != std::string::npos);
    }
  }

  TEST_CASE("COPY syntax errors are precise") {
    Fixture f;
    f.Ok("CREATE TABLE t (id INT PRIMARY KEY)");
    struct Case {
      std::string sql;
      std::string message;
    };
    const Case cases[] = {
        {"COPY t FROM 'a' WITH (HEADR)", "unknown COPY option \"headr\""},
        {"COPY t FROM 'a' WITH (HEADER, HEADER false)", "COPY option header given more than once"},
        {"COPY t FROM 'a' WITH (DELIMITER ',,')", "COPY DELIMITER must be one single-byte"},
        {"COPY t FROM 'a' WITH (DELIMITER '\"')", "COPY DELIMITER and QUOTE must be different"},
        {"COPY t FROM 'a' WITH (HEADER maybe)", "COPY option HEADER takes"},
        {"COPY t FROM 'a' WITH (FORMAT binary)", "COPY supports FORMAT csv only"},
        {"COPY (SELECT 1) FROM 'a'", "COPY FROM needs a table"},
        {"COPY t FROM a.csv", ""},
        {"COPY t FROM stdout", "COPY FROM takes a quoted file name or STDIN"},
        {"COPY t TO stdin", "COPY TO takes a quoted file name or STDOUT"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.sql);
      auto s = f.Fails(c.sql);
      CHECK(s.code() == ErrorCode::kSyntaxError);
      CHECK(s.message().find(c.message) != std::string::npos);
    }
    CHECK(f.Fails("COPY nope FROM 'a'").code() == ErrorCode::kUndefinedTable);
    CHECK(f.Fails("COPY t (nope) FROM 'a'").code() == ErrorCode::kUndefinedColumn);
  }

  TEST_CASE("COPY into a partitioned table routes rows to one partition or several, atomically") {
    Fixture f;
    f.Ok("CREATE TABLE p (id INT PRIMARY KEY, s TEXT) PARTITION BY RANGE (id) "
         "(PARTITION lo VALUES LESS THAN (100), PARTITION hi VALUES LESS THAN (200))");
    WriteTextFile(f.imports / "lo.csv", "1,a\n2,b\n3,c\n");
    CHECK(f.Ok("COPY p FROM 'lo.csv'").count == 3);  // one partition's bulk load
    WriteTextFile(f.imports / "both.csv", "4,d\n150,e\n151,f\n");
    CHECK(f.Ok("COPY p FROM 'both.csv'").count == 3);  // one commit in two partitions
    WriteTextFile(f.imports / "outside.csv", "5,g\n250,h\n");
    auto outside = f.Fails("COPY p FROM 'outside.csv'");
    CHECK(outside.code() == ErrorCode::kConstraintViolation);
    CHECK(outside.message().find("no partition of table \"p\" for value 250") !=
          std::string::npos);
    WriteTextFile(f.imports / "dup.csv", "6,x\n150,again\n");
    CHECK(f.Fails("COPY p FROM 'dup.csv'").code() == ErrorCode::kDuplicateKey);
    CHECK(f.Count("p") == 6);
    auto partitions = f.Rows("SHOW PARTITIONS FROM p");
    REQUIRE(partitions.size() == 2);
    CHECK(partitions[0][5].as_integer() == 4);
    CHECK(partitions[1][5].as_integer() == 2);
    CHECK(f.Ok("COPY p TO 'all.csv'").count == 6);
    f.Ok("CREATE TABLE q (id INT PRIMARY KEY, s TEXT) PARTITION BY HASH (id) PARTITIONS 3");
    CHECK(f.Ok("COPY q FROM 'all.csv'").count == 6);
    CHECK(f.Rows("SELECT * FROM q ORDER BY id") == f.Rows("SELECT * FROM p ORDER BY id"));
  }
}

}  // namespace
}  // namespace kopf::cerebellum
