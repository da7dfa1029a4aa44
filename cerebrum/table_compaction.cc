// Table::Compact: replacing a table's history with a snapshot of its rows,
// while readers and writers carry on.
//
// 1. Under the exclusive lock (briefly): roll over to a new segment. Every
//    file before it is now immutable and is what the snapshot covers. Note
//    the commit number S of the newest commit so far.
// 2. Without the exclusive lock: walk the rows in chunks of kChunkRows,
//    each chunk under the shared lock, encoding them as `put` lines of
//    commit S into snapshot-S.csv.tmp; writes go on between chunks. Then
//    the commit line, fsync, rename to snapshot-S.csv, fsync of the folder.
// 3. Wait for the group commit to make every commit already applied in
//    memory durable: a row image taken in step 2 may come from a commit
//    made after step 1, and the snapshot must not hold anything a crash
//    could take back from the segments.
// 4. Without any table lock: publish a manifest naming the snapshot and
//    the segments from step 1's new one on, then delete the covered files
//    (segment_set.h; the set serialises this with a rollover).
//
// Why chunks taken at different moments still make a correct snapshot:
// every line of the segments after the rollover point is a full row image
// or a tombstone, and recovery replays them over the snapshot. A key no
// later line touches has the same image at every moment after step 1, so
// the snapshot holds its state at S. A key a later line touches ends up
// as that key's last line says, whatever the snapshot held. So snapshot +
// later segments rebuild exactly the rows in memory. (For rowid tables,
// recovery also takes the next row id from tombstones, so a row id is
// never handed out twice.)
//
// A crash at any step leaves a valid manifest: before step 4 the old one
// (the .tmp or unpublished snapshot is removed at start-up), after it the
// new one (retired files still on disk are removed at start-up).
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "cerebrum/file_util.h"
#include "cerebrum/group_commit.h"
#include "cerebrum/segment_format.h"
#include "cerebrum/segment_set.h"
#include "cerebrum/segment_writer.h"
#include "cerebrum/table.h"

namespace kopf::cerebrum {

using protocol::Result;
using protocol::Status;

namespace {

// Rows encoded per turn of the shared lock: small enough that a writer
// waits at most a few hundred microseconds, large enough that the lock and
// the re-seek cost little.
constexpr size_t kChunkRows = 512;
// The snapshot is flushed every this many bytes: many small fsyncs keep the
// disk's queue short for the commits' own fsyncs, where one fsync of the
// whole file at the end would make them wait behind all of it.
constexpr uint64_t kSnapshotSyncBytes = uint64_t{4} << 20;

}  // namespace

bool Table::NeedsCompaction() const {
  if (partitioned()) {
    for (const auto& partition : partitions_) {
      if (partition->NeedsCompaction()) return true;
    }
    return false;
  }
  const uint64_t lines = line_count();
  if (options_.compact_dead_fraction > 0 && lines >= options_.compact_min_lines && lines > 0) {
    const uint64_t live = row_count();
    const uint64_t dead = lines > live ? lines - live : 0;
    if (static_cast<double>(dead) >= options_.compact_dead_fraction * static_cast<double>(lines)) {
      return true;
    }
  }
  return options_.compact_max_segments > 0 && segments_ &&
         segments_->segment_count() > options_.compact_max_segments;
}

SegmentSetFiles Table::Files() const {
  if (!segments_) return {};
  SegmentSetFiles files = segments_->Files();
  files.last_sequence = sequence_->load();
  return files;
}

Result<uint64_t> Table::WriteSnapshot(const std::filesystem::path& path, uint64_t seq) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  KOPF_ASSIGN_OR_RETURN(auto writer, SegmentWriter::Open(path, HeaderLine()));
  std::string buffer;
  std::optional<Key> last;  // key of the last row written
  uint64_t rows = 0;
  uint64_t synced = 0;
  bool done = false;
  while (!done) {
    buffer.clear();
    size_t taken = 0;
    {
      SharedLock lock = LockShared();
      if (dropped_) {
        return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", schema_.name));
      }
      auto it = last ? rows_.UpperBound(*last) : rows_.Begin();
      for (; it.Valid() && taken < kChunkRows; it.Next()) {
        AppendLine(&buffer, seq, kOpPut, it.key(), &it.value());
        if (++taken == kChunkRows) last = it.key();
      }
      done = !it.Valid();
    }
    rows += taken;
    if (!buffer.empty()) KOPF_RETURN_IF_ERROR(writer->Append(buffer));
    if (writer->size() - synced >= kSnapshotSyncBytes) {
      KOPF_RETURN_IF_ERROR(writer->Sync());
      synced = writer->size();
    }
  }
  buffer.clear();
  AppendLine(&buffer, seq, kOpCommit, {}, nullptr);
  KOPF_RETURN_IF_ERROR(writer->Append(buffer));
  KOPF_RETURN_IF_ERROR(writer->Sync());
  return rows;
}

