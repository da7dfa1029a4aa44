// Keys and key ranges: the shape shared by a table's primary B+Tree and its
// secondary indexes.
//
// A Key is a short vector of Values compared column by column with
// protocol::Compare (NULL first, numbers by numeric value, then text); a
// key that is a prefix of another sorts before it. KeyCompare also accepts
// two lookup-only types, so seeks need no temporary Key:
//   * std::span<const Value>  compared like a Key;
//   * KeyBound                a position between keys: just before, or just
//                             after, every key that starts with its values.
//
// A KeyRange names the keys whose first prefix.size() columns equal
// `prefix` (by Compare, so a NULL in the prefix matches a stored NULL) and
// whose next column lies between optional bounds. ScanKeyRange walks those
// keys of any BPlusTree<Key, V, KeyCompare> in ascending order.
//
// Thread-safety: plain values and pure functions; ScanKeyRange needs the
// tree's owner to keep it unchanged (the table's lock).
#pragma once

#include <cmath>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/value.h"

namespace kopf::cerebrum {

// A primary key value: the key columns' values in key order, or {row id}.
// Secondary index entries are Keys as well (see secondary_index.h).
using Key = std::vector<protocol::Value>;

// Just before (after = false) or just after (after = true) every key whose
// leading columns equal `prefix`. Never equal to a stored key.
struct KeyBound {
  std::span<const protocol::Value> prefix;
  bool after = false;
};

// An order-preserving 64-bit prefix of a value, for the B+Tree's key
// prefixes (see btree.h): Compare(a, b) < 0 implies ValuePrefix(a) <=
// ValuePrefix(b), and values that Compare equal (1 and 1.0, true and 1) get
// the same prefix. The ranges follow Compare's classes:
//   * NULL is 0;
//   * a number or boolean lies in [1, 2^63): NaN (below every
//     number) is 1; an integer, or the floor of a double, in [-2^61, 2^61)
//     is 2^62 + that value, so distinct integers in that range get distinct
//     prefixes and a double shares its floor's; below that range (including
//     -inf) 2, above it (including +inf) 2^62 + 2^61;
//   * TEXT is 1 then its first 8 bytes, read as unsigned and big-endian
//     (missing bytes count as 0), shifted right by one, so texts that agree
//     in those 63 bits share a prefix.
// Integers in [-kExactPrefixLimit, kExactPrefixLimit) get distinct prefixes.
inline constexpr int64_t kExactPrefixLimit = int64_t{1} << 61;

inline uint64_t ValuePrefix(const protocol::Value& v) noexcept {
  constexpr uint64_t kNumberBase = uint64_t{1} << 62;
  constexpr int64_t kExactLimit = kExactPrefixLimit;
  auto number = [&](int64_t i) {
    if (i < -kExactLimit) return kNumberBase - kExactLimit - 1;
    if (i >= kExactLimit) return kNumberBase + kExactLimit;
    return kNumberBase + static_cast<uint64_t>(i);  // wraps to the right value
  };
  switch (v.type()) {
    case protocol::Type::kNull: return 0;
    case protocol::Type::kBoolean: return number(v.as_boolean() ? 1 : 0);
    case protocol::Type::kInteger: return number(v.as_integer());
    case protocol::Type::kDouble: {
      double d = v.as_double();
      if (std::isnan(d)) return 1;
      constexpr double kLimit = static_cast<double>(kExactLimit);
      if (d < -kLimit) return number(std::numeric_limits<int64_t>::min());
      if (d >= kLimit) return number(std::numeric_limits<int64_t>::max());
      return number(static_cast<int64_t>(std::floor(d)));
    }
    case protocol::Type::kText: {
      const std::string& t = v.as_text();
      uint64_t bytes = 0;
      for (size_t i = 0; i < 8; ++i) {
        bytes = (bytes << 8) | (i < t.size() ? static_cast<unsigned char>(t[i]) : 0);
      }
      return (uint64_t{1} << 63) | (bytes >> 1);
    }
  }
  return 0;
}

struct KeyCompare {
  using is_transparent = void;

  KeyCompare() = default;
  // The comparator of a tree whose stored keys are each exactly one
  // INTEGER: a table keyed by one INT or BIGINT column, or by row id (the
  // table's type checks guarantee it). For such a tree a probe of one
  // integer in [-2^61, 2^61) is equal to the stored key with its prefix,
  // if any: a stored integer outside that range gets a prefix outside the
  // range's, and no other type is stored. See PrefixDecides.
  static KeyCompare ForIntegerKeys() {
    KeyCompare cmp;
    cmp.integer_keys_ = true;
    return cmp;
  }

