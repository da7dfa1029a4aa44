// TEXT is UTF-8 wherever it enters a table of the real kopfd: an EXECUTE
// whose TEXT parameter is not UTF-8 (one row, which the network thread
// decodes on its fast path, or a batch) ends only that connection; COPY
// FROM STDIN of a Latin-1 file names line and column and loads nothing,
// while a UTF-8 file with multi-byte characters loads whole; and a segment
// edited on disk into invalid UTF-8 stops the next start at its file and
// line. The string functions' own character semantics are in
// tests/sql/select/text_functions.test.
#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include "protocol/client.h"
#include "protocol/frame_encoder.h"
#include "protocol/message.h"
#include "tests/support/raw_connection.h"
#include "tests/support/test_support.h"

namespace kopf {
namespace {

namespace fs = std::filesystem;
using protocol::ErrorCode;
using protocol::Row;
using protocol::Value;
using testing::BinaryPath;
using testing::Connect;
using testing::CountRows;
using testing::RawConnection;
using testing::ReadTextFile;
using testing::RunProcess;
using testing::ServerProcess;
using testing::TempDir;

// An EXECUTE frame (payload 2) of `statement` with `rows` rows of (id, 'caf?') whose
// '?' is then overwritten with 0xe9, Latin-1's é: a TEXT value that is not
// UTF-8, which no encoder would write.
std::string ExecuteWithLatin1(uint32_t client_id, uint64_t statement, int rows) {
  protocol::Execute execute{statement, 2, {}};
  for (int i = 0; i < rows; ++i)
    execute.rows.push_back({Value::Integer(i + 1), Value::Text("caf?")});
  std::string frame;
  protocol::EncodeFrame({client_id, 2, std::move(execute)}, &frame);
  const size_t at = frame.rfind("caf?");
  REQUIRE(at != std::string::npos);
  frame[at + 3] = '\xe9';
  return frame;
}

TEST_SUITE("e2e/text_utf8") {
  TEST_CASE(
      "TEXT that is not UTF-8 is refused on the wire and by COPY FROM STDIN, storing nothing") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    auto client = Connect(*server);
    REQUIRE(client->Query("CREATE TABLE t (id INT PRIMARY KEY, name TEXT)").ok());

    for (int rows : {1, 2}) {
      CAPTURE(rows);
      RawConnection raw(server->port());
      const uint32_t id = raw.Handshake();
      REQUIRE(id != 0);
      REQUIRE(raw.Send({id, 1, protocol::Prepare{"INSERT INTO t VALUES ($1, $2)"}}));
      auto described = raw.Receive();
      REQUIRE(described.has_value());
      auto* description = std::get_if<protocol::StatementDescription>(&described->message);
      REQUIRE_MESSAGE(description != nullptr, protocol::Describe(*described));
      REQUIRE(raw.SendBytes(ExecuteWithLatin1(id, description->statement_id, rows)));
      auto reply = raw.Receive();
      REQUIRE(reply.has_value());
      auto* error = std::get_if<protocol::ErrorMessage>(&reply->message);
      REQUIRE(error != nullptr);
      CHECK(error->code == ErrorCode::kProtocolViolation);
      CHECK_MESSAGE(error->message.find("is not valid UTF-8") != std::string::npos, error->message);
      CHECK(raw.WaitClosed());
    }
    CHECK(CountRows(*client, "t") == 0);  // and the other client is still served

    // COPY FROM STDIN: a Latin-1 line fails the copy with line and column
    // (the error itself is UTF-8: it does not quote the bad bytes).
    std::istringstream latin1("1,apple\n2,caf\xe9\n3,pear\n");
    auto refused = client->CopyIn("COPY t FROM STDIN", latin1);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code() == ErrorCode::kInvalidValue);
    CHECK(refused.status().message() ==
          "COPY t, line 2: text for column \"name\" is not valid UTF-8: byte 0xe9 at offset 3");
    CHECK(CountRows(*client, "t") == 0);

    // The same file in UTF-8 loads, and its characters count as characters.
    std::istringstream utf8("1,apple\n2,café\n3,日本語\n");
    auto loaded = client->CopyIn("COPY t FROM STDIN", utf8);
    REQUIRE_MESSAGE(loaded.ok(), loaded.status().ToString());
    auto rows = client->Query("SELECT name, length(name), substr(name, -1) FROM t ORDER BY id");
    REQUIRE_MESSAGE(rows.ok(), rows.status().ToString());
    CHECK(rows->rows ==
          std::vector<Row>{{Value::Text("apple"), Value::Integer(5), Value::Text("e")},
                           {Value::Text("café"), Value::Integer(4), Value::Text("é")},
                           {Value::Text("日本語"), Value::Integer(3), Value::Text("語")}});
  }

  TEST_CASE("a segment edited into invalid UTF-8 stops kopfd at start-up with file and line") {
    TempDir dir;
    const fs::path data = dir.path() / "data";
    {
      auto server = ServerProcess::Start(data);
      auto client = Connect(*server);
      REQUIRE(client->Query("CREATE TABLE t (id INT PRIMARY KEY, name TEXT)").ok());
      REQUIRE(client->Query("INSERT INTO t VALUES (1, 'äpfel')").ok());
      REQUIRE(server->Stop() == 0);
    }
    const fs::path segment = data / "tables" / "t" / "segment-000001.csv";
    std::string text = ReadTextFile(segment);
    const size_t at = text.find("äpfel");
    REQUIRE(at != std::string::npos);
    text[at] = '\xe4';  // 'ä' as Latin-1 writes it: one byte instead of two
    text.erase(at + 1, 1);
    {
      std::ofstream out(segment, std::ios::binary | std::ios::trunc);
      out << text;
    }
    auto refused = RunProcess({BinaryPath("kopfd"), "--port", "0", "--data", data.string()});
    CHECK(refused.exit_code != 0);
    CHECK_MESSAGE(refused.err.find(segment.string() + " line 2") != std::string::npos, refused.err);
    CHECK_MESSAGE(
        refused.err.find("text is not valid UTF-8: byte 0xe4 at offset 0") != std::string::npos,
        refused.err);
    CHECK(ReadTextFile(segment) == text);
  }
}

}  // namespace
}  // namespace kopf
