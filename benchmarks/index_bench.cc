// A secondary-index point lookup against the full scan it replaces, on a
// table of 1,000,000 rows, through the storage API and ScanRows exactly as
// the executor walks a table (shared lock, path, filter on every row):
//
//   t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT), index i_a ON t (a)
//   a = id % 333,333, so `a = v` matches 3 rows
//
//   index_bench                       all, then the speed-up of the lookup
//   index_bench --benchmark_filter=Lookup
//
// The table is built once in a temporary folder (fsync off) and removed at
// exit. The last line printed is the ratio full scan / index lookup.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "cerebellum/executor/scan.h"
#include "cerebellum/planner/access_path.h"
#include "cerebrum/database.h"

namespace {

using kopf::cerebellum::AccessPath;
using kopf::cerebellum::BoundExpr;
using kopf::cerebellum::BoundExprPtr;
using kopf::protocol::Row;
using kopf::protocol::Type;
using kopf::protocol::Value;
namespace bound = kopf::cerebellum::bound;
namespace cerebrum = kopf::cerebrum;

constexpr int64_t kRows = 1'000'000;
constexpr int64_t kDistinct = 333'333;
constexpr int64_t kBatch = 20'000;

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<cerebrum::Database> db;
  std::shared_ptr<cerebrum::Table> table;

  Fixture() {
    char name[] = "/tmp/kopf-index-bench-XXXXXX";
    if (::mkdtemp(name) == nullptr) std::abort();
    dir = name;
    cerebrum::Options options;
    options.data_dir = dir;
    options.sync = false;
    auto opened = cerebrum::Database::Open(options);
    if (!opened.ok()) Die(opened.status());
    db = std::move(opened).value();
    cerebrum::TableSchema schema;
    schema.name = "t";
    schema.columns = {{"id", Type::kInteger, "INTEGER", true, {}},
                      {"a", Type::kInteger, "INTEGER", false, {}},
                      {"b", Type::kText, "TEXT", false, {}}};
    schema.primary_key = {0};
    Check(db->CreateTable(schema));
    table = db->FindTable("t");
    for (int64_t start = 0; start < kRows; start += kBatch) {
      std::vector<cerebrum::Change> changes;
      for (int64_t id = start; id < start + kBatch; ++id) {
        changes.push_back({cerebrum::Change::Kind::kInsert,
                           {},
                           {Value::Integer(id), Value::Integer(id % kDistinct),
                            Value::Text("row " + std::to_string(id))}});
      }
      auto r = table->Commit(table->LockExclusive(), std::move(changes));
      if (!r.ok()) Die(r.status());
    }
    cerebrum::IndexSchema index;
    index.name = "i_a";
    index.table = "t";
    index.columns = {1};
    Check(db->CreateIndex(index));
  }
  ~Fixture() {
    table.reset();
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  static void Die(const kopf::protocol::Status& s) {
    std::fprintf(stderr, "index_bench: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  static void Check(const kopf::protocol::Status& s) {
    if (!s.ok()) Die(s);
  }
};

Fixture& TheFixture() {
  static Fixture fixture;
  return fixture;
}

// WHERE a = v, as the binder would produce it.
BoundExprPtr AEquals(int64_t v) {
  auto column = std::make_unique<BoundExpr>();
  column->node = bound::Column{1};
  column->type = Type::kInteger;
  auto constant = std::make_unique<BoundExpr>();
  constant->node = bound::Constant{Value::Integer(v)};
  constant->type = Type::kInteger;
  auto eq = std::make_unique<BoundExpr>();
  eq->node = bound::Binary{kopf::cerebellum::ast::BinaryOp::kEqual, std::move(column),
                           std::move(constant)};
  eq->type = Type::kBoolean;
  return eq;
}

// The executor's loop: walk the path, keep the rows the filter accepts.
size_t CountMatches(const cerebrum::Table& table, const AccessPath& path, const Value& v) {
  auto lock = table.LockShared();
  size_t matches = 0;
  kopf::cerebellum::ScanRows(table, path, [&](const cerebrum::Key&, const Row& row) {
    if (!row[1].is_null() && kopf::protocol::Compare(row[1], v) == 0) ++matches;
    return true;
  });
  return matches;
}

void Run(benchmark::State& state, bool use_index, bool plan_each_time) {
  Fixture& f = TheFixture();
  int64_t v = 12'345;
  BoundExprPtr where = AEquals(v);
  AccessPath path = kopf::cerebellum::ChooseAccessPath(*f.table, use_index ? where.get() : nullptr);
  if (use_index && path.kind != AccessPath::Kind::kIndexRange) {
    state.SkipWithError(("expected an index path, got " + path.Describe()).c_str());
    return;
  }
  state.SetLabel(path.Describe());
  for (auto _ : state) {
    v = (v + 7'919) % kDistinct;
    where = AEquals(v);
    if (plan_each_time) path = kopf::cerebellum::ChooseAccessPath(*f.table, where.get());
    if (use_index && !plan_each_time) path.prefix = {Value::Integer(v)};
    size_t n = CountMatches(*f.table, path, Value::Integer(v));
    if (n != 3) state.SkipWithError("wrong number of matches");
    benchmark::DoNotOptimize(n);
  }
}

void BM_IndexLookup(benchmark::State& state) { Run(state, true, false); }
void BM_PlanAndIndexLookup(benchmark::State& state) { Run(state, true, true); }
void BM_FullScan(benchmark::State& state) { Run(state, false, false); }

BENCHMARK(BM_IndexLookup);
BENCHMARK(BM_PlanAndIndexLookup);
BENCHMARK(BM_FullScan)->Unit(benchmark::kMillisecond);

// Prints as usual and remembers each benchmark's time per iteration.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      ns_[run.benchmark_name()] = run.GetAdjustedRealTime() * Scale(run.time_unit);
    }
  }
  void PrintRatio() const {
    auto lookup = ns_.find("BM_IndexLookup"), scan = ns_.find("BM_FullScan");
    if (lookup == ns_.end() || scan == ns_.end() || lookup->second <= 0) return;
    std::printf("full scan / index lookup = %.0fx (%.3f ms vs %.3f us)\n",
                scan->second / lookup->second, scan->second / 1e6, lookup->second / 1e3);
  }

 private:
  static double Scale(benchmark::TimeUnit unit) {
    switch (unit) {
      case benchmark::kNanosecond: return 1;
      case benchmark::kMicrosecond: return 1e3;
      case benchmark::kMillisecond: return 1e6;
      case benchmark::kSecond: return 1e9;
    }
    return 1;
  }
  std::map<std::string, double> ns_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  TheFixture();  // build the table before any timing
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatio();
  benchmark::Shutdown();
  return 0;
}
