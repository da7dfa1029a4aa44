// The ORDER BY sorts. How SortedOrder picks an algorithm:
//
//   1. Fewer than two rows or no keys: the identity order.
//   2. At least kRadixSortMinRows rows and a first key that is INTEGER (or
//      NULL) in every row, or DOUBLE (or NULL) in every row: LSD radix sort
//      on that key, then a comparison sort of each run of equal first keys
//      on the remaining keys.
//   3. Otherwise a comparison sort: binary insertion sort up to
//      kInsertionSortMaxRows rows, a merge sort above.
//
// All of them work on small (key pointer, index) items, never on the rows,
// and all are stable. The thresholds come from benchmarks/sort_bench.cc.
//
// Left out: normalized key prefixes (caching the first bytes of each key in
// the item, so most comparisons touch no Value) and an MSD radix for TEXT;
// both would speed up the comparison sorts of large inputs.
#include "cerebellum/executor/sorter.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace kopf::cerebellum {

using protocol::Row;
using protocol::Type;
using protocol::Value;

namespace {

// Measured with sort_bench (random data, 1 INTEGER / INTEGER+TEXT / TEXT
// keys; see the report in sort_bench.cc for the figures):
// - Binary insertion sort beats the merge sort (and std::stable_sort) only
//   on tiny inputs: TODO thresholds.
constexpr size_t kInsertionSortMaxRows = 32;
// - The merge sort first sorts runs of this many rows by insertion.
constexpr size_t kMergeRunRows = 32;
// - Radix sort on an INTEGER first key beats every comparison sort from
//   TODO rows on.
constexpr size_t kRadixSortMinRows = 1000;
// - TopK uses the bounded heap while k <= n / kTopKFullSortRatio; above, a
//   full sort and truncation is faster.
constexpr size_t kTopKFullSortRatio = 1;

// One row to sort: its key values and its input position.
struct Item {
  const Value* keys;
  size_t index;
};

int Sign(std::strong_ordering o) { return o < 0 ? -1 : (o > 0 ? 1 : 0); }

// protocol::Compare as -1/0/1, with the common same-type cases inline.
inline int CompareValues(const Value& a, const Value& b) {
  Type ta = a.type();
  if (ta == b.type()) {
    if (ta == Type::kInteger) {
      int64_t x = a.as_integer(), y = b.as_integer();
      return (x > y) - (x < y);
    }
    if (ta == Type::kText) {
      int c = a.as_text().compare(b.as_text());
      return (c > 0) - (c < 0);
    }
  }
  return Sign(protocol::Compare(a, b));
}

// Compares two key rows on keys[from..]: -1, 0 or 1.
class KeyCompare {
 public:
  KeyCompare(std::span<const SortKey> keys, size_t from) : keys_(keys), from_(from) {}

  int operator()(const Value* a, const Value* b) const {
    for (size_t i = from_; i < keys_.size(); ++i) {
      const Value& x = a[i];
      const Value& y = b[i];
      bool xn = x.is_null(), yn = y.is_null();
      if (xn || yn) {
        if (xn && yn) continue;
        return xn == keys_[i].nulls_first ? -1 : 1;
      }
      int c = CompareValues(x, y);
      if (c != 0) return keys_[i].descending ? -c : c;
    }
    return 0;
  }
  bool Less(const Item& a, const Item& b) const { return (*this)(a.keys, b.keys) < 0; }
  // A strict total order: ties broken by input position.
  bool Before(const Item& a, const Item& b) const {
    int c = (*this)(a.keys, b.keys);
    return c < 0 || (c == 0 && a.index < b.index);
  }

