// Database::Backup: a copy of every table consistent at one commit number,
// while readers and writers carry on.
//
// 1. Prepare: refuse a target that exists; remove "<target>.tmp" if a
//    crash left one (backups run one at a time, so no other is writing it)
//    and create it afresh.
// 2. The cut, under the DDL mutex (no table is created, dropped or
//    re-indexed meanwhile). First each table whose active segment holds
//    1 MiB or more rolls over to a new one, one table at a time under its
//    exclusive lock, so that what it holds can be linked rather than
//    copied. Then every table's shared lock, taken at once in
//    name order as statements take them. A commit takes its number and
//    appends its lines under its table's exclusive lock, so none is half
//    appended now: the files hold exactly the commits numbered up to the
//    current sequence number C, in every table. For each table: note its
//    files (Table::Files(): the immutable ones, the active segment and the
//    length of its whole commits) and open each of them. An open descriptor
//    pins a file: a compaction that deletes it later only removes its name.
//    Compaction publishes a snapshot under the shared lock as well, so it
//    may retire files between Files() and the opens; Files() has then
//    changed, and the table is noted again. schema.csv and indexes.csv are
//    read into memory. Then every lock is released: writers waited only for
//    this bookkeeping, never for the copying.
// 3. Wait for the group commit: every commit up to C is durable in the live
//    folder before the backup claims it.
// 4. Write each table's folder in the work folder: immutable files are
//    hard-linked when the name still leads to the pinned file (copied from
//    the descriptor otherwise: another file system, or the name is gone);
//    the active segment's prefix of whole commits is copied; schema.csv and
//    indexes.csv as read in step 2; a manifest.csv naming exactly the files
//    taken. Everything is hashed (SHA-256) from the pinned descriptors (a
//    sealed file linked by the previous backup keeps the digest it had
//    then); copies are written back to disk in steady batches and
//    fsync'ed, then the folders.
// 5. backup.csv (backup_manifest.h), fsync, rename "<target>.tmp" to
//    "<target>", fsync of the parent. Only now does a backup exist.
//
// Started on the backup, kopfd replays each table's files, whose last
// segment ends at a whole commit, so it serves exactly the state at C.
#include "cerebrum/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include "cerebrum/backup_internal.h"
#include "cerebrum/backup_manifest.h"
#include "cerebrum/database.h"
#include "cerebrum/file_util.h"
#include "cerebrum/group_commit.h"
#include "cerebrum/index_file.h"
#include "cerebrum/segment_format.h"
#include "cerebrum/partitioning.h"
#include "cerebrum/sha256.h"

#ifndef KOPF_VERSION
#define KOPF_VERSION "unknown"
#endif

namespace kopf::cerebrum {

namespace fs = std::filesystem;
using protocol::Result;
using protocol::Status;

namespace {

// Files() is read again when a compaction retired files between noting and
// opening them; each retry needs a compaction to finish within those few
// microseconds, so a handful of rounds is already unlikely.
constexpr int kMaxPinAttempts = 100;
constexpr size_t kCopyBufferBytes = size_t{1} << 20;
// A copy hands each this many bytes to the disk as soon as they are written
// and waits for the previous batch, rather than leaving everything to one
// fsync at the end: one large flush holds up the fsyncs of commits (the
// file system journal waits for it), a steady trickle does not.
constexpr uint64_t kWritebackBytes = uint64_t{8} << 20;

// Before the cut, an active segment holding at least this much is sealed
// (rolled over), so the backup hard-links it rather than copying it: the
// copy, not the rollover's few small fsyncs, is what holds up writers on
// the same disk. Smaller ones are copied, which costs less than leaving a
// small segment behind at every backup.
constexpr uint64_t kSealBeforeBackupBytes = uint64_t{1} << 20;

// A file's identity and version, for the digest cache below.
struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;
  auto operator<=>(const FileIdentity&) const = default;
};

// SHA-256 of the sealed files linked by earlier backups. Sealed files never
// change, so each is read once, and a backup that links them costs little
// more than a copy of the active segments. Holds the entries the last
// backup used. GUARDED_BY(BackupMutex()).
std::map<FileIdentity, std::string>& SealedDigests() {
  static std::map<FileIdentity, std::string> digests;
  return digests;
}

// One backup at a time in the process (see Database::Backup).
std::mutex& BackupMutex() {
  static std::mutex mu;
  return mu;
}

}  // namespace

