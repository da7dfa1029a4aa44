// The ORDER BY sorts. How SortedOrder picks an algorithm:
//
//   1. Fewer than two rows or no keys: the identity order.
//   2. At least kRadixSortMinRows rows and a first key that is INTEGER (or
//      NULL) in every row, or DOUBLE (or NULL) in every row: LSD radix sort
//      on that key, then a comparison sort of each run of equal first keys
//      on the remaining keys.
//   3. Otherwise a comparison sort: insertion sort up to
//      kInsertionSortMaxRows rows, a top-down merge sort above.
//
// All of them work on small (key pointer, index) items, never on the rows,
// and all are stable. The thresholds come from benchmarks/sort_bench.cc.
//
// A caller's stop function (the executor's cancel check) is asked after
// about every kStopCheckRows rows of work: after each merge of that many
// items, each radix pass, each run sorted on the remaining keys, and every
// kStopCheckRows rows of the top-k heap. Once it says yes the sort unwinds
// without finishing and the caller gets an empty order.
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

namespace kopf::cerebellum {

using protocol::Row;
using protocol::Type;
using protocol::Value;

namespace {

// The thresholds, from benchmarks/sort_bench.cc: CPU time, best of 3, on
// random data with one INTEGER key, INTEGER+TEXT keys, one TEXT key or one
// DOUBLE key, on a shared 2-core machine (so +-10% is noise).
//
// Insertion sort ties every other sort at 8 rows (0.11-0.13 us) and loses
// from 16 on (TEXT at 16: 0.52 us against 0.39 for the merge sort), so it
// only handles up to 8 rows, alone or as the merge sort's leaves.
constexpr size_t kInsertionSortMaxRows = 8;
constexpr size_t kMergeRunRows = 8;
// The merge sort ties std::stable_sort from 16 to 10,000 rows (TEXT at 1,000:
// 60.7 against 59.0 us; at 10,000: 1.58 against 1.57 ms) and beats it above,
// being top-down (TEXT at 1e6: 0.59 s against 0.85 s; INTEGER+TEXT at 1e5:
// 28.5 against 32.2 ms). std::sort (made stable by an index tie-break) is
// never clearly faster than either.
//
// Radix sort loses below about 128 rows (INTEGER at 100: 2.38 against 2.17 us
// for std::stable_sort) and wins on all three radix-friendly sets from 192
// rows (INTEGER 3.6 against 4.8 us, INTEGER+TEXT 6.2 against 6.6, DOUBLE 4.0
// against 7.8), by 2.3x at 1,000 and 4x to 6x from 10,000 rows (INTEGER at
// 1e6: 46 ms against 291 ms for the merge sort and 380 ms for std::sort).
// The design's 10,000-row threshold would give up a 4x win in between.
constexpr size_t kRadixSortMinRows = 192;
// TopKOrder keeps a bounded heap while k is small next to n, and otherwise
// sorts everything and cuts. At 1e6 rows the heap beats a radix full sort
// (36 ms) up to k = 10,000 (24 ms) but not at 30,000 (40 ms), and beats a
// merge full sort of TEXT (500 ms) up to k = 100,000 (286 ms) but not at
// 250,000. So: the heap while k <= n / 64 whatever the key, never when
// k > n / 8, and in between only when the first key is not radix-sortable.
constexpr size_t kTopKHeapRatioRadix = 64;
constexpr size_t kTopKHeapRatioComparison = 8;

// How much work (rows merged, moved or sifted) passes between two questions
// to the stop function: like the executor's own cancel checks, a cancelled
// sort of a million rows then stops within a millisecond or so.
constexpr size_t kStopCheckRows = 4096;

// Counts the work done and asks the caller's stop function every
// kStopCheckRows rows; once it said yes, every later call says yes too.
class StopCheck {
 public:
  explicit StopCheck(SortStopFunction stop) : stop_(stop) {}

  // Counts `rows` rows of work; true when the sort should give up.
  bool operator()(size_t rows) {
    if (stopped_) return true;
    if (stop_ == nullptr) return false;
    work_ += rows;
    if (work_ < kStopCheckRows) return false;
    work_ = 0;
    stopped_ = stop_();
    return stopped_;
  }
  bool stopped() const { return stopped_; }

