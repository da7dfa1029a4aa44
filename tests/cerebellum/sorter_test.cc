// Tests for cerebellum/executor/sorter: every algorithm against
// std::stable_sort with a plain comparator as the oracle, on random inputs
// at sizes around the dispatch thresholds, plus TopK against sort-and-cut.
#include "cerebellum/executor/sorter.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace kopf::cerebellum {
namespace {

using protocol::Row;
using protocol::Value;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

const std::vector<size_t> kSizes = {0, 1, 2, 999, 1000, 1001, 9999, 10001, 50000};
const SortAlgorithm kAlgorithms[] = {SortAlgorithm::kAuto,    SortAlgorithm::kInsertion,
                                     SortAlgorithm::kMerge,   SortAlgorithm::kRadix,
                                     SortAlgorithm::kStdSort, SortAlgorithm::kStdStableSort};

// ---- Helpers ----------------------------------------------------------------

// The ORDER BY comparator as run_query.cc wrote it before the sorter.
bool OracleLess(const Row& a, const Row& b, const std::vector<SortKey>& keys) {
  for (size_t i = 0; i < keys.size(); ++i) {
    const Value& x = a[i];
    const Value& y = b[i];
    if (x.is_null() != y.is_null()) return x.is_null() == keys[i].nulls_first;
    auto c = protocol::Compare(x, y);
    if (c != 0) return keys[i].descending ? c > 0 : c < 0;
  }
  return false;
}

std::vector<size_t> OracleOrder(const std::vector<Row>& rows, const std::vector<SortKey>& keys) {
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return OracleLess(rows[a], rows[b], keys); });
  return order;
}

std::vector<const Row*> Pointers(const std::vector<Row>& rows) {
  std::vector<const Row*> p;
  for (const Row& r : rows) p.push_back(&r);
  return p;
}

// A random value of one kind of column.
enum class Column { kSmallInt, kWideInt, kDouble, kIntOrDouble, kText, kAnything };

Value RandomValue(Column column, std::mt19937_64& rng, int null_percent) {
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  if (pick(0, 99) < null_percent) return Value::Null();
  switch (column) {
    case Column::kSmallInt:
      return Value::Integer(pick(-20, 20));  // many duplicates
    case Column::kWideInt: {
      switch (pick(0, 5)) {
        case 0:
          return Value::Integer(kMin);
        case 1:
          return Value::Integer(kMax);
        case 2:
          return Value::Integer(pick(-3, 3));
        default:
          return Value::Integer(static_cast<int64_t>(rng()));
      }
    }
    case Column::kDouble: {
      switch (pick(0, 7)) {
        case 0:
          return Value::Double(std::numeric_limits<double>::quiet_NaN());
        case 1:
          return Value::Double(-0.0);
        case 2:
          return Value::Double(0.0);
        case 3:
          return Value::Double(pick(0, 1) ? INFINITY : -INFINITY);
        case 4:
          return Value::Double(static_cast<double>(pick(-5, 5)));
        default:
          return Value::Double(
              std::ldexp(static_cast<double>(pick(-1000, 1000)), static_cast<int>(pick(-60, 60))));
      }
    }
    case Column::kIntOrDouble:
      if (pick(0, 1)) return RandomValue(Column::kDouble, rng, 0);
      return pick(0, 1) ? RandomValue(Column::kWideInt, rng, 0)
                        : RandomValue(Column::kSmallInt, rng, 0);
    case Column::kText: {
      std::string s(static_cast<size_t>(pick(0, 3)), ' ');
      for (char& c : s) c = static_cast<char>(pick('a', 'c'));
      return Value::Text(s);
    }
    case Column::kAnything:
      switch (pick(0, 3)) {
        case 0:
          return Value::Boolean(pick(0, 1) != 0);
        case 1:
          return RandomValue(Column::kText, rng, 0);
        default:
          return RandomValue(Column::kIntOrDouble, rng, 0);
      }
  }
  return Value::Null();
}

std::vector<Row> RandomRows(size_t n, const std::vector<Column>& columns, int null_percent,
                            uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Row> rows(n);
  for (Row& r : rows) {
    for (Column c : columns) r.push_back(RandomValue(c, rng, null_percent));
  }
  return rows;
}

