#include "cerebrum/segment_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "cerebrum/file_util.h"

namespace kopf::cerebrum {

using protocol::Result;
using protocol::Status;

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::Open(const std::filesystem::path& path,
                                                           std::string_view header) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot open segment", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status s = ErrnoStatus("cannot stat segment", path);
    ::close(fd);
    return s;
  }
  std::unique_ptr<SegmentWriter> writer(
      new SegmentWriter(path, fd, static_cast<uint64_t>(st.st_size)));
  if (writer->size_ == 0) {
    std::string line(header);
    line += '\n';
    KOPF_RETURN_IF_ERROR(writer->Append(line));
    KOPF_RETURN_IF_ERROR(writer->Sync());
    KOPF_RETURN_IF_ERROR(SyncDirectory(path.parent_path()));
  }
  return writer;
}

SegmentWriter::~SegmentWriter() { ::close(fd_); }

Status SegmentWriter::Append(std::string_view bytes) {
  // A failed append whose cut-back failed too left part of a commit past
  // size_; nothing may follow it, or recovery would find damage in the
  // middle of the file.
  if (needs_cut_) {
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      return ErrnoStatus("cannot cut back a failed append to", path_);
    }
    needs_cut_ = false;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      Status failure = ErrnoStatus("cannot append to", path_);
      // Cut the partial commit off again so recovery never sees half of it
      // followed by later commits.
      if (done > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
        // Part of a commit stays in the file. A rollover would seal it
        // there, and recovery reads that as damage in the middle; so this
        // is kIoError whatever the write's error, which makes the table
        // refuse writes until a restart (recovery then cuts the torn tail
        // off the last segment). The next Append still tries the cut first.
        needs_cut_ = true;
        return Status::IoError(fmt::format("{}; cutting the partial commit back off failed too: {}",
                                           failure.message(), std::strerror(errno)));
      }
      return failure;
    }
    done += static_cast<size_t>(n);
  }
  size_ += bytes.size();
  return Status::Ok();
}

Status SegmentWriter::Sync() {
  if (::fdatasync(fd_) != 0) return ErrnoStatus("cannot fsync", path_);
  return Status::Ok();
}

}  // namespace kopf::cerebrum
