// BPlusTree: an in-memory ordered map from unique keys to values, the
// primary index of every table (and the shape of every secondary index).
//
// Layout. Values live only in leaves; inner nodes hold separator keys that
// route a search. Each node keeps its keys in a sorted array (and a leaf its
// values in a parallel array), searched by binary search. Leaves form a
// doubly linked list, so a range scan walks sideways in either direction
// without going back up the tree.
//
// Invariants (checked by TEST_CheckInvariants()):
//   * every leaf is at the same depth, height() levels below the root;
//   * keys within a node are strictly increasing under Compare;
//   * for an inner node with keys s[0..n) and children c[0..n], every key
//     stored under c[i] is >= s[i-1] and < s[i] (a separator is a copy of a
//     key that was the smallest of its right subtree when it was made; after
//     erases it may no longer be in the tree, which is harmless);
//   * a non-root leaf holds at least kMinLeafEntries entries, a non-root
//     inner node at least kMinInnerKeys keys; a root inner node has at least
//     one key; an empty tree has no nodes at all;
//   * the leaf list visits every leaf in key order, prev/next agree, and it
//     starts at the leftmost leaf and ends at the rightmost.
//
// Compare is a three-way comparator: `cmp(a, b)` returns std::strong_ordering
// or std::weak_ordering. Keys such as std::vector<protocol::Value> are costly
// to compare, and three-way comparison needs one call where `<` would need
// two to detect equality. The default, std::compare_three_way, uses
// operator<=>. If Compare declares `is_transparent`, lookups accept any type
// K for which `cmp(const Key&, const K&)` is valid (heterogeneous lookup, as
// with std::map); otherwise they take a Key.
//
// Key prefixes (opt-in). If Compare has a member `Prefix(const Key&)` that
// returns uint64_t and is noexcept, every node keeps, in an array parallel
// to its keys, each key's prefix: a fixed-width integer that preserves the
// order, i.e. cmp(a, b) < 0 implies Prefix(a) <= Prefix(b), and equal keys
// have equal prefixes. A search binary-searches the node's prefixes first
// (plain integers side by side in the node, no pointer to follow) and
// compares whole keys only among the entries whose prefix equals the probe's;
// with distinct prefixes that is at most one key comparison per node. A
// lookup type K uses the prefixes when Compare also has Prefix(const K&);
// otherwise, and for comparators without Prefix, nodes search whole keys.
// TEST_CheckInvariants also checks that every stored prefix is its key's.
//
// Deciding prefixes (opt-in on top). If Compare also has a member
// `PrefixDecides(const K&)` returning bool, noexcept, and it returns true
// for a lookup key, Compare promises that every stored key whose prefix
// equals that key's is equal to it. Such a lookup compares prefixes only
// and never reads a stored key: a single-column integer key is then found
// without following the pointer to the stored key's data. The promise is
// about the keys the owner stores (see KeyCompare::ForIntegerKeys);
// TEST_CheckInvariants checks that no two stored keys in a row share a
// prefix where either of them claims to decide.
//
// Requirements: Key is copyable (separators are copies); Key and Value are
// default-constructible and move-assignable without throwing. Nodes hold
// fixed arrays of both, so a slot that is not in use holds a
// default-constructed or moved-from object; a slot freed by Erase is reset
// to Key{}/Value{} at once, so an erased value's resources are released.
//
// Exceptions: Insert, Upsert and Erase allocate nodes and copy keys before
// they change anything, and then only move; so if an allocation or a key
// copy throws (std::bad_alloc), the tree is left as it was (Upsert's
// assignment of a new value to an existing key is a noexcept move).
//
// Ownership: the tree owns its nodes (plain new/delete, freed in Clear() and
// the destructor). It is move-only: copying a million-entry index by
// accident would be an expensive surprise; moving is O(1) and leaves the
// source empty.
//
// Iterators: point at one entry of a leaf. Any Insert, Upsert that inserts,
// Erase, Clear or move of the tree invalidates every iterator (entries shift
// within and between nodes). Upsert of an existing key and writes through
// Iterator::value() or Find() do not.
//
// Thread-safety: none inside. Concurrent const calls (Find, LowerBound,
// iteration, size) are safe with each other; any mutation needs exclusive
// access, which the owning table provides.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cerebrum/prefetch.h"
#include "protocol/status.h"

namespace kopf::cerebrum {

// Node fan-out. The defaults are sized for cache behaviour, not for disk
// pages:
//   * a leaf of 64 int64 keys is 512 bytes (8 cache lines); binary search
//     touches about log2(64) = 6 of them, and an insert shifts at most 64
//     entries with one memmove-like pass, which costs less than the cache
//     misses a deeper tree would add;
//   * inner nodes get twice the leaf's fan-out because they are few and hot
//     (they stay in cache across lookups), and a wider fan-out keeps the tree
//     shallow: 1e6 keys need 3 levels, 1e9 keys 5;
//   * large nodes mean fewer allocations per entry and long sequential runs
//     for range scans.
// Tests instantiate tiny fan-outs (3, 4) to exercise deep trees and every
// rebalancing path with few keys.
inline constexpr size_t kDefaultLeafSlots = 64;
inline constexpr size_t kDefaultInnerSlots = 128;

// A type K that lookups in a tree of Key under Compare accept: Key itself,
// or anything a transparent Compare can compare a stored Key with.
template <typename Compare>
concept TransparentCompare = requires {
  typename Compare::is_transparent;
};
template <typename K, typename Key, typename Compare>
concept BPlusTreeLookupKey = std::same_as<K, Key> ||
    (TransparentCompare<Compare>&& std::invocable<const Compare&, const Key&, const K&>);

// Compare supplies order-preserving prefixes for K (see Key prefixes above).
template <typename Compare, typename K>
concept PrefixCompare = requires(const Compare& cmp, const K& key) {
  { cmp.Prefix(key) } noexcept -> std::same_as<uint64_t>;
};
// Compare can say when K's prefix alone decides equality (see Deciding
// prefixes above).
template <typename Compare, typename K>
concept PrefixDecidingCompare = PrefixCompare<Compare, K> && requires(const Compare& cmp,
                                                                      const K& key) {
  { cmp.PrefixDecides(key) } noexcept -> std::same_as<bool>;
};

template <typename Key, typename Value, typename Compare = std::compare_three_way,
          size_t kLeafSlots = kDefaultLeafSlots, size_t kInnerSlots = kDefaultInnerSlots>
class BPlusTree {
  static_assert(kLeafSlots >= 3 && kInnerSlots >= 3, "fan-out too small to rebalance");
  static_assert(std::is_nothrow_default_constructible_v<Key> &&
                    std::is_nothrow_move_assignable_v<Key> && std::is_copy_assignable_v<Key>,
                "see Requirements at the top of btree.h");
  static_assert(std::is_nothrow_default_constructible_v<Value> &&
                    std::is_nothrow_move_assignable_v<Value>,
                "see Requirements at the top of btree.h");

