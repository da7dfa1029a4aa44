// The real kopfd on a loopback port: SQL scripts over the wire, restarts,
// pipelining with out-of-order replies, and hostile clients.
#include <atomic>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "protocol/client.h"
#include "protocol/frame_format.h"
#include "protocol/message.h"
#include "tests/support/raw_connection.h"
#include "tests/support/sql_script.h"
#include "tests/support/test_support.h"

namespace kopf {
namespace {

using protocol::Client;
using protocol::ErrorCode;
using protocol::Value;
using testing::Connect;
using testing::RawConnection;
using testing::ServerProcess;
using testing::TempDir;

TEST_SUITE("e2e/server") {
  TEST_CASE("every script in tests/sql passes against the real server, restarts included") {
    for (const auto& script : testing::AllSqlScripts()) {
      TempDir dir;
      auto data = dir.path() / "data";
      auto server = ServerProcess::Start(data);
      auto client = Connect(*server);
      testing::ScriptHooks hooks;
      hooks.execute = [&](const std::string& sql) { return client->Query(sql); };
      hooks.restart = [&] {
        client.reset();
        CHECK(server->Stop() == 0);
        server = ServerProcess::Start(data);
        client = Connect(*server);
      };
      int run = 0;
      auto failures = testing::RunSqlScript(script, hooks, &run);
      INFO("script " << script.string());
      CHECK(run > 0);
      for (const auto& f : failures) FAIL_CHECK(f);
    }
  }

  TEST_CASE("network threads that sleep at once or poll first serve and stop alike") {
    // Every other test runs with the default polling window; this one also
    // covers io_poll_us = 0 (a plain io_context::run) and two network threads.
    for (const char* window : {"0", "1000"}) {
      CAPTURE(window);
      TempDir dir;
      auto server = ServerProcess::Start(dir.path() / "data",
                                         {"--io-poll-us", window, "--io-threads", "2"});
      auto client = Connect(*server);
      REQUIRE(client->Query("CREATE TABLE t (id INT PRIMARY KEY)").ok());
      REQUIRE(client->Query("INSERT INTO t VALUES (1), (2)").ok());
      auto rows = client->Query("SELECT count(*) FROM t");
      REQUIRE(rows.ok());
      CHECK(rows->rows.at(0).at(0) == protocol::Value::Integer(2));
      client.reset();
      CHECK(server->Stop() == 0);
    }
  }

  TEST_CASE("the table's CSV file holds the rows a reader expects") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    auto client = Connect(*server);
    REQUIRE(client->Query("CREATE TABLE fruit (id INT PRIMARY KEY, name TEXT, price DOUBLE)").ok());
    REQUIRE(client->Query("INSERT INTO fruit VALUES (1, 'apple, red', 0.5), (2, '', NULL)").ok());
    REQUIRE(client->Query("DELETE FROM fruit WHERE id = 2").ok());
    const std::string expected =
        "_seq,_op,id,name,price\n"
        "1,put,1,\"apple, red\",0.5\n"
        "1,put,2,\"\",\n"
        "1,commit,,,\n"
        "2,del,2,,\n"
        "2,commit,,,\n";
    auto read_segment = [&] {
      std::ifstream in(dir.path() / "data/tables/fruit/segment-000001.csv", std::ios::binary);
      std::stringstream csv;
      csv << in.rdbuf();
      return csv.str();
    };
    // While the server runs, the active segment is followed by zeros
    // written ahead of the next commits; a graceful stop cuts them off.
    std::string running = read_segment();
    CHECK(running.substr(0, expected.size()) == expected);
    CHECK(running.find_first_not_of('\0', expected.size()) == std::string::npos);
    client.reset();
    CHECK(server->Stop() == 0);
    CHECK(read_segment() == expected);
  }