Status HashAndCopy(int src, const fs::path& src_path, uint64_t bytes, Sha256* sha, int dst,
                   const fs::path& dst_path) {
  std::string buffer(kCopyBufferBytes, '\0');
  uint64_t offset = 0;
  while (offset < bytes) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), bytes - offset));
    const ssize_t n = ::pread(src, buffer.data(), want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot read", src_path);
    if (n == 0) {
      return Status::IoError(fmt::format("{} ended after {} of the {} bytes expected",
                                         src_path.string(), offset, bytes));
    }
    std::string_view chunk(buffer.data(), static_cast<size_t>(n));
    sha->Update(chunk);
    for (size_t done = 0; dst >= 0 && done < chunk.size();) {
      const ssize_t w = ::write(dst, chunk.data() + done, chunk.size() - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return ErrnoStatus("cannot write", dst_path);
      done += static_cast<size_t>(w);
    }
    const uint64_t before = offset;
    offset += static_cast<uint64_t>(n);
    if (dst >= 0 && offset / kWritebackBytes != before / kWritebackBytes) {
      // Start writing the batch just completed; wait for the one before.
      const uint64_t end = offset / kWritebackBytes * kWritebackBytes;
      ::sync_file_range(dst, static_cast<off_t>(end - kWritebackBytes),
                        static_cast<off_t>(kWritebackBytes), SYNC_FILE_RANGE_WRITE);
      if (end >= 2 * kWritebackBytes) {
        ::sync_file_range(dst, static_cast<off_t>(end - 2 * kWritebackBytes),
                          static_cast<off_t>(kWritebackBytes),
                          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                              SYNC_FILE_RANGE_WAIT_AFTER);
      }
    }
  }
  return Status::Ok();
}