 private:
  SortStopFunction stop_;
  size_t work_ = 0;
  bool stopped_ = false;
};

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

// Insertion sort: shifts each item left past the items greater than it, so
// equal items keep their order.
void InsertionSort(std::span<Item> items, const KeyCompare& cmp) {
  for (size_t i = 1; i < items.size(); ++i) {
    const Item x = items[i];
    size_t j = i;
    for (; j > 0 && cmp.Less(x, items[j - 1]); --j) items[j] = items[j - 1];
    items[j] = x;
  }
}

// Sorts items[0, n) stably: top-down, so that the rows under comparison in
// the lower levels fit in the cache (a bottom-up pass sweeps every row's
// keys each time, and measured 30% slower than std::stable_sort at 1e5
// rows). Runs of up to kMergeRunRows rows are sorted by insertion. Only the
// left half moves out to `buffer` (n / 2 items) and is merged back.
// Gives up (leaving `items` a permutation of itself) when `stop` says so.
void MergeSortRange(Item* items, size_t n, Item* buffer, const KeyCompare& cmp,
                    StopCheck& stop) {
  if (n <= kMergeRunRows) {
    InsertionSort(std::span<Item>(items, n), cmp);
    return;
  }
  const size_t half = n / 2;
  MergeSortRange(items, half, buffer, cmp, stop);
  MergeSortRange(items + half, n - half, buffer, cmp, stop);
  if (stop(n)) return;
  if (!cmp.Less(items[half], items[half - 1])) return;  // already in order
  std::copy(items, items + half, buffer);
  const Item* left = buffer;
  const Item* left_end = buffer + half;
  Item* right = items + half;
  Item* const right_end = items + n;
  Item* out = items;
  // `out` never passes `right`; taking from the left on ties keeps the sort
  // stable. What is left of the right half is already in place.
  while (left != left_end && right != right_end) {
    *out++ = cmp.Less(*right, *left) ? *right++ : *left++;
  }
  std::copy(left, left_end, out);
}

// Merge sort with a buffer the caller reuses across calls.
void MergeSort(std::span<Item> items, std::vector<Item>& buffer, const KeyCompare& cmp,
               StopCheck& stop) {
  if (buffer.size() < items.size() / 2) buffer.resize(items.size() / 2);
  MergeSortRange(items.data(), items.size(), buffer.data(), cmp, stop);
}

// The standard library's sorts (kStdSort, kStdStableSort) are for
// benchmarks only and do not stop.
void ComparisonSort(SortAlgorithm algorithm, std::span<Item> items, std::vector<Item>& buffer,
                    const KeyCompare& cmp, StopCheck& stop) {
  if (items.size() < 2) return;
  switch (algorithm) {
    case SortAlgorithm::kAuto:
    case SortAlgorithm::kRadix:
      if (items.size() <= kInsertionSortMaxRows) {
        InsertionSort(items, cmp);
      } else {
        MergeSort(items, buffer, cmp, stop);
      }
      return;
    case SortAlgorithm::kInsertion:
      InsertionSort(items, cmp);
      return;
    case SortAlgorithm::kMerge:
      MergeSort(items, buffer, cmp, stop);
      return;
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
// Gives up between passes (leaving `items` unsorted) when `stop` says so.
void RadixSort(std::vector<KeyedIndex>& items, StopCheck& stop) {
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
    if (stop(n)) return;
  }
  if (src != items.data()) std::copy(src, src + n, items.data());
}

std::vector<size_t> RadixSortedOrder(RadixKind kind, std::span<const Row* const> key_rows,
                                     std::span<const SortKey> keys, StopCheck& stop) {
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
    uint64_t image =
        kind == RadixKind::kInteger ? RadixImage(v.as_integer()) : RadixImage(v.as_double());
    keyed.push_back({first.descending ? ~image : image, i});
  }
  // 2. Radix sort the images.
  RadixSort(keyed, stop);
  if (stop.stopped()) return {};

  // 3. Emit the NULL run and the sorted runs, each run of equal first keys
  //    sorted on the remaining keys.
  std::vector<size_t> order;
  order.reserve(key_rows.size());
  const KeyCompare rest(keys, 1);
  std::vector<Item> run;
  std::vector<Item> buffer;
  auto emit_run = [&](auto begin, auto end, auto index_of) {
    if (stop(static_cast<size_t>(end - begin))) return;
    if (keys.size() == 1 || end - begin < 2) {
      for (auto it = begin; it != end; ++it) order.push_back(index_of(*it));
      return;
    }
    run.clear();
    for (auto it = begin; it != end; ++it) {
      size_t i = index_of(*it);
      run.push_back(Item{key_rows[i]->data(), i});
    }
    ComparisonSort(SortAlgorithm::kAuto, run, buffer, rest, stop);
    for (const Item& item : run) order.push_back(item.index);
  };
  auto null_index = [](size_t i) { return i; };
  auto keyed_index = [](const KeyedIndex& e) { return e.index; };

  if (first.nulls_first) emit_run(nulls.begin(), nulls.end(), null_index);
  if (keys.size() == 1) {
    emit_run(keyed.begin(), keyed.end(), keyed_index);
  } else {
    for (auto lo = keyed.begin(); lo != keyed.end() && !stop.stopped();) {
      auto hi = lo + 1;
      while (hi != keyed.end() && hi->key == lo->key) ++hi;
      emit_run(lo, hi, keyed_index);
      lo = hi;
    }
  }
  if (!first.nulls_first) emit_run(nulls.begin(), nulls.end(), null_index);
  if (stop.stopped()) return {};
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
                                    std::span<const SortKey> keys, SortStopFunction stop_function) {
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
      StopCheck stop(stop_function);
      return RadixSortedOrder(kind, key_rows, keys, stop);
    }
  }
  std::vector<Item> items = MakeItems(key_rows, keys.size());
  std::vector<Item> buffer;
  StopCheck stop(stop_function);
  ComparisonSort(algorithm, items, buffer, KeyCompare(keys, 0), stop);
  if (stop.stopped()) return {};
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = items[i].index;
  return order;
}

std::vector<size_t> SortedOrder(std::span<const Row* const> key_rows,
                                std::span<const SortKey> keys, SortStopFunction stop) {
  return SortedOrderWith(SortAlgorithm::kAuto, key_rows, keys, stop);
}

std::vector<size_t> TopKOrder(std::span<const Row* const> key_rows, std::span<const SortKey> keys,
                              size_t k, SortStopFunction stop_function) {
  const size_t n = key_rows.size();
  if (k == 0) return {};
  // The radix check reads every row, so it runs only when its answer counts.
  bool use_heap = k < n && !keys.empty() && k <= n / kTopKHeapRatioComparison;
  if (use_heap && k > n / kTopKHeapRatioRadix) {
    use_heap = n < kRadixSortMinRows || RadixKindOf(key_rows) == RadixKind::kNone;
  }
  if (!use_heap) {
    std::vector<size_t> order = SortedOrder(key_rows, keys, stop_function);
    if (order.size() > k) order.resize(k);
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
  StopCheck stop(stop_function);
  for (size_t i = k; i < n; ++i) {
    if (stop(1)) return {};
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
