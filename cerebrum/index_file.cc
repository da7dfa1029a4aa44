#include "cerebrum/index_file.h"

#include <optional>
#include <set>

#include <fmt/format.h>

#include "cerebrum/csv_format.h"

namespace kopf::cerebrum {

using protocol::Result;
using protocol::Status;

namespace {

constexpr std::string_view kHeader = "index,unique,column,descending";

}  // namespace

std::string EncodeIndexFile(const TableSchema& table, const std::vector<IndexSchema>& indexes) {
  std::string out(kHeader);
  out += '\n';
  for (const IndexSchema& index : indexes) {
    for (size_t i = 0; i < index.columns.size(); ++i) {
      AppendCsvText(&out, index.name);
      out += index.unique ? ",true," : ",false,";
      AppendCsvText(&out, table.columns[index.columns[i]].name);
      bool descending = i < index.descending.size() && index.descending[i];
      out += descending ? ",true\n" : ",false\n";
    }
  }
  return out;
}

Result<std::vector<IndexSchema>> DecodeIndexFile(const std::string& contents,
                                                 const TableSchema& table,
                                                 const std::filesystem::path& path) {
  std::vector<IndexSchema> indexes;
  std::set<std::string, std::less<>> finished;  // names whose records have ended
  auto parse_bool = [](const CsvField& f) -> std::optional<bool> {
    if (f.quoted) return std::nullopt;
    if (f.text == "true") return true;
    if (f.text == "false") return false;
    return std::nullopt;
  };
  auto bad = [](std::string why) { return Status::InvalidValue(std::move(why)); };
  Status read = ForEachCsvRecord(contents, kHeader, 4, path, [&](std::vector<CsvField>& fields) {
    const std::string& name = fields[0].text;
    if (name.empty()) return bad("empty index name");
    auto unique = parse_bool(fields[1]);
    auto descending = parse_bool(fields[3]);
    if (!unique || !descending) return bad("expected true or false");
    auto column = table.FindColumn(fields[2].text);
    if (!column) {
      return bad(fmt::format("index \"{}\" names column \"{}\", which table \"{}\" does not have",
                             name, fields[2].text, table.name));
    }
    if (indexes.empty() || indexes.back().name != name) {
      if (!indexes.empty()) finished.insert(indexes.back().name);
      if (finished.contains(name)) return bad(fmt::format("index \"{}\" defined twice", name));
      IndexSchema index;
      index.name = name;
      index.table = table.name;
      index.unique = *unique;
      indexes.push_back(std::move(index));
    } else if (indexes.back().unique != *unique) {
      return bad(fmt::format("index \"{}\" is both unique and not", name));
    }
    indexes.back().columns.push_back(*column);
    indexes.back().descending.push_back(*descending);
    return Status::Ok();
  });
  KOPF_RETURN_IF_ERROR(read);
  return indexes;
}

}  // namespace kopf::cerebrum
