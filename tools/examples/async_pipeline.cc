// kopf-example-async: many requests in flight on one connection.
//
//   kopf-example-async [-n REQUESTS] [kopf://host:port]   (default 10000; $KOPF_URL, else kopf://)
//
// 1. Creates example_kv with 1000 known rows (id, 'name-<id>').
// 2. Prepares the point read "SELECT id, name FROM example_kv WHERE id = $1"
//    and an aggregate over the rows up to an id, and sends REQUESTS
//    executions at once, without waiting, on one connection: request i
//    reads id i % 1000, every 100th instead sums the ids up to it.
// 3. Checks every reply against the request it answers and counts the
//    replies that arrived before the reply to an earlier request. The
//    server answers independent reads in any order: a point read runs at
//    once on the network thread, an aggregate on a worker, so the point
//    reads sent after an aggregate usually overtake it, and the client
//    matches each reply to its request by payload id.
// 4. Prints "N replies, all matched, K out of order" and exits 0, or names
//    the first mismatch and exits 1 (2 when the connection fails).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>

#include "protocol/async_client.h"
#include "protocol/connection_string.h"

namespace kp = kopf::protocol;

namespace {

constexpr int kRows = 1000;

struct Tally {
  int replies = 0;
  int mismatches = 0;
  int out_of_order = 0;
  uint64_t highest_answered = 0;  // payload id
};

// Checks one point read's reply: one row, id == want, name == "name-<want>".
std::string Check(const kp::Response& r, int64_t want) {
  if (!r.status.ok()) return r.status.ToString();
  if (r.result.rows.size() != 1) return std::to_string(r.result.rows.size()) + " rows";
  kp::RowRef row = r.result.row(0);
  kp::Result<int64_t> id = row.get<int64_t>("id");
  kp::Result<std::string> name = row.get<std::string>("name");
  if (!id.ok()) return id.status().ToString();
  if (!name.ok()) return name.status().ToString();
  if (*id != want || *name != "name-" + std::to_string(want)) {
    return "got (" + std::to_string(*id) + ", " + *name + ")";
  }
  return {};
}

// Checks one aggregate's reply: n == want + 1 rows, total == 0 + 1 + ... + want.
std::string CheckSum(const kp::Response& r, int64_t want) {
  if (!r.status.ok()) return r.status.ToString();
  if (r.result.rows.size() != 1) return std::to_string(r.result.rows.size()) + " rows";
  kp::RowRef row = r.result.row(0);
  kp::Result<int64_t> n = row.get<int64_t>("n");
  kp::Result<int64_t> total = row.get<int64_t>("total");
  if (!n.ok()) return n.status().ToString();
  if (!total.ok()) return total.status().ToString();
  if (*n != want + 1 || *total != want * (want + 1) / 2) {
    return "got (" + std::to_string(*n) + ", " + std::to_string(*total) + ")";
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  int requests = 10000;
  const char* env = std::getenv("KOPF_URL");
  std::string url = env != nullptr ? env : "kopf://";
  int urls = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
      requests = std::atoi(argv[++i]);
    } else {
      url = argv[i];
      ++urls;
    }
  }
  kp::Result<kp::ConnectionString> where = kp::ParseConnectionString(url);
  if (!where.ok() || requests <= 0 || urls > 1) {
    std::fprintf(stderr, "usage: kopf-example-async [-n REQUESTS] [kopf://host:port]\n%s\n",
                 where.ok() ? "" : where.status().ToString().c_str());
    return 2;
  }

  boost::asio::io_context io;
  auto connected = kp::AsyncClient::Connect(io.get_executor(), where->host, where->port,
                                            where->Options("kopf-example-async"));
  if (!connected.ok()) {
    std::fprintf(stderr, "%s\n", connected.status().ToString().c_str());
    return 2;
  }
  std::shared_ptr<kp::AsyncClient> client = *connected;

  std::string insert = "INSERT INTO example_kv VALUES ";
  for (int id = 0; id < kRows; ++id) {
    insert += (id > 0 ? ", (" : "(") + std::to_string(id) + ", 'name-" + std::to_string(id) + "')";
  }
  bool setup_failed = false;
  auto setup = [&](const kp::Response& r) {
    if (!r.status.ok()) {
      std::fprintf(stderr, "setup failed: %s\n", r.status.ToString().c_str());
      setup_failed = true;
    }
  };

  // The reads go out once the INSERT is acknowledged: a request is only
  // promised the writes whose answers had arrived before it was sent. Each
  // is an EXECUTE of the prepared point read: parsed once, and its value
  // travels typed instead of inside SQL text.
  Tally tally;
  kp::PreparedStatement read, sum;
  auto send_reads = [&] {
    kp::Row params{kp::Value::Integer(0)};
    for (int i = 0; i < requests; ++i) {
      int64_t want = i % kRows;
      const bool aggregate = i % 100 == 99;
      params[0] = kp::Value::Integer(want);  // encoded at once: the row can be reused
      client->AsyncExecute(
          aggregate ? sum : read, params, [&, want, aggregate](kp::Response r) {
            ++tally.replies;
            if (r.payload_id < tally.highest_answered) ++tally.out_of_order;
            tally.highest_answered = std::max(tally.highest_answered, r.payload_id);
            std::string problem = aggregate ? CheckSum(r, want) : Check(r, want);
            if (!problem.empty() && tally.mismatches++ == 0) {
              std::fprintf(stderr, "reply %llu to \"id = %lld\": %s\n",
                           static_cast<unsigned long long>(r.payload_id),
                           static_cast<long long>(want), problem.c_str());
            }
            if (tally.replies < requests) return;
            client->AsyncQuery("DROP TABLE example_kv", [&](kp::Response r) {
              setup(r);
              client->Close();  // graceful: the server answers what it read, then closes
            });
          });
    }
  };
  client->AsyncQuery("DROP TABLE IF EXISTS example_kv", setup);
  client->AsyncQuery("CREATE TABLE example_kv (id INT PRIMARY KEY, name TEXT)", setup);
  // PREPARE checks the table exists, so it too waits for the setup's answers.
  client->AsyncQuery(insert, [&](kp::Response r) {
    setup(r);
    if (setup_failed) return client->Close();
    auto prepare = [&](const char* sql, kp::PreparedStatement* into, bool last) {
      client->AsyncPrepare(sql, [&, into, last](kp::Result<kp::PreparedStatement> prepared) {
        if (!prepared.ok()) {
          setup(kp::Response{0, prepared.status(), {}, std::nullopt, std::nullopt});
          return client->Close();
        }
        *into = std::move(*prepared);
        if (last && !setup_failed) send_reads();
      });
    };
    prepare("SELECT id, name FROM example_kv WHERE id = $1", &read, false);
    prepare("SELECT count(*) AS n, sum(id) AS total FROM example_kv WHERE id <= $1", &sum, true);
  });
  io.run();

  if (setup_failed) return 1;
  if (tally.replies != requests || tally.mismatches != 0) {
    std::printf("%d of %d replies, %d did not match their request\n", tally.replies, requests,
                tally.mismatches);
    return 1;
  }
  std::printf("%d replies, all matched, %d out of order\n", tally.replies, tally.out_of_order);
  return 0;
}
