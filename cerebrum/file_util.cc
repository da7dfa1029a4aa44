#include "cerebrum/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace kopf::cerebrum {

using protocol::Result;
using protocol::Status;

Status ErrnoStatus(std::string_view what, const std::filesystem::path& path) {
  int err = errno;
  // A full disk and a read-only file system have codes of their own: the
  // client's next step differs (retry later; stop writing) from a broken disk.
  if (err == ENOSPC || err == EDQUOT) {
    return Status::DiskFull(fmt::format("{} {}: no space left on device", what, path.string()));
  }
  if (err == EROFS) {
    return Status::ReadOnly(fmt::format("{} {}: read-only file system", what, path.string()));
  }
  return Status::IoError(fmt::format("{} {}: {}", what, path.string(), std::strerror(err)));
}

Status SyncDirectory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open folder", dir);
  int rc = ::fsync(fd);
  Status status = rc == 0 ? Status::Ok() : ErrnoStatus("cannot fsync folder", dir);
  ::close(fd);
  return status;
}

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot create", tmp);
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status s = ErrnoStatus("cannot write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status s = ErrnoStatus("cannot fsync", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  ::close(fd);
  // rename() replaces the old file atomically; the folder fsync makes the
  // new name durable.
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = ErrnoStatus("cannot rename onto", path);
    ::unlink(tmp.c_str());
    return s;
  }
  return SyncDirectory(path.parent_path());
}

Result<std::string> ReadWholeFile(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open", path);
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = ErrnoStatus("cannot read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string EncodeFileName(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string DecodeFileName(std::string_view encoded) {
  std::string out;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      out += encoded[i];
      continue;
    }
    if (i + 2 >= encoded.size()) return {};
    int v = 0;
    for (size_t j = i + 1; j <= i + 2; ++j) {
      char h = encoded[j];
      v *= 16;
      if (h >= '0' && h <= '9') v += h - '0';
      else if (h >= 'A' && h <= 'F') v += h - 'A' + 10;
      else return {};
    }
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

}  // namespace kopf::cerebrum