 private:
  std::span<const SortKey> keys_;
  size_t from_;
};

// ---- Comparison sorts -----------------------------------------------------

// Binary insertion sort: O(n log n) comparisons (the expensive part here)
// and O(n^2) moves of 16-byte items. Inserting after equal items keeps it
// stable.
void InsertionSort(std::span<Item> items, const KeyCompare& cmp) {
  for (size_t i = 1; i < items.size(); ++i) {
    Item x = items[i];
    if (!cmp.Less(x, items[i - 1])) continue;  // already in place
    auto pos = std::upper_bound(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(i), x,
                                [&](const Item& a, const Item& b) { return cmp.Less(a, b); });
    std::move_backward(pos, items.begin() + static_cast<std::ptrdiff_t>(i),
                       items.begin() + static_cast<std::ptrdiff_t>(i + 1));
    *pos = x;
  }
}

// Merges the sorted [a, a_end) and [b, b_end) into out; takes from the left
// on ties, which keeps the sort stable.
void Merge(const Item* a, const Item* a_end, const Item* b, const Item* b_end, Item* out,
           const KeyCompare& cmp) {
  while (a != a_end && b != b_end) *out++ = cmp.Less(*b, *a) ? *b++ : *a++;
  out = std::copy(a, a_end, out);
  std::copy(b, b_end, out);
}

// Bottom-up merge sort: insertion-sorted runs of kMergeRunRows, then passes
// that merge pairs of runs back and forth between `items` and `buffer`
// (which the caller reuses across calls).
void MergeSort(std::span<Item> items, std::vector<Item>& buffer, const KeyCompare& cmp) {
  const size_t n = items.size();
  for (size_t lo = 0; lo < n; lo += kMergeRunRows) {
    InsertionSort(items.subspan(lo, std::min(kMergeRunRows, n - lo)), cmp);
  }
  if (n <= kMergeRunRows) return;
  if (buffer.size() < n) buffer.resize(n);
  Item* src = items.data();
  Item* dst = buffer.data();
  for (size_t width = kMergeRunRows; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
      if (mid == hi || !cmp.Less(src[mid], src[mid - 1])) {
        // One run, or two already in order (common on presorted input).
        std::copy(src + lo, src + hi, dst + lo);
      } else {
        Merge(src + lo, src + mid, src + mid, src + hi, dst + lo, cmp);
      }
    }
    std::swap(src, dst);
  }
  if (src != items.data()) std::copy(src, src + n, items.data());
}

void ComparisonSort(SortAlgorithm algorithm, std::span<Item> items, std::vector<Item>& buffer,
                    const KeyCompare& cmp) {
  if (items.size() < 2) return;
  switch (algorithm) {
    case SortAlgorithm::kAuto:
    case SortAlgorithm::kRadix:
      if (items.size() <= kInsertionSortMaxRows) {
        InsertionSort(items, cmp);
      } else {
        MergeSort(items, buffer, cmp);
      }
      return;
    case SortAlgorithm::kInsertion: InsertionSort(items, cmp); return;
    case SortAlgorithm::kMerge: MergeSort(items, buffer, cmp); return;
    case SortAlgorithm::kStdSort:
      std::sort(items.begin(), items.end(),
                [&](const Item& a, const Item& b) { return cmp.Before(a, b); });
      return;
    case SortAlgorithm::kStdStableSort:
      std::stable_sort(items.begin(), items.end(),
                       [&](const Item& a, const Item& b) { return cmp.Less(a, b); });
      return;
  }
}

std::vector<Item> MakeItems(std::span<const Row* const> key_rows, size_t key_count) {
  std::vector<Item> items(key_rows.size());
  for (size_t i = 0; i < key_rows.size(); ++i) {
    assert(key_rows[i]->size() >= key_count);
    items[i] = Item{key_rows[i]->data(), i};
  }
  return items;
}

// ---- Radix sort -------------------------------------------------------------

enum class RadixKind { kNone, kInteger, kDouble };

