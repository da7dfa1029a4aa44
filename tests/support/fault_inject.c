/* An LD_PRELOAD library for the fault tests (tests/e2e/fault_test.cc): it
 * makes file operations of the real kopfd fail the way a full, broken or
 * read-only disk does, without privileges (the tests run as root, so chmod
 * cannot make a folder read-only, and mounting a small file system needs
 * privileges CI does not have).
 *
 *   KOPF_FAULT_DIR      only files under this folder are affected
 *   KOPF_FAULT_CONTROL  a control file; while it exists, each of its lines
 *                       "OP ERRNO" makes OP fail with ERRNO
 *
 * OP is one of
 *   open   open/openat for writing or creating
 *   write  write, pwrite
 *   sync   fsync, fdatasync (of files and folders)
 *   mkdir  mkdir
 *   truncate  truncate, ftruncate
 * and ERRNO one of ENOSPC, EDQUOT, EIO, EROFS. A write failing with ENOSPC
 * or EDQUOT first writes half its bytes for real and reports that short
 * count, as a disk filling up mid-write does; only a 1-byte write fails
 * outright. So a caller looping over short writes gets all but the last
 * byte of its data onto the disk before the error: the worst case for
 * "nothing is half-written".
 *
 * The control file is read at every intercepted call (tests only), so a
 * test switches faults on and off while the server runs. errno is left as
 * it was when no fault applies.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum Op { kOpen, kWrite, kSync, kMkdir, kTruncate };
static const char* const kOpNames[] = {"open", "write", "sync", "mkdir", "truncate"};

static void* Real(const char* name) { return dlsym(RTLD_NEXT, name); }

/* The errno configured for `op`, or 0. */
static int ConfiguredError(enum Op op) {
  const char* control = getenv("KOPF_FAULT_CONTROL");
  if (control == NULL) return 0;
  static int (*real_open)(const char*, int, ...);
  static ssize_t (*real_read)(int, void*, size_t);
  if (real_open == NULL) real_open = (int (*)(const char*, int, ...))Real("open");
  if (real_read == NULL) real_read = (ssize_t(*)(int, void*, size_t))Real("read");
  int fd = real_open(control, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[4096];
  ssize_t n = real_read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return 0;
  text[n] = '\0';
  char* save = NULL;
  for (char* line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    char name[32], err[32];
    if (sscanf(line, "%31s %31s", name, err) != 2 || strcmp(name, kOpNames[op]) != 0) continue;
    if (strcmp(err, "ENOSPC") == 0) return ENOSPC;
    if (strcmp(err, "EDQUOT") == 0) return EDQUOT;
    if (strcmp(err, "EIO") == 0) return EIO;
    if (strcmp(err, "EROFS") == 0) return EROFS;
  }
  return 0;
}

/* True when `path` (absolute, or relative to the working directory) lies
 * under KOPF_FAULT_DIR. */
static int UnderFaultDir(const char* path) {
  const char* dir = getenv("KOPF_FAULT_DIR");
  if (dir == NULL || path == NULL) return 0;
  char full[2 * PATH_MAX + 2];
  if (path[0] == '/') {
    snprintf(full, sizeof full, "%s", path);
  } else {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL) return 0;
    snprintf(full, sizeof full, "%s/%s", cwd, path);
  }
  size_t len = strlen(dir);
  return strncmp(full, dir, len) == 0 && (full[len] == '/' || full[len] == '\0');
}

static int FdUnderFaultDir(int fd) {
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = '\0';
  return UnderFaultDir(target);
}

/* The errno to fail `op` on `path` (or `fd` when path is NULL) with, or 0.
 * Keeps errno unchanged. */
static int Fault(enum Op op, const char* path, int fd) {
  int saved = errno;
  int err = 0;
  if (getenv("KOPF_FAULT_CONTROL") != NULL && (path ? UnderFaultDir(path) : FdUnderFaultDir(fd))) {
    err = ConfiguredError(op);
  }
  errno = saved;
  return err;
}

static int WritesFile(int flags) {
  return (flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT) != 0;
}

