#include "cerebrum/btree.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "protocol/value.h"

namespace kopf::cerebrum {
namespace {

using protocol::Value;

// Tiny fan-outs make deep trees out of few keys, so every split, borrow and
// merge path runs many times; the default fan-out is what production uses.
using TinyTree = BPlusTree<int64_t, int64_t, std::compare_three_way, 3, 3>;
using SmallTree = BPlusTree<int64_t, int64_t, std::compare_three_way, 4, 5>;
using DefaultTree = BPlusTree<int64_t, int64_t>;

// Lexicographic order of composite keys under kopf's value order.
struct RowKeyCompare {
  std::strong_ordering operator()(const std::vector<Value>& a, const std::vector<Value>& b) const {
    size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
      std::strong_ordering c = protocol::Compare(a[i], b[i]);
      if (c != 0) return c;
    }
    return a.size() <=> b.size();
  }
};

// A key whose copies can be made to throw, as a failed allocation would.
struct CountedKey {
  static inline int copies_left = -1;  // copies allowed before one throws; -1: no limit
  int64_t v = 0;
  CountedKey() noexcept = default;
  explicit CountedKey(int64_t x) noexcept : v(x) {}
  CountedKey(const CountedKey& o) : v(o.v) { Tick(); }
  CountedKey& operator=(const CountedKey& o) {
    Tick();
    v = o.v;
    return *this;
  }
  CountedKey(CountedKey&&) noexcept = default;
  CountedKey& operator=(CountedKey&&) noexcept = default;
  std::strong_ordering operator<=>(const CountedKey& o) const { return v <=> o.v; }
  bool operator==(const CountedKey& o) const { return v == o.v; }
  static void Tick() {
    if (copies_left == 0) throw std::bad_alloc();
    if (copies_left > 0) --copies_left;
  }
};

#define CHECK_INVARIANTS(tree)                           \
  do {                                                   \
    protocol::Status s_ = (tree).TEST_CheckInvariants(); \
    REQUIRE_MESSAGE(s_.ok(), s_.ToString());             \
  } while (0)

template <typename Tree>
std::vector<std::pair<int64_t, int64_t>> Forward(const Tree& tree) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (auto it = tree.Begin(); it.Valid(); it.Next()) out.emplace_back(it.key(), it.value());
  return out;
}

template <typename Tree>
std::vector<std::pair<int64_t, int64_t>> Backward(const Tree& tree) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (auto it = tree.Last(); it.Valid(); it.Prev()) out.emplace_back(it.key(), it.value());
  return out;
}

