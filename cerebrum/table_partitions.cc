// A partitioned table: its child Tables, routing a statement's changes to
// them, multi-part commits, and recovery across partitions.
//
// Commit of a statement that touches several partitions (CommitPartitioned),
// under the table's exclusive lock:
//   1. route every change (an UPDATE that changes the partition column
//      becomes a delete in the old partition and an insert in the new one);
//   2. take the touched partitions' exclusive locks in partition order and
//      check each part as a whole (Stage): any refusal ends it with nothing
//      written;
//   3. take one commit number S and append each part to its partition's
//      active segment, ending with `S,commit:i:j...` naming every touched
//      partition (a statement touching one partition writes a plain
//      `commit` line, as an unpartitioned table does);
//   4. apply every part in memory, release the locks, and wait for the
//      fsync of every touched segment (the group commit).
// A failed append in step 3 voids the parts already written with an
// `S,abort` line (fsync'ed); if even that fails, the partition refuses
// writes until a restart, whose recovery voids the commit.
//
// Recovery (RecoverPartitions): every partition's files are read in
// parallel; a multi-part commit is applied only when every partition it
// names holds its part, or has a snapshot whose number is at or past S (a
// partition's snapshot carries its own newest applied commit, never the
// global sequence, so it covers S only if it applied S's part), and no
// `abort` line voids it. A commit found torn is dropped everywhere and, in
// OpenForWrites, before the server takes any write, an `abort` line is
// appended (and fsync'ed) to each partition holding a part of it: without
// it, a later compaction of the partition that lacks its part would
// publish a snapshot numbered past S and make the commit look whole at the
// next start.
#include <algorithm>
#include <cstdio>
#include <set>

#include <fmt/format.h>

#include "cerebrum/file_util.h"
#include "cerebrum/group_commit.h"
#include "cerebrum/index_file.h"
#include "cerebrum/parallel.h"
#include "cerebrum/partitioning.h"
#include "cerebrum/segment_format.h"
#include "cerebrum/segment_writer.h"
#include "cerebrum/table.h"

