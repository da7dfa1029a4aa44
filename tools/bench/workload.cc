#include "tools/bench/workload.h"

#include <charconv>

#include <fmt/format.h>

namespace kopf::bench {

namespace {

constexpr const char* kCities[] = {"Berlin", "Paris",  "London", "Madrid", "Rome",
                                   "Vienna", "Prague", "Warsaw", "Lisbon", "Oslo"};

}  // namespace

std::optional<WorkloadSpec> ParseWorkload(std::string_view name) {
  if (name == "select") return WorkloadSpec{"select", WorkloadKind::kSelect};
  if (name == "range") return WorkloadSpec{"range", WorkloadKind::kRange};
  if (name == "insert") return WorkloadSpec{"insert", WorkloadKind::kInsert, 0};
  if (name == "update") return WorkloadSpec{"update", WorkloadKind::kUpdate, 0};
  constexpr std::string_view kMixed = "mixed";
  if (name.substr(0, kMixed.size()) == kMixed) {
    std::string_view digits = name.substr(kMixed.size());
    int percent = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), percent);
    if (!digits.empty() && ec == std::errc() && end == digits.data() + digits.size() &&
        percent >= 0 && percent <= 100) {
      return WorkloadSpec{std::string(name), WorkloadKind::kMixed, percent};
    }
  }
  return std::nullopt;
}

std::vector<WorkloadSpec> AllWorkloads() {
  std::vector<WorkloadSpec> all;
  for (const char* name : {"select", "range", "insert", "update", "mixed70", "mixed50", "mixed30"}) {
    all.push_back(*ParseWorkload(name));
  }
  return all;
}

Workload::Workload(WorkloadSpec spec, int64_t rows, int64_t* next_insert_id, uint64_t seed)
    : spec_(std::move(spec)), rows_(rows), next_insert_id_(next_insert_id), rng_(seed) {}

int64_t Workload::RandomId() {
  return std::uniform_int_distribution<int64_t>(1, rows_)(rng_);
}

Workload::Request Workload::Next() {
  WorkloadKind kind = spec_.kind;
  if (kind == WorkloadKind::kMixed) {
    bool read = std::uniform_int_distribution<int>(0, 99)(rng_) < spec_.read_percent;
    kind = read ? WorkloadKind::kSelect : WorkloadKind::kUpdate;
  }
  switch (kind) {
    case WorkloadKind::kSelect:
    case WorkloadKind::kUpdate:
      return {kind, RandomId()};
    case WorkloadKind::kRange:
      return {kind,
              std::uniform_int_distribution<int64_t>(1, std::max<int64_t>(1, rows_ - 99))(rng_)};
    case WorkloadKind::kInsert:
      return {kind, (*next_insert_id_)++};
    case WorkloadKind::kMixed:
      break;
  }
  return {WorkloadKind::kSelect, 1};  // not reached: kMixed became a statement kind
}

std::string_view PreparedSql(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kSelect:
      return "SELECT name, age, city FROM kv WHERE id = $1";
    case WorkloadKind::kRange:
      return "SELECT id, name, age, city FROM kv WHERE id BETWEEN $1 AND $2";
    case WorkloadKind::kInsert:
      return "INSERT INTO kv VALUES ($1, 'name_ins', 42, 'Berlin')";
    case WorkloadKind::kUpdate:
      return "UPDATE kv SET age = age + 1 WHERE id = $1";
    case WorkloadKind::kMixed:
      break;
  }
  return {};
}

std::string Workload::NextRequest() {
  Request r = Next();
  switch (r.kind) {
    case WorkloadKind::kSelect:
      return fmt::format("SELECT name, age, city FROM kv WHERE id = {}", r.id);
    case WorkloadKind::kRange:
      return fmt::format("SELECT id, name, age, city FROM kv WHERE id BETWEEN {} AND {}", r.id,
                         r.id + 99);
    case WorkloadKind::kInsert:
      return fmt::format("INSERT INTO kv VALUES ({}, 'name_ins', 42, 'Berlin')", r.id);
    case WorkloadKind::kUpdate:
      return fmt::format("UPDATE kv SET age = age + 1 WHERE id = {}", r.id);
    case WorkloadKind::kMixed:
      break;
  }
  return {};
}

WorkloadKind Workload::NextParameters(protocol::Row* params) {
  Request r = Next();
  params->resize(r.kind == WorkloadKind::kRange ? 2 : 1);
  (*params)[0] = protocol::Value::Integer(r.id);
  if (r.kind == WorkloadKind::kRange) (*params)[1] = protocol::Value::Integer(r.id + 99);
  return r.kind;
}

std::vector<std::string> LoadStatements(int64_t rows, int per_statement) {
  std::vector<std::string> out;
  std::string sql;
  for (int64_t id = 1; id <= rows; ++id) {
    sql += sql.empty() ? "INSERT INTO kv VALUES " : ", ";
    sql += fmt::format("({}, 'name_{}', {}, '{}')", id, id, 18 + (id * 7) % 80, kCities[id % 10]);
    if (id % per_statement == 0 || id == rows) out.push_back(std::move(sql)), sql.clear();
  }
  return out;
}

}  // namespace kopf::bench