// Runs `ops` random operations against the tree and a std::map side by side.
template <typename Tree>
void RandomizedAgainstMap(uint64_t seed, int ops, int64_t key_space) {
  Tree tree;
  std::map<int64_t, int64_t> model;
  std::mt19937_64 rng(seed);
  auto random_key = [&] { return static_cast<int64_t>(rng() % key_space) - key_space / 2; };
  for (int op = 0; op < ops; ++op) {
    int64_t k = random_key();
    int64_t v = static_cast<int64_t>(rng());
    // Phases tilt the mix so the tree both grows large and shrinks to
    // nothing: inserts dominate in the first third, erases in the last.
    int phase = op * 3 / ops;
    int dice = static_cast<int>(rng() % 100);
    int insert_share = phase == 0 ? 60 : phase == 1 ? 35 : 10;
    if (dice < insert_share) {
      bool inserted = tree.Insert(k, v);
      CHECK(inserted == model.emplace(k, v).second);
    } else if (dice < insert_share + 15) {
      bool inserted = tree.Upsert(k, v);
      CHECK(inserted == (model.count(k) == 0));
      model[k] = v;
    } else if (dice < 90) {
      CHECK(tree.Erase(k) == (model.erase(k) == 1));
    } else if (dice < 95) {
      const int64_t* found = tree.Find(k);
      auto it = model.find(k);
      REQUIRE((found != nullptr) == (it != model.end()));
      if (found != nullptr) CHECK(*found == it->second);
    } else {
      // A short range scan from LowerBound or UpperBound, forwards then
      // backwards.
      bool upper = rng() % 2 == 0;
      auto it = upper ? tree.UpperBound(k) : tree.LowerBound(k);
      auto mit = upper ? model.upper_bound(k) : model.lower_bound(k);
      auto it_back = it;
      auto mit_back = mit;
      for (int step = 0; step < 20 && mit != model.end(); ++step, ++mit, it.Next()) {
        REQUIRE(it.Valid());
        CHECK(it.key() == mit->first);
        CHECK(it.value() == mit->second);
      }
      if (mit == model.end()) CHECK_FALSE(it.Valid());
      // Backwards from the element before the bound.
      if (mit_back == model.begin()) {
        if (it_back.Valid()) {
          it_back.Prev();
          CHECK_FALSE(it_back.Valid());
        }
      } else {
        it_back = it_back.Valid() ? (it_back.Prev(), it_back) : tree.Last();
        --mit_back;
        for (int step = 0; step < 20; ++step) {
          REQUIRE(it_back.Valid());
          CHECK(it_back.key() == mit_back->first);
          CHECK(it_back.value() == mit_back->second);
          it_back.Prev();
          if (mit_back == model.begin()) {
            CHECK_FALSE(it_back.Valid());
            break;
          }
          --mit_back;
        }
      }
    }
    REQUIRE(tree.size() == model.size());
    if (op % 4096 == 0) CHECK_INVARIANTS(tree);
  }
  CHECK_INVARIANTS(tree);
  std::vector<std::pair<int64_t, int64_t>> expected(model.begin(), model.end());
  CHECK(Forward(tree) == expected);
  std::vector<std::pair<int64_t, int64_t>> reversed(model.rbegin(), model.rend());
  CHECK(Backward(tree) == reversed);
  // Drain what is left in random order, checking as it shrinks.
  std::vector<int64_t> keys;
  for (const auto& [k, v] : model) keys.push_back(k);
  std::shuffle(keys.begin(), keys.end(), rng);
  for (size_t i = 0; i < keys.size(); ++i) {
    REQUIRE(tree.Erase(keys[i]));
    if (i % 1024 == 0) CHECK_INVARIANTS(tree);
  }
  CHECK(tree.empty());
  CHECK(tree.height() == 0);
  CHECK_INVARIANTS(tree);
}

