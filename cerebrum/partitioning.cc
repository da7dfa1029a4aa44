#include "cerebrum/partitioning.h"

#include <cstdint>

#include <fmt/format.h>

#include "cerebrum/csv_format.h"

namespace kopf::cerebrum {

using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

constexpr std::string_view kHeader = "partition,method,column,less_than";
constexpr std::string_view kMethodHash = "hash";
constexpr std::string_view kMethodRange = "range";

// The finaliser of SplitMix64: spreads consecutive integers over every
// partition.
uint64_t MixInteger(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// FNV-1a, 64 bits, then mixed.
uint64_t HashText(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return MixInteger(h);
}

}  // namespace

std::optional<size_t> PartitionFor(const PartitionSpec& spec, const Value& value) {
  const size_t n = spec.partitions.size();
  if (spec.kind == PartitionSpec::Kind::kHash) {
    if (value.is_null() || n == 0) return size_t{0};
    uint64_t h = value.type() == Type::kText
                     ? HashText(value.as_text())
                     : MixInteger(static_cast<uint64_t>(value.as_integer()));
    return static_cast<size_t>(h % n);
  }
  if (spec.kind == PartitionSpec::Kind::kNone) return size_t{0};
  for (size_t i = 0; i < n; ++i) {
    const auto& bound = spec.partitions[i].less_than;
    if (!bound || protocol::Compare(value, *bound) < 0) return i;
  }
  return std::nullopt;
}

std::vector<size_t> RangePartitionsBetween(const PartitionSpec& spec,
                                           const std::optional<ColumnBound>& lower,
                                           const std::optional<ColumnBound>& upper) {
  std::vector<size_t> out;
  for (size_t i = 0; i < spec.partitions.size(); ++i) {
    // Partition i holds [bound[i-1], bound[i]).
    const auto& below = spec.partitions[i].less_than;  // exclusive upper end
    const std::optional<Value>& from =
        i == 0 ? std::optional<Value>() : spec.partitions[i - 1].less_than;
    // Values >= lower must reach below `below`.
    if (lower && below && protocol::Compare(lower->value, *below) >= 0) continue;
    // Values <= upper (or < upper) must reach `from`.
    if (upper && from) {
      auto c = protocol::Compare(upper->value, *from);
      if (c < 0 || (c == 0 && !upper->inclusive)) continue;
    }
    out.push_back(i);
  }
  return out;
}

std::string PartitionSpecText(const TableSchema& schema) {
  const PartitionSpec& spec = schema.partitioning;
  const std::string& column = schema.columns[spec.column].name;
  if (spec.kind == PartitionSpec::Kind::kHash) {
    return fmt::format("PARTITION BY HASH ({}) PARTITIONS {}", column, spec.partitions.size());
  }
  std::string out = fmt::format("PARTITION BY RANGE ({}) (", column);
  for (size_t i = 0; i < spec.partitions.size(); ++i) {
    const PartitionDef& p = spec.partitions[i];
    if (i > 0) out += ", ";
    std::string bound = "MAXVALUE";
    if (p.less_than) {
      bound = p.less_than->type() == Type::kText ? fmt::format("'{}'", p.less_than->as_text())
                                                 : p.less_than->ToString();
    }
    out += fmt::format("PARTITION {} VALUES LESS THAN ({})", p.name, bound);
  }
  return out + ")";
}

std::string EncodePartitionFile(const TableSchema& schema) {
  const PartitionSpec& spec = schema.partitioning;
  std::string out(kHeader);
  out += '\n';
  for (const PartitionDef& p : spec.partitions) {
    AppendCsvText(&out, p.name);
    out += ',';
    out += spec.kind == PartitionSpec::Kind::kHash ? kMethodHash : kMethodRange;
    out += ',';
    AppendCsvText(&out, schema.columns[spec.column].name);
    out += ',';
    if (p.less_than) AppendCsvField(&out, *p.less_than);
    out += '\n';
  }
  return out;
}

Status DecodePartitionFile(const std::string& contents, TableSchema* schema,
                           const std::filesystem::path& path) {
  PartitionSpec spec;
  Status read = ForEachCsvRecord(contents, kHeader, 4, path, [&](std::vector<CsvField>& fields) {
    PartitionSpec::Kind kind;
    if (fields[1].text == kMethodHash) {
      kind = PartitionSpec::Kind::kHash;
    } else if (fields[1].text == kMethodRange) {
      kind = PartitionSpec::Kind::kRange;
    } else {
      return Status::InvalidValue(fmt::format("unknown method \"{}\"", fields[1].text));
    }
    auto column = schema->FindColumn(fields[2].text);
    if (!column) return Status::InvalidValue(fmt::format("no column \"{}\"", fields[2].text));
    if (!spec.partitions.empty() && (kind != spec.kind || *column != spec.column)) {
      return Status::InvalidValue("every partition must name the same method and column");
    }
    spec.kind = kind;
    spec.column = *column;
    PartitionDef def;
    def.name = fields[0].text;
    if (def.name.empty()) return Status::InvalidValue("empty partition name");
    if (kind == PartitionSpec::Kind::kRange) {
      auto bound = ParseCsvValue(fields[3], schema->columns[*column].type);
      if (!bound.ok()) return bound.status();
      if (!bound->is_null()) def.less_than = std::move(*bound);
    }
    spec.partitions.push_back(std::move(def));
    return Status::Ok();
  });
  KOPF_RETURN_IF_ERROR(read);
  if (spec.partitions.empty()) {
    return Status::Corruption(fmt::format("{}: no partitions", path.string()));
  }
  schema->partitioning = std::move(spec);
  return Status::Ok();
}

}  // namespace kopf::cerebrum
