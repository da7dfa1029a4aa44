#include "cerebrum/secondary_index.h"

#include <algorithm>
#include <atomic>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace kopf::cerebrum {

using protocol::Row;
using protocol::Status;
using protocol::Value;

namespace {

// How many leading columns (at most `limit`) `a` and `b` share.
size_t SharedPrefix(std::span<const Value> a, std::span<const Value> b, size_t limit) {
  size_t n = std::min({a.size(), b.size(), limit});
  size_t i = 0;
  while (i < n && protocol::Compare(a[i], b[i]) == 0) ++i;
  return i;
}

bool HasNull(std::span<const Value> values) {
  return std::any_of(values.begin(), values.end(), [](const Value& v) { return v.is_null(); });
}

uint64_t NextIndexId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

SecondaryIndex::SecondaryIndex(IndexSchema schema)
    : schema_(std::move(schema)), id_(NextIndexId()), distinct_(schema_.columns.size(), 0) {}

Key SecondaryIndex::ValuesOf(const Row& row) const {
  Key values;
  values.reserve(width());
  for (size_t column : schema_.columns) values.push_back(row[column]);
  return values;
}

bool SecondaryIndex::SameValues(const Row& a, const Row& b) const {
  for (size_t column : schema_.columns) {
    // Exact equality, not Compare: an entry must be rewritten when its
    // stored value changes at all.
    if (!(a[column] == b[column])) return false;
  }
  return true;
}

Key SecondaryIndex::EntryOf(const Row& row, std::span<const Value> pk) const {
  Key entry;
  entry.reserve(width() + pk.size());
  for (size_t column : schema_.columns) entry.push_back(row[column]);
  entry.insert(entry.end(), pk.begin(), pk.end());
  return entry;
}

std::string SecondaryIndex::KeyText(std::span<const Value> values) {
  std::string out = "(";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += values[i].ToString();
  }
  return out + ")";
}

Status SecondaryIndex::DuplicateError(std::span<const Value> values) const {
  return Status::DuplicateKey(
      fmt::format("duplicate key {} violates unique index \"{}\"", KeyText(values), schema_.name));
}

Status SecondaryIndex::BuildFromEntries(std::vector<Key> entries) {
  const size_t w = width();
  std::sort(entries.begin(), entries.end(),
            [](const Key& a, const Key& b) { return KeyCompare()(a, b) < 0; });
  std::vector<uint64_t> distinct(w, 0);
  for (size_t i = 0; i < entries.size(); ++i) {
    size_t shared = i == 0 ? 0 : SharedPrefix(entries[i - 1], entries[i], w);
    if (schema_.unique && shared == w && !HasNull(std::span(entries[i]).first(w))) {
      return DuplicateError(std::span(entries[i]).first(w));
    }
    for (size_t l = shared; l < w; ++l) ++distinct[l];
  }
  // Ascending inserts always go to the rightmost leaf, which stays in cache.
  IndexTree tree;
  for (Key& entry : entries) tree.Insert(std::move(entry), IndexEntry{});
  tree_ = std::move(tree);
  distinct_ = std::move(distinct);
  return Status::Ok();
}

size_t SecondaryIndex::SharedWithNeighbours(const Key& key) const {
  const size_t w = width();
  size_t shared = 0;
  auto it = tree_.LowerBound(key);
  auto prev = it;
  if (prev.Valid()) {
    prev.Prev();
  } else {
    prev = tree_.Last();
  }
  if (prev.Valid()) shared = std::max(shared, SharedPrefix(prev.key(), key, w));
  if (it.Valid()) {
    auto next = it;
    next.Next();
    if (next.Valid()) shared = std::max(shared, SharedPrefix(next.key(), key, w));
  }
  return shared;
}

void SecondaryIndex::Insert(const Row& row, std::span<const Value> pk) {
  Key entry = EntryOf(row, pk);
  if (!tree_.Insert(entry, IndexEntry{})) return;
  for (size_t l = SharedWithNeighbours(entry); l < width(); ++l) ++distinct_[l];
}

void SecondaryIndex::Erase(const Row& row, std::span<const Value> pk) {
  Key entry = EntryOf(row, pk);
  if (tree_.Find(entry) == nullptr) return;
  size_t shared = SharedWithNeighbours(entry);
  tree_.Erase(entry);
  for (size_t l = shared; l < width(); ++l) --distinct_[l];
}

Status SecondaryIndex::TEST_CheckInvariants() const {
  KOPF_RETURN_IF_ERROR(tree_.TEST_CheckInvariants());
  const size_t w = width();
  std::vector<uint64_t> distinct(w, 0);
  const Key* prev = nullptr;
  for (auto it = tree_.Begin(); it.Valid(); it.Next()) {
    size_t shared = prev == nullptr ? 0 : SharedPrefix(*prev, it.key(), w);
    if (schema_.unique && shared == w && !HasNull(std::span(it.key()).first(w))) {
      return Status::Internal(fmt::format("unique index \"{}\" holds {} twice", schema_.name,
                                          KeyText(std::span(it.key()).first(w))));
    }
    for (size_t l = shared; l < w; ++l) ++distinct[l];
    prev = &it.key();
  }
  if (distinct != distinct_) {
    return Status::Internal(fmt::format("index \"{}\": distinct counts {} but recount gives {}",
                                        schema_.name, fmt::join(distinct_, "/"),
                                        fmt::join(distinct, "/")));
  }
  return Status::Ok();
}

}  // namespace kopf::cerebrum