// Whether the first key can be radix-sorted: INTEGER or NULL in every row,
// or DOUBLE or NULL in every row. (Mixed numbers compare exactly across
// types, which no single 64-bit image preserves.)
RadixKind RadixKindOf(std::span<const Row* const> key_rows) {
  bool integers = true, doubles = true;
  for (const Row* row : key_rows) {
    Type t = (*row)[0].type();
    integers = integers && (t == Type::kInteger || t == Type::kNull);
    doubles = doubles && (t == Type::kDouble || t == Type::kNull);
    if (!integers && !doubles) return RadixKind::kNone;
  }
  return integers ? RadixKind::kInteger : RadixKind::kDouble;
}

// Order-preserving unsigned images: flipping the sign bit maps int64 order
// onto uint64 order. For doubles, negative values are inverted whole and
// positive ones get the sign bit set; -0.0 becomes 0.0 and NaN becomes 0,
// below every other image, as protocol::Compare puts NaN below all numbers.
uint64_t RadixImage(int64_t v) { return static_cast<uint64_t>(v) ^ (uint64_t{1} << 63); }
uint64_t RadixImage(double v) {
  if (std::isnan(v)) return 0;
  if (v == 0) v = 0.0;
  auto bits = std::bit_cast<uint64_t>(v);
  return (bits >> 63) != 0 ? ~bits : bits | (uint64_t{1} << 63);
}

struct KeyedIndex {
  uint64_t key;
  size_t index;
};

// Stable LSD radix sort on `key`, one byte per pass. Passes where every key
// has the same byte are skipped, so narrow key ranges cost fewer passes.
void RadixSort(std::vector<KeyedIndex>& items) {
  const size_t n = items.size();
  if (n < 2) return;
  constexpr int kPasses = 8;
  std::vector<std::array<size_t, 256>> counts(kPasses);
  for (const KeyedIndex& e : items) {
    for (int p = 0; p < kPasses; ++p) ++counts[p][(e.key >> (8 * p)) & 0xff];
  }
  std::vector<KeyedIndex> buffer(n);
  KeyedIndex* src = items.data();
  KeyedIndex* dst = buffer.data();
  for (int p = 0; p < kPasses; ++p) {
    const int shift = 8 * p;
    std::array<size_t, 256>& count = counts[p];
    if (count[(src[0].key >> shift) & 0xff] == n) continue;
    size_t offset = 0;
    for (size_t& c : count) {
      size_t here = c;
      c = offset;
      offset += here;
    }
    for (size_t i = 0; i < n; ++i) dst[count[(src[i].key >> shift) & 0xff]++] = src[i];
    std::swap(src, dst);
  }
  if (src != items.data()) std::copy(src, src + n, items.data());
}

std::vector<size_t> RadixSortedOrder(RadixKind kind, SortAlgorithm run_algorithm,
                                     std::span<const Row* const> key_rows,
                                     std::span<const SortKey> keys) {
  // 1. Split off the NULL first keys (kept in input order) and map the rest
  //    to their unsigned images, inverted for DESC.
  const SortKey& first = keys[0];
  std::vector<size_t> nulls;
  std::vector<KeyedIndex> keyed;
  keyed.reserve(key_rows.size());
  for (size_t i = 0; i < key_rows.size(); ++i) {
    const Value& v = (*key_rows[i])[0];
    if (v.is_null()) {
      nulls.push_back(i);
      continue;
    }
    uint64_t image = kind == RadixKind::kInteger ? RadixImage(v.as_integer())
                                                 : RadixImage(v.as_double());
    keyed.push_back({first.descending ? ~image : image, i});
  }
  // 2. Radix sort the images.
  RadixSort(keyed);

  // 3. Emit the NULL run and the sorted runs, each run of equal first keys
  //    sorted on the remaining keys.
  std::vector<size_t> order;
  order.reserve(key_rows.size());
  const KeyCompare rest(keys, 1);
  std::vector<Item> run;
  std::vector<Item> buffer;
  auto emit_run = [&](auto begin, auto end, auto index_of) {
    if (keys.size() == 1 || end - begin < 2) {
      for (auto it = begin; it != end; ++it) order.push_back(index_of(*it));
      return;
    }
    run.clear();
    for (auto it = begin; it != end; ++it) {
      size_t i = index_of(*it);
      run.push_back(Item{key_rows[i]->data(), i});
    }
    ComparisonSort(run_algorithm, run, buffer, rest);
    for (const Item& item : run) order.push_back(item.index);
  };
  auto null_index = [](size_t i) { return i; };
  auto keyed_index = [](const KeyedIndex& e) { return e.index; };

  if (first.nulls_first) emit_run(nulls.begin(), nulls.end(), null_index);
  if (keys.size() == 1) {
    emit_run(keyed.begin(), keyed.end(), keyed_index);
  } else {
    for (auto lo = keyed.begin(); lo != keyed.end();) {
      auto hi = lo + 1;
      while (hi != keyed.end() && hi->key == lo->key) ++hi;
      emit_run(lo, hi, keyed_index);
      lo = hi;
    }
  }
  if (!first.nulls_first) emit_run(nulls.begin(), nulls.end(), null_index);
  return order;
}