  struct Node;
  struct Leaf;
  struct Inner;

  // Whether nodes keep key prefixes; without them the arrays have no slots.
  static constexpr bool kPrefixed = PrefixCompare<Compare, Key>;
  template <size_t kSlots>
  using PrefixArray = std::array<uint64_t, kPrefixed ? kSlots : 0>;

 public:
  // Capacity and minimum fill of a node outside an operation. Merging two
  // siblings at or below the minimum always fits (2*min - 1 <= max for
  // leaves; 2*min, counting the pulled-down separator, for inner nodes), and
  // splitting an overfull node leaves both halves at or above it.
  static constexpr size_t kMaxLeafEntries = kLeafSlots;
  static constexpr size_t kMinLeafEntries = kLeafSlots / 2;
  static constexpr size_t kMaxInnerKeys = kInnerSlots;
  static constexpr size_t kMinInnerKeys = kInnerSlots / 2;

  // A position in the tree: an entry, or past either end (!Valid()).
  template <bool kConst>
  class IteratorImpl {
   public:
    using LeafPtr = std::conditional_t<kConst, const Leaf*, Leaf*>;
    using ValueRef = std::conditional_t<kConst, const Value&, Value&>;

    IteratorImpl() = default;
    // An Iterator converts to a ConstIterator.
    template <bool kOther, typename = std::enable_if_t<kConst && !kOther>>
    IteratorImpl(const IteratorImpl<kOther>& other)  // NOLINT: implicit by design
        : leaf_(other.leaf_), index_(other.index_) {}

    bool Valid() const { return leaf_ != nullptr; }
    // REQUIRES: Valid().
    const Key& key() const { return leaf_->keys[index_]; }
    ValueRef value() const { return leaf_->values[index_]; }
    // Moves to the next greater key; past the last one the iterator becomes
    // invalid. REQUIRES: Valid().
    void Next() {
      if (++index_ < leaf_->count) return;
      leaf_ = leaf_->next;
      index_ = 0;
    }
    // Moves to the next smaller key; before the first one the iterator
    // becomes invalid. REQUIRES: Valid().
    void Prev() {
      if (index_ > 0) {
        --index_;
        return;
      }
      leaf_ = leaf_->prev;
      index_ = leaf_ == nullptr ? 0 : leaf_->count - 1;
    }
    bool operator==(const IteratorImpl& other) const = default;

   private:
    friend class BPlusTree;
    template <bool>
    friend class IteratorImpl;
    IteratorImpl(LeafPtr leaf, uint32_t index) : leaf_(leaf), index_(index) {}
    LeafPtr leaf_ = nullptr;
    uint32_t index_ = 0;
  };
  using Iterator = IteratorImpl<false>;
  using ConstIterator = IteratorImpl<true>;

