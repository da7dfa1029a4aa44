// The kopf shell against the real server: -c, -f, standard input, --csv,
// --json, error reporting and exit codes, connection flags, meta-commands,
// \async, and on a pseudo-terminal completion, the pager and colour.
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tests/support/pty_process.h"
#include "tests/support/test_support.h"

namespace kopf {
namespace {

using testing::BinaryPath;
using testing::RunProcess;
using testing::ServerProcess;
using testing::TempDir;

TEST_SUITE("e2e/shell") {
  TEST_CASE("a script on standard input creates, fills and queries a table") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string port = std::to_string(server->port());
    auto r = RunProcess({BinaryPath("kopf"), "-p", port},
                        "CREATE TABLE pets (id INT PRIMARY KEY, name TEXT, weight DOUBLE);\n"
                        "INSERT INTO pets VALUES (1, 'Rex', 31.5),\n"
                        "  (2, 'Tom', NULL);\n"
                        "SELECT id, name, weight FROM pets ORDER BY id;\n");
    CHECK(r.exit_code == 0);
    CHECK(r.err == "");
    CHECK(r.out.find("CREATE TABLE") != std::string::npos);
    CHECK(r.out.find("INSERT 2") != std::string::npos);
    CHECK(r.out.find(" id | name | weight") != std::string::npos);
    CHECK(r.out.find("  1 | Rex  |   31.5") != std::string::npos);
    CHECK(r.out.find("(2 rows)") != std::string::npos);
  }

  TEST_CASE("--csv prints RFC 4180 with NULL empty and the empty string quoted") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string port = std::to_string(server->port());
    auto setup = RunProcess({BinaryPath("kopf"), "-p", port, "-c",
                             "CREATE TABLE t (id INT PRIMARY KEY, s TEXT); "
                             "INSERT INTO t VALUES (1, 'a,\"b\"'), (2, ''), (3, NULL)"});
    REQUIRE(setup.exit_code == 0);
    auto r = RunProcess(
        {BinaryPath("kopf"), "-p", port, "--csv", "-c", "SELECT id, s FROM t ORDER BY id"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "id,s\n1,\"a,\"\"b\"\"\"\n2,\"\"\n3,\n");
  }