// Moves the item at `i` down the max-heap (by cmp.Before) until its
// children are both before it.
void SiftDown(std::vector<Item>& heap, size_t i, const KeyCompare& cmp) {
  const size_t n = heap.size();
  Item x = heap[i];
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && cmp.Before(heap[child], heap[child + 1])) ++child;
    if (!cmp.Before(x, heap[child])) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = x;
}

}  // namespace

std::vector<size_t> SortedOrderWith(SortAlgorithm algorithm, std::span<const Row* const> key_rows,
                                    std::span<const SortKey> keys) {
  const size_t n = key_rows.size();
  if (n < 2 || keys.empty()) {
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    return order;
  }
  const bool try_radix = algorithm == SortAlgorithm::kRadix ||
                         (algorithm == SortAlgorithm::kAuto && n >= kRadixSortMinRows);
  if (try_radix) {
    if (RadixKind kind = RadixKindOf(key_rows); kind != RadixKind::kNone) {
      return RadixSortedOrder(kind, SortAlgorithm::kAuto, key_rows, keys);
    }
  }
  std::vector<Item> items = MakeItems(key_rows, keys.size());
  std::vector<Item> buffer;
  ComparisonSort(algorithm, items, buffer, KeyCompare(keys, 0));
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = items[i].index;
  return order;
}

std::vector<size_t> SortedOrder(std::span<const Row* const> key_rows,
                                std::span<const SortKey> keys) {
  return SortedOrderWith(SortAlgorithm::kAuto, key_rows, keys);
}

std::vector<size_t> TopKOrder(std::span<const Row* const> key_rows,
                              std::span<const SortKey> keys, size_t k) {
  const size_t n = key_rows.size();
  if (k == 0) return {};
  if (k >= n || k > n / kTopKFullSortRatio || keys.empty()) {
    std::vector<size_t> order = SortedOrder(key_rows, keys);
    order.resize(std::min(k, n));
    return order;
  }
  // A max-heap (by Before, which breaks ties on the input index) of the k
  // rows that come first so far; a later row enters only if it goes before
  // the heap's last row, so among equal keys the earlier rows stay.
  const KeyCompare cmp(keys, 0);
  std::vector<Item> heap;
  heap.reserve(k);
  for (size_t i = 0; i < k; ++i) heap.push_back(Item{key_rows[i]->data(), i});
  for (size_t i = k / 2; i-- > 0;) SiftDown(heap, i, cmp);
  for (size_t i = k; i < n; ++i) {
    Item x{key_rows[i]->data(), i};
    if (cmp.Before(x, heap[0])) {
      heap[0] = x;
      SiftDown(heap, 0, cmp);
    }
  }
  std::sort(heap.begin(), heap.end(),
            [&](const Item& a, const Item& b) { return cmp.Before(a, b); });
  std::vector<size_t> order(k);
  for (size_t i = 0; i < k; ++i) order[i] = heap[i].index;
  return order;
}

}  // namespace kopf::cerebellum