static mode_t ModeArg(int flags, va_list args) {
  return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(args, mode_t) : 0;
}

#define FAIL_WITH(err) \
  do {                 \
    errno = (err);     \
    return -1;         \
  } while (0)

static int OpenAt(const char* real_name, int dirfd, const char* path, int flags, mode_t mode) {
  if (WritesFile(flags) && (path[0] == '/' || dirfd == AT_FDCWD)) {
    int err = Fault(kOpen, path, -1);
    if (err != 0) FAIL_WITH(err);
  }
  int (*real)(int, const char*, int, ...) = (int (*)(int, const char*, int, ...))Real(real_name);
  return real(dirfd, path, flags, mode);
}

int open(const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = ModeArg(flags, args);
  va_end(args);
  return OpenAt("openat", AT_FDCWD, path, flags, mode);
}

int open64(const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = ModeArg(flags, args);
  va_end(args);
  return OpenAt("openat64", AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = ModeArg(flags, args);
  va_end(args);
  return OpenAt("openat", dirfd, path, flags, mode);
}

int openat64(int dirfd, const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = ModeArg(flags, args);
  va_end(args);
  return OpenAt("openat64", dirfd, path, flags, mode);
}

/* A failing write: half the bytes for real first when the disk is full. */
static ssize_t FailingWrite(int err, int fd, const void* buf, size_t count, off_t offset,
                            int positioned) {
  if ((err == ENOSPC || err == EDQUOT) && count > 1) {
    if (positioned) {
      ssize_t (*real)(int, const void*, size_t, off_t) =
          (ssize_t(*)(int, const void*, size_t, off_t))Real("pwrite");
      return real(fd, buf, count / 2, offset);
    }
    ssize_t (*real)(int, const void*, size_t) = (ssize_t(*)(int, const void*, size_t))Real("write");
    return real(fd, buf, count / 2);
  }
  FAIL_WITH(err);
}

ssize_t write(int fd, const void* buf, size_t count) {
  int err = Fault(kWrite, NULL, fd);
  if (err != 0) return FailingWrite(err, fd, buf, count, 0, 0);
  ssize_t (*real)(int, const void*, size_t) = (ssize_t(*)(int, const void*, size_t))Real("write");
  return real(fd, buf, count);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  int err = Fault(kWrite, NULL, fd);
  if (err != 0) return FailingWrite(err, fd, buf, count, offset, 1);
  ssize_t (*real)(int, const void*, size_t, off_t) =
      (ssize_t(*)(int, const void*, size_t, off_t))Real("pwrite");
  return real(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
  return pwrite(fd, buf, count, offset);
}

int fsync(int fd) {
  int err = Fault(kSync, NULL, fd);
  if (err != 0) FAIL_WITH(err);
  int (*real)(int) = (int (*)(int))Real("fsync");
  return real(fd);
}

int fdatasync(int fd) {
  int err = Fault(kSync, NULL, fd);
  if (err != 0) FAIL_WITH(err);
  int (*real)(int) = (int (*)(int))Real("fdatasync");
  return real(fd);
}

int mkdir(const char* path, mode_t mode) {
  int err = Fault(kMkdir, path, -1);
  if (err != 0) FAIL_WITH(err);
  int (*real)(const char*, mode_t) = (int (*)(const char*, mode_t))Real("mkdir");
  return real(path, mode);
}

int truncate(const char* path, off_t length) {
  int err = Fault(kTruncate, path, -1);
  if (err != 0) FAIL_WITH(err);
  int (*real)(const char*, off_t) = (int (*)(const char*, off_t))Real("truncate");
  return real(path, length);
}

int truncate64(const char* path, off_t length) { return truncate(path, length); }

int ftruncate(int fd, off_t length) {
  int err = Fault(kTruncate, NULL, fd);
  if (err != 0) FAIL_WITH(err);
  int (*real)(int, off_t) = (int (*)(int, off_t))Real("ftruncate");
  return real(fd, length);
}

int ftruncate64(int fd, off_t length) { return ftruncate(fd, length); }