Result<uint64_t> Table::Compact() {
  if (partitioned()) {  // each partition on its own, one after the other
    uint64_t rows = 0;
    for (const auto& partition : partitions_) {
      KOPF_ASSIGN_OR_RETURN(uint64_t compacted, partition->Compact());
      rows += compacted;
    }
    return rows;
  }
  std::lock_guard one_at_a_time(compaction_mutex_);
  if (!segments_) {  // memory-only: no files to compact
    SharedLock lock = LockShared();
    if (dropped_) {
      return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", schema_.name));
    }
    return row_count();
  }
  // 1. Rollover point. Most of the active segment is flushed before the
  //    lock is taken, so the rollover's own fsync is short.
  //    An fsync failure of the active segment is sticky, as in GroupCommit.
  if (Status synced = segments_->SyncActive(); !synced.ok()) {
    return NoteFailure(RefusalAfter(synced));
  }
  std::vector<SegmentFile> covered;
  uint64_t seq = 0;
  uint64_t lines_before = 0;
  {
    ExclusiveLock lock = LockExclusive();
    if (dropped_) {
      return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", schema_.name));
    }
    KOPF_RETURN_IF_ERROR(CheckWritable());
    Result<std::vector<SegmentFile>> begun = segments_->BeginSnapshot();
    if (!begun.ok()) return NoteIfInDoubt(begun.status());  // as a commit's rollover
    covered = std::move(*begun);
    // A partition's snapshot carries its own newest commit (see
    // table_partitions.cc); a table's the global sequence, as always.
    seq = is_partition_ ? last_commit_.load() : sequence_->load();
    lines_before = line_count();
  }
  // 2. The snapshot file.
  SegmentFile snapshot{SegmentFile::Kind::kSnapshot, seq, SnapshotFileName(seq)};
  const std::filesystem::path path = folder_ / snapshot.name;
  std::filesystem::path tmp = path;
  tmp += kTempSuffix;
  Result<uint64_t> rows = WriteSnapshot(tmp, seq);
  if (rows.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    rows = ErrnoStatus("cannot rename into place", path);
  }
  if (rows.ok()) {
    if (Status s = SyncDirectory(folder_); !s.ok()) rows = s;
  }
  if (!rows.ok()) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    if (SharedLock lock = LockShared(); dropped_) {  // the folder went with the table
      return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", schema_.name));
    }
    return rows.status();
  }
  // 3. Everything the snapshot may hold is durable in the segments. With
  //    sync = always the group commit has it or is about to; in the other
  //    modes nothing may have fsync'ed the commits since the rollover, and
  //    a snapshot holding part of one that a crash then drops from the
  //    segment would leave half a statement: flush the active segment.
  //    A partition's snapshot may hold its part of a multi-part commit
  //    whose other parts are in its siblings' active segments: those are
  //    flushed too, or a crash could drop the commit and leave this part.
  KOPF_RETURN_IF_ERROR(group_commit_->WaitForRegistered());
  if (Status synced = segments_->SyncActive(); !synced.ok()) {
    return NoteFailure(RefusalAfter(synced));
  }
  if (sync_siblings_) KOPF_RETURN_IF_ERROR(sync_siblings_());
  // 4. Publish, retire. No table lock: the segment set serialises this
  //    with a rollover, and readers and writers never look at the files.
  if (Status published = segments_->PublishSnapshot(snapshot, covered); !published.ok()) {
    if (SharedLock lock = LockShared(); dropped_) {
      return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", schema_.name));
    }
    return published;
  }
  // Lines appended since step 1 stay; the covered ones are now the
  // snapshot's rows.
  if (lines_before >= *rows) {
    lines_.fetch_sub(lines_before - *rows, std::memory_order_relaxed);
  } else {
    lines_.fetch_add(*rows - lines_before, std::memory_order_relaxed);
  }
  return *rows;
}

}  // namespace kopf::cerebrum
