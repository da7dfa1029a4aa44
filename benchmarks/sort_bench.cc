// The ORDER BY sorts (cerebellum/executor/sorter.h) on random data: each
// algorithm SortedOrder can choose, the automatic choice, and std::sort /
// std::stable_sort over the same items and comparator, at sizes around the
// thresholds; then TopKOrder against a full sort.
//
//   sort_bench --benchmark_filter='int/' --benchmark_min_time=0.2
//
// Benchmarks are named <data>/<algorithm>/<rows>. Data sets:
//   int       one INTEGER key, uniform over the whole int64 range
//   int_text  INTEGER in [0, rows/16) (about 16 rows per value), then TEXT
//   text      one TEXT key, 4 to 20 random lowercase letters
//   double    one DOUBLE key, uniform in [-1e6, 1e6)
// Figures include building the result permutation, the same for every
// algorithm.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "cerebellum/executor/sorter.h"

namespace {

using kopf::cerebellum::SortAlgorithm;
using kopf::cerebellum::SortKey;
using kopf::protocol::Row;
using kopf::protocol::Value;

enum class Data { kInt, kIntText, kText, kDouble };

const char* DataName(Data d) {
  switch (d) {
    case Data::kInt:
      return "int";
    case Data::kIntText:
      return "int_text";
    case Data::kText:
      return "text";
    case Data::kDouble:
      return "double";
  }
  return "";
}

const char* AlgorithmName(SortAlgorithm a) {
  switch (a) {
    case SortAlgorithm::kAuto:
      return "auto";
    case SortAlgorithm::kInsertion:
      return "insertion";
    case SortAlgorithm::kMerge:
      return "merge";
    case SortAlgorithm::kRadix:
      return "radix";
    case SortAlgorithm::kStdSort:
      return "std_sort";
    case SortAlgorithm::kStdStableSort:
      return "std_stable_sort";
  }
  return "";
}

std::string RandomText(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> length(4, 20), letter('a', 'z');
  std::string s(static_cast<size_t>(length(rng)), ' ');
  for (char& c : s) c = static_cast<char>(letter(rng));
  return s;
}

struct DataSet {
  Data data;
  size_t rows;
  std::vector<Row> key_rows;
  std::vector<const Row*> pointers;
  std::vector<SortKey> keys;
};

// The data set of the benchmark running now. Benchmarks are registered
// grouped by data set, so only one set (up to ~100 MB at 1e6 rows) lives at
// a time.
const DataSet& GetDataSet(Data data, size_t rows) {
  static std::unique_ptr<DataSet> current;
  if (current && current->data == data && current->rows == rows) return *current;
  current.reset();
  auto set = std::make_unique<DataSet>();
  set->data = data;
  set->rows = rows;
  std::mt19937_64 rng(42 + rows);
  std::uniform_int_distribution<int64_t> group(0, static_cast<int64_t>(rows / 16));
  std::uniform_real_distribution<double> real(-1e6, 1e6);
  set->key_rows.reserve(rows);
  for (size_t i = 0; i < rows; ++i) {
    Row r;
    switch (data) {
      case Data::kInt:
        r.push_back(Value::Integer(static_cast<int64_t>(rng())));
        break;
      case Data::kIntText:
        r.push_back(Value::Integer(group(rng)));
        r.push_back(Value::Text(RandomText(rng)));
        break;
      case Data::kText:
        r.push_back(Value::Text(RandomText(rng)));
        break;
      case Data::kDouble:
        r.push_back(Value::Double(real(rng)));
        break;
    }
    set->key_rows.push_back(std::move(r));
  }
  for (const Row& r : set->key_rows) set->pointers.push_back(&r);
  set->keys.assign(data == Data::kIntText ? 2 : 1, SortKey{});
  current = std::move(set);
  return *current;
}

void BM_Sort(benchmark::State& state, Data data, SortAlgorithm algorithm) {
  const DataSet& set = GetDataSet(data, static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    std::vector<size_t> order =
        kopf::cerebellum::SortedOrderWith(algorithm, set.pointers, set.keys);
    benchmark::DoNotOptimize(order.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// TopKOrder (heap) against the full sort it replaces, at 1e6 rows.
void BM_TopK(benchmark::State& state, Data data, bool full_sort) {
  constexpr size_t kRows = 1'000'000;
  const DataSet& set = GetDataSet(data, kRows);
  const auto k = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    std::vector<size_t> order;
    if (full_sort) {
      order = kopf::cerebellum::SortedOrder(set.pointers, set.keys);
      order.resize(k);
    } else {
      order = kopf::cerebellum::TopKOrder(set.pointers, set.keys, k);
    }
    benchmark::DoNotOptimize(order.data());
  }
}

// With --benchmark_repetitions, the fastest run: the least disturbed by
// other load on the machine.
double Min(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

}  // namespace

int main(int argc, char** argv) {
  const std::vector<int64_t> sizes = {8,   16,  32,   64,    100,    128,
                                      192, 256, 1000, 10000, 100000, 1000000};
  for (Data data : {Data::kInt, Data::kIntText, Data::kText, Data::kDouble}) {
    for (int64_t rows : sizes) {
      for (SortAlgorithm algorithm :
           {SortAlgorithm::kAuto, SortAlgorithm::kInsertion, SortAlgorithm::kMerge,
            SortAlgorithm::kRadix, SortAlgorithm::kStdSort, SortAlgorithm::kStdStableSort}) {
        // Insertion sort is quadratic; radix sort does not take TEXT.
        if (algorithm == SortAlgorithm::kInsertion && rows > 10000) continue;
        if (algorithm == SortAlgorithm::kRadix && data == Data::kText) continue;
        std::string name = fmt::format("{}/{}", DataName(data), AlgorithmName(algorithm));
        benchmark::RegisterBenchmark(name.c_str(), BM_Sort, data, algorithm)
            ->Arg(rows)
            ->Unit(rows >= 100000 ? benchmark::kMillisecond : benchmark::kMicrosecond)
            ->ComputeStatistics("min", Min);
      }
    }
  }
  for (Data data : {Data::kInt, Data::kText}) {
    for (bool full_sort : {false, true}) {
      std::string name =
          fmt::format("topk/{}/{}", DataName(data), full_sort ? "full_sort" : "heap");
      benchmark::RegisterBenchmark(name.c_str(), BM_TopK, data, full_sort)
          ->Arg(10)
          ->Arg(1000)
          ->Arg(10000)
          ->Arg(30000)
          ->Arg(100000)
          ->Arg(250000)
          ->Arg(500000)
          ->Unit(benchmark::kMillisecond)
          ->ComputeStatistics("min", Min);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
