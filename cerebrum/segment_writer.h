// SegmentWriter: appends whole commits to one segment file.
//
// An append is all or nothing as seen by recovery: bytes are written with
// pwrite(2) at the end of the last commit; if that fails part-way (disk
// full, I/O error) the bytes written are overwritten with zeros again so
// no partial commit stays behind, and the caller gets an error (see
// ErrnoStatus: kDiskFull, kReadOnly or kIoError) and applies nothing to
// memory. The writer stays usable: once space returns, the next Append
// succeeds. If even that clean-up fails, the next Append retries it first
// and Seal() cuts the file at the end of its last commit, so half a commit
// is never followed by another nor sealed into a segment. Sync() makes
// what was appended durable (fdatasync).
//
// Preallocation (`preallocate_bytes` > 0, the active segments of a table):
// the file is grown ahead of the commits by writing zeros, up to
// `preallocate_bytes` at a time, so most commits overwrite bytes that are
// already part of the file. The fdatasync of such an overwrite has no size
// or block map to journal, only the data block to write and the disk
// cache to flush: `benchmarks/sync_bench` measures the difference. The
// zeros after the last commit are no data: recovery cuts a last segment's
// trailing zeros off before reading it, Seal() cuts them before a segment
// becomes immutable, and the destructor cuts them at a graceful close.
// size() is always the end of the last commit, never the zeros.
//
// Buffered appends (AppendBuffered, the commits of SyncMode::kAlways): the
// commit's space is reserved at once (so a full disk still refuses it with
// nothing changed), but its bytes are only copied into memory; the next
// Flush() (which Sync() and Seal() start with) writes everything buffered
// with one pwrite(2). A commit is acknowledged only after a Sync(), so its
// bytes are written before the fdatasync that makes them durable; the
// group commit's round thread thus does one write per file per round
// instead of one per commit on the thread that appends. A failed flush
// leaves the file's end unknown: the writer refuses every later append,
// flush and sync with that error, and the group commit fails the commits
// waiting on it and makes the table refuse writes (as for a failed fsync).
//
// Thread-safety: Append(), AppendBuffered() and Seal() are called by one
// thread at a time (the table's writer, under the table's exclusive lock).
// Flush() and Sync() may run concurrently with them from any thread (the
// group commit's round, compaction); flushes run one at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "protocol/status.h"

namespace kopf::cerebrum {

class SegmentWriter {
 public:
  // Opens `path` for appending after its last byte, creating it with
  // `header` (followed by a newline, fsync'ed with its folder) when it
  // does not exist or is empty. `preallocate_bytes`: see above (0: the file
  // grows with each append, as a snapshot does).
  static protocol::Result<std::unique_ptr<SegmentWriter>> Open(const std::filesystem::path& path,
                                                               std::string_view header,
                                                               uint64_t preallocate_bytes = 0);
  ~SegmentWriter();  // cuts the preallocated zeros off (not fsync'ed)
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  // Appends `bytes` (complete lines), after flushing whatever is buffered.
  // Fails with kDiskFull, kReadOnly or kIoError, leaving the file's commits
  // as they were (or with the error of an earlier failed flush).
  protocol::Status Append(std::string_view bytes);
  // Reserves room for `bytes` (complete lines) after the last commit and
  // keeps them in memory until the next Flush(); see the top of the file.
  // Fails as Append() does, with nothing changed.
  protocol::Status AppendBuffered(std::string_view bytes);
  // Writes the buffered bytes to the file (one pwrite). kIoError, kDiskFull
  // or kReadOnly on failure, which then sticks (see above).
  protocol::Status Flush();
  // Flush(), then flushes the file's data to stable storage (fdatasync).
  protocol::Status Sync();
  // Cuts the preallocated zeros off and flushes the file (size included):
  // afterwards it holds exactly its commits, durably.
  protocol::Status Seal();

  // The end of the last commit appended (buffered or written).
  uint64_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  SegmentWriter(std::filesystem::path path, int fd, uint64_t size, uint64_t preallocate_bytes)
      : path_(std::move(path)),
        fd_(fd),
        size_(size),
        allocated_(size),
        preallocate_bytes_(preallocate_bytes) {}
  // Writes zeros so the file reaches at least `end` bytes (and a whole
  // preallocation step past the current end).
  protocol::Status Reserve(uint64_t end);
  // Overwrites [from, to) with zeros.
  bool WriteZeros(uint64_t from, uint64_t to);
  // Zeros (or cuts off) what a failed Append could not take back at once.
  protocol::Status TakeBackFailedAppend();

  // The sticky error of a failed flush, or OK.
  protocol::Status FlushFailure() const;

  std::filesystem::path path_;
  int fd_;
  uint64_t size_;       // end of the last commit, buffered ones included
  uint64_t allocated_;  // file length: size_ plus preallocated zeros
  const uint64_t preallocate_bytes_;
  uint64_t dirty_end_ = 0;  // > size_: bytes of a failed append remain up to here

  // Flush() holds flush_mu_ throughout, so flushes write in file order and
  // a Seal() or Sync() never passes a flush still writing. buffer_mu_ is
  // held only to hand the buffer over, so appends go on while it is written.
  std::mutex flush_mu_;
  mutable std::mutex buffer_mu_;
  std::string buffered_;          // GUARDED_BY(buffer_mu_): bytes not written yet
  uint64_t buffered_from_ = 0;    // GUARDED_BY(buffer_mu_): their file offset
  protocol::Status failure_;      // GUARDED_BY(buffer_mu_): a failed flush, sticky
  uint64_t failed_at_ = 0;        // GUARDED_BY(buffer_mu_): where that flush wrote
  std::string writing_;           // GUARDED_BY(flush_mu_): the buffer being written
};

// A file's length without its trailing zero bytes (the unused preallocated
// space of a segment written by SegmentWriter).
protocol::Result<uint64_t> LengthWithoutTrailingZeros(const std::filesystem::path& path);

}  // namespace kopf::cerebrum
