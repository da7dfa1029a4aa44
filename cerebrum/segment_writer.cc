#include "cerebrum/segment_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "cerebrum/file_util.h"

namespace kopf::cerebrum {

using protocol::Result;
using protocol::Status;

namespace {

constexpr uint64_t kPageBytes = 4096;
constexpr size_t kZeroChunkBytes = 64 * 1024;
// A flush buffer grown past this by a burst of commits is given back.
constexpr size_t kMaxSpareBufferBytes = 1 << 20;

// pwrite(2) of all of `bytes` at `offset`; the bytes written before a
// failure in `*done`. errno is ENOSPC for a write that made no progress.
bool WriteAt(int fd, std::string_view bytes, uint64_t offset, size_t* done) {
  *done = 0;
  while (*done < bytes.size()) {
    ssize_t n = ::pwrite(fd, bytes.data() + *done, bytes.size() - *done,
                         static_cast<off_t>(offset + *done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      return false;
    }
    *done += static_cast<size_t>(n);
  }
  return true;
}

// Opens `path` with `flags` and returns the descriptor and the file's
// length; closes it again when the length cannot be read.
Result<std::pair<int, uint64_t>> OpenWithLength(const std::filesystem::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot open segment", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status s = ErrnoStatus("cannot stat segment", path);
    ::close(fd);
    return s;
  }
  return std::pair<int, uint64_t>(fd, static_cast<uint64_t>(st.st_size));
}

}  // namespace

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::Open(const std::filesystem::path& path,
                                                           std::string_view header,
                                                           uint64_t preallocate_bytes) {
  KOPF_ASSIGN_OR_RETURN(auto opened, OpenWithLength(path, O_WRONLY | O_CREAT));
  std::unique_ptr<SegmentWriter> writer(
      new SegmentWriter(path, opened.first, opened.second, preallocate_bytes));
  if (writer->size_ == 0) {
    std::string line(header);
    line += '\n';
    KOPF_RETURN_IF_ERROR(writer->Append(line));
    KOPF_RETURN_IF_ERROR(writer->Sync());
    KOPF_RETURN_IF_ERROR(SyncDirectory(path.parent_path()));
  }
  return writer;
}

SegmentWriter::~SegmentWriter() {
  // A graceful close leaves a plain CSV file. Not fsync'ed: with or without
  // the zeros the file is valid, and recovery cuts them after a crash.
  // Buffered bytes left here were never acknowledged (the group commit's
  // last round flushed every acknowledged one); they are written if they
  // can be. After a failed flush the file ends where the failed write
  // began: nothing after it was ever written whole.
  if (Status flushed = Flush(); !flushed.ok()) {
    (void)::ftruncate(fd_, static_cast<off_t>(failed_at_));
  } else if (allocated_ > size_ || dirty_end_ > size_) {
    (void)::ftruncate(fd_, static_cast<off_t>(size_));
  }
  ::close(fd_);
}

bool SegmentWriter::WriteZeros(uint64_t from, uint64_t to) {
  static const std::vector<char> zeros(kZeroChunkBytes, '\0');
  while (from < to) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(to - from, zeros.size()));
    size_t done = 0;
    if (!WriteAt(fd_, std::string_view(zeros.data(), n), from, &done)) return false;
    from += n;
  }
  return true;
}

Status SegmentWriter::Reserve(uint64_t end) {
  if (preallocate_bytes_ == 0 || end <= allocated_) return Status::Ok();
  uint64_t target = std::max(end, allocated_ + preallocate_bytes_);
  target = (target + kPageBytes - 1) / kPageBytes * kPageBytes;
  if (!WriteZeros(allocated_, target)) {
    Status failure = ErrnoStatus("cannot append to", path_);
    // Zeros past allocated_ are harmless (recovery and Seal cut them), but
    // a short file must not be taken for reserved space.
    (void)::ftruncate(fd_, static_cast<off_t>(allocated_));
    return failure;
  }
  allocated_ = target;
  return Status::Ok();
}

Status SegmentWriter::TakeBackFailedAppend() {
  // A failed append whose clean-up failed too left part of a commit past
  // size_; nothing may follow it, or recovery would find damage in the
  // middle of the file.
  if (dirty_end_ <= size_) return Status::Ok();
  bool cleaned = allocated_ > size_ ? WriteZeros(size_, dirty_end_)
                                    : ::ftruncate(fd_, static_cast<off_t>(size_)) == 0;
  if (!cleaned) return ErrnoStatus("cannot cut back a failed append to", path_);
  dirty_end_ = 0;
  return Status::Ok();
}

