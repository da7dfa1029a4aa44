// SHOW TABLES, SHOW INDEXES, SHOW PARTITIONS, DESCRIBE and EXPLAIN.
#include "cerebellum/executor/executor.h"
#include "cerebrum/database.h"

#include <algorithm>

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Type;
using protocol::Value;

Result<StatementResult> ExecuteShowTables(cerebrum::Database& db) {
  StatementResult result;
  result.tag = "SHOW";
  result.columns = {{"name", Type::kText}, {"columns", Type::kInteger}, {"rows", Type::kInteger}};
  for (const std::string& name : db.TableNames()) {
    auto table = db.FindTable(name);
    if (!table) continue;  // dropped meanwhile
    auto lock = table->LockShared();
    result.rows.push_back({Value::Text(name),
                           Value::Integer(static_cast<int64_t>(table->schema().columns.size())),
                           Value::Integer(static_cast<int64_t>(table->row_count()))});
  }
  result.count = result.rows.size();
  return result;
}

namespace {

// "name, age DESC": the columns of a key in key order, as CREATE INDEX
// takes them.
std::string KeyColumnsText(const cerebrum::TableSchema& schema,
                           const std::vector<size_t>& columns,
                           const std::vector<bool>& descending) {
  std::string text;
  for (size_t k = 0; k < columns.size(); ++k) {
    if (k > 0) text += ", ";
    text += schema.columns[columns[k]].name;
    if (k < descending.size() && descending[k]) text += " DESC";
  }
  return text;
}

// One table's rows: its primary key first (the table's own access path),
// then its indexes by name, bytewise.
void AppendIndexRows(const cerebrum::Table& table, cerebrum::Database& db,
                     std::vector<protocol::Row>* rows) {
  const cerebrum::TableSchema& schema = table.schema();
  if (schema.has_primary_key()) {
    rows->push_back({Value::Text(schema.name), Value::Text("PRIMARY KEY"), Value::Boolean(true),
                     Value::Text(KeyColumnsText(schema, schema.primary_key, {}))});
  }
  std::vector<cerebrum::IndexSchema> indexes = db.IndexesOf(schema.name);
  std::sort(indexes.begin(), indexes.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const cerebrum::IndexSchema& index : indexes) {
    rows->push_back({Value::Text(schema.name), Value::Text(index.name),
                     Value::Boolean(index.unique),
                     Value::Text(KeyColumnsText(schema, index.columns, index.descending))});
  }
}

}  // namespace

Result<StatementResult> ExecuteShowIndexes(BoundShowIndexes& s, cerebrum::Database& db) {
  StatementResult result;
  result.tag = "SHOW";
  result.columns = {{"table", Type::kText},
                    {"index", Type::kText},
                    {"unique", Type::kBoolean},
                    {"columns", Type::kText}};
  if (s.table) {
    AppendIndexRows(*s.table, db, &result.rows);
  } else {
    for (const std::string& name : db.TableNames()) {
      auto table = db.FindTable(name);
      if (table) AppendIndexRows(*table, db, &result.rows);  // else dropped meanwhile
    }
  }
  result.count = result.rows.size();
  return result;
}

namespace {

// One partitioned table's rows: one per partition, in partition order.
void AppendPartitionRows(const cerebrum::Table& table, std::vector<protocol::Row>* rows) {
  const cerebrum::TableSchema& schema = table.schema();
  if (!schema.partitioned()) return;
  const cerebrum::PartitionSpec& spec = schema.partitioning;
  const bool hash = spec.kind == cerebrum::PartitionSpec::Kind::kHash;
  auto lock = table.LockShared();
  for (size_t i = 0; i < spec.partitions.size(); ++i) {
    const cerebrum::PartitionDef& p = spec.partitions[i];
    Value bound;
    if (!hash) bound = Value::Text(p.less_than ? p.less_than->ToString() : "MAXVALUE");
    rows->push_back({Value::Text(schema.name), Value::Text(p.name),
                     Value::Text(hash ? "HASH" : "RANGE"),
                     Value::Text(schema.columns[spec.column].name), bound,
                     Value::Integer(static_cast<int64_t>(table.partitions()[i]->row_count()))});
  }
}

}  // namespace

Result<StatementResult> ExecuteShowPartitions(BoundShowPartitions& s, cerebrum::Database& db) {
  StatementResult result;
  result.tag = "SHOW";
  result.columns = {{"table", Type::kText},     {"partition", Type::kText},
                    {"method", Type::kText},    {"column", Type::kText},
                    {"less_than", Type::kText}, {"rows", Type::kInteger}};
  if (s.table) {
    AppendPartitionRows(*s.table, &result.rows);
  } else {
    for (const std::string& name : db.TableNames()) {
      auto table = db.FindTable(name);
      if (table) AppendPartitionRows(*table, &result.rows);  // else dropped meanwhile
    }
  }
  result.count = result.rows.size();
  return result;
}

Result<StatementResult> ExecuteDescribe(BoundDescribe& s, cerebrum::Database&) {
  StatementResult result;
  result.tag = "DESCRIBE";
  result.columns = {{"column", Type::kText},
                    {"type", Type::kText},
                    {"nullable", Type::kBoolean},
                    {"key", Type::kText},
                    {"default", Type::kText}};
  const cerebrum::TableSchema& schema = s.table->schema();
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const cerebrum::ColumnSchema& c = schema.columns[i];
    std::string key;
    for (size_t k = 0; k < schema.primary_key.size(); ++k) {
      if (schema.primary_key[k] == i) {
        key = schema.primary_key.size() == 1 ? "PRIMARY KEY"
                                             : "PRIMARY KEY (" + std::to_string(k + 1) + ")";
      }
    }
    Value default_text;
    if (c.default_value) {
      default_text = Value::Text(c.default_value->type() == Type::kText
                                     ? "'" + c.default_value->as_text() + "'"
                                     : c.default_value->ToString());
    }
    result.rows.push_back({Value::Text(c.name), Value::Text(c.declared_type),
                           Value::Boolean(!c.not_null),
                           key.empty() ? Value() : Value::Text(key), default_text});
  }
  result.count = result.rows.size();
  return result;
}

Result<StatementResult> ExecuteExplain(BoundExplain& s, cerebrum::Database&) {
  StatementResult result;
  result.tag = "EXPLAIN";
  result.columns = {{"plan", Type::kText}};
  for (std::string& line : s.lines) result.rows.push_back({Value::Text(std::move(line))});
  result.count = result.rows.size();
  return result;
}

}  // namespace kopf::cerebellum
