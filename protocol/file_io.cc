#include "protocol/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace kopf::protocol {

Status ErrnoStatus(std::string_view what, const std::filesystem::path& path) {
  int err = errno;
  std::string where = std::string(what) + " " + path.string() + ": ";
  // A full disk and a read-only file system have codes of their own: the
  // client's next step differs (retry later; stop writing) from a broken disk.
  if (err == ENOSPC || err == EDQUOT) return Status::DiskFull(where + "no space left on device");
  if (err == EROFS) return Status::ReadOnly(where + "read-only file system");
  return Status::IoError(where + std::strerror(err));
}

Status SyncDirectory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open folder", dir);
  int rc = ::fsync(fd);
  Status status = rc == 0 ? Status::Ok() : ErrnoStatus("cannot fsync folder", dir);
  ::close(fd);
  return status;
}

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents,
                           mode_t mode) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  // O_TRUNC does not change the mode of a leftover temp file: start afresh.
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoStatus("cannot create", tmp);
  auto fail = [&](std::string_view what, const std::filesystem::path& where) {
    Status s = ErrnoStatus(what, where);
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  };
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      return fail("cannot write", tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("cannot fsync", tmp);
  ::close(fd);
  fd = -1;
  // rename() replaces the old file atomically; the folder fsync makes the
  // new name durable.
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename onto", path);
  return SyncDirectory(path.parent_path().empty() ? "." : path.parent_path());
}

}  // namespace kopf::protocol
