#include "cerebrum/schema_file.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "cerebrum/csv_format.h"

namespace kopf::cerebrum {

using protocol::Result;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

constexpr std::string_view kHeader = "name,type,declared_type,not_null,primary_key,default";

}  // namespace

std::string EncodeSchemaFile(const TableSchema& schema) {
  std::string out(kHeader);
  out += '\n';
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const ColumnSchema& c = schema.columns[i];
    size_t pk_position = 0;
    for (size_t k = 0; k < schema.primary_key.size(); ++k) {
      if (schema.primary_key[k] == i) pk_position = k + 1;
    }
    AppendCsvText(&out, c.name);
    out += ',';
    out += protocol::TypeName(c.type);
    out += ',';
    AppendCsvText(&out, c.declared_type);
    out += c.not_null ? ",true," : ",false,";
    out += std::to_string(pk_position);
    out += ',';
    if (c.default_value) AppendCsvField(&out, *c.default_value);
    out += '\n';
  }
  return out;
}

Result<TableSchema> DecodeSchemaFile(const std::string& contents, const std::string& table_name,
                                     const std::filesystem::path& path) {
  TableSchema schema;
  schema.name = table_name;
  std::vector<std::pair<size_t, size_t>> key_parts;  // (position in key, column)
  Status read = ForEachCsvRecord(contents, kHeader, 6, path, [&](std::vector<CsvField>& fields) {
    ColumnSchema column;
    column.name = fields[0].text;
    auto type = protocol::TypeFromName(fields[1].text);
    if (!type || *type == Type::kNull) return Status::InvalidValue("unknown type " + fields[1].text);
    column.type = *type;
    column.declared_type = fields[2].text;
    column.not_null = fields[3].text == "true";
    size_t pk_position = 0;
    auto [end, ec] = std::from_chars(fields[4].text.data(),
                                     fields[4].text.data() + fields[4].text.size(), pk_position);
    if (ec != std::errc() || end != fields[4].text.data() + fields[4].text.size()) {
      return Status::InvalidValue("bad primary_key position");
    }
    if (pk_position > 0) key_parts.emplace_back(pk_position, schema.columns.size());
    auto default_value = ParseCsvValue(fields[5], column.type);
    if (!default_value.ok()) return default_value.status();
    if (!default_value->is_null()) column.default_value = *default_value;
    schema.columns.push_back(std::move(column));
    return Status::Ok();
  });
  KOPF_RETURN_IF_ERROR(read);
  auto bad = [&](std::string_view why) {
    return Status::Corruption(fmt::format("{}: {}", path.string(), why));
  };
  if (schema.columns.empty()) return bad("no columns");
  std::sort(key_parts.begin(), key_parts.end());
  for (size_t k = 0; k < key_parts.size(); ++k) {
    if (key_parts[k].first != k + 1) return bad("primary key positions are not 1..n");
    schema.primary_key.push_back(key_parts[k].second);
  }
  return schema;
}

}  // namespace kopf::cerebrum