  BPlusTree() = default;
  explicit BPlusTree(Compare cmp) : cmp_(std::move(cmp)) {}
  ~BPlusTree() { Clear(); }
  BPlusTree(const BPlusTree&) = delete;
  BPlusTree& operator=(const BPlusTree&) = delete;
  BPlusTree(BPlusTree&& other) noexcept { Swap(other); }
  BPlusTree& operator=(BPlusTree&& other) noexcept {
    if (this != &other) {
      Clear();
      Swap(other);
    }
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Levels from the root to the leaves: 0 when empty, 1 for a lone leaf.
  int height() const { return height_; }

  // Frees every node. Invalidates iterators.
  void Clear() {
    if (root_ != nullptr) FreeSubtree(root_);
    root_ = nullptr;
    first_leaf_ = last_leaf_ = nullptr;
    size_ = 0;
    height_ = 0;
  }

  // Adds `key` -> `value`. Returns false and changes nothing if `key` is
  // present already (the arguments are then simply destroyed).
  bool Insert(Key key, Value value) {
    return InsertImpl(std::move(key), std::move(value), /*overwrite=*/false);
  }
  // Adds `key` -> `value`, or replaces the value of an existing `key` (the
  // stored key object is kept). Returns true if the key was new.
  bool Upsert(Key key, Value value) {
    return InsertImpl(std::move(key), std::move(value), /*overwrite=*/true);
  }

  // Upsert for loading keys in ascending order: when `key` is greater than
  // every key in the tree (one comparison with the last), it goes straight
  // to the end of the rightmost leaf without a search; otherwise this is
  // Upsert. Returns true if the key was new.
  bool Append(Key key, Value value);

  // The value stored under `key`, or nullptr. The pointer is valid until the
  // next modification of the tree.
  template <BPlusTreeLookupKey<Key, Compare> K = Key>
  Value* Find(const K& key) {
    const Probe<K> probe = MakeProbe(key);
    Leaf* leaf = const_cast<Leaf*>(FindLeaf(probe));
    if (leaf == nullptr) return nullptr;
    uint32_t pos = LeafLowerBound(leaf, probe);
    if (Matches(leaf, pos, probe)) return &leaf->values[pos];
    return nullptr;
  }
  template <BPlusTreeLookupKey<Key, Compare> K = Key>
  const Value* Find(const K& key) const {
    return const_cast<BPlusTree*>(this)->Find(key);
  }

  // Find for many keys at once: (*found)[i] = Find(keys[i]), and each
  // found value's first cache line is prefetched. The lookups go down the
  // tree side by side, a level per pass over all of them, and each pass
  // prefetches the node the next one reads: the cache misses of one lookup
  // overlap with the others' instead of following one another.
  // REQUIRES: found->size() >= keys.size().
  template <BPlusTreeLookupKey<Key, Compare> K = Key>
  void FindMany(std::span<const K> keys, std::span<const Value*> found) const;

  // Removes `key` and its value. Returns false if it was not present.
  // Underfull nodes borrow from or merge with a sibling, and a root with a
  // single child is replaced by that child, so the tree stays balanced and
  // freed nodes are deleted.
  template <BPlusTreeLookupKey<Key, Compare> K = Key>
  bool Erase(const K& key) {
    if (root_ == nullptr) return false;
    const Probe<K> probe = MakeProbe(key);
    Path path;
    Leaf* leaf = Descend(probe, &path);
    uint32_t pos = LeafLowerBound(leaf, probe);
    if (!Matches(leaf, pos, probe)) return false;
    // Decide how an underfull leaf will be fixed, and copy the separator
    // that needs, before changing anything.
    LeafFix fix = LeafFix::kNone;
    Key separator{};
    if (path.depth > 0 && leaf->count == kMinLeafEntries) fix = PlanLeafFix(path, &separator);
    RemoveFromLeaf(leaf, pos);
    --size_;
    if (path.depth == 0) {
      if (leaf->count == 0) Clear();
      return true;
    }
    if (fix != LeafFix::kNone) RebalanceLeaf(leaf, &path, fix, std::move(separator));
    return true;
  }

  // The smallest key, the greatest key; invalid when the tree is empty.
  Iterator Begin() { return Iterator(first_leaf_, 0); }
  ConstIterator Begin() const { return ConstIterator(first_leaf_, 0); }
  Iterator Last() {
    return last_leaf_ == nullptr ? Iterator() : Iterator(last_leaf_, last_leaf_->count - 1);
  }
  ConstIterator Last() const { return const_cast<BPlusTree*>(this)->Last(); }

  // The first key >= `key` (LowerBound) or > `key` (UpperBound); invalid if
  // there is none.
  template <BPlusTreeLookupKey<Key, Compare> K = Key>
  Iterator LowerBound(const K& key) {
    const Probe<K> probe = MakeProbe(key);
    Leaf* leaf = const_cast<Leaf*>(FindLeaf(probe));
    if (leaf == nullptr) return Iterator();
    return Normalize(leaf, LeafLowerBound(leaf, probe));
  }
  template <BPlusTreeLookupKey<Key, Compare> K = Key>
  ConstIterator LowerBound(const K& key) const {
    return const_cast<BPlusTree*>(this)->LowerBound(key);
  }
  template <BPlusTreeLookupKey<Key, Compare> K = Key>
  Iterator UpperBound(const K& key) {
    const Probe<K> probe = MakeProbe(key);
    Leaf* leaf = const_cast<Leaf*>(FindLeaf(probe));
    if (leaf == nullptr) return Iterator();
    return Normalize(leaf, LeafUpperBound(leaf, probe));
  }
  template <BPlusTreeLookupKey<Key, Compare> K = Key>
  ConstIterator UpperBound(const K& key) const {
    return const_cast<BPlusTree*>(this)->UpperBound(key);
  }

  // Verifies every invariant listed at the top of this file. Returns OK, or
  // kInternal naming the first violation. O(n); for tests.
  protocol::Status TEST_CheckInvariants() const;

 private:
  // Deeper than any tree that fits in memory: with the smallest allowed
  // fan-out (3) a tree of height h holds at least 2^(h-1) entries.
  static constexpr int kMaxHeight = 64;

  struct Node {
    explicit Node(bool leaf) : is_leaf(leaf) {}
    bool is_leaf;
    uint32_t count = 0;  // entries in a leaf, keys in an inner node
  };
  // Arrays have one spare slot so that an insert can go in first and the
  // overfull node is split afterwards; that keeps the split code simple.
  // The prefixes come first, next to count: a search reads them, and the
  // keys only within a run of equal prefixes.
  struct Leaf : Node {
    Leaf() : Node(true) {}
    // prefixes[i] is the prefix of keys[i] for i < count (when kPrefixed).
    [[no_unique_address]] PrefixArray<kLeafSlots + 1> prefixes;
    std::array<Key, kLeafSlots + 1> keys;
    std::array<Value, kLeafSlots + 1> values;
    Leaf* prev = nullptr;
    Leaf* next = nullptr;
  };
  struct Inner : Node {
    Inner() : Node(false) {}
    [[no_unique_address]] PrefixArray<kInnerSlots + 1> prefixes;
    std::array<Key, kInnerSlots + 1> keys;
    std::array<Node*, kInnerSlots + 2> children;
  };
  // The inner nodes from the root down to a leaf and the child taken at each.
  struct Path {
    struct Step {
      Inner* node;
      uint32_t child;
    };
    std::array<Step, kMaxHeight> steps;
    int depth = 0;
  };

  static Leaf* AsLeaf(Node* n) { return static_cast<Leaf*>(n); }
  static const Leaf* AsLeaf(const Node* n) { return static_cast<const Leaf*>(n); }
  static Inner* AsInner(Node* n) { return static_cast<Inner*>(n); }
  static const Inner* AsInner(const Node* n) { return static_cast<const Inner*>(n); }

  void Swap(BPlusTree& other) noexcept {
    std::swap(cmp_, other.cmp_);
    std::swap(root_, other.root_);
    std::swap(first_leaf_, other.first_leaf_);
    std::swap(last_leaf_, other.last_leaf_);
    std::swap(size_, other.size_);
    std::swap(height_, other.height_);
  }

  // Recursion depth is the height, which is small (see kMaxHeight).
  static void FreeSubtree(Node* n) {
    if (n->is_leaf) {
      delete AsLeaf(n);
      return;
    }
    Inner* inner = AsInner(n);
    for (uint32_t i = 0; i <= inner->count; ++i) FreeSubtree(inner->children[i]);
    delete inner;
  }

  // Stores `key` in slot i of node `n` (a Leaf or an Inner), with its
  // prefix.
  template <typename N>
  void PutKey(N* n, uint32_t i, Key&& key) noexcept {
    if constexpr (kPrefixed) n->prefixes[i] = cmp_.Prefix(key);
    n->keys[i] = std::move(key);
  }
  // Moves the key in slot j of `src` to slot i of `dst`, with its prefix.
  template <typename N>
  static void MoveKey(N* dst, uint32_t i, N* src, uint32_t j) noexcept {
    if constexpr (kPrefixed) dst->prefixes[i] = src->prefixes[j];
    dst->keys[i] = std::move(src->keys[j]);
  }

  // A lookup key with what every node's search needs of it, worked out
  // once per lookup: its prefix, and whether that alone decides equality.
  template <typename K>
  struct Probe {
    const K& key;
    uint64_t prefix = 0;
    bool decides = false;
  };
  template <typename K>
  Probe<K> MakeProbe(const K& key) const noexcept {
    Probe<K> probe{key};
    if constexpr (kPrefixed && PrefixCompare<Compare, K>) probe.prefix = cmp_.Prefix(key);
    if constexpr (kPrefixed && PrefixDecidingCompare<Compare, K>) {
      probe.decides = cmp_.PrefixDecides(key);
    }
    return probe;
  }
  // Whether entry `pos` of `leaf` (a lower bound of the probe) is its key.
  template <typename K>
  bool Matches(const Leaf* leaf, uint32_t pos, const Probe<K>& probe) const {
    if (pos >= leaf->count) return false;
    if constexpr (kPrefixed) {
      if (probe.decides) return leaf->prefixes[pos] == probe.prefix;
    }
    return cmp_(leaf->keys[pos], probe.key) == 0;
  }

  // First i in [0, n->count) with keys[i] >= key (kUpper: > key), or count.
  // With prefixes, the answer lies in [lo, hi], the run of entries whose
  // prefix equals the key's: entries before it are smaller than the key,
  // entries after it greater. Whole keys are compared only inside the run;
  // when the prefix decides, the run is at most the key itself.
  template <bool kUpper, typename N, typename K>
  uint32_t BoundIn(const N* n, const Probe<K>& probe) const {
    uint32_t lo = 0, hi = n->count;
    if constexpr (kPrefixed && PrefixCompare<Compare, K>) {
      const uint64_t p = probe.prefix;
      const uint64_t* prefixes = n->prefixes.data();
      while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (prefixes[mid] < p) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      if (lo == n->count || prefixes[lo] != p) return lo;
      if (probe.decides) return kUpper ? lo + 1 : lo;
      hi = lo + 1;
      uint32_t end = n->count;
      while (hi < end) {
        uint32_t mid = hi + (end - hi) / 2;
        if (prefixes[mid] == p) {
          hi = mid + 1;
        } else {
          end = mid;
        }
      }
    }
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      auto c = cmp_(n->keys[mid], probe.key);
      if (kUpper ? c <= 0 : c < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
  template <typename K>
  uint32_t LeafLowerBound(const Leaf* leaf, const Probe<K>& probe) const {
    return BoundIn</*kUpper=*/false>(leaf, probe);
  }
  template <typename K>
  uint32_t LeafUpperBound(const Leaf* leaf, const Probe<K>& probe) const {
    return BoundIn</*kUpper=*/true>(leaf, probe);
  }
  // The child of `inner` whose key range holds the probe's key.
  template <typename K>
  uint32_t ChildIndex(const Inner* inner, const Probe<K>& probe) const {
    return BoundIn</*kUpper=*/true>(inner, probe);
  }

  // Starts loading a leaf's header and prefixes, before its first use: a
  // leaf of a large tree is rarely in cache, and the binary search would
  // otherwise wait for its cache lines one after another.
  static void PrefetchLeaf(const Node* leaf) {
    if constexpr (kPrefixed) {
      const char* p = reinterpret_cast<const char*>(leaf);
      const char* end = reinterpret_cast<const char*>(AsLeaf(leaf)->prefixes.data() + kLeafSlots);
      for (; p <= end; p += 64) Prefetch(p);
    }
  }

  template <typename K>
  const Leaf* FindLeaf(const Probe<K>& probe) const {
    const Node* n = root_;
    if (n == nullptr) return nullptr;
    for (int level = 1; level < height_; ++level) {
      const Inner* inner = AsInner(n);
      n = inner->children[ChildIndex(inner, probe)];
      if (level + 1 == height_) PrefetchLeaf(n);
    }
    return AsLeaf(n);
  }

  // Like FindLeaf, recording the way down. REQUIRES: root_ != nullptr.
  template <typename K>
  Leaf* Descend(const Probe<K>& probe, Path* path) {
    Node* n = root_;
    path->depth = 0;
    while (!n->is_leaf) {
      Inner* inner = AsInner(n);
      uint32_t child = ChildIndex(inner, probe);
      assert(path->depth < kMaxHeight);
      path->steps[path->depth++] = {inner, child};
      n = inner->children[child];
    }
    return AsLeaf(n);
  }

  // (leaf, index) with index == count moves to the start of the next leaf.
  static Iterator Normalize(Leaf* leaf, uint32_t index) {
    if (index < leaf->count) return Iterator(leaf, index);
    return Iterator(leaf->next, 0);
  }

  bool InsertImpl(Key&& key, Value&& value, bool overwrite);
  // Moves the entries from `pos` on one slot right and puts the new entry
  // at `pos` (the leaf has a spare slot, so this works on a full leaf too).
  void ShiftIn(Leaf* leaf, uint32_t pos, Key&& key, Value&& value) noexcept {
    for (uint32_t i = leaf->count; i > pos; --i) {
      MoveKey(leaf, i, leaf, i - 1);
      leaf->values[i] = std::move(leaf->values[i - 1]);
    }
    PutKey(leaf, pos, std::move(key));
    leaf->values[pos] = std::move(value);
    ++leaf->count;
    ++size_;
  }
  // Inserts a new key at `pos` of `leaf` (reached by `path`), splitting if
  // the leaf is full.
  void PlaceInLeaf(Leaf* leaf, uint32_t pos, Path* path, Key&& key, Value&& value);
  // Inserts into a full leaf at `pos` and splits nodes up `path` as needed.
  void InsertAndSplit(Leaf* leaf, uint32_t pos, Path* path, Key&& key, Value&& value);
  void RemoveFromLeaf(Leaf* leaf, uint32_t pos);
  // Removes separator `key_index` and child `child_index` from `inner`.
  void RemoveFromInner(Inner* inner, uint32_t key_index, uint32_t child_index);
  enum class LeafFix { kNone, kBorrowLeft, kBorrowRight, kMerge };
  // How the leaf at the end of `path`, about to drop below the minimum, will
  // be fixed; for a borrow, sets `*separator` to a copy of the parent's new
  // separator key.
  LeafFix PlanLeafFix(const Path& path, Key* separator) const;
  void RebalanceLeaf(Leaf* leaf, Path* path, LeafFix fix, Key&& separator);
  // Restores the fill of the inner node at path->steps[level] and upwards.
  void RebalanceInner(Path* path, int level);

  // Checks the subtree under `n` at `depth`, whose keys must lie in
  // [*lo, *hi) (nullptr: unbounded); appends its leaves to `leaves`.
  protocol::Status CheckSubtree(const Node* n, int depth, const Key* lo, const Key* hi,
                                std::vector<const Leaf*>* leaves, size_t* entries) const;

  [[no_unique_address]] Compare cmp_{};
  Node* root_ = nullptr;
  Leaf* first_leaf_ = nullptr;
  Leaf* last_leaf_ = nullptr;
  size_t size_ = 0;
  int height_ = 0;
};

// ---------------------------------------------------------------------------
// Implementation.

#define KOPF_BTREE_TEMPLATE \
  template <typename Key, typename Value, typename Compare, size_t kLeafSlots, size_t kInnerSlots>
#define KOPF_BTREE BPlusTree<Key, Value, Compare, kLeafSlots, kInnerSlots>

// Keys go down in groups of kGroup: enough lookups per pass to hide a
// cache miss behind the others' work, few enough that the group's nodes
// stay in the first-level cache between passes.
KOPF_BTREE_TEMPLATE
template <BPlusTreeLookupKey<Key, Compare> K>
void KOPF_BTREE::FindMany(std::span<const K> keys, std::span<const Value*> found) const {
  constexpr size_t kGroup = 16;
  assert(found.size() >= keys.size());
  for (size_t start = 0; start < keys.size(); start += kGroup) {
    const size_t n = std::min(kGroup, keys.size() - start);
    const K* key = keys.data() + start;
    const Value** out = found.data() + start;
    if (root_ == nullptr) {
      std::fill(out, out + n, nullptr);
      continue;
    }
    // Left uninitialised: only the first n entries are used, each set first.
    std::array<uint64_t, kGroup> prefix;
    std::array<bool, kGroup> decides;
    std::array<const Node*, kGroup> node;
    std::array<uint32_t, kGroup> lo;
    std::array<uint32_t, kGroup> hi;
    for (size_t i = 0; i < n; ++i) {
      const Probe<K> probe = MakeProbe(key[i]);
      prefix[i] = probe.prefix;
      decides[i] = probe.decides;
      node[i] = root_;
    }
    for (int level = 1; level < height_; ++level) {
      for (size_t i = 0; i < n; ++i) {
        const Inner* inner = AsInner(node[i]);
        node[i] = inner->children[ChildIndex(inner, Probe<K>{key[i], prefix[i], decides[i]})];
        Prefetch(node[i]);  // its count, and a leaf's first prefixes
      }
    }
    // In the leaves, the binary search over the prefixes also goes a step
    // per pass, prefetching the line of each search's next probe: a leaf's
    // prefixes span nine cache lines, of which a search reads four or five,
    // and the lines in flight at once are few (about twenty per core), so
    // loading all nine would make the loads wait for each other.
    if constexpr (kPrefixed && PrefixCompare<Compare, K>) {
      bool searching = false;
      for (size_t i = 0; i < n; ++i) {
        lo[i] = 0;
        hi[i] = node[i]->count;
        if (lo[i] < hi[i]) {
          Prefetch(&AsLeaf(node[i])->prefixes[hi[i] / 2]);
          searching = true;
        }
      }
      while (searching) {
        searching = false;
        for (size_t i = 0; i < n; ++i) {
          if (lo[i] >= hi[i]) continue;
          const uint64_t* prefixes = AsLeaf(node[i])->prefixes.data();
          const uint32_t mid = lo[i] + (hi[i] - lo[i]) / 2;
          if (prefixes[mid] < prefix[i]) {
            lo[i] = mid + 1;
          } else {
            hi[i] = mid;
          }
          if (lo[i] < hi[i]) {
            Prefetch(&prefixes[lo[i] + (hi[i] - lo[i]) / 2]);
            searching = true;
          }
        }
      }
    }
    for (size_t i = 0; i < n; ++i) {
      const Leaf* leaf = AsLeaf(node[i]);
      const Probe<K> probe{key[i], prefix[i], decides[i]};
      // lo[i] is the lower bound among the prefixes, the answer itself
      // when the prefix decides; else the whole search, now in cache.
      bool done = false;
      if constexpr (kPrefixed && PrefixCompare<Compare, K>) done = probe.decides;
      const uint32_t pos = done ? lo[i] : LeafLowerBound(leaf, probe);
      out[i] = Matches(leaf, pos, probe) ? &leaf->values[pos] : nullptr;
      if (out[i] != nullptr) Prefetch(out[i]);
    }
  }
}

// Insertion:
// 1. Descend to the leaf; an existing key ends here.
// 2. If the leaf is full, allocate every node the insert will need (the new
//    leaf, one per full ancestor in a row above it, and a new root if they
//    are all full) and copy the separator key, so nothing can throw later.
// 3. Put the entry in place (nodes have a spare slot), and while a node is
//    overfull split it in two, handing a separator and the new right node
//    to the parent. A root split grows the tree by one level.
KOPF_BTREE_TEMPLATE
bool KOPF_BTREE::InsertImpl(Key&& key, Value&& value, bool overwrite) {
  if (root_ == nullptr) {
    Leaf* leaf = new Leaf;
    PutKey(leaf, 0, std::move(key));
    leaf->values[0] = std::move(value);
    leaf->count = 1;
    root_ = first_leaf_ = last_leaf_ = leaf;
    size_ = 1;
    height_ = 1;
    return true;
  }
  Path path;
  const Probe<Key> probe = MakeProbe(static_cast<const Key&>(key));
  Leaf* leaf = Descend(probe, &path);
  uint32_t pos = LeafLowerBound(leaf, probe);
  if (Matches(leaf, pos, probe)) {
    if (overwrite) leaf->values[pos] = std::move(value);
    return false;
  }
  PlaceInLeaf(leaf, pos, &path, std::move(key), std::move(value));
  return true;
}

KOPF_BTREE_TEMPLATE
void KOPF_BTREE::PlaceInLeaf(Leaf* leaf, uint32_t pos, Path* path, Key&& key, Value&& value) {
  if (leaf->count == kLeafSlots) {
    InsertAndSplit(leaf, pos, path, std::move(key), std::move(value));
    return;
  }
  ShiftIn(leaf, pos, std::move(key), std::move(value));
}

KOPF_BTREE_TEMPLATE
bool KOPF_BTREE::Append(Key key, Value value) {
  if (root_ == nullptr || cmp_(last_leaf_->keys[last_leaf_->count - 1], key) >= 0) {
    return InsertImpl(std::move(key), std::move(value), /*overwrite=*/true);
  }
  // The path to the last leaf is the rightmost child at every level.
  Path path;
  Node* n = root_;
  while (!n->is_leaf) {
    Inner* inner = AsInner(n);
    path.steps[path.depth++] = {inner, inner->count};
    n = inner->children[inner->count];
  }
  PlaceInLeaf(AsLeaf(n), AsLeaf(n)->count, &path, std::move(key), std::move(value));
  return true;
}

KOPF_BTREE_TEMPLATE
void KOPF_BTREE::InsertAndSplit(Leaf* leaf, uint32_t pos, Path* path, Key&& key, Value&& value) {
  // Nodes allocated up front; whatever is not used is freed on the way out.
  struct SpareNodes {
    std::unique_ptr<Leaf> leaf;
    std::array<Inner*, kMaxHeight + 1> inners;
    int count = 0;
    int used = 0;
    ~SpareNodes() {
      for (int i = used; i < count; ++i) delete inners[i];
    }
  } spare;
  spare.leaf = std::make_unique<Leaf>();
  int level = path->depth;
  while (level > 0 && path->steps[level - 1].node->count == kInnerSlots) --level;
  // One per full ancestor in a row above the leaf, and a new root if the
  // root is among them (or is the leaf).
  const int needed = path->depth - level + (level == 0 ? 1 : 0);
  for (; spare.count < needed; ++spare.count) spare.inners[spare.count] = new Inner;
  // The leaf keeps its first `keep` entries; the first key of the new right
  // leaf (counted after the insert) is the separator.
  const uint32_t keep = (kLeafSlots + 1) / 2;
  Key separator = pos < keep ? leaf->keys[keep - 1] : pos == keep ? key : leaf->keys[keep];

  // Nothing below throws.
  ShiftIn(leaf, pos, std::move(key), std::move(value));

  // Split the leaf: the upper half moves to a new right sibling.
  Leaf* right = spare.leaf.release();
  for (uint32_t i = keep; i < leaf->count; ++i) {
    MoveKey(right, i - keep, leaf, i);
    right->values[i - keep] = std::move(leaf->values[i]);
  }
  right->count = leaf->count - keep;
  leaf->count = keep;
  right->prev = leaf;
  right->next = leaf->next;
  if (leaf->next != nullptr) {
    leaf->next->prev = right;
  } else {
    last_leaf_ = right;
  }
  leaf->next = right;
  Node* new_child = right;

  while (path->depth > 0) {
    auto [parent, child] = path->steps[--path->depth];
    for (uint32_t i = parent->count; i > child; --i) {
      MoveKey(parent, i, parent, i - 1);
      parent->children[i + 1] = parent->children[i];
    }
    PutKey(parent, child, std::move(separator));
    parent->children[child + 1] = new_child;
    ++parent->count;
    if (parent->count <= kInnerSlots) return;

    // Split the inner node: keys[mid] moves up, the keys after it and their
    // children move to a new right sibling.
    assert(spare.used < spare.count);
    Inner* sibling = spare.inners[spare.used++];
    const uint32_t mid = (kInnerSlots + 1) / 2;
    separator = std::move(parent->keys[mid]);
    for (uint32_t i = mid + 1; i < parent->count; ++i) {
      MoveKey(sibling, i - mid - 1, parent, i);
    }
    for (uint32_t i = mid + 1; i <= parent->count; ++i) {
      sibling->children[i - mid - 1] = parent->children[i];
    }
    sibling->count = parent->count - mid - 1;
    parent->count = mid;
    new_child = sibling;
  }

  assert(spare.used < spare.count);
  Inner* root = spare.inners[spare.used++];
  PutKey(root, 0, std::move(separator));
  root->children[0] = root_;
  root->children[1] = new_child;
  root->count = 1;
  root_ = root;
  ++height_;
}

KOPF_BTREE_TEMPLATE
void KOPF_BTREE::RemoveFromLeaf(Leaf* leaf, uint32_t pos) {
  for (uint32_t i = pos + 1; i < leaf->count; ++i) {
    MoveKey(leaf, i - 1, leaf, i);
    leaf->values[i - 1] = std::move(leaf->values[i]);
  }
  --leaf->count;
  // Release what the vacated slot still holds (the erased entry itself when
  // it was the last one).
  leaf->keys[leaf->count] = Key{};
  leaf->values[leaf->count] = Value{};
}

KOPF_BTREE_TEMPLATE
void KOPF_BTREE::RemoveFromInner(Inner* inner, uint32_t key_index, uint32_t child_index) {
  for (uint32_t i = key_index + 1; i < inner->count; ++i) {
    MoveKey(inner, i - 1, inner, i);
  }
  for (uint32_t i = child_index + 1; i <= inner->count; ++i) {
    inner->children[i - 1] = inner->children[i];
  }
  --inner->count;
  inner->keys[inner->count] = Key{};
}

// An underfull leaf first borrows one entry from a sibling under the same
// parent that can spare one (the parent's separator becomes the new
// boundary); otherwise it merges with a sibling, the right node of the pair
// is deleted and the parent loses a separator, which may underfill it.
KOPF_BTREE_TEMPLATE
auto KOPF_BTREE::PlanLeafFix(const Path& path, Key* separator) const -> LeafFix {
  auto [parent, idx] = path.steps[path.depth - 1];
  if (idx > 0) {
    const Leaf* left = AsLeaf(parent->children[idx - 1]);
    if (left->count > kMinLeafEntries) {
      *separator = left->keys[left->count - 1];
      return LeafFix::kBorrowLeft;
    }
  }
  if (idx < parent->count) {
    const Leaf* right = AsLeaf(parent->children[idx + 1]);
    if (right->count > kMinLeafEntries) {
      *separator = right->keys[1];
      return LeafFix::kBorrowRight;
    }
  }
  return LeafFix::kMerge;
}

KOPF_BTREE_TEMPLATE
void KOPF_BTREE::RebalanceLeaf(Leaf* leaf, Path* path, LeafFix fix, Key&& separator) {
  const int level = path->depth - 1;
  auto [parent, idx] = path->steps[level];
  Leaf* left = idx > 0 ? AsLeaf(parent->children[idx - 1]) : nullptr;
  Leaf* right = idx < parent->count ? AsLeaf(parent->children[idx + 1]) : nullptr;

  if (fix == LeafFix::kBorrowLeft) {
    for (uint32_t i = leaf->count; i > 0; --i) {
      MoveKey(leaf, i, leaf, i - 1);
      leaf->values[i] = std::move(leaf->values[i - 1]);
    }
    --left->count;
    MoveKey(leaf, 0, left, left->count);
    leaf->values[0] = std::move(left->values[left->count]);
    ++leaf->count;
    PutKey(parent, idx - 1, std::move(separator));
    return;
  }
  if (fix == LeafFix::kBorrowRight) {
    MoveKey(leaf, leaf->count, right, 0);
    leaf->values[leaf->count] = std::move(right->values[0]);
    ++leaf->count;
    RemoveFromLeaf(right, 0);
    PutKey(parent, idx, std::move(separator));
    return;
  }

  // Merge the pair (a, b) into a; b is the right one.
  Leaf* a = left != nullptr ? left : leaf;
  Leaf* b = left != nullptr ? leaf : right;
  const uint32_t b_index = left != nullptr ? idx : idx + 1;
  for (uint32_t i = 0; i < b->count; ++i) {
    MoveKey(a, a->count + i, b, i);
    a->values[a->count + i] = std::move(b->values[i]);
  }
  a->count += b->count;
  a->next = b->next;
  if (b->next != nullptr) {
    b->next->prev = a;
  } else {
    last_leaf_ = a;
  }
  delete b;
  RemoveFromInner(parent, b_index - 1, b_index);
  RebalanceInner(path, level);
}

// The same for inner nodes, one level at a time up the path. Borrowing
// rotates through the parent: the parent's separator comes down into the
// underfull node and the sibling's boundary key goes up in its place,
// carrying its child across. Merging pulls the separator down between the
// two nodes' keys. A root left with no keys is replaced by its only child.
KOPF_BTREE_TEMPLATE
void KOPF_BTREE::RebalanceInner(Path* path, int level) {
  for (; level >= 0; --level) {
    Inner* node = path->steps[level].node;
    if (level == 0) {
      if (node->count == 0) {
        root_ = node->children[0];
        delete node;
        --height_;
      }
      return;
    }
    if (node->count >= kMinInnerKeys) return;

    auto [parent, idx] = path->steps[level - 1];
    Inner* left = idx > 0 ? AsInner(parent->children[idx - 1]) : nullptr;
    Inner* right = idx < parent->count ? AsInner(parent->children[idx + 1]) : nullptr;

    if (left != nullptr && left->count > kMinInnerKeys) {
      for (uint32_t i = node->count; i > 0; --i) MoveKey(node, i, node, i - 1);
      for (uint32_t i = node->count + 1; i > 0; --i) node->children[i] = node->children[i - 1];
      MoveKey(node, 0, parent, idx - 1);
      node->children[0] = left->children[left->count];
      ++node->count;
      --left->count;
      MoveKey(parent, idx - 1, left, left->count);
      left->keys[left->count] = Key{};
      return;
    }
    if (right != nullptr && right->count > kMinInnerKeys) {
      MoveKey(node, node->count, parent, idx);
      node->children[node->count + 1] = right->children[0];
      ++node->count;
      MoveKey(parent, idx, right, 0);
      RemoveFromInner(right, 0, 0);
      return;
    }

    Inner* a = left != nullptr ? left : node;
    Inner* b = left != nullptr ? node : right;
    const uint32_t b_index = left != nullptr ? idx : idx + 1;
    MoveKey(a, a->count, parent, b_index - 1);
    for (uint32_t i = 0; i < b->count; ++i) MoveKey(a, a->count + 1 + i, b, i);
    for (uint32_t i = 0; i <= b->count; ++i) a->children[a->count + 1 + i] = b->children[i];
    a->count += b->count + 1;
    delete b;
    RemoveFromInner(parent, b_index - 1, b_index);
  }
}

KOPF_BTREE_TEMPLATE
protocol::Status KOPF_BTREE::TEST_CheckInvariants() const {
  using protocol::Status;
  if (root_ == nullptr) {
    if (size_ != 0 || height_ != 0 || first_leaf_ != nullptr || last_leaf_ != nullptr) {
      return Status::Internal("empty tree has stale size, height or leaf pointers");
    }
    return Status::Ok();
  }
  if (!root_->is_leaf && root_->count == 0) return Status::Internal("inner root has no keys");
  std::vector<const Leaf*> leaves;
  size_t entries = 0;
  KOPF_RETURN_IF_ERROR(CheckSubtree(root_, 1, nullptr, nullptr, &leaves, &entries));
  if (entries != size_) {
    return Status::Internal("size() is " + std::to_string(size_) + " but the leaves hold " +
                            std::to_string(entries));
  }
  if (leaves.front() != first_leaf_ || leaves.back() != last_leaf_) {
    return Status::Internal("first or last leaf pointer is wrong");
  }
  for (size_t i = 0; i < leaves.size(); ++i) {
    const Leaf* want_prev = i == 0 ? nullptr : leaves[i - 1];
    const Leaf* want_next = i + 1 == leaves.size() ? nullptr : leaves[i + 1];
    if (leaves[i]->prev != want_prev || leaves[i]->next != want_next) {
      return Status::Internal("leaf list link broken at leaf " + std::to_string(i));
    }
  }
  if constexpr (kPrefixed && PrefixDecidingCompare<Compare, Key>) {
    // Neighbours in key order sharing a prefix are distinct keys, so
    // neither prefix may claim to decide equality.
    const Key* prev = nullptr;
    uint64_t prev_prefix = 0;
    for (const Leaf* leaf : leaves) {
      for (uint32_t i = 0; i < leaf->count; ++i) {
        if (prev != nullptr && prev_prefix == leaf->prefixes[i] &&
            (cmp_.PrefixDecides(*prev) || cmp_.PrefixDecides(leaf->keys[i]))) {
          return Status::Internal("two keys share a prefix that claims to decide equality");
        }
        prev = &leaf->keys[i];
        prev_prefix = leaf->prefixes[i];
      }
    }
  }
  return Status::Ok();
}

KOPF_BTREE_TEMPLATE
protocol::Status KOPF_BTREE::CheckSubtree(const Node* n, int depth, const Key* lo, const Key* hi,
                                          std::vector<const Leaf*>* leaves, size_t* entries) const {
  using protocol::Status;
  const std::string where = "node at depth " + std::to_string(depth);
  const bool is_root = n == root_;
  auto key_at = [n](uint32_t i) -> const Key& {
    return n->is_leaf ? AsLeaf(n)->keys[i] : AsInner(n)->keys[i];
  };
  if (n->is_leaf) {
    if (depth != height_) return Status::Internal("leaf at depth " + std::to_string(depth));
    if (n->count > kMaxLeafEntries) return Status::Internal(where + ": overfull leaf");
    if (!is_root && n->count < kMinLeafEntries) return Status::Internal(where + ": underfull leaf");
    if (n->count == 0) return Status::Internal(where + ": empty leaf");
  } else {
    if (n->count > kMaxInnerKeys) return Status::Internal(where + ": overfull inner node");
    if (!is_root && n->count < kMinInnerKeys) {
      return Status::Internal(where + ": underfull inner node");
    }
  }
  for (uint32_t i = 0; i < n->count; ++i) {
    if constexpr (kPrefixed) {
      uint64_t stored = n->is_leaf ? AsLeaf(n)->prefixes[i] : AsInner(n)->prefixes[i];
      if (stored != cmp_.Prefix(key_at(i))) {
        return Status::Internal(where + ": stale key prefix at " + std::to_string(i));
      }
    }
    if (i > 0 && !(cmp_(key_at(i - 1), key_at(i)) < 0)) {
      return Status::Internal(where + ": keys out of order at " + std::to_string(i));
    }
    if (lo != nullptr && cmp_(key_at(i), *lo) < 0) {
      return Status::Internal(where + ": key below its separator");
    }
    if (hi != nullptr && !(cmp_(key_at(i), *hi) < 0)) {
      return Status::Internal(where + ": key not below its separator");
    }
  }
  if (n->is_leaf) {
    leaves->push_back(AsLeaf(n));
    *entries += n->count;
    return Status::Ok();
  }
  const Inner* inner = AsInner(n);
  for (uint32_t i = 0; i <= inner->count; ++i) {
    const Key* child_lo = i == 0 ? lo : &inner->keys[i - 1];
    const Key* child_hi = i == inner->count ? hi : &inner->keys[i];
    KOPF_RETURN_IF_ERROR(
        CheckSubtree(inner->children[i], depth + 1, child_lo, child_hi, leaves, entries));
  }
  return Status::Ok();
}

#undef KOPF_BTREE
#undef KOPF_BTREE_TEMPLATE

}  // namespace kopf::cerebrum
