// Table::BulkInsert: one commit of many new rows (COPY FROM).
//
// Commit() resolves a batch through a std::map of final states, which is
// right for UPDATE's key shuffles but costs a tree node and several
// comparisons per row. A batch of inserts only adds keys, so:
//   1. check every row (types, NOT NULL, NUL bytes);
//   2. compute the keys (or row ids) and sort the row order by key, unless
//      the input is already in key order (the common case of an export);
//      equal neighbours are duplicates within the batch, and a key the tree
//      already holds is a duplicate with the table;
//   3. the same for every unique index: sort the rows' index values, compare
//      neighbours, and look each up in the index (NULLs never conflict);
//   4. encode all lines plus the commit line and append them in one write,
//      so recovery sees all of the batch or none of it;
//   5. insert into the tree and the indexes in key order (each insert lands
//      next to the previous one, in cache);
//   6. wait for durability outside the lock, as Commit() does.
#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "cerebrum/csv_format.h"
#include "cerebrum/group_commit.h"
#include "cerebrum/segment_format.h"
#include "cerebrum/segment_writer.h"
#include "cerebrum/table.h"

namespace kopf::cerebrum {

using protocol::Result;
using protocol::Row;
using protocol::Status;
using protocol::Value;

namespace {

// Sorts `order` (indexes into `keys`) by key, and returns the position in
// `order` of the first of two equal keys' second row, or order.size().
size_t SortAndFindDuplicate(const std::vector<Key>& keys, std::vector<size_t>* order) {
  KeyCompare compare;
  auto less = [&](size_t a, size_t b) {
    auto c = compare(keys[a], keys[b]);
    return c < 0 || (c == 0 && a < b);
  };
  if (!std::is_sorted(order->begin(), order->end(), less)) {
    std::sort(order->begin(), order->end(), less);
  }
  for (size_t i = 1; i < order->size(); ++i) {
    if (compare(keys[(*order)[i - 1]], keys[(*order)[i]]) == 0) return i;
  }
  return order->size();
}

}  // namespace

Result<uint64_t> Table::BulkInsert(ExclusiveLock lock, std::vector<Row> rows, size_t* failed_row) {
  if (partitioned()) {
    // Rows of one partition take that partition's bulk path; rows spread
    // over several become one multi-part commit (CommitPartitioned).
    std::optional<size_t> only;
    bool several = false;
    for (size_t i = 0; i < rows.size(); ++i) {
      std::optional<size_t> p = PartitionOfRow(rows[i]);
      if (!p || (only && *p != *only)) {
        several = true;
        break;
      }
      only = p;
    }
    if (!several && only) {
      // The table's lock goes with the partition's, before the fsync wait.
      Table& partition = *partitions_[*only];
      return partition.BulkInsertUnder(partition.LockExclusive(), std::move(lock), std::move(rows),
                                       failed_row);
    }
    std::vector<Change> changes(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) changes[i].row = std::move(rows[i]);
    return CommitPartitioned(std::move(lock), std::move(changes));
  }
  return BulkInsertUnder(std::move(lock), ExclusiveLock(), std::move(rows), failed_row);
}

Result<uint64_t> Table::BulkInsertUnder(ExclusiveLock lock, ExclusiveLock outer,
                                        std::vector<Row> rows, size_t* failed_row) {
  if (dropped_) {
    return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", schema_.name));
  }
  if (rows.empty()) return uint64_t{0};
  KOPF_RETURN_IF_ERROR(CheckWritable());
  for (size_t i = 0; i < rows.size(); ++i) {
    Status status = CheckRow(rows[i]);
    if (!status.ok()) {
      *failed_row = i;
      return status;
    }
  }

  // 2. Keys, in key order.
  const bool keyed = schema_.has_primary_key();
  std::vector<Key> keys;
  keys.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    keys.push_back(keyed ? KeyOf(rows[i]) : Key{Value::Integer(next_rowid_ + int64_t(i))});
  }
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  auto duplicate = [&](size_t row) {
    *failed_row = row;
    std::string text;
    for (const Value& v : keys[row]) text += (text.empty() ? "" : ", ") + v.ToString();
    return Status::DuplicateKey(fmt::format(
        "duplicate key ({}) violates the primary key of table \"{}\"", text, schema_.name));
  };
  if (keyed) {
    size_t dup = SortAndFindDuplicate(keys, &order);
    if (dup < order.size()) return duplicate(order[dup]);
    if (!rows_.empty()) {
      for (size_t i : order) {
        if (rows_.Find(keys[i]) != nullptr) return duplicate(i);
      }
    }
  }

  // 3. Unique indexes.
  for (const auto& index : indexes_) {
    if (!index->schema().unique) continue;
    std::vector<Key> values;
    std::vector<size_t> with_values;  // rows whose index values hold no NULL
    values.reserve(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      values.push_back(index->ValuesOf(rows[i]));
      bool has_null = std::any_of(values.back().begin(), values.back().end(),
                                  [](const Value& v) { return v.is_null(); });
      if (!has_null) with_values.push_back(i);
    }
    size_t dup = SortAndFindDuplicate(values, &with_values);
    if (dup < with_values.size()) {
      *failed_row = with_values[dup];
      return index->DuplicateError(values[with_values[dup]]);
    }
    if (index->size() > 0) {
      for (size_t i : with_values) {
        // Rows are only added, so any entry with these values is a clash.
        bool clash =
            !index->ForEachWithValues(values[i], [](std::span<const Value>) { return false; });
        if (clash) {
          *failed_row = i;
          return index->DuplicateError(values[i]);
        }
      }
    }
  }

  // 4. Encode and append, in the order given.
  uint64_t seq = sequence_->fetch_add(1) + 1;
  line_buffer_.clear();
  // Reserve once the first lines tell the average length: growing a buffer
  // of tens of MiB by doubling copies it again and again.
  constexpr size_t kSampleRows = 1024;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i == kSampleRows && rows.size() > 2 * kSampleRows) {
      line_buffer_.reserve(line_buffer_.size() / kSampleRows * rows.size() * 9 / 8);
    }
    Status status = AppendRowLine(seq, keys[i], &rows[i]);
    if (!status.ok()) {
      *failed_row = i;
      return status;
    }
  }
  AppendLine(&line_buffer_, seq, kOpCommit, {}, nullptr);
  // Through the segment set like Commit(): rolls over first when the active
  // segment is full, and the whole load stays one commit in one segment
  // however far past segment_max_bytes it goes. A failed write changes
  // nothing.
  KOPF_ASSIGN_OR_RETURN(std::shared_ptr<SegmentWriter> writer, AppendCommit(rows.size()));
  if (line_buffer_.capacity() > (1u << 20)) std::string().swap(line_buffer_);

  // 5. Apply, in key order.
  for (size_t i : order) {
    for (const auto& index : indexes_) index->Insert(rows[i], keys[i]);
    rows_.Insert(std::move(keys[i]), std::move(rows[i]));
  }
  if (!keyed) next_rowid_ += static_cast<int64_t>(rows.size());
  last_commit_.store(seq, std::memory_order_relaxed);
  PublishStatistics(/*index_list_changed=*/false);

  // 6. Durability, outside the lock so concurrent writers share the fsync.
  const uint64_t inserted = rows.size();
  KOPF_RETURN_IF_ERROR(FinishCommit(std::move(lock), std::move(writer), std::move(outer)));
  return inserted;
}

}  // namespace kopf::cerebrum