  TEST_CASE("two clients each pipelining 1000 requests get every reply, matched by payload id") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    {
      auto setup = Connect(*server);
      REQUIRE(setup->Query("CREATE TABLE kv (k INT PRIMARY KEY, v TEXT)").ok());
    }
    constexpr int kRequests = 1000;
    auto run_client = [&](int which, std::string* error) {
      auto client = Connect(*server);
      std::map<uint64_t, int> sent;  // payload id -> request number
      for (int i = 0; i < kRequests; ++i) {
        // Alternate writes and reads so both paths are pipelined.
        std::string sql = i % 2 == 0
            ? fmt::format("INSERT INTO kv VALUES ({}, 'c{}-{}')", which * 100000 + i, which, i)
            : fmt::format("SELECT {}, 'c{}'", i, which);
        auto id = client->Send(sql);
        if (!id.ok()) {
          *error = id.status().ToString();
          return;
        }
        sent[*id] = i;
      }
      for (int n = 0; n < kRequests; ++n) {
        auto response = client->Receive();
        if (!response.ok()) {
          *error = response.status().ToString();
          return;
        }
        auto it = sent.find(response->payload_id);
        if (it == sent.end()) {
          *error = fmt::format("reply for unknown or repeated payload {}", response->payload_id);
          return;
        }
        int i = it->second;
        sent.erase(it);
        if (!response->status.ok()) {
          *error = response->status.ToString();
          return;
        }
        const auto& r = response->result;
        bool good = i % 2 == 0 ? (r.tag == "INSERT" && r.count == 1)
                               : (r.rows.size() == 1 && r.rows[0][0] == Value::Integer(i) &&
                                  r.rows[0][1] == Value::Text(fmt::format("c{}", which)));
        if (!good) {
          *error = fmt::format("wrong reply to request {}", i);
          return;
        }
      }
      if (!sent.empty()) *error = fmt::format("{} replies missing", sent.size());
    };
    std::string error1, error2;
    std::thread t1(run_client, 1, &error1);
    std::thread t2(run_client, 2, &error2);
    t1.join();
    t2.join();
    CHECK_MESSAGE(error1.empty(), error1);
    CHECK_MESSAGE(error2.empty(), error2);
    auto check = Connect(*server);
    auto count = check->Query("SHOW TABLES");
    REQUIRE(count.ok());
    CHECK(count->rows[0][2] == Value::Integer(kRequests));
  }

  TEST_CASE("malformed frames and bad SQL get errors while another client keeps working") {
    TempDir dir;
    auto server = ServerProcess::Start(dir.path() / "data");
    auto good = Connect(*server);
    REQUIRE(good->Query("CREATE TABLE t (id INT PRIMARY KEY)").ok());

    auto expect_protocol_error_and_close = [&](RawConnection& raw) {
      auto reply = raw.Receive();
      REQUIRE(reply.has_value());
      auto* error = std::get_if<protocol::ErrorMessage>(&reply->message);
      REQUIRE(error != nullptr);
      CHECK(error->code == ErrorCode::kProtocolViolation);
      CHECK(raw.WaitClosed());
    };

    SUBCASE("a frame announcing 4 GiB") {
      RawConnection raw(server->port());
      REQUIRE(raw.Handshake() != 0);
      raw.SendBytes(std::string("\xff\xff\xff\xff", 4));
      expect_protocol_error_and_close(raw);
    }
    SUBCASE("a frame shorter than its header") {
      RawConnection raw(server->port());
      raw.SendBytes(std::string("\x03\x00\x00\x00\x01\x01\x00", 7));
      expect_protocol_error_and_close(raw);
    }
    SUBCASE("garbage instead of a handshake") {
      RawConnection raw(server->port());
      std::string garbage(64, 'x');
      garbage[0] = 40;
      garbage[1] = garbage[2] = garbage[3] = 0;
      raw.SendBytes(garbage);
      expect_protocol_error_and_close(raw);
    }
    SUBCASE("a query before the handshake") {
      RawConnection raw(server->port());
      raw.Send({0, 1, protocol::Query{"SELECT 1"}});
      expect_protocol_error_and_close(raw);
    }
    SUBCASE("an unknown protocol version") {
      RawConnection raw(server->port());
      protocol::Hello hello;
      hello.major = 99;
      raw.Send({0, 0, hello});
      expect_protocol_error_and_close(raw);
    }
    SUBCASE("a client that vanishes mid-frame") {
      RawConnection raw(server->port());
      REQUIRE(raw.Handshake() != 0);
      raw.SendBytes(std::string("\x40\x00\x00\x00\x01\x10", 6));
    }
    SUBCASE("invalid SQL keeps the connection open") {
      RawConnection raw(server->port());
      uint32_t id = raw.Handshake();
      REQUIRE(id != 0);
      raw.Send({id, 1, protocol::Query{"SELECT * FROM t WHERE"}});
      auto reply = raw.Receive();
      REQUIRE(reply.has_value());
      CHECK(reply->payload_id == 1);
      auto* error = std::get_if<protocol::ErrorMessage>(&reply->message);
      REQUIRE(error != nullptr);
      CHECK(error->code == ErrorCode::kSyntaxError);
      CHECK(error->position == 21);
      raw.Send({id, 2, protocol::Query{"SELECT 40 + 2"}});
      bool saw_value = false;
      while (auto r = raw.Receive()) {
        if (auto* batch = std::get_if<protocol::RowBatch>(&r->message)) {
          saw_value = batch->rows.at(0).at(0) == Value::Integer(42);
        }
        if (std::holds_alternative<protocol::Complete>(r->message)) break;
      }
      CHECK(saw_value);
    }
    // Whatever the hostile client did, the good one is still served.
    for (int i = 0; i < 20; ++i) {
      REQUIRE(good->Query(fmt::format("INSERT INTO t VALUES ({})", i)).ok());
    }
    auto r = good->Query("SELECT id FROM t WHERE id = 19");
    REQUIRE(r.ok());
    CHECK(r->rows.size() == 1);
  }
}

}  // namespace
}  // namespace kopf
