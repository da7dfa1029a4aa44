// BPlusTree against std::map at 1e6 int64 keys: point lookups, random and
// ascending inserts, and a full ordered scan.
//
//   btree_bench --benchmark_min_time=1
//
// Figures are per operation (items_per_second counts single inserts,
// lookups or scanned entries).
#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include "cerebrum/btree.h"

namespace {

constexpr int64_t kKeys = 1'000'000;

using Tree = kopf::cerebrum::BPlusTree<int64_t, int64_t>;
using Map = std::map<int64_t, int64_t>;

// The keys 0, 7, 14, ... in a fixed random order.
const std::vector<int64_t>& ShuffledKeys() {
  static const std::vector<int64_t> keys = [] {
    std::vector<int64_t> k(kKeys);
    for (int64_t i = 0; i < kKeys; ++i) k[i] = i * 7;
    std::shuffle(k.begin(), k.end(), std::mt19937_64(1));
    return k;
  }();
  return keys;
}

void Insert(Tree* t, int64_t k) { t->Insert(k, k); }
void Insert(Map* m, int64_t k) { m->emplace(k, k); }
const int64_t* Find(const Tree& t, int64_t k) { return t.Find(k); }
const int64_t* Find(const Map& m, int64_t k) {
  auto it = m.find(k);
  return it == m.end() ? nullptr : &it->second;
}

template <typename Container>
void BM_InsertRandom(benchmark::State& state) {
  const auto& keys = ShuffledKeys();
  for (auto _ : state) {
    auto* c = new Container;
    for (int64_t k : keys) Insert(c, k);
    benchmark::DoNotOptimize(c);
    state.PauseTiming();
    delete c;
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kKeys);
}

template <typename Container>
void BM_InsertAscending(benchmark::State& state) {
  for (auto _ : state) {
    auto* c = new Container;
    for (int64_t k = 0; k < kKeys; ++k) Insert(c, k * 7);
    benchmark::DoNotOptimize(c);
    state.PauseTiming();
    delete c;
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kKeys);
}

template <typename Container>
void BM_FindRandom(benchmark::State& state) {
  const auto& keys = ShuffledKeys();
  Container c;
  for (int64_t k : keys) Insert(&c, k);
  // Probe in a different random order than the insertion, half misses.
  std::vector<int64_t> probes(keys.begin(), keys.end());
  std::shuffle(probes.begin(), probes.end(), std::mt19937_64(2));
  for (size_t i = 0; i < probes.size(); i += 2) probes[i] += 3;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(Find(c, probes[i]));
    if (++i == probes.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ScanTree(benchmark::State& state) {
  Tree t;
  for (int64_t k : ShuffledKeys()) t.Insert(k, k);
  for (auto _ : state) {
    int64_t sum = 0;
    for (auto it = t.Begin(); it.Valid(); it.Next()) sum += it.value();
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kKeys);
}

void BM_ScanMap(benchmark::State& state) {
  Map m;
  for (int64_t k : ShuffledKeys()) m.emplace(k, k);
  for (auto _ : state) {
    int64_t sum = 0;
    for (const auto& [k, v] : m) sum += v;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kKeys);
}

BENCHMARK_TEMPLATE(BM_InsertRandom, Tree)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_InsertRandom, Map)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_InsertAscending, Tree)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_InsertAscending, Map)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_FindRandom, Tree);
BENCHMARK_TEMPLATE(BM_FindRandom, Map);
BENCHMARK(BM_ScanTree)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScanMap)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