  // True when every stored key with the probe's prefix is equal to the
  // probe (BPlusTree then compares prefixes only, see btree.h). Anything
  // else (NULL, doubles and booleans, which Compare equal to integers but
  // share a prefix with unequal ones, integers out of the exact range,
  // several columns, any tree not made by ForIntegerKeys) is false, and
  // the whole key decides.
  bool PrefixDecides(std::span<const protocol::Value> key) const noexcept {
    if (!integer_keys_ || key.size() != 1 || key[0].type() != protocol::Type::kInteger) {
      return false;
    }
    int64_t i = key[0].as_integer();
    return i >= -kExactPrefixLimit && i < kExactPrefixLimit;
  }
  bool PrefixDecides(const Key& key) const noexcept {
    return PrefixDecides(std::span<const protocol::Value>(key));
  }

  // Key prefixes for the B+Tree: the first column's ValuePrefix. An empty
  // key sorts first and gets 0, as NULL does; a KeyBound sits next to the
  // keys that start with its values, so it shares their prefix, except an
  // empty bound, which is before (0) or after (all ones) every key.
  uint64_t Prefix(std::span<const protocol::Value> key) const noexcept {
    return key.empty() ? 0 : ValuePrefix(key[0]);
  }
  uint64_t Prefix(const Key& key) const noexcept {
    return Prefix(std::span<const protocol::Value>(key));
  }
  uint64_t Prefix(const KeyBound& bound) const noexcept {
    if (bound.prefix.empty()) return bound.after ? ~uint64_t{0} : 0;
    return ValuePrefix(bound.prefix[0]);
  }

  std::strong_ordering operator()(std::span<const protocol::Value> a,
                                  std::span<const protocol::Value> b) const {
    size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      auto c = protocol::Compare(a[i], b[i]);
      if (c != 0) return c;
    }
    return a.size() <=> b.size();
  }
  std::strong_ordering operator()(const Key& a, const Key& b) const {
    return (*this)(std::span<const protocol::Value>(a), std::span<const protocol::Value>(b));
  }
  std::strong_ordering operator()(const Key& a, const KeyBound& b) const {
    size_t n = std::min(a.size(), b.prefix.size());
    for (size_t i = 0; i < n; ++i) {
      auto c = protocol::Compare(a[i], b.prefix[i]);
      if (c != 0) return c;
    }
    // A shorter key that is a prefix of the bound sorts before it.
    if (a.size() < b.prefix.size()) return std::strong_ordering::less;
    return b.after ? std::strong_ordering::less : std::strong_ordering::greater;
  }

 private:
  bool integer_keys_ = false;
};

// KeyCompare as a strict weak ordering for std::map and std::set, still
// transparent so spans of values can be searched.
struct KeyLess {
  using is_transparent = void;
  bool operator()(std::span<const protocol::Value> a, std::span<const protocol::Value> b) const {
    return KeyCompare()(a, b) < 0;
  }
};

// One bound of a range on a single column. REQUIRES: value is not NULL.
struct ColumnBound {
  protocol::Value value;
  bool inclusive = true;
  bool operator==(const ColumnBound&) const = default;
};

// The keys whose first prefix.size() columns equal `prefix` and whose
// column prefix.size() lies within [lower, upper]. With a bound present, a
// key whose bounded column is NULL is never in the range (NULL satisfies no
// comparison). With neither bound, every key with the prefix is.
// REQUIRES: bounds only when prefix.size() < the key's width.
struct KeyRange {
  std::vector<protocol::Value> prefix;
  std::optional<ColumnBound> lower;
  std::optional<ColumnBound> upper;
  bool operator==(const KeyRange&) const = default;
};

// True when the range can hold no key at all (lower above upper).
inline bool KeyRangeIsEmpty(const KeyRange& range) {
  if (!range.lower || !range.upper) return false;
  auto c = protocol::Compare(range.lower->value, range.upper->value);
  return c > 0 || (c == 0 && !(range.lower->inclusive && range.upper->inclusive));
}

// Walks the entries of `tree` (a BPlusTree<Key, V, KeyCompare>) in `range`
// in ascending key order, calling visit(iterator) for each; a visit that
// returns false stops the walk. Returns false when stopped by `visit`.
template <typename Tree, typename Visit>
bool ScanKeyRange(const Tree& tree, const KeyRange& range, Visit&& visit) {
  if (KeyRangeIsEmpty(range)) return true;
  const size_t k = range.prefix.size();
  Key start = range.prefix;
  bool after = false;
  if (range.lower) {
    start.push_back(range.lower->value);
    after = !range.lower->inclusive;
  } else if (range.upper) {
    start.resize(start.size() + 1);  // a NULL: skip NULLs in the bounded column
    after = true;
  }
  for (auto it = tree.LowerBound(KeyBound{start, after}); it.Valid(); it.Next()) {
    const Key& key = it.key();
    if (key.size() < k) return true;
    for (size_t i = 0; i < k; ++i) {
      if (protocol::Compare(key[i], range.prefix[i]) != 0) return true;
    }
    if (range.upper && k < key.size()) {
      auto c = protocol::Compare(key[k], range.upper->value);
      if (c > 0 || (c == 0 && !range.upper->inclusive)) return true;
    }
    if (!visit(it)) return false;
  }
  return true;
}

}  // namespace kopf::cerebrum