namespace {

// An open file descriptor, closed on destruction.
class FileHandle {
 public:
  FileHandle() = default;
  explicit FileHandle(int fd) : fd_(fd) {}
  FileHandle(FileHandle&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileHandle& operator=(FileHandle&& other) noexcept {
    if (this != &other) {
      (void)Close();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~FileHandle() { (void)Close(); }
  int get() const { return fd_; }
  Status Close(const fs::path& path = {}) {
    if (fd_ < 0) return Status::Ok();
    const int rc = ::close(std::exchange(fd_, -1));
    return rc == 0 || path.empty() ? Status::Ok() : ErrnoStatus("cannot close", path);
  }

 private:
  int fd_ = -1;
};

// One file of a table, held open since the cut.
struct PinnedFile {
  fs::path source;
  FileHandle handle;
  uint64_t bytes = 0;   // what the backup takes: all of it, or the whole commits
  bool active = false;  // the segment being appended to: copy, never link
};

struct TableCut {
  std::string folder_name;  // encoded, as in the live data directory
  std::string schema;
  std::optional<std::string> indexes;
  std::optional<std::string> partition_spec;  // partitions.csv
  std::vector<PinnedFile> files;  // manifest order: snapshot, segments
  // A partitioned table: each partition's folder name and files instead.
  std::vector<std::pair<std::string, std::vector<PinnedFile>>> partitions;
};

// Notes and opens `table`'s files. REQUIRES: its shared lock is held.
Result<std::vector<PinnedFile>> PinFiles(const Table& table) {
  for (int attempt = 0; attempt < kMaxPinAttempts; ++attempt) {
    const SegmentSetFiles noted = table.Files();
    std::vector<PinnedFile> pinned;
    bool retired = false;
    for (size_t i = 0; i <= noted.immutable.size() && !retired; ++i) {
      PinnedFile f;
      f.active = i == noted.immutable.size();
      f.source = f.active ? noted.active : noted.immutable[i];
      f.handle = FileHandle(::open(f.source.c_str(), O_RDONLY | O_CLOEXEC));
      if (f.handle.get() < 0) {
        if (errno == ENOENT) {
          retired = true;
          continue;
        }
        return ErrnoStatus("cannot open", f.source);
      }
      if (f.active) {
        f.bytes = noted.active_bytes;
      } else {
        struct stat st {};
        if (::fstat(f.handle.get(), &st) != 0) return ErrnoStatus("cannot stat", f.source);
        f.bytes = static_cast<uint64_t>(st.st_size);
      }
      pinned.push_back(std::move(f));
    }
    const SegmentSetFiles again = table.Files();
    if (!retired && again.immutable == noted.immutable && again.active == noted.active) {
      return pinned;
    }
  }
  return Status::IoError(fmt::format("{}: the table's files kept changing during the backup",
                                     table.folder().string()));
}

// Links `dst` to the pinned file when its name still leads to it. False
// (nothing left behind) when the backup must copy instead.
bool LinkPinned(const PinnedFile& f, const fs::path& dst) {
  if (f.active || ::link(f.source.c_str(), dst.c_str()) != 0) return false;
  struct stat pinned {}, linked {};
  if (::fstat(f.handle.get(), &pinned) == 0 && ::stat(dst.c_str(), &linked) == 0 &&
      pinned.st_dev == linked.st_dev && pinned.st_ino == linked.st_ino &&
      static_cast<uint64_t>(linked.st_size) == f.bytes) {
    return true;
  }
  ::unlink(dst.c_str());  // the name was reused meanwhile
  return false;
}

// Creates `path` with `contents` and fsyncs it.
Status WriteNewFile(const fs::path& path, std::string_view contents) {
  FileHandle out(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (out.get() < 0) return ErrnoStatus("cannot create", path);
  for (size_t done = 0; done < contents.size();) {
    const ssize_t n = ::write(out.get(), contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoStatus("cannot write", path);
    done += static_cast<size_t>(n);
  }
  if (::fsync(out.get()) != 0) return ErrnoStatus("cannot fsync", path);
  return out.Close(path);
}

// Fills the work folder and the list of files for backup.csv.
class BackupWriter {
 public:
  explicit BackupWriter(fs::path root) : root_(std::move(root)) {}

  Status AddTable(TableCut& cut) {
    const std::string relative_dir = fmt::format("{}/{}", kTablesFolder, cut.folder_name);
    const fs::path dir = root_ / relative_dir;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Status::IoError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    KOPF_RETURN_IF_ERROR(AddContents(relative_dir, kSchemaFileName, cut.schema));
    if (cut.indexes) KOPF_RETURN_IF_ERROR(AddContents(relative_dir, kIndexFileName, *cut.indexes));
    if (cut.partition_spec) {
      KOPF_RETURN_IF_ERROR(AddContents(relative_dir, kPartitionFileName, *cut.partition_spec));
      for (auto& [name, files] : cut.partitions) {
        KOPF_RETURN_IF_ERROR(AddSegmentSet(fmt::format("{}/{}", relative_dir, name), files));
      }
      return SyncDirectory(dir);
    }
    return AddSegmentSet(relative_dir, cut.files);
  }

  // The pinned files of one folder of segments and its manifest.csv.
  Status AddSegmentSet(const std::string& relative_dir, std::vector<PinnedFile>& files) {
    const fs::path dir = root_ / relative_dir;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Status::IoError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    std::string manifest(kManifestHeader);
    manifest += '\n';
    for (PinnedFile& f : files) {
      const std::string name = f.source.filename().string();
      KOPF_RETURN_IF_ERROR(AddPinned(relative_dir, name, f));
      manifest += name.starts_with(kSnapshotPrefix) ? kManifestSnapshot : kManifestSegment;
      manifest += ',';
      manifest += name;
      manifest += '\n';
    }
    KOPF_RETURN_IF_ERROR(AddContents(relative_dir, kManifestFileName, manifest));
    return SyncDirectory(dir);
  }

  BackupManifest& manifest() { return manifest_; }
  // Digests of the sealed files this backup linked, for the next backup.
  std::map<FileIdentity, std::string>& digests_used() { return digests_used_; }

 private:
  Status AddContents(const std::string& dir, std::string_view name, std::string_view contents) {
    const std::string relative = fmt::format("{}/{}", dir, name);
    KOPF_RETURN_IF_ERROR(WriteNewFile(root_ / relative, contents));
    manifest_.files.push_back({relative, contents.size(), Sha256::Of(contents)});
    return Status::Ok();
  }

  Status AddPinned(const std::string& dir, const std::string& name, PinnedFile& f) {
    const std::string relative = fmt::format("{}/{}", dir, name);
    const fs::path dst = root_ / relative;
    Sha256 sha;
    std::string digest;
    if (LinkPinned(f, dst)) {
      // Immutable files were fsync'ed when they were sealed; only the
      // folder entry is new (the folder is fsync'ed by AddTable).
      struct stat st {};
      if (::fstat(f.handle.get(), &st) != 0) return ErrnoStatus("cannot stat", f.source);
      const FileIdentity id{st.st_dev, st.st_ino, st.st_size,
                            int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec};
      auto known = SealedDigests().find(id);
      if (known != SealedDigests().end()) {
        digest = known->second;
      } else {
        KOPF_RETURN_IF_ERROR(HashAndCopy(f.handle.get(), f.source, f.bytes, &sha));
        digest = sha.HexDigest();
      }
      digests_used_.emplace(id, digest);
    } else {
      FileHandle out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
      if (out.get() < 0) return ErrnoStatus("cannot create", dst);
      KOPF_RETURN_IF_ERROR(HashAndCopy(f.handle.get(), f.source, f.bytes, &sha, out.get(), dst));
      if (::fsync(out.get()) != 0) return ErrnoStatus("cannot fsync", dst);
      KOPF_RETURN_IF_ERROR(out.Close(dst));
      digest = sha.HexDigest();
    }
    KOPF_RETURN_IF_ERROR(f.handle.Close());  // unpins a file a compaction retired
    manifest_.files.push_back({relative, f.bytes, std::move(digest)});
    return Status::Ok();
  }

  const fs::path root_;
  BackupManifest manifest_;
  std::map<FileIdentity, std::string> digests_used_;
};

// Removes the work folder of a backup that failed (best effort).
struct WorkFolderCleanup {
  fs::path path;
  bool done = false;
  ~WorkFolderCleanup() {
    if (done) return;
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

}  // namespace

Status Table::SealActiveSegment(uint64_t min_bytes) {
  for (const auto& partition : partitions_) {
    KOPF_RETURN_IF_ERROR(partition->SealActiveSegment(min_bytes));
  }
  if (partitioned()) return Status::Ok();
  ExclusiveLock lock = LockExclusive();
  if (dropped_) return Status::Ok();
  if (!segments_) return Status::Ok();  // memory-only: no files
  KOPF_RETURN_IF_ERROR(CheckWritable());
  if (segments_->Files().active_bytes < min_bytes) return Status::Ok();
  return NoteIfInDoubt(segments_->Roll());
}

Status Table::CheckFilesHoldCommits() const {
  for (const auto& partition : partitions_) {
    KOPF_RETURN_IF_ERROR(partition->CheckFilesHoldCommits());
  }
  return CheckWritable();
}

Result<fs::path> ResolveBackupTarget(const fs::path& backup_dir, std::string_view requested) {
  if (backup_dir.empty()) {
    return Status::NotSupported(
        "backups are not configured: start kopfd with --backup-dir DIR to allow BACKUP TO");
  }
  if (requested.empty()) return Status::InvalidValue("empty backup folder name");
  std::error_code ec;
  const fs::path base = fs::weakly_canonical(fs::absolute(backup_dir, ec), ec);
  if (ec) {
    return Status::IoError(
        fmt::format("cannot resolve backup directory {}: {}", backup_dir.string(), ec.message()));
  }
  fs::path wanted(requested);
  if (wanted.is_relative()) wanted = base / wanted;
  // Resolves ".." and every symbolic link of the part that exists.
  const fs::path target = fs::weakly_canonical(wanted.lexically_normal(), ec);
  if (ec) {
    return Status::IoError(fmt::format("cannot resolve {}: {}", wanted.string(), ec.message()));
  }
  const fs::path inside = target.lexically_relative(base);
  if (inside.empty() || *inside.begin() == ".." || inside == ".") {
    return Status::InvalidValue(fmt::format(
        "backup folder \"{}\" is outside the backup directory {} (--backup-dir): give a name "
        "relative to it or a path inside it",
        requested, base.string()));
  }
  if (target.filename().string().ends_with(kBackupWorkSuffix)) {
    return Status::InvalidValue(fmt::format(
        "backup folder \"{}\": names ending in \"{}\" are kept for backups being written",
        requested, kBackupWorkSuffix));
  }
  return target;
}

Result<BackupSummary> Database::Backup(const fs::path& target) {
  if (in_memory()) {
    return Status::NotSupported(
        "BACKUP TO needs disk storage: with --memory (storage = memory) there are no files "
        "to back up");
  }
  std::lock_guard serial(BackupMutex());

  // 1. Prepare.
  std::error_code ec;
  if (fs::exists(target, ec)) {
    return Status::InvalidValue(fmt::format("backup folder {} already exists", target.string()));
  }
  fs::path work = target;
  work += kBackupWorkSuffix;
  fs::remove_all(work, ec);
  if (!ec) fs::create_directories(work / kTablesFolder, ec);
  if (ec) return Status::IoError(fmt::format("cannot create {}: {}", work.string(), ec.message()));
  WorkFolderCleanup cleanup{work};

  // 2. The cut.
  std::vector<TableCut> cuts;
  BackupManifest manifest;
  std::vector<std::shared_ptr<Table>> tables;
  {
    std::lock_guard ddl(ddl_mutex_);
    {
      std::shared_lock catalog(catalog_mutex_);
      for (const auto& [name, table] : tables_) tables.push_back(table);  // name order
    }
    for (const auto& table : tables) {
      KOPF_RETURN_IF_ERROR(table->SealActiveSegment(kSealBeforeBackupBytes));
    }
    std::vector<Table::SharedLock> locks;
    for (const auto& table : tables) locks.push_back(table->LockShared());
    manifest.commit = sequence_.load();
    manifest.time = UtcTimestamp(std::chrono::system_clock::now());
    for (const auto& table : tables) {
      TableCut cut;
      cut.folder_name = table->folder().filename().string();
      KOPF_ASSIGN_OR_RETURN(cut.schema, ReadWholeFile(table->folder() / kSchemaFileName));
      if (fs::exists(table->folder() / kIndexFileName, ec)) {
        KOPF_ASSIGN_OR_RETURN(cut.indexes, ReadWholeFile(table->folder() / kIndexFileName));
      }
      if (table->partitioned()) {
        KOPF_ASSIGN_OR_RETURN(cut.partition_spec,
                              ReadWholeFile(table->folder() / kPartitionFileName));
        for (const auto& partition : table->partitions()) {
          KOPF_ASSIGN_OR_RETURN(std::vector<PinnedFile> files, PinFiles(*partition));
          cut.partitions.emplace_back(partition->folder().filename().string(), std::move(files));
        }
      } else {
        KOPF_ASSIGN_OR_RETURN(cut.files, PinFiles(*table));
      }
      cuts.push_back(std::move(cut));
    }
  }

  // 3. Durability of everything the cut holds.
  KOPF_RETURN_IF_ERROR(group_commit_.WaitForRegistered());
  for (const auto& table : tables) KOPF_RETURN_IF_ERROR(table->CheckFilesHoldCommits());

  // 4. The tables.
  BackupWriter writer(work);
  for (TableCut& cut : cuts) KOPF_RETURN_IF_ERROR(writer.AddTable(cut));
  KOPF_RETURN_IF_ERROR(SyncDirectory(work / kTablesFolder));

  // 5. backup.csv, then the rename that makes the backup exist.
  manifest.server = "kopfd " KOPF_VERSION;
  manifest.files = std::move(writer.manifest().files);
  KOPF_RETURN_IF_ERROR(
      WriteNewFile(work / kBackupManifestFileName, EncodeBackupManifest(manifest)));
  KOPF_RETURN_IF_ERROR(SyncDirectory(work));
  if (::rename(work.c_str(), target.c_str()) != 0) {
    return ErrnoStatus("cannot rename into place", target);
  }
  cleanup.done = true;
  KOPF_RETURN_IF_ERROR(SyncDirectory(target.parent_path()));
  SealedDigests() = std::move(writer.digests_used());
  return BackupSummary{target, manifest.commit, manifest.files.size(), manifest.total_bytes()};
}

}  // namespace kopf::cerebrum
