// Secondary indexes through the storage layer's interface: maintenance by
// every commit (checked against a brute-force filter), unique indexes,
// persistence of the definitions, statistics, prefix and range lookups.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>

#include "cerebrum/database.h"
#include "cerebrum/secondary_index.h"
#include "tests/support/test_support.h"

namespace kopf::cerebrum {
namespace {

using protocol::ErrorCode;
using protocol::Row;
using protocol::Type;
using protocol::Value;

namespace fs = std::filesystem;

// t(id INT PRIMARY KEY, a INT, b TEXT, c DOUBLE), or without the key.
TableSchema TSchema(bool keyed = true) {
  TableSchema s;
  s.name = "t";
  s.columns = {{"id", Type::kInteger, "INT", keyed, {}},
               {"a", Type::kInteger, "INT", false, {}},
               {"b", Type::kText, "TEXT", false, {}},
               {"c", Type::kDouble, "DOUBLE", false, {}}};
  if (keyed) s.primary_key = {0};
  return s;
}

IndexSchema Index(std::string name, std::vector<size_t> columns, bool unique = false,
                  std::string table = "t") {
  IndexSchema i;
  i.name = std::move(name);
  i.table = std::move(table);
  i.columns = std::move(columns);
  i.unique = unique;
  return i;
}

// `sync` off only where a test commits thousands of times: durability is
// database_test's subject, not this file's.
std::unique_ptr<Database> OpenDb(const fs::path& dir, bool sync = true) {
  Options options;
  options.data_dir = dir;
  options.sync = sync ? SyncMode::kAlways : SyncMode::kNone;
  auto db = Database::Open(options);
  REQUIRE_MESSAGE(db.ok(), db.status().ToString());
  return std::move(db).value();
}

struct KeyOrder {
  bool operator()(const Key& a, const Key& b) const { return KeyCompare()(a, b) < 0; }
};

Value Int(int64_t v) { return Value::Integer(v); }
Value Text(std::string v) { return Value::Text(std::move(v)); }

Row R(int64_t id, Value a, Value b = Value(), Value c = Value()) {
  return {Int(id), std::move(a), std::move(b), std::move(c)};
}
Change Insert(Row row) { return {Change::Kind::kInsert, {}, std::move(row)}; }
Change Update(Key key, Row row) { return {Change::Kind::kUpdate, std::move(key), std::move(row)}; }
Change Delete(Key key) { return {Change::Kind::kDelete, std::move(key), {}}; }

protocol::Status Commit(Table& t, std::vector<Change> changes) {
  auto r = t.Commit(t.LockExclusive(), std::move(changes));
  return r.ok() ? protocol::Status::Ok() : r.status();
}

// The primary keys an index yields for `range`, in index order.
std::vector<Key> Lookup(const Table& t, std::string_view index, const KeyRange& range) {
  auto lock = t.LockShared();
  const SecondaryIndex* i = t.FindIndex(index);
  REQUIRE(i != nullptr);
  std::vector<Key> out;
  i->Scan(range, [&](std::span<const Value> pk) {
    out.emplace_back(pk.begin(), pk.end());
    return true;
  });
  return out;
}

// The same by brute force: rows whose index columns match `range`, sorted
// as the index sorts them.
std::vector<Key> Filter(const Table& t, const std::vector<size_t>& columns, const KeyRange& range) {
  auto lock = t.LockShared();
  std::vector<std::pair<Key, Key>> hits;  // (index values + pk, pk)
  for (auto it = t.rows().Begin(); it.Valid(); it.Next()) {
    const Row& row = it.value();
    bool match = true;
    for (size_t i = 0; i < range.prefix.size() && match; ++i) {
      match = protocol::Compare(row[columns[i]], range.prefix[i]) == 0;
    }
    if (match && (range.lower || range.upper)) {
      const Value& v = row[columns[range.prefix.size()]];
      if (v.is_null()) match = false;
      if (match && range.lower) {
        auto c = protocol::Compare(v, range.lower->value);
        match = c > 0 || (c == 0 && range.lower->inclusive);
      }
      if (match && range.upper) {
        auto c = protocol::Compare(v, range.upper->value);
        match = c < 0 || (c == 0 && range.upper->inclusive);
      }
    }
    if (!match) continue;
    Key sort_key;
    for (size_t c : columns) sort_key.push_back(row[c]);
    sort_key.insert(sort_key.end(), it.key().begin(), it.key().end());
    hits.emplace_back(std::move(sort_key), it.key());
  }
  std::sort(hits.begin(), hits.end(),
            [](const auto& x, const auto& y) { return KeyCompare()(x.first, y.first) < 0; });
  std::vector<Key> out;
  for (auto& h : hits) out.push_back(std::move(h.second));
  return out;
}

void CheckIndexes(const Table& t) {
  auto lock = t.LockShared();
  for (const auto& index : t.indexes()) {
    auto s = index->TEST_CheckInvariants();
    CHECK_MESSAGE(s.ok(), s.ToString());
    CHECK(index->size() == t.rows().size());
  }
}

std::string ReadAll(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path TableDir(const fs::path& dir) { return dir / "tables" / "t"; }

// A random value for column a (small domain: many duplicates, some NULLs).
Value RandomA(std::mt19937& rng) {
  int x = static_cast<int>(rng() % 12);
  return x == 0 ? Value() : Int(x);
}
Value RandomB(std::mt19937& rng) {
  static const char* kWords[] = {"", "x", "y", "zz", "a,b"};
  int x = static_cast<int>(rng() % 6);
  return x == 5 ? Value() : Text(kWords[x]);
}
Value RandomC(std::mt19937& rng) {
  int x = static_cast<int>(rng() % 400);
  return x < 40 ? Value() : Value::Double(x / 2.0);
}

KeyRange RandomRange(std::mt19937& rng, size_t width) {
  KeyRange r;
  size_t equal = rng() % (width + 1);
  for (size_t i = 0; i < equal; ++i) r.prefix.push_back(i == 0 ? RandomA(rng) : RandomB(rng));
  if (equal < width && rng() % 2 == 0) {
    auto v = [&] { return equal == 0 ? Int(static_cast<int64_t>(rng() % 13)) : RandomB(rng); };
    Value lo = v(), hi = v();
    if (!lo.is_null() && rng() % 3 != 0) r.lower = ColumnBound{lo, rng() % 2 == 0};
    if (!hi.is_null() && rng() % 3 != 0) r.upper = ColumnBound{hi, rng() % 2 == 0};
  }
  return r;
}

TEST_SUITE("cerebrum/index") {
  TEST_CASE("an index matches a brute-force filter under thousands of random changes") {
    bool keyed = true;
    SUBCASE("table with a primary key") { keyed = true; }
    SUBCASE("table keyed by row id") { keyed = false; }
    testing::TempDir tmp;
    auto db = OpenDb(tmp.path(), /*sync=*/false);
    REQUIRE(db->CreateTable(TSchema(keyed)).ok());
    auto t = db->FindTable("t");
    REQUIRE(db->CreateIndex(Index("i_a", {1})).ok());
    REQUIRE(db->CreateIndex(Index("i_ab", {1, 2})).ok());
    REQUIRE(db->CreateIndex(Index("u_c", {3}, /*unique=*/true)).ok());

    std::mt19937 rng(20240611);
    std::vector<Key> live;  // keys of the rows, to pick from
    int64_t next_id = 1;
    int rejected = 0;
    int nonempty = 0;  // lookups that found something
    for (int round = 0; round < 1500; ++round) {
      std::vector<Change> batch;
      std::set<Key, KeyOrder> touched;
      size_t n = 1 + rng() % 4;
      for (size_t k = 0; k < n; ++k) {
        int op = static_cast<int>(rng() % 10);
        Row row = R(next_id, RandomA(rng), RandomB(rng), RandomC(rng));
        if (op < 5 || live.empty()) {
          // Inserts (in a keyed table, now and then an existing key).
          if (keyed && !live.empty() && rng() % 20 == 0) {
            row[0] = live[rng() % live.size()][0];
          } else {
            ++next_id;
          }
          batch.push_back(Insert(std::move(row)));
          continue;
        }
        const Key& key = live[rng() % live.size()];
        if (!touched.insert(key).second) continue;
        if (op < 8) {
          row[0] = keyed ? key[0] : Int(0);
          if (!keyed) {
            auto lock = t->LockShared();
            row[0] = (*t->rows().Find(key))[0];
          }
          batch.push_back(Update(key, std::move(row)));
        } else {
          batch.push_back(Delete(key));
        }
      }
      auto status = Commit(*t, std::move(batch));
      if (!status.ok()) {
        CHECK(status.code() == ErrorCode::kDuplicateKey);
        ++rejected;
      }
      {
        auto lock = t->LockShared();
        live.clear();
        for (auto it = t->rows().Begin(); it.Valid(); it.Next()) live.push_back(it.key());
      }
      if (round % 100 == 99) {
        CheckIndexes(*t);
        for (int q = 0; q < 30; ++q) {
          KeyRange r1 = RandomRange(rng, 1);
          auto expected = Filter(*t, {1}, r1);
          CHECK(Lookup(*t, "i_a", r1) == expected);
          KeyRange r2 = RandomRange(rng, 2);
          auto expected2 = Filter(*t, {1, 2}, r2);
          CHECK(Lookup(*t, "i_ab", r2) == expected2);
          nonempty += !expected.empty() + !expected2.empty();
        }
      }
    }
    CHECK(rejected > 0);  // the unique index and duplicate keys did refuse some
    CHECK(live.size() > 100);
    CHECK(nonempty > 300);
    // Statistics agree with a recount.
    auto stats = t->Statistics();
    CHECK(stats.row_count == live.size());
    REQUIRE(stats.indexes.size() == 3);
    std::set<Key, KeyOrder> distinct_a, distinct_ab;
    {
      auto lock = t->LockShared();
      for (auto it = t->rows().Begin(); it.Valid(); it.Next()) {
        distinct_a.insert({it.value()[1]});
        distinct_ab.insert({it.value()[1], it.value()[2]});
      }
    }
    CHECK(stats.indexes[1].distinct ==
          std::vector<uint64_t>{distinct_a.size(), distinct_ab.size()});

    // After reopening, the rebuilt indexes answer the same.
    std::vector<std::pair<KeyRange, std::vector<Key>>> answers;
    for (int q = 0; q < 50; ++q) {
      KeyRange r = RandomRange(rng, 2);
      answers.emplace_back(r, Lookup(*t, "i_ab", r));
    }
    t.reset();
    db.reset();
    db = OpenDb(tmp.path(), /*sync=*/false);
    t = db->FindTable("t");
    CheckIndexes(*t);
    for (const auto& [r, keys] : answers) CHECK(Lookup(*t, "i_ab", r) == keys);
    CHECK(t->Statistics().indexes[1].distinct == stats.indexes[1].distinct);
  }

  TEST_CASE("a unique index the rows violate is refused at creation and changes nothing") {
    testing::TempDir tmp;
    auto db = OpenDb(tmp.path());
    REQUIRE(db->CreateTable(TSchema()).ok());
    auto t = db->FindTable("t");
    REQUIRE(Commit(*t, {Insert(R(1, Int(5))), Insert(R(2, Value())), Insert(R(3, Value())),
                        Insert(R(4, Int(5)))})
                .ok());
    auto status = db->CreateIndex(Index("i1", {1}, /*unique=*/true));
    CHECK(status.code() == ErrorCode::kDuplicateKey);
    CHECK(status.message() == "duplicate key (5) violates unique index \"i1\"");
    CHECK_FALSE(db->FindIndex("i1"));
    CHECK(t->Statistics().indexes.empty());
    CHECK_FALSE(fs::exists(TableDir(tmp.path()) / "indexes.csv"));
    // NULLs never conflict: without row 4 the index can be made.
    REQUIRE(Commit(*t, {Delete({Int(4)})}).ok());
    CHECK(db->CreateIndex(Index("i1", {1}, /*unique=*/true)).ok());
    CheckIndexes(*t);
  }

  TEST_CASE("a write that violates a unique index changes nothing in memory or on disk") {
    testing::TempDir tmp;
    auto db = OpenDb(tmp.path());
    REQUIRE(db->CreateTable(TSchema()).ok());
    auto t = db->FindTable("t");
    REQUIRE(db->CreateIndex(Index("u", {1, 2}, /*unique=*/true)).ok());
    REQUIRE(Commit(*t, {Insert(R(1, Int(1), Text("x"))), Insert(R(2, Int(2), Text("x"))),
                        Insert(R(3, Int(3), Value())), Insert(R(4, Int(3), Value()))})
                .ok());
    fs::path segment = TableDir(tmp.path()) / "segment-000001.csv";
    auto size_before = fs::file_size(segment);
    auto all = KeyRange{};
    auto before = Lookup(*t, "u", all);

    SUBCASE("an insert equal to an existing row") {
      auto s = Commit(*t, {Insert(R(9, Int(7))), Insert(R(5, Int(1), Text("x")))});
      CHECK(s.code() == ErrorCode::kDuplicateKey);
      CHECK(s.message() == "duplicate key (1, x) violates unique index \"u\"");
    }
    SUBCASE("two inserts of one batch equal to each other") {
      auto s = Commit(*t, {Insert(R(5, Int(8), Text("y"))), Insert(R(6, Int(8), Text("y")))});
      CHECK(s.code() == ErrorCode::kDuplicateKey);
    }
    SUBCASE("an update onto another row's values") {
      auto s = Commit(*t, {Update({Int(2)}, R(2, Int(1), Text("x")))});
      CHECK(s.code() == ErrorCode::kDuplicateKey);
    }
    CHECK(fs::file_size(segment) == size_before);
    CHECK(Lookup(*t, "u", all) == before);
    CHECK(t->row_count() == 4);
    CheckIndexes(*t);
  }

  TEST_CASE("unique indexes judge a batch by its final state and let NULLs repeat") {
    testing::TempDir tmp;
    auto db = OpenDb(tmp.path());
    REQUIRE(db->CreateTable(TSchema()).ok());
    auto t = db->FindTable("t");
    REQUIRE(db->CreateIndex(Index("u", {1}, /*unique=*/true)).ok());
    REQUIRE(Commit(*t, {Insert(R(1, Int(1))), Insert(R(2, Int(2)))}).ok());
    // Swapping two values in one statement is fine.
    CHECK(Commit(*t, {Update({Int(1)}, R(1, Int(2))), Update({Int(2)}, R(2, Int(1)))}).ok());
    // So is taking over the value of a row the same statement deletes.
    CHECK(Commit(*t, {Delete({Int(1)}), Insert(R(3, Int(2)))}).ok());
    // A changed primary key keeps its unique value.
    CHECK(Commit(*t, {Update({Int(3)}, R(30, Int(2)))}).ok());
    // NULLs never conflict.
    CHECK(Commit(*t, {Insert(R(4, Value())), Insert(R(5, Value()))}).ok());
    CHECK(Commit(*t, {Insert(R(6, Value()))}).ok());
    CHECK(Lookup(*t, "u", KeyRange{{Value()}, {}, {}}) ==
          std::vector<Key>{{Int(4)}, {Int(5)}, {Int(6)}});
    CHECK(Lookup(*t, "u", KeyRange{{Int(2)}, {}, {}}) == std::vector<Key>{{Int(30)}});
    CHECK(Lookup(*t, "u", KeyRange{{Int(1)}, {}, {}}) == std::vector<Key>{{Int(2)}});
    CheckIndexes(*t);
  }

  TEST_CASE("index definitions survive reopening as a readable CSV file") {
    testing::TempDir tmp;
    {
      auto db = OpenDb(tmp.path());
      REQUIRE(db->CreateTable(TSchema()).ok());
      auto t = db->FindTable("t");
      REQUIRE(Commit(*t, {Insert(R(1, Int(1), Text("b"))), Insert(R(2, Int(1), Text("a")))}).ok());
      IndexSchema ab = Index("by a, b", {1, 2}, /*unique=*/true);
      ab.descending = {false, true};
      REQUIRE(db->CreateIndex(ab).ok());
      REQUIRE(db->CreateIndex(Index("by_c", {3})).ok());
    }
    CHECK(ReadAll(TableDir(tmp.path()) / "indexes.csv") ==
          "index,unique,column,descending\n"
          "\"by a, b\",true,a,false\n"
          "\"by a, b\",true,b,true\n"
          "by_c,false,c,false\n");
    auto db = OpenDb(tmp.path());
    auto found = db->FindIndex("by a, b");
    REQUIRE(found);
    CHECK(found->table == "t");
    CHECK(found->columns == std::vector<size_t>{1, 2});
    CHECK(found->descending == std::vector<bool>{false, true});
    CHECK(found->unique);
    CHECK(db->IndexesOf("t").size() == 2);
    auto t = db->FindTable("t");
    CHECK(Lookup(*t, "by a, b", KeyRange{{Int(1)}, {}, {}}) ==
          std::vector<Key>{{Int(2)}, {Int(1)}});
    // The rebuilt unique index is enforced.
    CHECK(Commit(*t, {Insert(R(3, Int(1), Text("a")))}).code() == ErrorCode::kDuplicateKey);
    // A dropped index stays dropped.
    REQUIRE(db->DropIndex("by_c").ok());
    t.reset();
    db.reset();
    db = OpenDb(tmp.path());
    CHECK_FALSE(db->FindIndex("by_c"));
    CHECK(db->FindIndex("by a, b"));
  }

  TEST_CASE("dropping a table removes its indexes and frees their names") {
    testing::TempDir tmp;
    auto db = OpenDb(tmp.path());
    REQUIRE(db->CreateTable(TSchema()).ok());
    REQUIRE(db->CreateIndex(Index("i", {1})).ok());
    REQUIRE(db->DropTable("t").ok());
    CHECK_FALSE(db->FindIndex("i"));
    CHECK(db->DropIndex("i").code() == ErrorCode::kUndefinedTable);
    REQUIRE(db->CreateTable(TSchema()).ok());
    CHECK(db->IndexesOf("t").empty());
    CHECK(db->CreateIndex(Index("i", {2})).ok());
    db.reset();
    db = OpenDb(tmp.path());
    REQUIRE(db->FindIndex("i"));
    CHECK(db->FindIndex("i")->columns == std::vector<size_t>{2});
  }

  TEST_CASE("index names are unique in the database and missing ones are reported") {
    testing::TempDir tmp;
    auto db = OpenDb(tmp.path());
    REQUIRE(db->CreateTable(TSchema()).ok());
    TableSchema other = TSchema();
    other.name = "u";
    REQUIRE(db->CreateTable(other).ok());
    REQUIRE(db->CreateIndex(Index("i", {1})).ok());
    auto dup = db->CreateIndex(Index("i", {2}, false, "u"));
    CHECK(dup.code() == ErrorCode::kDuplicateTable);
    CHECK(dup.message() == "index \"i\" already exists");
    CHECK(db->CreateIndex(Index("i", {2}, false, "u"), /*if_not_exists=*/true).ok());
    CHECK(db->FindIndex("i")->table == "t");
    auto missing_table = db->CreateIndex(Index("j", {1}, false, "nope"));
    CHECK(missing_table.code() == ErrorCode::kUndefinedTable);
    CHECK(db->CreateIndex(Index("j", {9})).code() == ErrorCode::kUndefinedColumn);
    auto missing = db->DropIndex("nope");
    CHECK(missing.code() == ErrorCode::kUndefinedTable);
    CHECK(missing.message() == "index \"nope\" does not exist");
    CHECK(db->DropIndex("nope", /*if_exists=*/true).ok());
    CHECK(db->DropIndex("i").ok());
    CHECK(db->CreateIndex(Index("i", {2}, false, "u")).ok());
  }

  TEST_CASE("multi-column indexes answer prefix and range lookups") {
    testing::TempDir tmp;
    auto db = OpenDb(tmp.path());
    REQUIRE(db->CreateTable(TSchema()).ok());
    auto t = db->FindTable("t");
    REQUIRE(db->CreateIndex(Index("ab", {1, 2})).ok());
    std::vector<Change> rows;
    int64_t id = 1;
    for (int a = 1; a <= 3; ++a) {
      for (const char* b : {"p", "q", "r"}) rows.push_back(Insert(R(id++, Int(a), Text(b))));
    }
    rows.push_back(Insert(R(id++, Value(), Text("q"))));  // 10
    rows.push_back(Insert(R(id++, Int(2), Value())));     // 11
    REQUIRE(Commit(*t, std::move(rows)).ok());
    auto ids = [&](const KeyRange& r) {
      std::vector<int64_t> out;
      for (const Key& k : Lookup(*t, "ab", r)) out.push_back(k[0].as_integer());
      return out;
    };
    using V = std::vector<int64_t>;
    auto incl = [](Value v) { return ColumnBound{std::move(v), true}; };
    auto excl = [](Value v) { return ColumnBound{std::move(v), false}; };
    CHECK(ids({{Int(2)}, {}, {}}) == V{11, 4, 5, 6});  // NULL b sorts first
    CHECK(ids({{Int(2), Text("q")}, {}, {}}) == V{5});
    CHECK(ids({{Int(2), Text("s")}, {}, {}}) == V{});
    CHECK(ids({{Int(2)}, incl(Text("q")), {}}) == V{5, 6});
    CHECK(ids({{Int(2)}, excl(Text("p")), excl(Text("r"))}) == V{5});
    CHECK(ids({{Int(2)}, {}, incl(Text("q"))}) == V{4, 5});  // no NULL from a range
    CHECK(ids({{}, incl(Int(2)), {}}) == V{11, 4, 5, 6, 7, 8, 9});
    CHECK(ids({{}, excl(Int(1)), excl(Int(3))}) == V{11, 4, 5, 6});
    CHECK(ids({{}, {}, excl(Int(2))}) == V{1, 2, 3});
    CHECK(ids({{}, incl(Value::Double(1.5)), incl(Value::Double(2.0))}) == V{11, 4, 5, 6});
    CHECK(ids({{}, incl(Int(3)), incl(Int(2))}) == V{});  // empty range
    CHECK(ids({{Value()}, {}, {}}) == V{10});             // IS NULL
    CHECK(ids({}) == V{10, 1, 2, 3, 11, 4, 5, 6, 7, 8, 9});
  }

  TEST_CASE("building an index orders NaN, signed zeros, long texts and NULLs as lookups do") {
    testing::TempDir tmp;
    auto db = OpenDb(tmp.path());
    REQUIRE(db->CreateTable(TSchema()).ok());
    auto t = db->FindTable("t");
    const double kNaN = std::numeric_limits<double>::quiet_NaN();
    const double kInf = std::numeric_limits<double>::infinity();
    std::vector<double> doubles = {3.5, -0.0, kNaN, -kInf, 1e300, -2.25, kInf, 0.0, -1e-300, kNaN};
    // U+10FFFF, the highest code point, is the text with the highest bytes
    // (0xf4 first) that storage takes: only well-formed UTF-8 is stored.
    std::vector<std::string> texts = {
        "abcdefgh", "abcdefghb", "abcdefgha", "",     "\xf4\x8f\xbf\xbf",
        "abcdefg",  "b",         "abcdefgh",  "\x7f", "A"};
    std::vector<Change> rows;
    for (size_t i = 0; i < doubles.size(); ++i) {
      rows.push_back(Insert(R(static_cast<int64_t>(i), Int(-static_cast<int64_t>(i) * 1000000007),
                              Text(texts[i]), Value::Double(doubles[i]))));
    }
    rows.push_back(Insert(R(100, Value(), Value(), Value())));
    REQUIRE(Commit(*t, std::move(rows)).ok());
    REQUIRE(db->CreateIndex(Index("by_a", {1})).ok());
    REQUIRE(db->CreateIndex(Index("by_b", {2})).ok());
    REQUIRE(db->CreateIndex(Index("by_c", {3})).ok());
    CheckIndexes(*t);  // tree order and distinct counts against a recount
    CHECK(t->Statistics().indexes[2].distinct[0] == 9);  // NaN twice, -0.0 = 0.0, NULL once
    CHECK(Lookup(*t, "by_c", KeyRange{{Value::Double(0.0)}, {}, {}}) ==
          std::vector<Key>{{Int(1)}, {Int(7)}});
    CHECK(Lookup(*t, "by_b", KeyRange{{Text("abcdefgh")}, {}, {}}) ==
          std::vector<Key>{{Int(0)}, {Int(7)}});
    auto dup = db->CreateIndex(Index("u_c", {3}, /*unique=*/true));
    CHECK(dup.code() == ErrorCode::kDuplicateKey);
  }

  TEST_CASE("statistics count rows, distinct values of every index prefix and numeric ranges") {
    testing::TempDir tmp;
    auto db = OpenDb(tmp.path());
    REQUIRE(db->CreateTable(TSchema()).ok());
    auto t = db->FindTable("t");
    REQUIRE(Commit(*t, {Insert(R(1, Int(1), Text("x"))), Insert(R(2, Int(1), Text("y"))),
                        Insert(R(3, Int(2), Text("x"))), Insert(R(4, Value(), Value()))})
                .ok());
    REQUIRE(db->CreateIndex(Index("ab", {1, 2})).ok());
    auto stats = t->Statistics();
    CHECK(stats.row_count == 4);
    REQUIRE(stats.indexes.size() == 1);
    CHECK(stats.indexes[0].schema.name == "ab");
    CHECK(stats.indexes[0].entries == 4);
    CHECK(stats.indexes[0].distinct == std::vector<uint64_t>{3, 4});
    REQUIRE(stats.indexes[0].first_column);  // NULLs left out
    CHECK(stats.indexes[0].first_column->min == 1);
    CHECK(stats.indexes[0].first_column->max == 2);
    REQUIRE(stats.first_key_column);
    CHECK(stats.first_key_column->max == 4);
    REQUIRE(Commit(*t, {Delete({Int(3)}), Update({Int(2)}, R(2, Int(1), Text("x")))}).ok());
    stats = t->Statistics();
    CHECK(stats.row_count == 3);
    CHECK(stats.indexes[0].distinct == std::vector<uint64_t>{2, 2});
    CHECK(stats.indexes[0].first_column->max == 1);
    REQUIRE(Commit(*t, {Delete({Int(1)}), Delete({Int(2)})}).ok());
    CHECK_FALSE(t->Statistics().indexes[0].first_column);  // only NULL is left
    CheckIndexes(*t);
  }

  TEST_CASE("creating and dropping indexes while other threads write loses no entry") {
    testing::TempDir tmp;
    auto db = OpenDb(tmp.path(), /*sync=*/false);
    REQUIRE(db->CreateTable(TSchema()).ok());
    auto t = db->FindTable("t");
    constexpr int kWriters = 3, kCommits = 300;
    std::vector<std::thread> writers;
    std::atomic<int> failures{0};
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        for (int i = 0; i < kCommits; ++i) {
          int64_t id = w * 100000 + i;
          std::vector<Change> batch{Insert(R(id, Int(id % 7), Text("v")))};
          if (i % 3 == 2) batch.push_back(Delete({Int(id - 1)}));
          if (!Commit(*t, std::move(batch)).ok()) ++failures;
          (void)t->Statistics();  // what a planner reads, racing the writers
        }
      });
    }
    for (int round = 0; round < 20; ++round) {
      REQUIRE(db->CreateIndex(Index("i", {1, 2})).ok());
      CheckIndexes(*t);
      REQUIRE(db->DropIndex("i").ok());
    }
    REQUIRE(db->CreateIndex(Index("i", {1, 2})).ok());
    for (auto& w : writers) w.join();
    CHECK(failures == 0);
    CheckIndexes(*t);
    CHECK(t->Statistics().indexes[0].entries == kWriters * (kCommits - kCommits / 3));
    CHECK(t->Statistics().indexes[0].distinct[0] == 7);
  }

