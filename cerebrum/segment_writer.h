// SegmentWriter: appends whole commits to one segment file.
//
// An append is all or nothing as seen by recovery: bytes are written with
// write(2); if that fails part-way (disk full, I/O error) the file is cut
// back to its previous length so no partial commit stays behind, and the
// caller gets an error (see ErrnoStatus: kDiskFull, kReadOnly or kIoError)
// and applies nothing to memory. The writer stays usable: once space
// returns, the next Append succeeds. If even the cut-back fails, the error
// is kIoError (whatever the write's was), so the table stops writing until
// a restart rather than seal half a commit into a segment. Sync() makes
// what was appended durable (fdatasync).
//
// Thread-safety: Append() is called by one thread at a time (the table's
// writer, under the table's exclusive lock). Sync() may run concurrently
// with Append() from the group-commit leader.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "protocol/status.h"

namespace kopf::cerebrum {

class SegmentWriter {
 public:
  // Opens `path` for appending, creating it with `header` (followed by a
  // newline, fsync'ed with its folder) when it does not exist or is empty.
  static protocol::Result<std::unique_ptr<SegmentWriter>> Open(const std::filesystem::path& path,
                                                               std::string_view header);
  ~SegmentWriter();
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  // Appends `bytes` (complete lines). Fails with kDiskFull, kReadOnly or
  // kIoError, leaving the file as it was; or with kIoError when part of
  // `bytes` stays in the file because it could not be cut off again.
  protocol::Status Append(std::string_view bytes);
  // Flushes appended bytes to stable storage.
  protocol::Status Sync();

  uint64_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  SegmentWriter(std::filesystem::path path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  std::filesystem::path path_;
  int fd_;
  uint64_t size_;
  bool needs_cut_ = false;  // bytes of a failed append may remain past size_
};

}  // namespace kopf::cerebrum
