#include "cerebrum/table.h"

#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <span>

#include <fmt/format.h>

#include "cerebrum/csv_format.h"
#include "cerebrum/csv_reader.h"
#include "cerebrum/file_util.h"
#include "cerebrum/group_commit.h"
#include "cerebrum/index_file.h"
#include "cerebrum/segment_format.h"
#include "cerebrum/segment_set.h"
#include "cerebrum/segment_writer.h"

namespace kopf::cerebrum {

using protocol::Result;
using protocol::Row;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

// Commits up to this size are buffered until their round (AppendCommit).
constexpr size_t kMaxBufferedCommitBytes = 64 * 1024;

bool HasNull(const Key& values) {
  for (const Value& v : values) {
    if (v.is_null()) return true;
  }
  return false;
}

std::string KeyText(const Key& key) {
  std::string out = "(";
  for (size_t i = 0; i < key.size(); ++i) {
    if (i > 0) out += ", ";
    out += key[i].ToString();
  }
  return out + ")";
}

// The smallest and greatest non-NULL value of the first key column of
// `tree`, when that column is numeric.
template <typename Tree>
std::optional<ValueRange> NumericRange(const Tree& tree, Type type) {
  if (type != Type::kInteger && type != Type::kDouble) return std::nullopt;
  const Value kNull;
  auto first = tree.LowerBound(KeyBound{std::span(&kNull, 1), /*after=*/true});
  auto last = tree.Last();
  if (!first.Valid() || !last.Valid() || last.key()[0].is_null()) return std::nullopt;
  double min = first.key()[0].numeric(), max = last.key()[0].numeric();
  if (!std::isfinite(min) || !std::isfinite(max)) return std::nullopt;
  return ValueRange{min, max};
}

// The primary tree's comparator: a key of one INTEGER (one INT or BIGINT
// key column, or the row id of a table without a primary key) lets an
// integer lookup compare prefixes only (KeyCompare::ForIntegerKeys).
// CheckRow, and recovery's parsing by column type, keep every stored key
// an INTEGER (or NULL, whose prefix is no integer's).
KeyCompare RowKeyCompare(const TableSchema& schema) {
  bool integer_key = !schema.has_primary_key() ||
                     (schema.primary_key.size() == 1 &&
                      schema.columns[schema.primary_key[0]].type == Type::kInteger);
  return integer_key ? KeyCompare::ForIntegerKeys() : KeyCompare();
}

}  // namespace

Table::Table(TableSchema schema, std::filesystem::path folder, GroupCommit* group_commit,
             const Options& options)
    : schema_(std::move(schema)),
      folder_(std::move(folder)),
      group_commit_(group_commit),
      options_(options),
      rows_(RowKeyCompare(schema_)) {
  if (schema_.partitioned()) CreatePartitions();
}

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
    if (value.type() == Type::kText) {
      // The last guard of the TEXT invariant: whatever a statement computed
      // or a client sent, no NUL byte and no invalid UTF-8 reaches a file.
      if (!IsStorableText(value.as_text())) {
        return Status::InvalidValue(fmt::format("text for column \"{}\" {}", column.name,
                                                CheckStorableText(value.as_text()).message()));
      }
    }
  }
  return Status::Ok();
}

