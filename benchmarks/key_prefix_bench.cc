// Point lookups in a B+Tree of Value keys (the shape of a table's primary
// index) with the key prefixes KeyCompare supplies, against the same tree
// searching whole keys only (a comparator without Prefix), side by side in
// one run: 1e5 and 1e6 random INTEGER keys and TEXT keys, probed by
// std::span<const Value> as the table does, half of the probes misses.
// IntegerKeyCompare is the comparator of a table keyed by one integer
// column, whose prefix alone decides a lookup (KeyCompare::ForIntegerKeys).
//
//   key_prefix_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only
#include <algorithm>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "cerebrum/btree.h"
#include "cerebrum/key_range.h"
#include "protocol/value.h"

namespace {

using kopf::cerebrum::Key;
using kopf::cerebrum::KeyCompare;
using kopf::protocol::Value;

// KeyCompare without Prefix(): the tree compares whole keys at every step.
struct WholeKeyCompare {
  using is_transparent = void;
  template <typename A, typename B>
  std::strong_ordering operator()(const A& a, const B& b) const {
    return KeyCompare()(a, b);
  }
};

// The comparator a table keyed by one integer column gives its tree.
struct IntegerKeyCompare : KeyCompare {
  IntegerKeyCompare() : KeyCompare(KeyCompare::ForIntegerKeys()) {}
};

enum class Kind { kInteger, kText };

// `n` distinct random keys; texts are 12 random letters and digits.
std::vector<Key> RandomKeys(Kind kind, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::vector<Key> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (kind == Kind::kInteger) {
      keys.push_back({Value::Integer(static_cast<int64_t>(rng() >> 2))});
    } else {
      std::string s(12, ' ');
      for (char& c : s) c = kChars[rng() % (sizeof(kChars) - 1)];
      keys.push_back({Value::Text(std::move(s))});
    }
  }
  return keys;
}

template <typename Compare, Kind kKind>
void BM_Find(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  std::vector<Key> keys = RandomKeys(kKind, n, 1);
  kopf::cerebrum::BPlusTree<Key, int64_t, Compare> tree;
  for (size_t i = 0; i < keys.size(); ++i) tree.Insert(keys[i], static_cast<int64_t>(i));
  // Hits in an order other than the insertion's, and as many misses.
  std::vector<Key> probes = RandomKeys(kKind, n / 2, 2);
  probes.insert(probes.end(), keys.begin(), keys.begin() + static_cast<ptrdiff_t>(n / 2));
  std::shuffle(probes.begin(), probes.end(), std::mt19937_64(3));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tree.Find(std::span<const Value>(probes[i])));
    if (++i == probes.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_TEMPLATE(BM_Find, WholeKeyCompare, Kind::kInteger)->Arg(100'000)->Arg(1'000'000);
BENCHMARK_TEMPLATE(BM_Find, KeyCompare, Kind::kInteger)->Arg(100'000)->Arg(1'000'000);
BENCHMARK_TEMPLATE(BM_Find, IntegerKeyCompare, Kind::kInteger)->Arg(100'000)->Arg(1'000'000);
BENCHMARK_TEMPLATE(BM_Find, WholeKeyCompare, Kind::kText)->Arg(100'000)->Arg(1'000'000);
BENCHMARK_TEMPLATE(BM_Find, KeyCompare, Kind::kText)->Arg(100'000)->Arg(1'000'000);

}  // namespace

BENCHMARK_MAIN();
