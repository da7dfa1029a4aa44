// The order-preserving key prefixes of KeyCompare (cerebrum/key_range.h)
// and the B+Tree search that uses them (cerebrum/btree.h).
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cerebrum/btree.h"
#include "cerebrum/key_range.h"
#include "protocol/value.h"

namespace kopf::cerebrum {
namespace {

using protocol::Compare;
using protocol::Value;

#define CHECK_INVARIANTS(tree)                           \
  do {                                                   \
    protocol::Status s_ = (tree).TEST_CheckInvariants(); \
    REQUIRE_MESSAGE(s_.ok(), s_.ToString());             \
  } while (0)

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Values at the edges of every prefix range, in no particular order.
std::vector<Value> EdgeValues() {
  const int64_t limit = int64_t{1} << 61;
  std::vector<Value> v = {
      Value::Null(),
      Value::Integer(kMin),
      Value::Integer(kMin + 1),
      Value::Integer(-limit - 1),
      Value::Integer(-limit),
      Value::Integer(-limit + 1),
      Value::Integer(-2),
      Value::Integer(-1),
      Value::Integer(0),
      Value::Integer(1),
      Value::Integer(2),
      Value::Integer(limit - 1),
      Value::Integer(limit),
      Value::Integer(kMax - 1),
      Value::Integer(kMax),
      Value::Boolean(false),
      Value::Boolean(true),
      Value::Double(std::nan("")),
      Value::Double(-kInf),
      Value::Double(kInf),
      Value::Double(-1e300),
      Value::Double(1e300),
      Value::Double(-static_cast<double>(limit)),
      Value::Double(static_cast<double>(limit)),
      Value::Double(9223372036854775808.0),
      Value::Double(-9223372036854775808.0),
      Value::Double(-1.5),
      Value::Double(-1.0),
      Value::Double(-0.5),
      Value::Double(-0.0),
      Value::Double(0.0),
      Value::Double(0.5),
      Value::Double(1.0),
      Value::Double(1.5),
      Value::Text(""),
      Value::Text(std::string(1, '\0')),
      Value::Text(std::string(9, '\0')),
      Value::Text("a"),
      Value::Text("ab"),
      Value::Text("abcdefg"),
      Value::Text("abcdefgh"),
      Value::Text("abcdefgh\x01"),
      Value::Text("abcdefghX-long-tail"),
      Value::Text("abcdefghY"),
      Value::Text("abcdefgi"),
      Value::Text("b"),
      Value::Text("\x7f"),
      Value::Text("\x80"),
      Value::Text("\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
  };
  return v;
}

// Random single values from a small space, so that equal prefixes,
// equal-but-differently-typed numbers and shared text beginnings are common.
Value RandomValue(std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0: return Value::Null();
    case 1: return Value::Integer(static_cast<int64_t>(rng() % 200) - 100);
    case 2: return Value::Double(static_cast<double>(static_cast<int64_t>(rng() % 400) - 200) / 2);
    case 3: return Value::Boolean(rng() % 2 == 0);
    case 4: return Value::Text("prefix--" + std::to_string(rng() % 100));
    default: return Value::Text(std::string(rng() % 3, 'a' + static_cast<char>(rng() % 3)));
  }
}

Key RandomKey(std::mt19937_64& rng) {
  Key key;
  size_t columns = 1 + rng() % 2;
  for (size_t i = 0; i < columns; ++i) key.push_back(RandomValue(rng));
  return key;
}

TEST_SUITE("cerebrum/key_prefix") {
  TEST_CASE("value prefixes follow Compare on edge values") {
    std::vector<Value> values = EdgeValues();
    int distinct = 0, pairs_less = 0;
    for (const Value& a : values) {
      for (const Value& b : values) {
        auto c = Compare(a, b);
        uint64_t pa = ValuePrefix(a), pb = ValuePrefix(b);
        if (c == 0) {
          CHECK_MESSAGE(pa == pb, a.ToString(), " == ", b.ToString());
        } else if (c < 0) {
          ++pairs_less;
          CHECK_MESSAGE(pa <= pb, a.ToString(), " < ", b.ToString());
          if (pa < pb) ++distinct;
        }
      }
    }
    // Most ordered pairs are told apart by the prefix alone.
    CHECK(distinct * 10 > pairs_less * 9);
  }

  TEST_CASE("prefixes tell apart nearby integers and texts that differ early") {
    for (int64_t i : {kMin / 4, int64_t{-1000}, int64_t{-1}, int64_t{0}, int64_t{41},
                      (int64_t{1} << 61) - 2}) {
      CHECK(ValuePrefix(Value::Integer(i)) < ValuePrefix(Value::Integer(i + 1)));
    }
    CHECK(ValuePrefix(Value::Integer(7)) == ValuePrefix(Value::Double(7.0)));
    CHECK(ValuePrefix(Value::Integer(1)) == ValuePrefix(Value::Boolean(true)));
    CHECK(ValuePrefix(Value::Double(7.25)) == ValuePrefix(Value::Integer(7)));
    CHECK(ValuePrefix(Value::Text("abc")) < ValuePrefix(Value::Text("abd")));
    // The 8th byte counts without its lowest bit.
    CHECK(ValuePrefix(Value::Text("abcdefgX")) < ValuePrefix(Value::Text("abcdefgZ")));
    CHECK(ValuePrefix(Value::Text("abcdefgX")) == ValuePrefix(Value::Text("abcdefgY")));
    // Beyond the first 8 bytes texts share a prefix and whole keys decide.
    CHECK(ValuePrefix(Value::Text("abcdefghX")) == ValuePrefix(Value::Text("abcdefghY")));
    CHECK(ValuePrefix(Value::Null()) < ValuePrefix(Value::Double(std::nan(""))));
    CHECK(ValuePrefix(Value::Integer(kMax)) < ValuePrefix(Value::Text("")));
  }

  TEST_CASE("key and bound prefixes follow KeyCompare") {
    KeyCompare cmp;
    std::mt19937_64 rng(5);
    std::vector<Key> keys = {Key{}};
    for (const Value& v : EdgeValues()) keys.push_back({v});
    for (int i = 0; i < 300; ++i) keys.push_back(RandomKey(rng));
    std::vector<KeyBound> bounds;
    for (const Key& k : keys) {
      bounds.push_back({std::span<const Value>(k), false});
      bounds.push_back({std::span<const Value>(k), true});
    }
    for (const Key& a : keys) {
      for (const Key& b : keys) {
        auto c = cmp(a, b);
        if (c < 0) CHECK(cmp.Prefix(a) <= cmp.Prefix(b));
        if (c == 0) CHECK(cmp.Prefix(a) == cmp.Prefix(b));
      }
      for (const KeyBound& b : bounds) {
        // A bound is never equal to a key.
        if (cmp(a, b) < 0) {
          CHECK(cmp.Prefix(a) <= cmp.Prefix(b));
        } else {
          CHECK(cmp.Prefix(a) >= cmp.Prefix(b));
        }
      }
    }
  }

  TEST_CASE("a prefixed tree of Value keys matches std::map under random operations") {
    auto run = [](auto tree, uint64_t seed, int ops) {
      std::map<Key, int64_t, KeyLess> model;
      KeyCompare cmp;
      std::mt19937_64 rng(seed);
      for (int op = 0; op < ops; ++op) {
        Key k = RandomKey(rng);
        int phase = op * 3 / ops;
        int dice = static_cast<int>(rng() % 100);
        int insert_share = phase == 0 ? 60 : phase == 1 ? 35 : 10;
        if (dice < insert_share) {
          bool inserted = tree.Insert(k, op);
          CHECK(inserted == model.emplace(k, op).second);
        } else if (dice < 80) {
          CHECK(tree.Erase(std::span<const Value>(k)) == (model.erase(k) == 1));
        } else if (dice < 90) {
          const int64_t* found = tree.Find(std::span<const Value>(k));
          auto it = model.find(k);
          REQUIRE((found != nullptr) == (it != model.end()));
          if (found != nullptr) CHECK(*found == it->second);
        } else {
          // Seek by a bound on the first column, as range scans do.
          KeyBound bound{std::span<const Value>(k).first(1), rng() % 2 == 0};
          auto it = tree.LowerBound(bound);
          auto mit = model.begin();
          while (mit != model.end() && cmp(mit->first, bound) < 0) ++mit;
          if (mit == model.end()) {
            CHECK_FALSE(it.Valid());
          } else {
            REQUIRE(it.Valid());
            CHECK(cmp(it.key(), mit->first) == 0);
            CHECK(it.value() == mit->second);
          }
          auto up = tree.UpperBound(k);
          auto mup = model.upper_bound(k);
          REQUIRE(up.Valid() == (mup != model.end()));
          if (up.Valid()) CHECK(up.value() == mup->second);
        }
        REQUIRE(tree.size() == model.size());
        if (op % 2048 == 0) CHECK_INVARIANTS(tree);
      }
      CHECK_INVARIANTS(tree);
      auto mit = model.begin();
      for (auto it = tree.Begin(); it.Valid(); it.Next(), ++mit) {
        REQUIRE(mit != model.end());
        CHECK(cmp(it.key(), mit->first) == 0);
        CHECK(it.value() == mit->second);
      }
      CHECK(mit == model.end());
    };
    SUBCASE("fan-out 3/3") { run(BPlusTree<Key, int64_t, KeyCompare, 3, 3>(), 11, 40'000); }
    SUBCASE("fan-out 4/5") { run(BPlusTree<Key, int64_t, KeyCompare, 4, 5>(), 12, 40'000); }
    SUBCASE("default fan-out") { run(BPlusTree<Key, int64_t, KeyCompare>(), 13, 40'000); }
  }

  TEST_CASE("an integer-keyed comparator lets exactly the in-range integer probes decide") {
    const KeyCompare ints = KeyCompare::ForIntegerKeys();
    const int64_t limit = int64_t{1} << 61;
    std::vector<Key> stored;  // what such a tree may hold: one integer each
    for (int64_t i : {kMin, kMin + 1, -limit - 1, -limit, int64_t{-1}, int64_t{0}, int64_t{1},
                      limit - 1, limit, kMax - 1, kMax}) {
      stored.push_back({Value::Integer(i)});
    }
    int deciding = 0;
    for (const Value& v : EdgeValues()) {
      Key probe{v};
      bool decides = ints.PrefixDecides(probe);
      bool in_range = v.type() == protocol::Type::kInteger && v.as_integer() >= -limit &&
                      v.as_integer() < limit;
      CHECK_MESSAGE(decides == in_range, v.ToString());
      CHECK_FALSE(KeyCompare().PrefixDecides(probe));
      if (!decides) continue;
      ++deciding;
      for (const Key& k : stored) {
        if (ints.Prefix(k) == ints.Prefix(probe)) {
          CHECK_MESSAGE(ints(k, probe) == 0, k[0].ToString(), " vs ", v.ToString());
        }
      }
    }
    CHECK(deciding == 8);
    // Doubles and booleans equal to integers, and wider keys, never decide.
    CHECK_FALSE(ints.PrefixDecides(Key{Value::Double(1.0)}));
    CHECK_FALSE(ints.PrefixDecides(Key{Value::Boolean(true)}));
    CHECK_FALSE(ints.PrefixDecides(Key{Value::Integer(1), Value::Integer(2)}));
    CHECK_FALSE(ints.PrefixDecides(Key{}));
  }

  TEST_CASE("an integer-keyed tree matches std::map for every kind of probe, alone and in groups") {
    auto run = [](auto tree, uint64_t seed, int ops) {
      std::map<Key, int64_t, KeyLess> model;
      KeyCompare cmp;
      std::mt19937_64 rng(seed);
      const int64_t limit = int64_t{1} << 61;
      auto random_integer = [&]() -> int64_t {
        switch (rng() % 8) {
          case 0: return kMin + static_cast<int64_t>(rng() % 3);  // below the exact range
          case 1: return kMax - static_cast<int64_t>(rng() % 3);  // above it
          case 2: return limit - 2 + static_cast<int64_t>(rng() % 4);  // across its top
          default: return static_cast<int64_t>(rng() % 300) - 150;
        }
      };
      // Probes of every shape, most of them integers that decide alone.
      auto random_probe = [&]() -> Key {
        int64_t i = random_integer();
        switch (rng() % 10) {
          case 0: return {Value::Double(static_cast<double>(i))};
          case 1: return {Value::Double(static_cast<double>(i) + 0.5)};
          case 2: return {Value::Boolean(rng() % 2 == 0)};
          case 3: return {Value::Null()};
          case 4: return {Value::Integer(i), Value::Integer(0)};
          default: return {Value::Integer(i)};
        }
      };
      for (int op = 0; op < ops; ++op) {
        int dice = static_cast<int>(rng() % 100);
        if (dice < 45) {
          Key k{Value::Integer(random_integer())};
          bool inserted = tree.Insert(k, op);
          CHECK(inserted == model.emplace(k, op).second);
          continue;
        }
        Key probe = random_probe();
        if (dice < 65) {
          CHECK(tree.Erase(std::span<const Value>(probe)) == (model.erase(probe) == 1));
        } else if (dice < 87) {
          // A group of probes, more than FindMany takes in one pass.
          std::vector<Key> probes{probe};
          const size_t count = 1 + rng() % 40;
          while (probes.size() < count) probes.push_back(random_probe());
          std::vector<std::span<const Value>> keys(probes.begin(), probes.end());
          std::vector<const int64_t*> found(keys.size());
          tree.FindMany(std::span<const std::span<const Value>>(keys), std::span(found));
          for (size_t i = 0; i < probes.size(); ++i) {
            auto it = model.find(probes[i]);
            REQUIRE_MESSAGE((found[i] != nullptr) == (it != model.end()), probes[i][0].ToString());
            if (found[i] != nullptr) CHECK(*found[i] == it->second);
          }
        } else if (dice < 90) {
          const int64_t* found = tree.Find(std::span<const Value>(probe));
          auto it = model.find(probe);
          REQUIRE_MESSAGE((found != nullptr) == (it != model.end()), probe[0].ToString());
          if (found != nullptr) CHECK(*found == it->second);
        } else {
          auto low = tree.LowerBound(std::span<const Value>(probe));
          auto mlow = model.lower_bound(probe);
          REQUIRE(low.Valid() == (mlow != model.end()));
          if (low.Valid()) CHECK(low.value() == mlow->second);
          auto up = tree.UpperBound(probe);
          auto mup = model.upper_bound(probe);
          REQUIRE(up.Valid() == (mup != model.end()));
          if (up.Valid()) CHECK(cmp(up.key(), mup->first) == 0);
        }
        REQUIRE(tree.size() == model.size());
        if (op % 2048 == 0) CHECK_INVARIANTS(tree);
      }
      CHECK_INVARIANTS(tree);
    };
    using Small = BPlusTree<Key, int64_t, KeyCompare, 3, 3>;
    using Default = BPlusTree<Key, int64_t, KeyCompare>;
    SUBCASE("fan-out 3/3") { run(Small(KeyCompare::ForIntegerKeys()), 21, 30'000); }
    SUBCASE("default fan-out") { run(Default(KeyCompare::ForIntegerKeys()), 22, 30'000); }
  }

  TEST_CASE("the invariant check catches stored keys that break the integer promise") {
    BPlusTree<Key, int64_t, KeyCompare> tree(KeyCompare::ForIntegerKeys());
    tree.Insert({Value::Integer(1)}, 1);
    tree.Insert({Value::Integer(2)}, 2);
    CHECK_INVARIANTS(tree);
    // 1.5 is no INTEGER: it shares 1's prefix without being equal to it,
    // so a lookup of 1 by prefix alone could land on it.
    tree.Insert({Value::Double(1.5)}, 3);
    protocol::Status s = tree.TEST_CheckInvariants();
    CHECK(s.code() == protocol::ErrorCode::kInternal);
    CHECK(s.message().find("claims to decide") != std::string::npos);
  }
}

}  // namespace
}  // namespace kopf::cerebrum
