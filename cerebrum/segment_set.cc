#include "cerebrum/segment_set.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <unistd.h>

#include "cerebrum/csv_format.h"
#include "cerebrum/file_util.h"
#include "cerebrum/segment_format.h"
#include "cerebrum/segment_writer.h"

namespace kopf::cerebrum {

namespace fs = std::filesystem;
using protocol::Result;
using protocol::Status;

namespace {

// The number in "<prefix><digits>.csv", or nothing for any other name.
std::optional<uint64_t> FileNumber(std::string_view name, std::string_view prefix) {
  if (!name.starts_with(prefix) || !name.ends_with(kSegmentSuffix)) return std::nullopt;
  std::string_view digits =
      name.substr(prefix.size(), name.size() - prefix.size() - kSegmentSuffix.size());
  if (digits.empty() || digits.size() > 19) return std::nullopt;
  uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

std::optional<SegmentFile> ParseFileName(std::string_view name) {
  if (auto n = FileNumber(name, kSegmentPrefix)) {
    return SegmentFile{SegmentFile::Kind::kSegment, *n, std::string(name)};
  }
  if (auto n = FileNumber(name, kSnapshotPrefix)) {
    return SegmentFile{SegmentFile::Kind::kSnapshot, *n, std::string(name)};
  }
  return std::nullopt;
}

Status RemoveFile(const fs::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus("cannot remove", path);
  return Status::Ok();
}

}  // namespace

SegmentSet::SegmentSet(fs::path folder, std::string header, uint64_t max_segment_bytes)
    : folder_(std::move(folder)),
      header_(std::move(header)),
      max_segment_bytes_(max_segment_bytes) {}

SegmentSet::~SegmentSet() = default;

Result<std::unique_ptr<SegmentSet>> SegmentSet::Load(const fs::path& folder, std::string header,
                                                     uint64_t max_segment_bytes,
                                                     const std::vector<std::string_view>& known) {
  std::unique_ptr<SegmentSet> set(new SegmentSet(folder, std::move(header), max_segment_bytes));
  const fs::path manifest = folder / kManifestFileName;
  std::error_code ec;
  const bool has_manifest = fs::exists(manifest, ec);
  if (ec)
    return Status::IoError(fmt::format("cannot check {}: {}", manifest.string(), ec.message()));
  if (has_manifest) {
    KOPF_ASSIGN_OR_RETURN(std::string contents, ReadWholeFile(manifest));
    std::vector<SegmentFile>& files = set->files_;
    KOPF_RETURN_IF_ERROR(ForEachCsvRecord(
        contents, kManifestHeader, 2, manifest, [&](std::vector<CsvField>& fields) -> Status {
          std::optional<SegmentFile> file = ParseFileName(fields[1].text);
          const bool snapshot = fields[0].text == kManifestSnapshot;
          if (!file || (!snapshot && fields[0].text != kManifestSegment) ||
              (file->kind == SegmentFile::Kind::kSnapshot) != snapshot) {
            return Status::InvalidValue(
                fmt::format("bad entry \"{},{}\"", fields[0].text, fields[1].text));
          }
          if (snapshot && !files.empty()) {
            return Status::InvalidValue("a snapshot must be the first file");
          }
          if (!snapshot && !files.empty() && files.back().kind == SegmentFile::Kind::kSegment &&
              files.back().number >= file->number) {
            return Status::InvalidValue("segments are not in increasing order");
          }
          files.push_back(std::move(*file));
          return Status::Ok();
        }));
    if (files.empty() || files.back().kind != SegmentFile::Kind::kSegment) {
      return Status::Corruption(fmt::format("{}: names no segment", manifest.string()));
    }
  } else {
    set->manifest_missing_ = true;
  }

  // Sort out the folder's other entries.
  std::set<std::string, std::less<>> named;
  for (const SegmentFile& f : set->files_) named.insert(f.name);
  std::vector<SegmentFile> unnamed_segments;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (named.contains(name) || name == kManifestFileName ||
        std::find(known.begin(), known.end(), name) != known.end()) {
      continue;
    }
    std::optional<SegmentFile> file = ParseFileName(name);
    if (!has_manifest && file && file->kind == SegmentFile::Kind::kSegment) {
      unnamed_segments.push_back(std::move(*file));
      continue;
    }
    if (name.ends_with(kTempSuffix) &&
        (name.starts_with(kManifestFileName) || name.starts_with(kSnapshotPrefix))) {
      // Being written when the server stopped; the file it was to replace
      // (or nothing) is still in place.
      std::fprintf(stderr, "kopfd: removing unfinished %s\n", entry.path().c_str());
      KOPF_RETURN_IF_ERROR(RemoveFile(entry.path()));
      continue;
    }
    if (name.find(kDamagedInfix) != std::string::npos) continue;  // saved by --repair
    if (file && has_manifest) {
      // Ours but not live: a file retired by a compaction that stopped
      // before deleting it, a snapshot never published, or a segment whose
      // rollover stopped before the manifest named it. None holds data the
      // manifest's files lack.
      std::fprintf(stderr, "kopfd: removing %s, which %s no longer or not yet names\n",
                   entry.path().c_str(), std::string(kManifestFileName).c_str());
      KOPF_RETURN_IF_ERROR(RemoveFile(entry.path()));
      continue;
    }
    std::fprintf(stderr, "kopfd: warning: ignoring stray file %s\n", entry.path().c_str());
  }
  if (ec) return Status::IoError(fmt::format("cannot list {}: {}", folder.string(), ec.message()));
  if (!has_manifest) {
    std::sort(unnamed_segments.begin(), unnamed_segments.end(),
              [](const SegmentFile& a, const SegmentFile& b) { return a.number < b.number; });
    set->files_ = std::move(unnamed_segments);
  }
  for (const SegmentFile& f : set->files_) {
    if (!fs::exists(folder / f.name, ec)) {
      return Status::Corruption(fmt::format("{}: names {}, which is missing", manifest.string(),
                                            (folder / f.name).string()));
    }
  }
  return set;
}

std::vector<SegmentFile> SegmentSet::live() const {
  std::lock_guard lock(mu_);
  return files_;
}

Status SegmentSet::WriteManifest(const std::vector<SegmentFile>& files) const {
  std::string contents(kManifestHeader);
  contents += '\n';
  for (const SegmentFile& f : files) {
    contents += f.kind == SegmentFile::Kind::kSnapshot ? kManifestSnapshot : kManifestSegment;
    contents += ',';
    contents += f.name;
    contents += '\n';
  }
  return WriteFileAtomically(folder_ / kManifestFileName, contents);
}

Status SegmentSet::OpenForWrites() {
  std::vector<SegmentFile> files = live();
  if (files.empty() || files.back().kind != SegmentFile::Kind::kSegment) {
    files.push_back(SegmentFile{SegmentFile::Kind::kSegment, 1, SegmentFileName(1)});
  }
  KOPF_ASSIGN_OR_RETURN(auto writer, SegmentWriter::Open(folder_ / files.back().name, header_,
                                                         PreallocateBytes()));
  if (manifest_missing_ || files.size() != live().size()) {
    KOPF_RETURN_IF_ERROR(WriteManifest(files));
    manifest_missing_ = false;
  }
  std::lock_guard lock(mu_);
  files_ = std::move(files);
  writer_ = std::move(writer);
  return Status::Ok();
}

bool SegmentSet::RollsOverNext() const {
  return writer_->size() >= max_segment_bytes_ && writer_->size() > header_.size() + 1;
}

Result<std::shared_ptr<SegmentWriter>> SegmentSet::Append(std::string_view bytes,
                                                          bool buffered) {
  if (RollsOverNext()) KOPF_RETURN_IF_ERROR(Roll());
  KOPF_RETURN_IF_ERROR(buffered ? writer_->AppendBuffered(bytes) : writer_->Append(bytes));
  return writer_;
}

Status SegmentSet::Roll() {
  // (1) The full segment becomes immutable: make all of it durable, so
  //     recovery never finds a torn commit anywhere but in the last file.
  //     Its preallocated zeros are cut off first: a sealed file holds
  //     exactly its commits (backups link it as it is).
  KOPF_RETURN_IF_ERROR(writer_->Seal());
  std::lock_guard manifest(manifest_mu_);
  std::vector<SegmentFile> files = live();
  const uint64_t number = files.back().number + 1;
  SegmentFile next{SegmentFile::Kind::kSegment, number, SegmentFileName(number)};
  // (2) A leftover of a rollover that stopped before (3) is not live.
  const fs::path path = folder_ / next.name;
  KOPF_RETURN_IF_ERROR(RemoveFile(path));
  KOPF_ASSIGN_OR_RETURN(auto writer, SegmentWriter::Open(path, header_, PreallocateBytes()));
  files.push_back(next);
  // (3) Publish.
  KOPF_RETURN_IF_ERROR(WriteManifest(files));
  // (4) Switch.
  std::lock_guard lock(mu_);
  files_ = std::move(files);
  writer_ = std::move(writer);
  return Status::Ok();
}

uint64_t SegmentSet::PreallocateBytes() const {
  // Zeros are written 1 MiB at a time (about 10,000 single-row commits), or
  // the segment size when that is smaller, so small segments (tests) do
  // not carry a large tail.
  constexpr uint64_t kPreallocateBytes = 1 << 20;
  return std::min(kPreallocateBytes, std::max<uint64_t>(max_segment_bytes_, 4096));
}

Status SegmentSet::SyncActive() const {
  std::shared_ptr<SegmentWriter> writer;
  {
    std::lock_guard lock(mu_);
    writer = writer_;
  }
  return writer ? writer->Sync() : Status::Ok();
}

Result<std::vector<SegmentFile>> SegmentSet::BeginSnapshot() {
  KOPF_RETURN_IF_ERROR(Roll());
  std::vector<SegmentFile> files = live();
  files.pop_back();
  return files;
}

Status SegmentSet::PublishSnapshot(const SegmentFile& snapshot,
                                   const std::vector<SegmentFile>& covered) {
  {
    std::lock_guard manifest(manifest_mu_);
    std::vector<SegmentFile> files = live();
    if (files.size() < covered.size() ||
        !std::equal(covered.begin(), covered.end(), files.begin(),
                    [](const SegmentFile& a, const SegmentFile& b) { return a.name == b.name; })) {
      return Status::Internal(
          fmt::format("{}: the files a snapshot covers are no longer live", folder_.string()));
    }
    files.erase(files.begin(), files.begin() + static_cast<std::ptrdiff_t>(covered.size()));
    files.insert(files.begin(), snapshot);
    KOPF_RETURN_IF_ERROR(WriteManifest(files));
    std::lock_guard lock(mu_);
    files_ = std::move(files);
  }
  // Retired: no manifest names them any more.
  for (const SegmentFile& f : covered) {
    if (f.name != snapshot.name) KOPF_RETURN_IF_ERROR(RemoveFile(folder_ / f.name));
  }
  return SyncDirectory(folder_);
}

SegmentSetFiles SegmentSet::Files() const {
  std::lock_guard lock(mu_);
  SegmentSetFiles out;
  for (size_t i = 0; i + 1 < files_.size(); ++i) out.immutable.push_back(folder_ / files_[i].name);
  if (!files_.empty()) out.active = folder_ / files_.back().name;
  if (writer_) out.active_bytes = writer_->size();
  return out;
}

size_t SegmentSet::segment_count() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const SegmentFile& f : files_) n += f.kind == SegmentFile::Kind::kSegment;
  return n;
}

std::shared_ptr<SegmentWriter> SegmentSet::active_writer() const {
  std::lock_guard lock(mu_);
  return writer_;
}

}  // namespace kopf::cerebrum