  TEST_CASE("a damaged index file stops start-up naming the file and line") {
    testing::TempDir tmp;
    {
      auto db = OpenDb(tmp.path());
      REQUIRE(db->CreateTable(TSchema()).ok());
      REQUIRE(db->CreateIndex(Index("i", {1})).ok());
    }
    fs::path file = TableDir(tmp.path()) / "indexes.csv";
    {
      std::ofstream out(file, std::ios::app);
      out << "j,false,no_such_column,false\n";
    }
    Options options;
    options.data_dir = tmp.path();
    auto db = Database::Open(options);
    REQUIRE_FALSE(db.ok());
    CHECK(db.status().code() == ErrorCode::kCorruption);
    CHECK(db.status().message().find("indexes.csv line 3") != std::string::npos);
  }

  TEST_CASE("a half-written index file left by a crash is removed at start-up") {
    testing::TempDir tmp;
    {
      auto db = OpenDb(tmp.path());
      REQUIRE(db->CreateTable(TSchema()).ok());
      REQUIRE(db->CreateIndex(Index("i", {1})).ok());
    }
    fs::path tmp_file = TableDir(tmp.path()) / "indexes.csv.tmp";
    {
      std::ofstream out(tmp_file);
      out << "index,unique,col";
    }
    auto db = OpenDb(tmp.path());
    CHECK(db->FindIndex("i"));
    CHECK_FALSE(fs::exists(tmp_file));
  }
}

}  // namespace
}  // namespace kopf::cerebrum