  TEST_CASE("-f runs a file and a failing statement sets exit status 1 and shows a caret") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string port = std::to_string(server->port());
    auto script = dir.path() / "script.sql";
    std::ofstream(script) << "CREATE TABLE t (id INT PRIMARY KEY);\n"
                             "SELECT id FROM t WHERE idd = 1;\n"
                             "INSERT INTO t VALUES (7);\n";
    auto r = RunProcess({BinaryPath("kopf"), "-p", port, "-f", script.string()});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("column \"idd\" does not exist") != std::string::npos);
    CHECK(r.err.find("UndefinedColumn") != std::string::npos);
    CHECK(r.err.find("^") != std::string::npos);
    // The statements after the failure still ran.
    auto check = RunProcess({BinaryPath("kopf"), "-p", port, "--csv", "-c", "SELECT id FROM t"});
    CHECK(check.out == "id\n7\n");
  }

  TEST_CASE("a server that is not there is exit status 2 with a clear message") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string port = std::to_string(server->port());
    server->Stop();
    auto r = RunProcess({BinaryPath("kopf"), "-p", port, "-c", "SELECT 1"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("127.0.0.1") != std::string::npos);
  }

  TEST_CASE("\\async sends statements at once and prints each reply with its payload id") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string port = std::to_string(server->port());
    auto r = RunProcess({BinaryPath("kopf"), "-p", port},
                        "CREATE TABLE t (id INT PRIMARY KEY);\n"
                        "INSERT INTO t VALUES (1), (2);\n"
                        "\\async SELECT count(*) AS n FROM t; SELECT nope FROM t; SELECT 7 AS seven\n"
                        "\\async SELECT 8 AS eight\n");
    CHECK(r.exit_code == 1);  // the second statement failed
    CHECK(r.out.find("Sent 3 statements as payloads 1..3.\n") != std::string::npos);
    CHECK(r.out.find("-- payload 1 (statement 1): SELECT count(*) AS n FROM t;\n n\n---\n 2\n") !=
          std::string::npos);
    CHECK(r.out.find("-- payload 2 (statement 2): SELECT nope FROM t;\n") != std::string::npos);
    CHECK(r.err.find("column \"nope\" does not exist") != std::string::npos);
    CHECK(r.out.find("-- payload 3 (statement 3): SELECT 7 AS seven\n") != std::string::npos);
    // The second connection stays open: payload ids go on counting.
    CHECK(r.out.find("Sent 1 statement as payloads 4..4.\n-- payload 4 (statement 1)") !=
          std::string::npos);
  }

  TEST_CASE("the address comes from KOPF_URL, a connection string, then -h -p -U") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string port = std::to_string(server->port());
    std::string url = "kopf://ann@127.0.0.1:" + port;
    std::string info = "at 127.0.0.1:" + port + " as user \"ann\"";
    auto from_env = RunProcess({"/usr/bin/env", "KOPF_URL=" + url, BinaryPath("kopf"), "-c", "\\conninfo"});
    CHECK(from_env.exit_code == 0);
    CHECK(from_env.out.find(info) != std::string::npos);
    auto from_arg = RunProcess({BinaryPath("kopf"), "-c", "\\conninfo", url});
    CHECK(from_arg.out.find(info) != std::string::npos);
    auto from_d = RunProcess({BinaryPath("kopf"), "-d", url, "-U", "bob", "-c", "\\conninfo"});
    CHECK(from_d.out.find("as user \"bob\"") != std::string::npos);
    // -p beats KOPF_URL's port, wherever it stands.
    auto override = RunProcess({"/usr/bin/env", "KOPF_URL=kopf://127.0.0.1:1", BinaryPath("kopf"),
                                "-p", port, "-c", "SELECT 1 AS one"});
    CHECK(override.exit_code == 0);
    auto bad = RunProcess({BinaryPath("kopf"), "kopf://[::1"});
    CHECK(bad.exit_code == 1);
    CHECK(bad.err.find("bad connection string: '[' of an IPv6 address is not closed") !=
          std::string::npos);
  }

  TEST_CASE("--json, \\x, \\pset, \\o FILE and \\i FILE against the server") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string port = std::to_string(server->port());
    auto included = dir.path() / "more.sql";
    auto captured = dir.path() / "out.txt";
    std::ofstream(included) << "INSERT INTO t VALUES (2, NULL);\n";
    auto r = RunProcess({BinaryPath("kopf"), "-p", port, "-q"},
                        "CREATE TABLE t (id INT PRIMARY KEY, s TEXT);\n"
                        "INSERT INTO t VALUES (1, 'a\"b');\n"
                        "\\i " + included.string() + "\n"
                        "\\o " + captured.string() + "\n"
                        "SELECT id, s FROM t ORDER BY id;\n"
                        "\\o\n"
                        "\\x\n"
                        "SELECT id, s FROM t WHERE id = 1;\n"
                        "\\pset format json\n"
                        "SELECT id, s FROM t ORDER BY id;\n");
    CHECK(r.exit_code == 0);
    CHECK(r.err == "");
    std::ifstream in(captured);
    std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(file == " id |  s\n----+-----\n  1 | a\"b\n  2 |\n(2 rows)\n\n");
    CHECK(r.out.find(" id |") == std::string::npos);  // the table went to the file only
    CHECK(r.out.find("Expanded display is on.\n-[ RECORD 1 ]-\nid | 1\ns  | a\"b\n") !=
          std::string::npos);
    CHECK(r.out.find("[{\"id\":1,\"s\":\"a\\\"b\"},{\"id\":2,\"s\":null}]\n") != std::string::npos);
    auto json = RunProcess({BinaryPath("kopf"), "-p", port, "--json", "-c", "SELECT count(*) AS n FROM t"});
    CHECK(json.out == "[{\"n\":2}]\n");
  }

  TEST_CASE("\\di lists every index, \\di TABLE one table's, aligned like \\d") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    auto r = RunProcess({BinaryPath("kopf"), "-p", std::to_string(server->port()), "-q"},
                        "CREATE TABLE pets (id INT PRIMARY KEY, name TEXT, age INT);\n"
                        "CREATE INDEX pets_name_age ON pets (name, age DESC);\n"
                        "CREATE TABLE log (line TEXT);\n"
                        "CREATE UNIQUE INDEX log_line ON log (line);\n"
                        "\\di\n"
                        "\\di pets\n"
                        "\\di nowhere\n"
                        "\\di pets log\n");
    CHECK(r.exit_code == 1);  // the last two fail
    CHECK(r.out ==
          " table |     index     | unique |    columns\n"
          "-------+---------------+--------+----------------\n"
          " log   | log_line      | true   | line\n"
          " pets  | PRIMARY KEY   | true   | id\n"
          " pets  | pets_name_age | false  | name, age DESC\n"
          "(3 rows)\n\n"
          " table |     index     | unique |    columns\n"
          "-------+---------------+--------+----------------\n"
          " pets  | PRIMARY KEY   | true   | id\n"
          " pets  | pets_name_age | false  | name, age DESC\n"
          "(2 rows)\n\n");
    CHECK(r.err.find("table \"nowhere\" does not exist") != std::string::npos);
    CHECK(r.err.find("\\di: extra argument \"log\"; nothing was run") != std::string::npos);
  }

  TEST_CASE("\\d marks partitioned tables, \\d NAME shows RANGE and HASH partitions, \\dP lists them") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string port = std::to_string(server->port());
    auto r = RunProcess({BinaryPath("kopf"), "-p", port, "-q"},
                        "CREATE TABLE events (id INT PRIMARY KEY, kind TEXT) PARTITION BY RANGE (id)"
                        " (PARTITION lo VALUES LESS THAN (100),"
                        " PARTITION hi VALUES LESS THAN (MAXVALUE));\n"
                        "CREATE TABLE users (id INT PRIMARY KEY, name TEXT)"
                        " PARTITION BY HASH (id) PARTITIONS 3;\n"
                        "CREATE TABLE plain (x INT);\n"
                        "INSERT INTO events VALUES (1, 'a'), (2, 'b'), (150, 'c');\n"
                        "INSERT INTO users VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd');\n"
                        "\\d\n"
                        "\\d events\n"
                        "\\d users\n"
                        "\\d plain\n"
                        "\\dP events\n");
    CHECK(r.exit_code == 0);
    CHECK(r.err == "");
    CHECK(r.out ==
          "  name  | columns | rows |       partitioned\n"
          "--------+---------+------+--------------------------\n"
          " events |       2 |    3 | RANGE (id), 2 partitions\n"
          " plain  |       1 |    0 |\n"
          " users  |       2 |    4 | HASH (id), 3 partitions\n"
          "(3 rows)\n\n"
          " column | type | nullable |     key     | default\n"
          "--------+------+----------+-------------+---------\n"
          " id     | INT  | false    | PRIMARY KEY |\n"
          " kind   | TEXT | true     |             |\n"
          "(2 rows)\n"
          "Partition key: RANGE (id)\n"
          "Partitions: lo < 100 (2 rows),\n"
          "            hi < MAXVALUE (1 row)\n\n"
          " column | type | nullable |     key     | default\n"
          "--------+------+----------+-------------+---------\n"
          " id     | INT  | false    | PRIMARY KEY |\n"
          " name   | TEXT | true     |             |\n"
          "(2 rows)\n"
          "Partition key: HASH (id)\n"
          "Partitions: p0 (0 rows),\n"
          "            p1 (2 rows),\n"
          "            p2 (2 rows)\n\n"
          " column | type | nullable | key | default\n"
          "--------+------+----------+-----+---------\n"
          " x      | INT  | true     |     |\n"
          "(1 row)\n\n"
          " table  | partition | method | column | less_than | rows\n"
          "--------+-----------+--------+--------+-----------+------\n"
          " events | lo        | RANGE  | id     | 100       |    2\n"
          " events | hi        | RANGE  | id     | MAXVALUE  |    1\n"
          "(2 rows)\n\n");

    // With only unpartitioned tables, \\d prints SHOW TABLES as the server sends it.
    auto plain = RunProcess({BinaryPath("kopf"), "-p", port, "-q"},
                            "DROP TABLE events;\nDROP TABLE users;\n\\d\n");
    CHECK(plain.exit_code == 0);
    CHECK(plain.out ==
          " name  | columns | rows\n"
          "-------+---------+------\n"
          " plain |       1 |    0\n"
          "(1 row)\n\n");
  }

  TEST_CASE("on a terminal: Ctrl-C cancels a running statement and the shell goes on") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string port = std::to_string(server->port());
    // 300 rows: a triple cross join is 27 million combinations, far longer
    // than the test waits for anything.
    std::string insert = "INSERT INTO t VALUES (1)";
    for (int id = 2; id <= 300; ++id) insert += ", (" + std::to_string(id) + ")";
    auto setup = RunProcess(
        {BinaryPath("kopf"), "-p", port, "-c", "CREATE TABLE t (id INT PRIMARY KEY); " + insert});
    REQUIRE(setup.exit_code == 0);
    std::vector<std::string> env = {"HOME=" + dir.path().string(), "TERM=xterm",
                                    "PATH=/usr/bin:/bin", "PAGER=", "NO_COLOR=1"};
    auto shell = testing::PtyProcess::Start({BinaryPath("kopf"), "-p", port}, env);
    REQUIRE(shell->WaitFor("kopf=> "));

    // Ctrl-C at the prompt drops the half-typed statement and shows a fresh
    // prompt: once while the line editor waits for a key, once right behind
    // keys, so that it lands while the editor is busy with them (the keys
    // not read yet are dropped by the terminal). The line editor takes the
    // Ctrl-C itself either way, so none is left to cancel the statement
    // typed next: a two-way join long enough that a cancel sent right
    // behind it would stop it.
    shell->Type("SELECT 'half typed'");
    REQUIRE(shell->WaitFor("kopf=> SELECT 'half typed'"));
    size_t mark = shell->screen().size();
    shell->Type("\x03");
    REQUIRE_MESSAGE(shell->WaitForAfter(mark, "\r\nkopf=> "), shell->printable_screen());
    mark = shell->screen().size();
    shell->Type("SELECT 'typed in a hurry'");
    shell->Type("\x03");
    REQUIRE_MESSAGE(shell->WaitForAfter(mark, "\r\nkopf=> "), shell->printable_screen());
    // At the continuation prompt it drops every line of the statement.
    shell->Type("SELECT 'two\r");
    REQUIRE(shell->WaitFor("SELECT 'two\r\nkopf-> "));
    mark = shell->screen().size();
    shell->Type("\x03");
    REQUIRE_MESSAGE(shell->WaitForAfter(mark, "\r\nkopf=> "), shell->printable_screen());
    mark = shell->screen().size();
    shell->Type("SELECT count(*) AS pairs FROM t a, t b;\r");
    REQUIRE_MESSAGE(shell->WaitForAfter(mark, "90000\r\n(1 row)\r\n\r\nkopf=> "),
                    shell->printable_screen());
    CHECK(shell->screen().find("Cancelled") == std::string::npos);
    CHECK(shell->screen().find("syntax error") == std::string::npos);

    // A plain statement, cancelled while it runs. Once Enter is echoed the
    // line editor has the line: a Ctrl-C from then on, whether it lands
    // before the statement is sent or after, cancels it.
    std::string cross = "SELECT count(*) FROM t a, t b, t c;";
    shell->Type(cross + "\r");
    REQUIRE(shell->WaitFor("kopf=> " + cross + "\r\n"));
    shell->Type("\x03");
    REQUIRE_MESSAGE(shell->WaitFor("CODE: Cancelled (19)\r\nkopf=> "), shell->printable_screen());
    shell->Type("SELECT 41 + 1 AS answer;\r");
    REQUIRE(shell->WaitFor("42\r\n(1 row)\r\n\r\nkopf=> "));

    // \async: every statement not answered yet is cancelled, once, and two
    // presses do not end the shell. They go in one write: on each Ctrl-C
    // the terminal throws away the output not read yet, which a press after
    // the first replies would lose (the terminal may merge the two into one
    // signal; tools_tests has the second press while the cancel is pending).
    std::string async = "\\async SELECT count(*) FROM t a, t b, t c; SELECT count(*) FROM t a, t b, t c";
    shell->Type(async + "\r");
    REQUIRE(shell->WaitFor("as payloads 1..2.\r\n"));
    shell->Type("\x03\x03");
    CHECK_MESSAGE(shell->WaitFor("(statement 2)"), shell->printable_screen());
    shell->Type("SELECT 'still ' || 'here';\r");
    CHECK(shell->WaitFor("still here"));
    // The plain statement's report and one for each \async statement.
    size_t reports = 0;
    for (size_t at = 0; (at = shell->screen().find("CODE: Cancelled (19)", at)) != std::string::npos;
         ++at) {
      ++reports;
    }
    CHECK(reports == 3);
    shell->Type("\\q\r");
    CHECK(shell->Wait() == 0);
  }

  TEST_CASE("on a terminal: Tab completes, UTF-8 keys arrive, long results page, errors are red") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    std::string port = std::to_string(server->port());
    std::string insert = "INSERT INTO pets VALUES (1, 'Rex')";
    for (int id = 2; id <= 40; ++id) insert += ", (" + std::to_string(id) + ", 'p')";
    auto setup = RunProcess({BinaryPath("kopf"), "-p", port, "-c",
                             "CREATE TABLE pets (id INT PRIMARY KEY, name TEXT); " + insert});
    REQUIRE(setup.exit_code == 0);
    std::vector<std::string> env = {"HOME=" + dir.path().string(), "TERM=xterm",
                                    "PATH=/usr/bin:/bin", "PAGER=sed s/^/paged:/"};
    auto shell = testing::PtyProcess::Start({BinaryPath("kopf"), "-p", port}, env);
    REQUIRE(shell->WaitFor("kopf=> "));
    shell->Type("SELECT name FROM pe\t WHERE id = 1;\r");
    CHECK(shell->WaitFor("Rex"));
    CHECK(shell->WaitFor("(1 row)"));
    CHECK(shell->screen().find("paged:") == std::string::npos);  // it fits the screen
    // Keys beyond ASCII reach the server whole, in a C locale too (the
    // environment here names none).
    shell->Type("SELECT 'äpfel ✓' AS fruit;\r");
    CHECK_MESSAGE(shell->WaitFor(" äpfel ✓\r\n(1 row)"), shell->printable_screen());
    // 40 rows do not fit 24 lines: they go through $PAGER.
    shell->Type("SELECT * FROM pets;\r");
    CHECK(shell->WaitFor("paged:(40 rows)"));
    shell->Type("SELEC 1;\r");
    CHECK(shell->WaitFor("\x1b[1;31mERROR:\x1b[0m"));
    shell->Type("\\q\r");
    CHECK(shell->Wait() == 0);

    env.push_back("NO_COLOR=1");
    auto plain = testing::PtyProcess::Start({BinaryPath("kopf"), "-p", port, "-c", "SELEC 1"}, env);
    CHECK(plain->Wait() == 1);
    CHECK(plain->screen().find("ERROR:") != std::string::npos);
    CHECK(plain->screen().find("\x1b[1;31m") == std::string::npos);

    // -W asks on the terminal and does not echo the password.
    auto password = testing::PtyProcess::Start(
        {BinaryPath("kopf"), "-p", port, "-U", "ann", "-W", "-c", "\\conninfo"}, env);
    REQUIRE(password->WaitFor("Password for ann: "));
    password->Type("s3cret\r");
    CHECK(password->Wait() == 0);
    CHECK(password->screen().find("as user \"ann\"") != std::string::npos);
    CHECK(password->screen().find("s3cret") == std::string::npos);
  }
}

}  // namespace
}  // namespace kopf