TEST_SUITE("cerebrum/btree") {
  TEST_CASE("matches std::map under 200,000 random operations") {
    SUBCASE("default fan-out") { RandomizedAgainstMap<DefaultTree>(42, 200'000, 60'000); }
    SUBCASE("fan-out 4/5") { RandomizedAgainstMap<SmallTree>(7, 200'000, 20'000); }
    SUBCASE("fan-out 3/3") { RandomizedAgainstMap<TinyTree>(1234, 200'000, 5'000); }
  }

  TEST_CASE("an empty tree finds nothing and has invalid iterators") {
    TinyTree tree;
    CHECK(tree.empty());
    CHECK(tree.size() == 0);
    CHECK(tree.height() == 0);
    CHECK(tree.Find(1) == nullptr);
    CHECK_FALSE(tree.Erase(1));
    CHECK_FALSE(tree.Begin().Valid());
    CHECK_FALSE(tree.Last().Valid());
    CHECK_FALSE(tree.LowerBound(0).Valid());
    CHECK_FALSE(tree.UpperBound(0).Valid());
    const TinyTree& ctree = tree;
    CHECK(ctree.Find(1) == nullptr);
    CHECK_FALSE(ctree.Begin().Valid());
    CHECK_INVARIANTS(tree);
    tree.Clear();
    CHECK_INVARIANTS(tree);
  }

  TEST_CASE("a single key can be found, iterated and erased") {
    TinyTree tree;
    CHECK(tree.Insert(5, 50));
    CHECK(tree.height() == 1);
    CHECK_FALSE(tree.Insert(5, 51));
    CHECK(*tree.Find(5) == 50);
    CHECK_FALSE(tree.Upsert(5, 52));
    CHECK(*tree.Find(5) == 52);
    CHECK(tree.size() == 1);
    auto it = tree.Begin();
    REQUIRE(it.Valid());
    CHECK(it.key() == 5);
    CHECK(it == tree.Last());
    it.Next();
    CHECK_FALSE(it.Valid());
    it = tree.Last();
    it.Prev();
    CHECK_FALSE(it.Valid());
    CHECK(tree.LowerBound(5).key() == 5);
    CHECK(tree.LowerBound(4).key() == 5);
    CHECK_FALSE(tree.LowerBound(6).Valid());
    CHECK_FALSE(tree.UpperBound(5).Valid());
    CHECK(tree.UpperBound(4).key() == 5);
    CHECK_FALSE(tree.Erase(4));
    CHECK(tree.Erase(5));
    CHECK(tree.empty());
    CHECK(tree.height() == 0);
    CHECK_INVARIANTS(tree);
  }

  TEST_CASE("ascending and descending inserts build a balanced tree") {
    constexpr int64_t kCount = 20'000;
    SUBCASE("ascending") {
      SmallTree tree;
      for (int64_t i = 0; i < kCount; ++i) REQUIRE(tree.Insert(i, -i));
      CHECK_INVARIANTS(tree);
      CHECK(tree.size() == kCount);
      // Every inner node has >= 3 children, every leaf >= 2 entries.
      CHECK(tree.height() <= 1 + 10);
      int64_t expect = 0;
      for (auto it = tree.Begin(); it.Valid(); it.Next()) CHECK(it.key() == expect++);
      CHECK(expect == kCount);
      for (int64_t i = 0; i < kCount; ++i) REQUIRE(tree.Erase(i));
      CHECK_INVARIANTS(tree);
      CHECK(tree.empty());
    }
    SUBCASE("descending") {
      SmallTree tree;
      for (int64_t i = kCount - 1; i >= 0; --i) REQUIRE(tree.Insert(i, -i));
      CHECK_INVARIANTS(tree);
      int64_t expect = kCount - 1;
      for (auto it = tree.Last(); it.Valid(); it.Prev()) CHECK(it.key() == expect--);
      CHECK(expect == -1);
      for (int64_t i = kCount - 1; i >= 0; --i) REQUIRE(tree.Erase(i));
      CHECK_INVARIANTS(tree);
      CHECK(tree.empty());
    }
    SUBCASE("default fan-out stays shallow at 1e5 keys") {
      DefaultTree tree;
      for (int64_t i = 0; i < 100'000; ++i) REQUIRE(tree.Insert(i, i));
      CHECK_INVARIANTS(tree);
      CHECK(tree.height() == 3);
    }
  }

  TEST_CASE("Append loads ascending keys and falls back to Upsert for any other key") {
    auto check = [](auto tree) {
      for (int64_t i = 0; i < 5'000; ++i) REQUIRE(tree.Append(2 * i, i));
      CHECK_INVARIANTS(tree);
      CHECK(tree.size() == 5'000);
      // Not past the end: an ordinary upsert, new key or replaced value.
      CHECK(tree.Append(7, -7));
      CHECK(!tree.Append(8, -8));
      CHECK(tree.Append(20'000, 1));
      CHECK_INVARIANTS(tree);
      CHECK(tree.size() == 5'002);
      CHECK(*tree.Find(8) == -8);
      CHECK(*tree.Find(7) == -7);
      int64_t previous = -1;
      for (auto it = tree.Begin(); it.Valid(); it.Next()) {
        CHECK(it.key() > previous);
        previous = it.key();
      }
      for (int64_t i = 0; i < 5'000; i += 3) REQUIRE(tree.Erase(2 * i));
      CHECK_INVARIANTS(tree);
    };
    check(TinyTree());
    check(SmallTree());
    check(DefaultTree());
  }

  TEST_CASE("LowerBound and UpperBound at both ends and between keys") {
    SmallTree tree;
    for (int64_t i = 10; i <= 1000; i += 10) REQUIRE(tree.Insert(i, i));
    CHECK(tree.LowerBound(INT64_MIN).key() == 10);
    CHECK(tree.UpperBound(INT64_MIN).key() == 10);
    CHECK(tree.LowerBound(10).key() == 10);
    CHECK(tree.UpperBound(10).key() == 20);
    CHECK(tree.LowerBound(11).key() == 20);
    CHECK(tree.UpperBound(19).key() == 20);
    CHECK(tree.LowerBound(1000).key() == 1000);
    CHECK_FALSE(tree.UpperBound(1000).Valid());
    CHECK_FALSE(tree.LowerBound(1001).Valid());
    CHECK_FALSE(tree.LowerBound(INT64_MAX).Valid());
    CHECK(tree.Last().key() == 1000);
    CHECK(tree.Begin().key() == 10);
    // Stale separators: erase keys that were split points, bounds still hold.
    for (int64_t i = 10; i <= 1000; i += 20) REQUIRE(tree.Erase(i));
    CHECK_INVARIANTS(tree);
    for (int64_t probe = 0; probe <= 1010; ++probe) {
      int64_t want = probe <= 20 ? 20 : (probe + 19) / 20 * 20;
      auto it = tree.LowerBound(probe);
      if (want > 1000) {
        CHECK_FALSE(it.Valid());
      } else {
        REQUIRE(it.Valid());
        CHECK(it.key() == want);
      }
    }
  }

  TEST_CASE("values are writable through Find and iterators") {
    DefaultTree tree;
    for (int64_t i = 0; i < 1000; ++i) REQUIRE(tree.Insert(i, 0));
    *tree.Find(7) = 70;
    tree.LowerBound(8).value() = 80;
    CHECK(*tree.Find(7) == 70);
    CHECK(*tree.Find(8) == 80);
    DefaultTree::ConstIterator cit = tree.LowerBound(7);
    CHECK(cit.value() == 70);
  }

  TEST_CASE("composite Value keys use the kopf comparator") {
    using RowTree = BPlusTree<std::vector<Value>, int, RowKeyCompare, 4, 4>;
    RowTree tree;
    CHECK(tree.Insert({Value::Integer(1), Value::Text("b")}, 1));
    CHECK(tree.Insert({Value::Integer(1), Value::Text("a")}, 2));
    CHECK(tree.Insert({Value::Null(), Value::Text("z")}, 3));
    CHECK(tree.Insert({Value::Double(0.5), Value::Text("")}, 4));
    CHECK(tree.Insert({Value::Text("1"), Value::Integer(0)}, 5));
    CHECK(tree.Insert({Value::Integer(1)}, 6));
    // 1.0 and 1 are the same key under kopf's order.
    CHECK_FALSE(tree.Insert({Value::Double(1.0), Value::Text("a")}, 9));
    REQUIRE(tree.Find(std::vector<Value>{Value::Double(1.0), Value::Text("a")}) != nullptr);
    CHECK(*tree.Find(std::vector<Value>{Value::Double(1.0), Value::Text("a")}) == 2);
    std::vector<int> order;
    for (auto it = tree.Begin(); it.Valid(); it.Next()) order.push_back(it.value());
    CHECK(order == std::vector<int>{3, 4, 6, 2, 1, 5});
    auto it = tree.UpperBound(std::vector<Value>{Value::Integer(1), Value::Text("a")});
    CHECK(it.value() == 1);
    CHECK_INVARIANTS(tree);

    for (int i = 0; i < 500; ++i) {
      REQUIRE(tree.Insert({Value::Integer(i % 7), Value::Text(std::to_string(i))}, i));
    }
    CHECK_INVARIANTS(tree);
    for (int i = 0; i < 500; i += 2) {
      REQUIRE(
          tree.Erase(std::vector<Value>{Value::Integer(i % 7), Value::Text(std::to_string(i))}));
    }
    CHECK_INVARIANTS(tree);
    CHECK(tree.size() == 6 + 250);
  }

  TEST_CASE("a transparent comparator allows heterogeneous lookup") {
    BPlusTree<std::string, int, std::compare_three_way, 4, 4> tree;
    for (int i = 0; i < 100; ++i) REQUIRE(tree.Insert("key" + std::to_string(i), i));
    std::string_view probe = "key42";
    REQUIRE(tree.Find(probe) != nullptr);
    CHECK(*tree.Find(probe) == 42);
    CHECK(tree.LowerBound(std::string_view("key420")).key() == "key43");
    CHECK(tree.Erase(probe));
    CHECK(tree.Find(probe) == nullptr);
    CHECK_INVARIANTS(tree);
  }

  TEST_CASE("erase releases the erased value at once and Clear frees everything") {
    BPlusTree<int64_t, std::shared_ptr<int>, std::compare_three_way, 4, 4> tree;
    std::vector<std::weak_ptr<int>> watch;
    for (int64_t i = 0; i < 300; ++i) {
      auto p = std::make_shared<int>(static_cast<int>(i));
      watch.push_back(p);
      REQUIRE(tree.Insert(i, std::move(p)));
    }
    // Erase the last key of the last leaf (no entries shift over it) and a
    // key in the middle.
    REQUIRE(tree.Erase(299));
    CHECK(watch[299].expired());
    REQUIRE(tree.Erase(150));
    CHECK(watch[150].expired());
    CHECK_FALSE(watch[149].expired());
    tree.Upsert(10, std::make_shared<int>(-1));
    CHECK(watch[10].expired());
    tree.Clear();
    for (const auto& w : watch) CHECK(w.expired());
    CHECK_INVARIANTS(tree);
  }

  TEST_CASE("a throwing key copy leaves the tree unchanged") {
    using Tree = BPlusTree<CountedKey, int64_t, std::compare_three_way, 3, 3>;
    Tree tree;
    std::map<int64_t, int64_t> model;
    std::mt19937_64 rng(5);
    auto snapshot = [&] {
      std::vector<std::pair<int64_t, int64_t>> out;
      for (auto it = tree.Begin(); it.Valid(); it.Next()) out.emplace_back(it.key().v, it.value());
      return out;
    };
    int threw = 0;
    for (int op = 0; op < 4000; ++op) {
      int64_t k = static_cast<int64_t>(rng() % 400);
      bool insert = op < 1000 || rng() % 2 == 0;
      auto before = snapshot();
      CountedKey::copies_left = 0;  // the first copy throws
      try {
        if (insert) {
          tree.Insert(CountedKey(k), k);
        } else {
          tree.Erase(CountedKey(k));
        }
        CountedKey::copies_left = -1;
        if (insert) {
          model.emplace(k, k);
        } else {
          model.erase(k);
        }
      } catch (const std::bad_alloc&) {
        CountedKey::copies_left = -1;
        ++threw;
        REQUIRE(snapshot() == before);
        CHECK_INVARIANTS(tree);
        // Now for real.
        if (insert) {
          REQUIRE(tree.Insert(CountedKey(k), k));
          model.emplace(k, k);
        } else {
          REQUIRE(tree.Erase(CountedKey(k)));
          model.erase(k);
        }
      }
      REQUIRE(tree.size() == model.size());
      if (op % 256 == 0) CHECK_INVARIANTS(tree);
    }
    CHECK(threw > 100);
    CHECK_INVARIANTS(tree);
  }

  TEST_CASE("moving a tree transfers its nodes and empties the source") {
    SmallTree a;
    for (int64_t i = 0; i < 1000; ++i) REQUIRE(a.Insert(i, i));
    SmallTree b(std::move(a));
    CHECK(b.size() == 1000);
    CHECK(a.empty());  // NOLINT(bugprone-use-after-move): documented state
    CHECK_INVARIANTS(a);
    CHECK_INVARIANTS(b);
    SmallTree c;
    c.Insert(5, 5);
    c = std::move(b);
    CHECK(c.size() == 1000);
    CHECK(*c.Find(999) == 999);
    CHECK_INVARIANTS(c);
    a.Insert(1, 1);  // a moved-from tree is usable
    CHECK(a.size() == 1);
  }
}

}  // namespace
}  // namespace kopf::cerebrum