// Every combination of direction and NULL placement for `count` keys,
// cycling so that each key sees each setting.
std::vector<std::vector<SortKey>> KeySettings(size_t count) {
  std::vector<std::vector<SortKey>> out;
  for (int s = 0; s < 4; ++s) {
    std::vector<SortKey> keys;
    for (size_t i = 0; i < count; ++i) {
      int bits = (s + static_cast<int>(i)) % 4;
      keys.push_back(SortKey{(bits & 1) != 0, (bits & 2) != 0});
    }
    out.push_back(keys);
  }
  return out;
}

// Checks every algorithm (the quadratic insertion sort up to 1001 rows) against
// the oracle for each key setting.
void CheckAllAlgorithms(const std::vector<Row>& rows, size_t key_count) {
  auto pointers = Pointers(rows);
  for (const std::vector<SortKey>& keys : KeySettings(key_count)) {
    std::vector<size_t> expected = OracleOrder(rows, keys);
    for (SortAlgorithm algorithm : kAlgorithms) {
      if (algorithm == SortAlgorithm::kInsertion && rows.size() > 1001) continue;
      INFO("rows=", rows.size(), " algorithm=", static_cast<int>(algorithm),
           " first key desc=", keys[0].descending, " nulls_first=", keys[0].nulls_first);
      CHECK((SortedOrderWith(algorithm, pointers, keys) == expected));
    }
  }
}

// ---- Sorting ------------------------------------------------------------------

