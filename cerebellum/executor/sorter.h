// Sorter: the ORDER BY sort and the ORDER BY ... LIMIT top-k.
//
// The executor hands over one key row per result row (the values of the
// ORDER BY items, in order) and gets back the order of the rows. The order
// is lexicographic over the keys; each key compares by protocol::Compare
// (the SQL total order), reversed for DESC, with NULLs placed first or last
// per key whatever the direction. Sorting is stable: rows whose keys are all
// equal keep their input order, so results are deterministic.
//
// The algorithm is picked by input size and key type (see sorter.cc for the
// measured thresholds): an insertion sort for tiny inputs, a merge sort in
// between, and for large inputs whose first key is INTEGER (or DOUBLE) in
// every row, an LSD radix sort on that key followed by a comparison sort of
// each run of equal first keys on the remaining keys.
//
// A sort can be abandoned: the caller's stop function (the executor passes
// its cancel check) is asked every few thousand rows of work, and once it
// says yes the sort gives up and returns an empty order (SortRows and TopK
// return false and leave the rows as they were).
//
// Depends on the protocol vocabulary only, so benchmarks can build it alone.
// Thread-safety: plain functions over borrowed input; no shared state.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "protocol/value.h"

namespace kopf::cerebellum {

// How one ORDER BY item orders its key.
struct SortKey {
  bool descending = false;
  bool nulls_first = true;  // independent of `descending`
};

// Asked now and then during a sort; true abandons it. Null: never stop.
using SortStopFunction = bool (*)();

// The permutation that sorts the rows: result[i] is the index in `key_rows`
// of the row that goes i-th; empty when `stop` said to give up.
// REQUIRES: every key row has at least keys.size() values; each pointer
// stays valid during the call.
std::vector<size_t> SortedOrder(std::span<const protocol::Row* const> key_rows,
                                std::span<const SortKey> keys, SortStopFunction stop = nullptr);

// The first min(k, key_rows.size()) entries of SortedOrder(key_rows, keys),
// found with a bounded heap in O(n log k) (or by a full sort when k is close
// to n). Ties keep input order, exactly as in SortedOrder.
std::vector<size_t> TopKOrder(std::span<const protocol::Row* const> key_rows,
                              std::span<const SortKey> keys, size_t k,
                              SortStopFunction stop = nullptr);

// Convenience wrappers that reorder a vector of rows in place. `keys_of` maps
// a row to its key row (a callable or a member pointer, e.g.
// &OutputRow::sort_keys). RowT must be move-constructible. Both return false,
// with `rows` untouched, when `stop` said to give up.
template <typename RowT, typename KeysOf>
bool SortRows(std::vector<RowT>& rows, std::span<const SortKey> keys, KeysOf keys_of,
              SortStopFunction stop = nullptr);
// Keeps only the first k rows in sorted order (see TopKOrder).
template <typename RowT, typename KeysOf>
bool TopK(std::vector<RowT>& rows, std::span<const SortKey> keys, size_t k, KeysOf keys_of,
          SortStopFunction stop = nullptr);

// ---- For benchmarks and tests ------------------------------------------------

// The algorithms SortedOrder chooses from, plus the standard library's sorts
// as references. Every choice returns the same (stable) order; kRadix falls
// back to the comparison sorts when the first key is not radix-sortable.
// kStdSort breaks ties on the input index to be stable.
enum class SortAlgorithm { kAuto, kInsertion, kMerge, kRadix, kStdSort, kStdStableSort };

// SortedOrder with the algorithm forced. Production callers use SortedOrder.
std::vector<size_t> SortedOrderWith(SortAlgorithm algorithm,
                                    std::span<const protocol::Row* const> key_rows,
                                    std::span<const SortKey> keys,
                                    SortStopFunction stop = nullptr);

// ---- Implementation of the templates ------------------------------------------

namespace sorter_detail {

template <typename RowT, typename KeysOf>
std::vector<const protocol::Row*> KeyRows(const std::vector<RowT>& rows, KeysOf& keys_of) {
  std::vector<const protocol::Row*> key_rows;
  key_rows.reserve(rows.size());
  for (const RowT& row : rows) {
    const protocol::Row& k = std::invoke(keys_of, row);
    key_rows.push_back(&k);
  }
  return key_rows;
}

template <typename RowT>
void Permute(std::vector<RowT>& rows, const std::vector<size_t>& order) {
  std::vector<RowT> out;
  out.reserve(order.size());
  for (size_t i : order) out.push_back(std::move(rows[i]));
  rows = std::move(out);
}

}  // namespace sorter_detail

template <typename RowT, typename KeysOf>
bool SortRows(std::vector<RowT>& rows, std::span<const SortKey> keys, KeysOf keys_of,
              SortStopFunction stop) {
  if (rows.size() < 2 || keys.empty()) return true;
  std::vector<size_t> order = SortedOrder(sorter_detail::KeyRows(rows, keys_of), keys, stop);
  if (order.empty()) return false;  // only a stopped sort of 2+ rows is empty
  sorter_detail::Permute(rows, order);
  return true;
}

template <typename RowT, typename KeysOf>
bool TopK(std::vector<RowT>& rows, std::span<const SortKey> keys, size_t k, KeysOf keys_of,
          SortStopFunction stop) {
  if (k >= rows.size()) return SortRows(rows, keys, std::move(keys_of), stop);
  std::vector<size_t> order = TopKOrder(sorter_detail::KeyRows(rows, keys_of), keys, k, stop);
  if (order.empty() && k > 0) return false;  // k < rows.size(): stopped
  sorter_detail::Permute(rows, order);
  return true;
}

}  // namespace kopf::cerebellum