namespace kopf::cerebrum {

using protocol::Result;
using protocol::Row;
using protocol::Status;

void Table::CreatePartitions() {
  TableSchema child = schema_;
  child.partitioning = PartitionSpec();
  for (const PartitionDef& def : schema_.partitioning.partitions) {
    std::filesystem::path folder =
        in_memory() ? std::filesystem::path() : folder_ / EncodeFileName(def.name);
    auto partition = std::make_unique<Table>(child, std::move(folder), group_commit_, options_);
    partition->is_partition_ = true;
    partition->sync_siblings_ = [this] {
      for (const auto& sibling : partitions_) {
        if (!sibling->segments_) continue;
        if (Status synced = sibling->segments_->SyncActive(); !synced.ok()) {
          return sibling->NoteFailure(RefusalAfter(synced));
        }
      }
      return Status::Ok();
    };
    partitions_.push_back(std::move(partition));
  }
}

std::optional<size_t> Table::PartitionOfRow(const Row& row) const {
  if (!partitioned()) return size_t{0};
  return PartitionFor(schema_.partitioning, row[schema_.partitioning.column]);
}

void Table::SetSequence(std::atomic<uint64_t>* sequence) {
  sequence_ = sequence;
  for (const auto& partition : partitions_) partition->SetSequence(sequence);
}

void Table::SetCompactionHint(std::function<void()> hint) {
  for (const auto& partition : partitions_) partition->SetCompactionHint(hint);
  compaction_hint_ = std::move(hint);
}

void Table::MarkDropped() {
  dropped_ = true;
  for (const auto& partition : partitions_) {
    ExclusiveLock lock = partition->LockExclusive();
    partition->dropped_ = true;
  }
}

Result<uint64_t> Table::CommitPartitioned(ExclusiveLock lock, std::vector<Change> changes) {
  if (dropped_) {
    return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", schema_.name));
  }
  if (changes.empty()) return uint64_t{0};
  const uint64_t affected = changes.size();

  // 1. Route. The map keeps partition order: the order locks are taken in.
  std::map<size_t, std::vector<Change>> parts;
  auto destination = [&](const Row& row) -> Result<size_t> {
    if (row.size() != schema_.columns.size()) {
      return Status::Internal(fmt::format("row of {} values for table \"{}\" of {} columns",
                                          row.size(), schema_.name, schema_.columns.size()));
    }
    std::optional<size_t> p = PartitionOfRow(row);
    if (!p) {
      return Status::ConstraintViolation(fmt::format("no partition of table \"{}\" for value {}",
                                                     schema_.name,
                                                     row[schema_.partitioning.column].ToString()));
    }
    return *p;
  };
  // The partition a change's row is in now: a key holds the partition
  // column (the primary key must), so it tells; a table keyed by row id
  // relies on Change::partition.
  std::optional<size_t> column_in_key;
  for (size_t k = 0; k < schema_.primary_key.size(); ++k) {
    if (schema_.primary_key[k] == schema_.partitioning.column) column_in_key = k;
  }
  for (Change& change : changes) {
    if (change.kind != Change::Kind::kInsert && column_in_key &&
        *column_in_key < change.key.size()) {
      change.partition =
          PartitionFor(schema_.partitioning, change.key[*column_in_key]).value_or(change.partition);
    }
    if (change.kind != Change::Kind::kInsert && change.partition >= partitions_.size()) {
      return Status::Internal(
          fmt::format("table \"{}\" has no partition {}", schema_.name, change.partition));
    }
    switch (change.kind) {
      case Change::Kind::kInsert: {
        KOPF_ASSIGN_OR_RETURN(size_t to, destination(change.row));
        parts[to].push_back(std::move(change));
        break;
      }
      case Change::Kind::kDelete:
        parts[change.partition].push_back(std::move(change));
        break;
      case Change::Kind::kUpdate: {
        KOPF_ASSIGN_OR_RETURN(size_t to, destination(change.row));
        if (to == change.partition) {
          parts[to].push_back(std::move(change));
          break;
        }
        // The row moves: gone from its partition, new in the other.
        parts[change.partition].push_back({Change::Kind::kDelete, std::move(change.key), {}, 0});
        parts[to].push_back({Change::Kind::kInsert, {}, std::move(change.row), 0});
        break;
      }
    }
  }

  // 2. Lock and check every part; nothing is written yet.
  std::vector<ExclusiveLock> locks;
  std::vector<Table*> touched;
  std::vector<size_t> indexes;  // of the touched partitions
  std::vector<Staged> staged;
  std::string commit_op(kOpCommit);
  for (auto& [index, part] : parts) {
    Table& partition = *partitions_[index];
    locks.push_back(partition.LockExclusive());
    KOPF_ASSIGN_OR_RETURN(Staged s, partition.Stage(std::move(part)));
    staged.push_back(std::move(s));
    touched.push_back(&partition);
    indexes.push_back(index);
    if (parts.size() > 1) commit_op += fmt::format("{}{}", kOpPartSeparator, index);
  }

  // 3. One commit number, every part appended.
  const uint64_t seq = sequence_->fetch_add(1) + 1;
  for (size_t i = 0; i < touched.size(); ++i) {
    Status written = touched[i]->WriteStaged(&staged[i], seq, commit_op);
    if (written.ok()) continue;
    for (size_t j = 0; j < i; ++j) {
      Status voided = touched[j]->AppendAbort(seq);
      if (!voided.ok()) (void)touched[j]->NoteFailure(RefusalAfter(voided));
    }
    return written;
  }

  // 4. Apply, then wait for durability outside the locks.
  for (size_t i = 0; i < touched.size(); ++i) touched[i]->ApplyStaged(&staged[i], seq);
  std::vector<uint64_t> epochs(touched.size(), 0);
  bool compact = false;
  for (size_t i = 0; i < touched.size(); ++i) {
    if (!staged[i].writer) continue;
    epochs[i] = group_commit_->Register(staged[i].writer);
    compact = compact || touched[i]->NeedsCompaction();
  }
  locks.clear();
  lock.unlock();
  if (compact && compaction_hint_) compaction_hint_();
  // As Table::FinishCommit: under a DurabilityScope the caller answers once
  // the rounds are done; each part's failure makes its partition refuse
  // later writes. The partitioned table is held weakly (a DROP meanwhile).
  DurabilityScope* scope = DurabilityScope::Current();
  if (scope != nullptr && group_commit_->waits()) {
    for (size_t i = 0; i < touched.size(); ++i) {
      if (!staged[i].writer) continue;
      scope->Add({group_commit_, epochs[i], std::move(staged[i].writer),
                  [table = weak_from_this(), index = indexes[i]](const Status& failure) {
                    auto alive = table.lock();
                    return alive ? alive->partitions_[index]->NoteFailure(failure) : failure;
                  }});
    }
    return affected;
  }
  Status result = Status::Ok();
  for (size_t i = 0; i < touched.size(); ++i) {
    if (!staged[i].writer) continue;
    Status durable = group_commit_->WaitDurable(epochs[i], *staged[i].writer);
    if (!durable.ok() && result.ok()) result = touched[i]->NoteFailure(durable);
  }
  KOPF_RETURN_IF_ERROR(result);
  return affected;
}

Status Table::AppendAbort(uint64_t seq) {
  if (!segments_) return Status::Ok();
  line_buffer_.clear();
  AppendLine(&line_buffer_, seq, kOpAbort, {}, nullptr);
  Result<std::shared_ptr<SegmentWriter>> writer = segments_->Append(line_buffer_);
  if (!writer.ok()) return WithTableName(writer.status());
  return WithTableName((*writer)->Sync());
}

Status Table::RecoverPartitions(uint64_t* max_seq) {
  std::filesystem::path index_tmp = folder_ / kIndexFileName;
  index_tmp += kTempSuffix;
  std::error_code ignored;
  std::filesystem::remove(index_tmp, ignored);

  // 1. Every partition's files, several at once.
  const size_t n = partitions_.size();
  std::vector<RecoveryLog> logs(n);
  std::vector<uint64_t> seqs(n, 0);
  std::vector<Status> read(n, Status::Ok());
  ForEachInParallel(n, options_.recovery_threads,
                    [&](size_t i) { read[i] = partitions_[i]->ReadFiles(&seqs[i], &logs[i]); });
  for (size_t i = 0; i < n; ++i) {
    KOPF_RETURN_IF_ERROR(read[i]);
    *max_seq = std::max(*max_seq, seqs[i]);
  }

  // 2. Which multi-part commits are whole.
  std::vector<std::set<uint64_t>> holds(n);
  std::vector<uint64_t> snapshot(n, 0);
  std::set<uint64_t> aborted;
  for (size_t i = 0; i < n; ++i) {
    for (const RecoveryLog::Part& part : logs[i].parts) holds[i].insert(part.seq);
    aborted.insert(logs[i].aborted.begin(), logs[i].aborted.end());
    std::vector<SegmentFile> live = partitions_[i]->segments_->live();
    if (!live.empty() && live.front().kind == SegmentFile::Kind::kSnapshot) {
      snapshot[i] = live.front().number;
    }
  }
  std::vector<std::vector<std::pair<size_t, size_t>>> dropped(n);
  for (size_t i = 0; i < n; ++i) {
    for (const RecoveryLog::Part& part : logs[i].parts) {
      bool whole = !aborted.contains(part.seq);
      for (size_t p : part.partitions) {
        if (!whole) break;
        whole = p < n && (holds[p].contains(part.seq) || snapshot[p] >= part.seq);
      }
      if (whole) continue;
      dropped[i].emplace_back(part.begin, part.end);
      if (std::find(logs[i].aborted.begin(), logs[i].aborted.end(), part.seq) ==
          logs[i].aborted.end()) {
        std::fprintf(stderr,
                     "kopfd: table \"%s\": commit %llu lacks a part in another partition (a "
                     "crash while it was written, never acknowledged): dropping its part in "
                     "partition %s\n",
                     schema_.name.c_str(), static_cast<unsigned long long>(part.seq),
                     schema_.partitioning.partitions[i].name.c_str());
        torn_parts_.emplace_back(i, part.seq);
      }
    }
  }

  // 3. Rows and indexes, several partitions at once. The partitions share
  //    the table's indexes.csv and one id per index.
  KOPF_ASSIGN_OR_RETURN(std::vector<IndexSchema> definitions, ReadIndexFile());
  std::vector<uint64_t> ids;
  for (const IndexSchema& d : definitions) ids.push_back(SecondaryIndex(d).id());
  ForEachInParallel(n, options_.recovery_threads, [&](size_t i) {
    std::vector<RecoveredChange>& changes = logs[i].changes;
    if (!dropped[i].empty()) {
      std::vector<bool> drop(changes.size(), false);
      for (auto [begin, end] : dropped[i])
        std::fill(drop.begin() + begin, drop.begin() + end, true);
      size_t kept = 0;
      for (size_t c = 0; c < changes.size(); ++c) {
        if (drop[c]) continue;
        if (kept != c) changes[kept] = std::move(changes[c]);
        ++kept;
      }
      changes.resize(kept);
    }
    partitions_[i]->ApplyRecovered(std::move(changes));
    read[i] = partitions_[i]->BuildIndexes(definitions, ids);
  });
  for (size_t i = 0; i < n; ++i) KOPF_RETURN_IF_ERROR(read[i]);
  return Status::Ok();
}

Result<uint64_t> Table::CompactIfNeeded() {
  if (!partitioned()) return Compact();
  uint64_t rows = 0;
  for (const auto& partition : partitions_) {
    if (!partition->NeedsCompaction()) continue;
    KOPF_ASSIGN_OR_RETURN(uint64_t compacted, partition->Compact());
    rows += compacted;
  }
  return rows;
}

TableStatistics Table::PartitionStatistics() const {
  // Read in place under each partition's statistics mutex: a plan asks for
  // these once per statement, so no copy per partition.
  TableStatistics out = partitions_[0]->Statistics();
  auto merge = [](std::optional<ValueRange>* into, const std::optional<ValueRange>& from) {
    if (!from) return;
    if (!*into) {
      *into = from;
      return;
    }
    (*into)->min = std::min((*into)->min, from->min);
    (*into)->max = std::max((*into)->max, from->max);
  };
  for (size_t i = 1; i < partitions_.size(); ++i) {
    const Table& partition = *partitions_[i];
    std::lock_guard guard(partition.stats_mutex_);
    const TableStatistics& s = partition.stats_;
    out.row_count += s.row_count;
    merge(&out.first_key_column, s.first_key_column);
    if (s.indexes.size() != out.indexes.size()) continue;  // an index being added
    for (size_t k = 0; k < s.indexes.size(); ++k) {
      IndexStatistics& into = out.indexes[k];
      into.entries += s.indexes[k].entries;
      // Distinct values per partition, summed: exact when the index holds
      // the partition column, an upper bound otherwise.
      for (size_t c = 0; c < into.distinct.size() && c < s.indexes[k].distinct.size(); ++c) {
        into.distinct[c] += s.indexes[k].distinct[c];
      }
      merge(&into.first_column, s.indexes[k].first_column);
    }
  }
  return out;
}

Status Table::AddIndexToPartitions(IndexSchema schema) {
  ExclusiveLock lock = LockExclusive();
  if (dropped_) {
    return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", schema_.name));
  }
  std::vector<ExclusiveLock> locks;
  std::vector<std::unique_ptr<SecondaryIndex>> built;
  for (const auto& partition : partitions_) {
    locks.push_back(partition->LockExclusive());
    auto index = built.empty() ? std::make_unique<SecondaryIndex>(schema)
                               : std::make_unique<SecondaryIndex>(schema, built[0]->id());
    KOPF_RETURN_IF_ERROR(index->Build(partition->rows_));
    built.push_back(std::move(index));
  }
  std::vector<IndexSchema> definitions;
  for (const auto& existing : partitions_[0]->indexes_) definitions.push_back(existing->schema());
  definitions.push_back(schema);
  KOPF_RETURN_IF_ERROR(WriteIndexFile(definitions));
  for (size_t i = 0; i < partitions_.size(); ++i) {
    partitions_[i]->indexes_.push_back(std::move(built[i]));
    partitions_[i]->PublishStatistics(/*index_list_changed=*/true);
  }
  return Status::Ok();
}

Status Table::RemoveIndexFromPartitions(std::string_view name) {
  ExclusiveLock lock = LockExclusive();
  if (dropped_) {
    return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", schema_.name));
  }
  std::vector<ExclusiveLock> locks;
  for (const auto& partition : partitions_) locks.push_back(partition->LockExclusive());
  std::vector<IndexSchema> definitions;
  for (const auto& index : partitions_[0]->indexes_) {
    if (index->schema().name != name) definitions.push_back(index->schema());
  }
  if (definitions.size() == partitions_[0]->indexes_.size()) {
    return Status::UndefinedTable(fmt::format("index \"{}\" does not exist", name));
  }
  KOPF_RETURN_IF_ERROR(WriteIndexFile(definitions));
  for (const auto& partition : partitions_) {
    std::erase_if(partition->indexes_,
                  [&](const auto& index) { return index->schema().name == name; });
    partition->PublishStatistics(/*index_list_changed=*/true);
  }
  return Status::Ok();
}

}  // namespace kopf::cerebrum