TEST_SUITE("cerebellum/sorter") {
  TEST_CASE("every algorithm matches std::stable_sort on one INTEGER key at every size") {
    for (size_t n : kSizes) {
      CheckAllAlgorithms(RandomRows(n, {Column::kWideInt}, 10, n), 1);
      CheckAllAlgorithms(RandomRows(n, {Column::kSmallInt}, 0, n + 1), 1);
    }
  }

  TEST_CASE("later keys order each run of equal first keys") {
    for (size_t n : kSizes) {
      CheckAllAlgorithms(RandomRows(n, {Column::kSmallInt, Column::kText}, 10, n), 2);
      CheckAllAlgorithms(
          RandomRows(n, {Column::kSmallInt, Column::kSmallInt, Column::kText}, 20, n + 7), 3);
    }
  }

  TEST_CASE("a first key mixing INTEGER and DOUBLE sorts by numeric value") {
    for (size_t n : kSizes) {
      CheckAllAlgorithms(RandomRows(n, {Column::kIntOrDouble, Column::kSmallInt}, 5, n), 2);
    }
    // 2^53 + 1 is not a double: an image through double would tie it with 2^53.
    std::vector<Row> rows;
    for (int i = 0; i < 20000; ++i) {
      rows.push_back({Value::Integer((int64_t{1} << 53) + 1 - (i % 3))});
    }
    rows.push_back({Value::Double(9007199254740992.0)});
    CheckAllAlgorithms(rows, 1);
  }

  TEST_CASE("DOUBLE keys sort like protocol::Compare including NaN and negative zero") {
    for (size_t n : kSizes) {
      CheckAllAlgorithms(RandomRows(n, {Column::kDouble}, 10, n), 1);
      CheckAllAlgorithms(RandomRows(n, {Column::kDouble, Column::kText}, 10, n + 3), 2);
    }
  }

  TEST_CASE("TEXT BOOLEAN and mixed keys match std::stable_sort") {
    for (size_t n : {size_t{0}, size_t{3}, size_t{999}, size_t{1001}, size_t{10001}}) {
      CheckAllAlgorithms(RandomRows(n, {Column::kText}, 10, n), 1);
      CheckAllAlgorithms(RandomRows(n, {Column::kAnything, Column::kAnything}, 10, n + 1), 2);
    }
  }

  TEST_CASE("INT64_MIN and INT64_MAX go to the ends in both directions") {
    std::vector<Row> rows;
    for (int i = 0; i < 30000; ++i) rows.push_back({Value::Integer(i - 15000)});
    rows.push_back({Value::Integer(kMax)});
    rows.push_back({Value::Integer(kMin)});
    auto pointers = Pointers(rows);
    for (SortAlgorithm algorithm : {SortAlgorithm::kAuto, SortAlgorithm::kRadix}) {
      std::vector<SortKey> asc = {SortKey{}};
      std::vector<size_t> order = SortedOrderWith(algorithm, pointers, asc);
      CHECK(rows[order.front()][0].as_integer() == kMin);
      CHECK(rows[order.back()][0].as_integer() == kMax);
      std::vector<SortKey> desc = {SortKey{.descending = true}};
      order = SortedOrderWith(algorithm, pointers, desc);
      CHECK(rows[order.front()][0].as_integer() == kMax);
      CHECK(rows[order.back()][0].as_integer() == kMin);
    }
  }

  TEST_CASE("NULLs go first or last whatever the direction") {
    std::vector<Row> rows;
    for (int i = 0; i < 12000; ++i) {
      rows.push_back({i % 100 == 0 ? Value::Null() : Value::Integer(i % 7)});
    }
    auto pointers = Pointers(rows);
    for (bool descending : {false, true}) {
      for (bool nulls_first : {false, true}) {
        std::vector<SortKey> keys = {SortKey{descending, nulls_first}};
        std::vector<size_t> order = SortedOrder(pointers, keys);
        const Row& edge = rows[nulls_first ? order.front() : order.back()];
        CHECK(edge[0].is_null());
        const Row& other = rows[nulls_first ? order.back() : order.front()];
        CHECK(other[0].as_integer() == (descending == nulls_first ? 0 : 6));
      }
    }
  }

  TEST_CASE("rows with equal keys keep their input order") {
    for (size_t n : {size_t{10}, size_t{500}, size_t{20000}}) {
      std::vector<Row> rows(n, Row{Value::Integer(5), Value::Text("x")});
      auto pointers = Pointers(rows);
      std::vector<SortKey> keys = {SortKey{true, false}, SortKey{}};
      std::vector<size_t> identity(n);
      std::iota(identity.begin(), identity.end(), size_t{0});
      for (SortAlgorithm algorithm : kAlgorithms) {
        CHECK((SortedOrderWith(algorithm, pointers, keys) == identity));
      }
    }
  }

  TEST_CASE("no sort keys leaves the order unchanged") {
    std::vector<Row> rows = RandomRows(100, {Column::kWideInt}, 0, 1);
    std::vector<size_t> order = SortedOrder(Pointers(rows), {});
    CHECK(order.size() == 100);
    CHECK(std::is_sorted(order.begin(), order.end()));
  }

  // ---- Top-k ----------------------------------------------------------------------

  TEST_CASE("TopKOrder equals the full sort cut to k") {
    // An INTEGER first key (the full sort would be a radix sort) and a TEXT
    // one (a merge sort) switch from the heap to the full sort at different k.
    const std::vector<std::vector<Column>> column_sets = {{Column::kSmallInt, Column::kText},
                                                          {Column::kText, Column::kSmallInt}};
    for (const std::vector<Column>& columns : column_sets) {
      for (size_t n :
           {size_t{0}, size_t{1}, size_t{2}, size_t{999}, size_t{10001}, size_t{50000}}) {
        std::vector<Row> rows = RandomRows(n, columns, 10, n);
        auto pointers = Pointers(rows);
        for (const std::vector<SortKey>& keys : KeySettings(2)) {
          std::vector<size_t> full = OracleOrder(rows, keys);
          for (size_t k : {size_t{0}, size_t{1}, size_t{7}, n / 100, n / 10, n / 3, n / 2 + 1,
                           n - 1, n, n + 5}) {
            if (k > n + 5) continue;  // n - 1 wrapped around for n = 0
            INFO("rows=", n, " k=", k);
            std::vector<size_t> expected(full.begin(), full.begin() + std::min(k, n));
            CHECK((TopKOrder(pointers, keys, k) == expected));
          }
        }
      }
    }
  }

  // ---- The row wrappers -----------------------------------------------------------

  struct OutputRow {
    std::unique_ptr<int> payload;  // move-only, as rows may be
    Row sort_keys;
  };

  std::vector<OutputRow> NumberedRows(const std::vector<Row>& keys) {
    std::vector<OutputRow> rows;
    for (size_t i = 0; i < keys.size(); ++i) {
      rows.push_back(OutputRow{std::make_unique<int>(static_cast<int>(i)), keys[i]});
    }
    return rows;
  }

  TEST_CASE("SortRows and TopK move each row with its keys") {
    for (size_t n : {size_t{0}, size_t{50}, size_t{5000}, size_t{20000}}) {
      std::vector<Row> keys = RandomRows(n, {Column::kWideInt, Column::kText}, 10, n);
      std::vector<SortKey> order_by = {SortKey{true, false}, SortKey{}};
      std::vector<size_t> expected = OracleOrder(keys, order_by);

      std::vector<OutputRow> rows = NumberedRows(keys);
      SortRows(rows, order_by, &OutputRow::sort_keys);
      REQUIRE(rows.size() == n);
      for (size_t i = 0; i < n; ++i) {
        CHECK(static_cast<size_t>(*rows[i].payload) == expected[i]);
        CHECK(rows[i].sort_keys == keys[expected[i]]);
      }

      for (size_t k : {size_t{0}, size_t{10}, n / 2, n + 1}) {
        rows = NumberedRows(keys);
        TopK(rows, order_by, k, [](const OutputRow& r) -> const Row& { return r.sort_keys; });
        REQUIRE(rows.size() == std::min(k, n));
        for (size_t i = 0; i < rows.size(); ++i) {
          CHECK(static_cast<size_t>(*rows[i].payload) == expected[i]);
        }
      }
    }
  }

  // The stop function is a plain function pointer (the executor passes
  // Cancelled), so the test counts through globals.
  size_t stop_asked = 0;
  size_t stop_at = 0;  // say yes at the stop_at-th question; 0: never
  bool StopAfterSomeQuestions() {
    ++stop_asked;
    return stop_at != 0 && stop_asked >= stop_at;
  }

  TEST_CASE("a sort gives up once its stop function says so, and asks again only until then") {
    struct Shape {
      const char* name;
      std::vector<Column> columns;
      size_t k;  // 0: full sort, else TopKOrder's k
    };
    const Shape shapes[] = {
        {"merge sort of TEXT", {Column::kText}, 0},
        {"radix sort of one INTEGER key", {Column::kWideInt}, 0},
        {"radix sort, then runs sorted on a second key", {Column::kSmallInt, Column::kText}, 0},
        {"top-k heap", {Column::kText}, 10},
        {"top-k by a full sort", {Column::kText}, 40000},
    };
    const size_t n = 50000;
    for (const Shape& shape : shapes) {
      CAPTURE(shape.name);
      std::vector<Row> rows = RandomRows(n, shape.columns, 5, 42);
      std::vector<SortKey> keys(shape.columns.size());
      auto pointers = Pointers(rows);
      auto sort = [&] {
        return shape.k == 0 ? SortedOrder(pointers, keys, &StopAfterSomeQuestions)
                            : TopKOrder(pointers, keys, shape.k, &StopAfterSomeQuestions);
      };
      std::vector<size_t> expected = OracleOrder(rows, keys);
      if (shape.k != 0) expected.resize(shape.k);

      // Never stopping: the same order as without a stop function, and the
      // function was asked along the way (every few thousand rows).
      stop_asked = 0;
      stop_at = 0;
      CHECK((sort() == expected));
      CHECK(stop_asked >= 5);

      // Stopping at the second question: no order, and no third question.
      stop_asked = 0;
      stop_at = 2;
      CHECK(sort().empty());
      CHECK(stop_asked == 2);
    }
  }

  TEST_CASE("SortRows and TopK leave the rows as they were when stopped") {
    std::vector<Row> keys = RandomRows(20000, {Column::kText}, 0, 7);
    std::vector<SortKey> order_by = {SortKey{}};
    for (size_t k : {size_t{0}, size_t{10}}) {
      std::vector<OutputRow> rows = NumberedRows(keys);
      stop_asked = 0;
      stop_at = 1;
      bool done = k == 0 ? SortRows(rows, order_by, &OutputRow::sort_keys, &StopAfterSomeQuestions)
                         : TopK(rows, order_by, k, &OutputRow::sort_keys, &StopAfterSomeQuestions);
      CHECK_FALSE(done);
      REQUIRE(rows.size() == keys.size());
      for (size_t i = 0; i < rows.size(); ++i) CHECK(*rows[i].payload == static_cast<int>(i));
    }
  }
}

}  // namespace
}  // namespace kopf::cerebellum
