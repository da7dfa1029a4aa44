// SegmentSet: the files one folder's data lives in — at most one snapshot
// followed by segments, oldest first — and manifest.csv, which names them.
//
// A SegmentSet knows nothing of a table's schema: it is given the header
// line every file of the folder starts with, and hands out file names,
// the writer of the active (last) segment, rollover and the publication of
// a snapshot. Tables use it; a partition folder or a backup can use it the
// same way.
//
// manifest.csv (see segment_format.h) is the truth about which files are
// live. It is replaced atomically (temp file, fsync, rename, fsync of the
// folder), so after a crash it names either the old or the new set, and
// every file it names is complete up to its last commit record:
//   * Rollover: (1) fsync the full segment, (2) create the next segment
//     with its header and fsync it and the folder, (3) publish a manifest
//     naming it, (4) switch appends to it. A crash before (3) leaves an
//     unnamed segment file, which recovery ignores and the next rollover
//     overwrites.
//   * Snapshot (compaction): the snapshot is written as a .tmp file,
//     fsync'ed, renamed into place and the folder fsync'ed; then (1) a
//     manifest naming the snapshot and the segments after the rollover
//     point is published, and (2) the covered files are deleted. A crash
//     before (1) leaves the old manifest valid (the new snapshot is an
//     unnamed file); a crash between (1) and (2) leaves retired files that
//     recovery deletes, since the manifest no longer names them and they
//     are older than its first segment.
//
// Thread-safety: Load() and OpenForWrites() run before the set is shared.
// Append(), Roll() and BeginSnapshot() are called by one thread at a time
// (the table's writer, under its exclusive lock). PublishSnapshot() may run
// concurrently with them: a mutex serialises every manifest change. The
// accessors (Files(), segment_count(), SyncActive()) may be called from any
// thread at any time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/status.h"

namespace kopf::cerebrum {

class SegmentWriter;

// One live file of a set, as manifest.csv names it.
struct SegmentFile {
  enum class Kind { kSnapshot, kSegment };
  Kind kind = Kind::kSegment;
  uint64_t number = 0;  // segment number, or the snapshot's commit number
  std::string name;     // file name inside the folder
};

// The files of a set at one moment: every file but the last is immutable;
// the last is the active segment, of which the first `active_bytes` bytes
// hold whole commits (for a backup: copy the others, then that prefix).
struct SegmentSetFiles {
  std::vector<std::filesystem::path> immutable;
  std::filesystem::path active;
  uint64_t active_bytes = 0;
  uint64_t last_sequence = 0;  // filled in by the owner (the table)
};

class SegmentSet {
 public:
  // Reads `folder`'s manifest.csv; a folder without one (written before
  // manifests existed) is read as its segment-*.csv files in number order.
  // Files the manifest does not name are reported on stderr and ignored;
  // leftovers of a crash (.tmp files, files retired by a compaction) are
  // removed. `known` names other files that belong in the folder.
  // kCorruption for a bad manifest or a named file that is missing.
  static protocol::Result<std::unique_ptr<SegmentSet>> Load(
      const std::filesystem::path& folder, std::string header, uint64_t max_segment_bytes,
      const std::vector<std::string_view>& known);
  ~SegmentSet();
  SegmentSet(const SegmentSet&) = delete;
  SegmentSet& operator=(const SegmentSet&) = delete;

  // The live files, oldest first (what recovery replays).
  std::vector<SegmentFile> live() const;
  const std::filesystem::path& folder() const { return folder_; }

  // Opens the last segment for appending, creating segment 1 (and the
  // manifest) for a new folder, and writes the manifest if it was missing.
  protocol::Status OpenForWrites();

  // Appends one whole commit to the active segment, rolling over first when
  // that segment already holds `max_segment_bytes` or more and at least one
  // commit (so a commit never spans two segments). Returns the writer that
  // received the bytes, for the group commit. `buffered`: the bytes are
  // kept in memory until the writer's next flush (SegmentWriter::
  // AppendBuffered), which the caller must Sync() before acknowledging.
  protocol::Result<std::shared_ptr<SegmentWriter>> Append(std::string_view bytes,
                                                          bool buffered = false);
  // True when the next Append() rolls over first.
  bool RollsOverNext() const;
  // Starts a new active segment now (steps above).
  protocol::Status Roll();

  // Flushes the active segment to disk. May run concurrently with Append()
  // (no lock needed): compaction calls it before taking the table's lock
  // for the rollover, so the fsync inside Roll() has little left to do.
  protocol::Status SyncActive() const;
  // Compaction, step 1: rolls over and returns the files a snapshot taken
  // from now on covers (every file before the new active segment).
  protocol::Result<std::vector<SegmentFile>> BeginSnapshot();
  // Compaction, last step: `snapshot` (a complete, fsync'ed file in the
  // folder) replaces `covered`: a new manifest is published, then the
  // covered files are deleted.
  protocol::Status PublishSnapshot(const SegmentFile& snapshot,
                                   const std::vector<SegmentFile>& covered);

  // Immutable files plus the active one and its length (see above).
  // REQUIRES: the owner's shared lock (no append runs, so the length ends
  // at a commit).
  SegmentSetFiles Files() const;
  // Segments among the live files (the snapshot not counted).
  size_t segment_count() const;
  // The active segment's writer (null before OpenForWrites()).
  std::shared_ptr<SegmentWriter> active_writer() const;

 private:
  SegmentSet(std::filesystem::path folder, std::string header, uint64_t max_segment_bytes);
  protocol::Status WriteManifest(const std::vector<SegmentFile>& files) const;
  // How far an active segment is grown ahead of its commits (SegmentWriter).
  uint64_t PreallocateBytes() const;

  const std::filesystem::path folder_;
  const std::string header_;
  const uint64_t max_segment_bytes_;
  bool manifest_missing_ = false;
  std::mutex manifest_mu_;                 // held from reading files_ to publishing a change
  mutable std::mutex mu_;                  // guards files_ and writer_ for readers
  std::vector<SegmentFile> files_;         // GUARDED_BY(mu_)
  std::shared_ptr<SegmentWriter> writer_;  // GUARDED_BY(mu_) for readers; set by the writer
};

}  // namespace kopf::cerebrum