Status SegmentWriter::AppendBuffered(std::string_view bytes) {
  KOPF_RETURN_IF_ERROR(FlushFailure());
  KOPF_RETURN_IF_ERROR(TakeBackFailedAppend());
  // The room is taken now, so a full disk refuses this commit before
  // anything of it is applied; the flush then overwrites zeros.
  KOPF_RETURN_IF_ERROR(Reserve(size_ + bytes.size()));
  {
    std::lock_guard lock(buffer_mu_);
    if (buffered_.empty()) buffered_from_ = size_;
    buffered_.append(bytes);
  }
  size_ += bytes.size();
  allocated_ = std::max(allocated_, size_);
  return Status::Ok();
}

Status SegmentWriter::FlushFailure() const {
  std::lock_guard lock(buffer_mu_);
  return failure_;
}

Status SegmentWriter::Flush() {
  std::lock_guard flush(flush_mu_);
  uint64_t offset = 0;
  {
    std::lock_guard lock(buffer_mu_);
    if (!failure_.ok()) return failure_;
    if (buffered_.empty()) return Status::Ok();
    // The spare buffer (empty, with its capacity) takes the appends that
    // arrive while this one is written.
    writing_.swap(buffered_);
    offset = buffered_from_;
  }
  size_t done = 0;
  const bool written = WriteAt(fd_, writing_, offset, &done);
  writing_.clear();
  if (writing_.capacity() > kMaxSpareBufferBytes) std::string().swap(writing_);
  if (written) return Status::Ok();
  // Always kIoError, even for ENOSPC: the commits lost here are applied in
  // memory already, and nothing but a restart (recovery from what the file
  // really holds) can reconcile the two.
  Status failure = Status::IoError(ErrnoStatus("cannot write commits to", path_).message());
  std::lock_guard lock(buffer_mu_);
  failure_ = failure;
  failed_at_ = offset;
  return failure;
}

Status SegmentWriter::Append(std::string_view bytes) {
  // Buffered commits go first: the file never has a gap before this one.
  KOPF_RETURN_IF_ERROR(Flush());
  KOPF_RETURN_IF_ERROR(TakeBackFailedAppend());
  KOPF_RETURN_IF_ERROR(Reserve(size_ + bytes.size()));
  size_t done = 0;
  if (!WriteAt(fd_, bytes, size_, &done)) {
    Status failure = ErrnoStatus("cannot append to", path_);
    // Take the partial commit back so recovery never sees half of it
    // followed by later commits: zeros inside reserved space, a cut at the
    // end of the file. If even that fails, the next Append tries again
    // first, and Seal() cuts the file at the end of its last commit, so the
    // half commit is never followed by another nor sealed into the middle
    // of the data (recovery drops it from the end of the last segment).
    if (done > 0) {
      uint64_t end = size_ + done;
      bool cleaned = end <= allocated_ ? WriteZeros(size_, end)
                                       : ::ftruncate(fd_, static_cast<off_t>(size_)) == 0;
      if (!cleaned) dirty_end_ = end;
    }
    return failure;
  }
  size_ += bytes.size();
  allocated_ = std::max(allocated_, size_);
  return Status::Ok();
}

Status SegmentWriter::Sync() {
  KOPF_RETURN_IF_ERROR(Flush());
  if (::fdatasync(fd_) != 0) return ErrnoStatus("cannot fsync", path_);
  return Status::Ok();
}

Status SegmentWriter::Seal() {
  KOPF_RETURN_IF_ERROR(Flush());
  // Zeros written ahead, or half a commit a failed Append could not take
  // back: neither may stay in a file that becomes immutable.
  if (allocated_ > size_ || dirty_end_ > size_) {
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      return ErrnoStatus("cannot cut the preallocated space off", path_);
    }
    allocated_ = size_;
    dirty_end_ = 0;
  }
  return Sync();
}

Result<uint64_t> LengthWithoutTrailingZeros(const std::filesystem::path& path) {
  KOPF_ASSIGN_OR_RETURN(auto opened, OpenWithLength(path, O_RDONLY));
  const int fd = opened.first;
  uint64_t end = opened.second;
  std::vector<char> block(kZeroChunkBytes);
  while (end > 0) {
    uint64_t start = end > block.size() ? end - block.size() : 0;
    size_t want = static_cast<size_t>(end - start);
    ssize_t n = ::pread(fd, block.data(), want, static_cast<off_t>(start));
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(want)) {
      Status s = ErrnoStatus("cannot read", path);
      ::close(fd);
      return s;
    }
    size_t i = want;
    while (i > 0 && block[i - 1] == '\0') --i;
    if (i > 0) {
      end = start + i;
      break;
    }
    end = start;
  }
  ::close(fd);
  return end;
}

}  // namespace kopf::cerebrum
