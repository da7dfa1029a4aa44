#include "cerebrum/table.h"

#include <map>
#include <optional>

#include <fmt/format.h>

#include "cerebrum/csv_format.h"
#include "cerebrum/csv_reader.h"
#include "cerebrum/group_commit.h"
#include "cerebrum/segment_format.h"
#include "cerebrum/segment_writer.h"

namespace kopf::cerebrum {

using protocol::Result;
using protocol::Row;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

struct KeyLess {
  bool operator()(const Key& a, const Key& b) const { return KeyCompare()(a, b) < 0; }
};

std::string KeyText(const Key& key) {
  std::string out = "(";
  for (size_t i = 0; i < key.size(); ++i) {
    if (i > 0) out += ", ";
    out += key[i].ToString();
  }
  return out + ")";
}

}  // namespace

Table::Table(TableSchema schema, std::filesystem::path folder, GroupCommit* group_commit)
    : schema_(std::move(schema)), folder_(std::move(folder)), group_commit_(group_commit) {}

Table::~Table() = default;

Key Table::KeyOf(const Row& row) const {
  Key key;
  key.reserve(schema_.primary_key.size());
  for (size_t column : schema_.primary_key) key.push_back(row[column]);
  return key;
}

Status Table::CheckRow(const Row& row) const {
  if (row.size() != schema_.columns.size()) {
    return Status::Internal(fmt::format("row of {} values for table \"{}\" of {} columns",
                                        row.size(), schema_.name, schema_.columns.size()));
  }
  for (size_t i = 0; i < row.size(); ++i) {
    const ColumnSchema& column = schema_.columns[i];
    const Value& value = row[i];
    if (value.is_null()) {
      if (column.not_null) {
        return Status::ConstraintViolation(
            fmt::format("null value in column \"{}\" of table \"{}\" violates not-null constraint",
                        column.name, schema_.name));
      }
      continue;
    }
    if (value.type() != column.type) {
      return Status::TypeMismatch(fmt::format("column \"{}\" is {} but the value {} is {}",
                                              column.name, protocol::TypeName(column.type),
                                              value.ToString(), protocol::TypeName(value.type())));
    }
    if (value.type() == Type::kText && value.as_text().find('\0') != std::string::npos) {
      return Status::InvalidValue(
          fmt::format("text for column \"{}\" contains a NUL byte, which kopf does not store",
                      column.name));
    }
  }
  return Status::Ok();
}

void Table::AppendLine(uint64_t seq, std::string_view op, const Key& key, const Row* row) {
  std::string& out = line_buffer_;
  out += std::to_string(seq);
  out += ',';
  out += op;
  if (!schema_.has_primary_key()) {
    out += ',';
    if (!key.empty()) AppendCsvField(&out, key[0]);
  }
  for (size_t i = 0; i < schema_.columns.size(); ++i) {
    out += ',';
    if (row != nullptr) {
      AppendCsvField(&out, (*row)[i]);
    } else if (!key.empty() && schema_.has_primary_key()) {
      // A tombstone carries only the key columns.
      for (size_t k = 0; k < schema_.primary_key.size(); ++k) {
        if (schema_.primary_key[k] == i) AppendCsvField(&out, key[k]);
      }
    }
  }
  out += '\n';
}

Result<uint64_t> Table::Commit(ExclusiveLock lock, std::vector<Change> changes) {
  if (dropped_) {
    return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", schema_.name));
  }
  if (changes.empty()) return uint64_t{0};
  KOPF_RETURN_IF_ERROR(group_commit_->failure());
  for (const Change& change : changes) {
    if (change.kind != Change::Kind::kDelete) KOPF_RETURN_IF_ERROR(CheckRow(change.row));
  }

  // 1. Resolve the batch into the final state of every key it touches, so
  //    uniqueness is judged on the statement's result, not row by row.
  const bool keyed = schema_.has_primary_key();
  std::map<Key, std::optional<Row>, KeyLess> final_state;
  auto exists = [&](const Key& key) {
    auto it = final_state.find(key);
    if (it != final_state.end()) return it->second.has_value();
    return rows_.Find(key) != nullptr;
  };
  auto duplicate = [&](const Key& key) {
    return Status::DuplicateKey(fmt::format(
        "duplicate key {} violates the primary key of table \"{}\"", KeyText(key), schema_.name));
  };
  uint64_t affected = 0;
  for (const Change& change : changes) {  // first the keys that go away
    if (change.kind == Change::Kind::kInsert) continue;
    bool moves = change.kind == Change::Kind::kDelete || (keyed && KeyOf(change.row) != change.key);
    if (moves && exists(change.key)) final_state[change.key] = std::nullopt;
  }
  int64_t next_rowid = next_rowid_;
  for (Change& change : changes) {  // then the keys that arrive
    switch (change.kind) {
      case Change::Kind::kDelete:
        ++affected;
        break;
      case Change::Kind::kInsert: {
        Key key = keyed ? KeyOf(change.row) : Key{Value::Integer(next_rowid++)};
        if (exists(key)) return duplicate(key);
        final_state[std::move(key)] = std::move(change.row);
        ++affected;
        break;
      }
      case Change::Kind::kUpdate: {
        Key key = keyed ? KeyOf(change.row) : change.key;
        if (key != change.key && exists(key)) return duplicate(key);
        final_state[std::move(key)] = std::move(change.row);
        ++affected;
        break;
      }
    }
  }

  // 2. Encode the commit: its lines, then the commit line.
  uint64_t seq = sequence_->fetch_add(1) + 1;
  line_buffer_.clear();
  for (const auto& [key, row] : final_state) {
    size_t start = line_buffer_.size();
    AppendLine(seq, row.has_value() ? kOpPut : kOpDelete, key, row.has_value() ? &*row : nullptr);
    // The reader cannot take longer lines back; refuse rather than store
    // what could not be recovered.
    if (line_buffer_.size() - start > kMaxPhysicalLineBytes) {
      return Status::InvalidValue(fmt::format("row too long: {} bytes (at most {} per row)",
                                              line_buffer_.size() - start, kMaxPhysicalLineBytes));
    }
  }
  AppendLine(seq, kOpCommit, {}, nullptr);

  // 3. Append. Nothing is in memory yet, so a failed write changes nothing.
  KOPF_RETURN_IF_ERROR(writer_->Append(line_buffer_));
  if (line_buffer_.capacity() > (1u << 20)) std::string().swap(line_buffer_);

  // 4. Apply to memory.
  for (auto& [key, row] : final_state) {
    if (row.has_value()) {
      rows_.Upsert(key, std::move(*row));
    } else {
      rows_.Erase(key);
    }
  }
  next_rowid_ = next_rowid;

  // 5. Durability, outside the lock so concurrent writers share the fsync.
  uint64_t epoch = group_commit_->Register(writer_);
  lock.unlock();
  KOPF_RETURN_IF_ERROR(group_commit_->WaitDurable(epoch));
  return affected;
}

std::string Table::HeaderLine() const {
  std::string header;
  header += kSeqColumn;
  header += ',';
  header += kOpColumn;
  if (!schema_.has_primary_key()) {
    header += ',';
    header += kRowIdColumn;
  }
  for (const ColumnSchema& column : schema_.columns) {
    header += ',';
    AppendCsvText(&header, column.name);
  }
  return header;
}

Status Table::OpenForWrites() {
  KOPF_ASSIGN_OR_RETURN(auto writer,
                        SegmentWriter::Open(folder_ / SegmentFileName(1), HeaderLine()));
  writer_ = std::move(writer);
  return Status::Ok();
}

}  // namespace kopf::cerebrum
