// kopf-example-sync: the blocking client in a dozen calls.
//
//   kopf-example-sync [kopf://user:pass@host:port]   (default: $KOPF_URL, else kopf://)
//
// Connects, creates a small table, inserts rows, reads them back with typed,
// NULL-checked access by column name, and drops the table. Exit status 0 on
// success, 1 when a statement fails, 2 when the connection fails.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "protocol/client.h"
#include "protocol/connection_string.h"

namespace kp = kopf::protocol;

namespace {

bool Run(kp::Client& client, const char* sql) {
  kp::Result<kp::QueryResult> r = client.Query(sql);
  if (!r.ok()) std::fprintf(stderr, "%s\n  failed: %s\n", sql, r.status().ToString().c_str());
  return r.ok();
}

}  // namespace

int main(int argc, char** argv) {
  const char* env = std::getenv("KOPF_URL");
  std::string url = argc > 1 ? argv[1] : env != nullptr ? env : "kopf://";
  kp::Result<kp::ConnectionString> where = kp::ParseConnectionString(url);
  if (!where.ok()) {
    std::fprintf(stderr, "%s\n", where.status().ToString().c_str());
    return 2;
  }
  auto connected = kp::Client::Connect(where->host, where->port, where->Options("kopf-example-sync"));
  if (!connected.ok()) {
    std::fprintf(stderr, "%s\n", connected.status().ToString().c_str());
    return 2;
  }
  kp::Client& client = **connected;
  std::printf("connected to %s at %s as client %u\n", client.server_version().c_str(),
              where->Address().c_str(), client.client_id());

  if (!Run(client, "DROP TABLE IF EXISTS example_pets") ||
      !Run(client, "CREATE TABLE example_pets (id INT PRIMARY KEY, name TEXT, weight DOUBLE)") ||
      !Run(client, "INSERT INTO example_pets VALUES (1, 'Rex', 31.5), (2, 'Tom', NULL)")) {
    return 1;
  }
  kp::Result<kp::QueryResult> pets = client.Query("SELECT * FROM example_pets ORDER BY id");
  if (!pets.ok()) {
    std::fprintf(stderr, "%s\n", pets.status().ToString().c_str());
    return 1;
  }
  for (size_t i = 0; i < pets->rows.size(); ++i) {
    kp::RowRef row = pets->row(i);
    kp::Result<int64_t> id = row.get<int64_t>("id");
    kp::Result<std::string> name = row.get<std::string>("name");
    kp::Result<std::optional<double>> weight = row.get<std::optional<double>>("weight");
    if (!id.ok() || !name.ok() || !weight.ok()) return 1;
    if (*weight) {
      std::printf("pet %lld: %s, %.1f kg\n", static_cast<long long>(*id), name->c_str(), **weight);
    } else {
      std::printf("pet %lld: %s, weight unknown\n", static_cast<long long>(*id), name->c_str());
    }
  }
  // A NULL read as a plain double is an error that says what to do instead.
  kp::Result<double> missing = pets->row(1).get<double>("weight");
  std::printf("reading a NULL as double: %s\n", missing.status().ToString().c_str());
  return Run(client, "DROP TABLE example_pets") ? 0 : 1;
}
