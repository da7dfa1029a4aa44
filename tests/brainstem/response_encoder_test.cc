// The point-read encoder against the general one: the same bytes for a row
// found (picked out of a wider stored row) and for none, and the same ERROR
// for a row the protocol cannot carry, decoded back through the client's
// frame decoder.
#include "brainstem/response_encoder.h"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "protocol/frame_decoder.h"

namespace kopf::brainstem {
namespace {

using protocol::ColumnInfo;
using protocol::Row;
using protocol::Type;
using protocol::Value;

// What the general path sends for the same answer.
std::string General(const std::vector<ColumnInfo>& columns, const Row* row,
                    uint64_t payload_id = 42) {
  cerebellum::StatementResult result;
  result.columns = columns;
  result.tag = "SELECT";
  if (row != nullptr) result.rows.push_back(*row);
  result.count = result.rows.size();
  return EncodeResponse(7, payload_id, std::move(result));
}

// The values of `stored` at `picks`.
Row Project(const Row& stored, const std::vector<size_t>& picks) {
  Row row;
  for (size_t p : picks) row.push_back(stored[p]);
  return row;
}

std::string Point(const std::vector<ColumnInfo>& columns, const Row* stored,
                  const std::vector<size_t>& picks) {
  // Twice with one description, as for two reads of one statement: the
  // first encodes it, the second copies it with its own payload id.
  std::string description;
  std::string first;
  EncodePointReadResponse(7, 41, columns, &description, stored, picks, &first);
  Row projected = stored != nullptr ? Project(*stored, picks) : Row{};
  CHECK(first == General(columns, stored != nullptr ? &projected : nullptr, 41));
  std::string out = "before";  // appended after what the buffer holds
  EncodePointReadResponse(7, 42, columns, &description, stored, picks, &out);
  REQUIRE(out.substr(0, 6) == "before");
  return out.substr(6);
}

std::vector<protocol::MessageType> Types(const std::string& bytes) {
  protocol::FrameDecoder decoder;
  decoder.Append(bytes);
  std::vector<protocol::MessageType> types;
  for (;;) {
    auto next = decoder.Next();
    REQUIRE(next.ok());
    if (!next->has_value()) break;
    types.push_back(protocol::TypeOf((*next)->message));
  }
  CHECK(decoder.buffered_bytes() == 0);
  return types;
}

TEST_SUITE("brainstem/response_encoder") {
  TEST_CASE("a point read's response is byte for byte the general encoder's") {
    std::vector<ColumnInfo> columns = {
        {"name", Type::kText}, {"age", Type::kInteger}, {"city", Type::kText}};
    // The table's row, of which the statement picks three columns, out of
    // order; and a statement naming one column twice.
    Row stored = {Value::Integer(42), Value::Null(), Value::Text("name_42"), Value::Integer(60),
                  Value::Double(1.5)};
    const std::vector<size_t> picks = {2, 3, 1};
    Row row = Project(stored, picks);
    CHECK(Point(columns, &stored, picks) == General(columns, &row));
    const std::vector<size_t> twice = {3, 0, 3};
    Row repeated = Project(stored, twice);
    CHECK(Point(columns, &stored, twice) == General(columns, &repeated));
    CHECK(Types(Point(columns, &stored, picks)) ==
          std::vector<protocol::MessageType>{protocol::MessageType::kRowDescription,
                                             protocol::MessageType::kRowBatch,
                                             protocol::MessageType::kComplete});
    CHECK(Point(columns, nullptr, {}) == General(columns, nullptr));
    CHECK(Types(Point(columns, nullptr, {})) ==
          std::vector<protocol::MessageType>{protocol::MessageType::kRowDescription,
                                             protocol::MessageType::kComplete});
  }

  TEST_CASE("a point read's row that is not valid UTF-8 ends in the same ERROR") {
    std::vector<ColumnInfo> columns = {{"name", Type::kText}};
    Row stored = {Value::Integer(1), Value::Text(std::string("bad \xff byte"))};
    Row row = Project(stored, {1});
    std::string point = Point(columns, &stored, {1});
    CHECK(point == General(columns, &row));
    CHECK(Types(point) == std::vector<protocol::MessageType>{
                              protocol::MessageType::kRowDescription,
                              protocol::MessageType::kError});
    // A row wider than its columns is an engine bug: kInternal, same bytes.
    Row wide = Project(stored, {0, 0});
    CHECK(Point(columns, &stored, {0, 0}) == General(columns, &wide));
  }
}

}  // namespace
}  // namespace kopf::brainstem