void Table::AppendLine(std::string* buffer, uint64_t seq, std::string_view op, const Key& key,
                       const Row* row) const {
  std::string& out = *buffer;
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

Status Table::AppendRowLine(uint64_t seq, const Key& key, const Row* row) {
  size_t start = line_buffer_.size();
  AppendLine(&line_buffer_, seq, row != nullptr ? kOpPut : kOpDelete, key, row);
  // The reader cannot take longer lines back; refuse rather than store
  // what could not be recovered.
  if (line_buffer_.size() - start > kMaxPhysicalLineBytes) {
    return Status::InvalidValue(fmt::format("row too long: {} bytes (at most {} per row)",
                                            line_buffer_.size() - start, kMaxPhysicalLineBytes));
  }
  return Status::Ok();
}

Result<uint64_t> Table::Commit(ExclusiveLock lock, std::vector<Change> changes) {
  if (partitioned()) return CommitPartitioned(std::move(lock), std::move(changes));
  if (dropped_) {
    return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", schema_.name));
  }
  if (changes.empty()) return uint64_t{0};
  KOPF_ASSIGN_OR_RETURN(Staged staged, Stage(std::move(changes)));
  const uint64_t seq = sequence_->fetch_add(1) + 1;
  KOPF_RETURN_IF_ERROR(WriteStaged(&staged, seq, kOpCommit));
  ApplyStaged(&staged, seq);
  // 5. Durability, outside the lock so concurrent writers share the fsync.
  KOPF_RETURN_IF_ERROR(FinishCommit(std::move(lock), std::move(staged.writer)));
  return staged.affected;
}

Result<Table::Staged> Table::Stage(std::vector<Change> changes) {
  if (dropped_) {
    return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", schema_.name));
  }
  KOPF_RETURN_IF_ERROR(CheckWritable());
  for (const Change& change : changes) {
    if (change.kind != Change::Kind::kDelete) KOPF_RETURN_IF_ERROR(CheckRow(change.row));
  }

  // 1. Resolve the batch into the final state of every key it touches, so
  //    uniqueness is judged on the statement's result, not row by row.
  const bool keyed = schema_.has_primary_key();
  Staged staged;
  auto& final_state = staged.final_state;
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

  // 1b. Unique indexes, judged on the same final state. A row may share
  //     its index values with an existing row only if the batch changes or
  //     removes that row (whose final image then takes part in the check),
  //     and with no other row of the final state. NULLs never conflict.
  for (const auto& index : indexes_) {
    if (!index->schema().unique) continue;
    std::set<Key, KeyLess> seen;
    for (const auto& [key, row] : final_state) {
      if (!row.has_value()) continue;
      Key values = index->ValuesOf(*row);
      if (HasNull(values)) continue;
      bool clash = !index->ForEachWithValues(values, [&](std::span<const Value> pk) {
        return final_state.find(pk) != final_state.end();  // false stops: a clash
      });
      if (clash || seen.contains(values)) return index->DuplicateError(values);
      seen.insert(std::move(values));
    }
  }

  staged.affected = affected;
  staged.next_rowid = next_rowid;
  return staged;
}

Status Table::WriteStaged(Staged* staged, uint64_t seq, std::string_view commit_op) {
  // 2. Encode the commit: its lines, then the commit line.
  line_buffer_.clear();
  for (const auto& [key, row] : staged->final_state) {
    KOPF_RETURN_IF_ERROR(AppendRowLine(seq, key, row.has_value() ? &*row : nullptr));
  }
  AppendLine(&line_buffer_, seq, commit_op, {}, nullptr);

  // 3. Append. Nothing is in memory yet, so a failed write (a full disk)
  //    changes nothing and the next commit may succeed once space returns.
  KOPF_ASSIGN_OR_RETURN(staged->writer, AppendCommit(staged->final_state.size()));
  if (line_buffer_.capacity() > (1u << 20)) std::string().swap(line_buffer_);
  return Status::Ok();
}

void Table::ApplyStaged(Staged* staged, uint64_t seq) {
  // 4. Apply to memory: index entries first (they need the old image).
  for (auto& [key, row] : staged->final_state) {
    if (!indexes_.empty()) {
      const Row* old = rows_.Find(key);
      for (const auto& index : indexes_) {
        if (old != nullptr && row.has_value() && index->SameValues(*old, *row)) continue;
        if (old != nullptr) index->Erase(*old, key);
        if (row.has_value()) index->Insert(*row, key);
      }
    }
    if (row.has_value()) {
      rows_.Upsert(key, std::move(*row));
    } else {
      rows_.Erase(key);
    }
  }
  next_rowid_ = staged->next_rowid;
  last_commit_.store(seq, std::memory_order_relaxed);
  PublishStatistics(/*index_list_changed=*/false);
}

Status Table::CheckWritable() const {
  if (!segments_) return Status::Ok();
  {
    std::lock_guard guard(failure_mu_);
    if (!failure_.ok()) return failure_;
  }
  return WithTableName(group_commit_->FailureOf(*segments_->active_writer()));
}

Status Table::NoteFailure(const Status& refusal) {
  std::lock_guard guard(failure_mu_);
  if (failure_.ok()) failure_ = WithTableName(refusal);
  return WithTableName(refusal);
}

Status Table::NoteIfInDoubt(Status status) {
  if (status.ok()) return status;
  const auto code = status.code();
  if (code != protocol::ErrorCode::kDiskFull && code != protocol::ErrorCode::kReadOnly) {
    return NoteFailure(RefusalAfter(status));
  }
  return WithTableName(std::move(status));
}

bool Table::NextCommitSyncs() const { return segments_ && segments_->RollsOverNext(); }

Result<std::shared_ptr<SegmentWriter>> Table::AppendCommit(uint64_t changed_lines) {
  if (!segments_) return std::shared_ptr<SegmentWriter>();
  // With SyncMode::kAlways nothing is acknowledged before the group
  // commit's round has written and fsync'ed the file, so the bytes can wait
  // for that round in memory: one write per round instead of one per
  // commit, on the round thread (see Durability in cerebrum/README.md).
  // A large commit (COPY) is written at once rather than copied.
  const bool buffered = group_commit_->waits() && line_buffer_.size() <= kMaxBufferedCommitBytes;
  Result<std::shared_ptr<SegmentWriter>> writer = segments_->Append(line_buffer_, buffered);
  if (!writer.ok()) return NoteIfInDoubt(writer.status());
  lines_.fetch_add(changed_lines, std::memory_order_relaxed);
  return writer;
}

Status Table::FinishCommit(ExclusiveLock lock, std::shared_ptr<SegmentWriter> writer,
                           ExclusiveLock outer) {
  if (!writer) return Status::Ok();
  uint64_t epoch = group_commit_->Register(writer);
  const bool compact = compaction_hint_ && NeedsCompaction();
  lock.unlock();
  if (outer.owns_lock()) outer.unlock();
  if (compact) compaction_hint_();
  DurabilityScope* scope = DurabilityScope::Current();
  if (scope != nullptr && group_commit_->waits()) {
    // The caller answers once the round is done (GroupCommit::WhenDurable).
    // The table is held by a weak pointer: a DROP TABLE meanwhile leaves
    // nothing to refuse later writes of.
    scope->Add({group_commit_, epoch, std::move(writer),
                [table = weak_from_this()](const Status& failure) {
                  auto alive = table.lock();
                  return alive ? alive->NoteFailure(failure) : failure;
                }});
    return Status::Ok();
  }
  Status durable = group_commit_->WaitDurable(epoch, *writer);
  // The group commit's answer is already the refusal (RefusalAfter).
  if (!durable.ok()) return NoteFailure(durable);
  return Status::Ok();
}

Status Table::WithTableName(Status status) const {
  if (status.ok()) return status;
  return Status(status.code(), fmt::format("table \"{}\": {}", schema_.name, status.message()));
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
  if (partitioned()) {
    for (const auto& partition : partitions_) KOPF_RETURN_IF_ERROR(partition->OpenForWrites());
    // Torn multi-part commits are voided before any write could make them
    // look whole (see table_partitions.cc).
    for (const auto& [partition, seq] : torn_parts_) {
      KOPF_RETURN_IF_ERROR(partitions_[partition]->AppendAbort(seq));
    }
    torn_parts_.clear();
    return Status::Ok();
  }
  if (!segments_) {  // a new table: nothing to recover
    KOPF_ASSIGN_OR_RETURN(segments_, SegmentSet::Load(folder_, HeaderLine(),
                                                      options_.segment_max_bytes, KnownFiles()));
  }
  return segments_->OpenForWrites();
}

// ---- Secondary indexes -----------------------------------------------------

const SecondaryIndex* Table::FindIndex(std::string_view name) const {
  for (const auto& index : indexes_) {
    if (index->schema().name == name) return index.get();
  }
  return nullptr;
}

TableStatistics Table::Statistics() const {
  if (partitioned()) return PartitionStatistics();
  std::lock_guard guard(stats_mutex_);
  return stats_;
}

void Table::PublishStatistics(bool index_list_changed) {
  std::lock_guard guard(stats_mutex_);
  stats_.row_count = rows_.size();
  row_count_.store(rows_.size(), std::memory_order_relaxed);
  if (index_list_changed) {
    stats_.indexes.clear();
    for (const auto& index : indexes_) {
      IndexStatistics s;
      s.schema = index->schema();
      s.id = index->id();
      s.distinct.resize(index->width());
      stats_.indexes.push_back(std::move(s));
    }
  }
  // In place: no allocation per commit, a seek or two per tree.
  if (schema_.has_primary_key()) {
    stats_.first_key_column = NumericRange(rows_, schema_.columns[schema_.primary_key[0]].type);
  }
  for (size_t i = 0; i < indexes_.size(); ++i) {
    IndexStatistics& s = stats_.indexes[i];
    const SecondaryIndex& index = *indexes_[i];
    s.entries = index.size();
    for (size_t c = 0; c < s.distinct.size(); ++c) s.distinct[c] = index.distinct(c + 1);
    s.first_column = NumericRange(index.tree(), schema_.columns[s.schema.columns[0]].type);
  }
}

Status Table::WriteIndexFile(const std::vector<IndexSchema>& indexes) const {
  if (in_memory() || is_partition_) return Status::Ok();
  return WriteFileAtomically(folder_ / kIndexFileName, EncodeIndexFile(schema_, indexes));
}

// CREATE INDEX on a live table, in an order that is safe across a crash:
// 1. build the index in memory (nothing visible yet; a unique violation
//    ends here);
// 2. write indexes.csv with the new definition (atomically: after a crash
//    the index either exists, and is rebuilt from the rows at start-up, or
//    does not);
// 3. publish it to readers and writers.
// All under the table's exclusive lock, so no commit slips between the
// build and the publication; other tables are not affected.
Status Table::AddIndex(IndexSchema schema) {
  if (partitioned()) return AddIndexToPartitions(std::move(schema));
  ExclusiveLock lock = LockExclusive();
  if (dropped_) {
    return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", schema_.name));
  }
  auto index = std::make_unique<SecondaryIndex>(std::move(schema));
  KOPF_RETURN_IF_ERROR(index->Build(rows_));
  std::vector<IndexSchema> definitions;
  for (const auto& existing : indexes_) definitions.push_back(existing->schema());
  definitions.push_back(index->schema());
  KOPF_RETURN_IF_ERROR(WriteIndexFile(definitions));
  indexes_.push_back(std::move(index));
  PublishStatistics(/*index_list_changed=*/true);
  return Status::Ok();
}

// DROP INDEX: the definition leaves the file first; if that fails, the
// index stays as it was.
Status Table::RemoveIndex(std::string_view name) {
  if (partitioned()) return RemoveIndexFromPartitions(name);
  ExclusiveLock lock = LockExclusive();
  if (dropped_) {
    return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", schema_.name));
  }
  std::vector<IndexSchema> definitions;
  size_t position = indexes_.size();
  for (size_t i = 0; i < indexes_.size(); ++i) {
    if (indexes_[i]->schema().name == name) {
      position = i;
    } else {
      definitions.push_back(indexes_[i]->schema());
    }
  }
  if (position == indexes_.size()) {
    return Status::UndefinedTable(fmt::format("index \"{}\" does not exist", name));
  }
  KOPF_RETURN_IF_ERROR(WriteIndexFile(definitions));
  indexes_.erase(indexes_.begin() + static_cast<std::ptrdiff_t>(position));
  PublishStatistics(/*index_list_changed=*/true);
  return Status::Ok();
}

}  // namespace kopf::cerebrum
