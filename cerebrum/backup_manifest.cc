#include "cerebrum/backup_manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <map>
#include <set>

#include <fmt/format.h>

#include "cerebrum/backup_internal.h"
#include "cerebrum/csv_format.h"
#include "cerebrum/file_util.h"
#include "cerebrum/partitioning.h"
#include "cerebrum/segment_format.h"
#include "cerebrum/sha256.h"

namespace kopf::cerebrum {

namespace fs = std::filesystem;
using protocol::Result;
using protocol::Status;

namespace {

constexpr std::string_view kHeader = "entry,value,bytes,sha256";
constexpr std::string_view kFormatVersion = "1";

Result<uint64_t> ParseCount(std::string_view text) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidValue(fmt::format("\"{}\" is not a number", text));
  }
  return n;
}

bool IsHexDigest(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A relative path that stays inside the folder: no empty, "." or ".."
// component, no leading '/'.
bool IsSafeRelativePath(std::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

// The size and SHA-256 of the file at `path`, read through once.
Result<std::pair<uint64_t, std::string>> HashFile(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open", path);
  struct stat st {};
  Status read = ::fstat(fd, &st) == 0 ? Status::Ok() : ErrnoStatus("cannot stat", path);
  Sha256 sha;
  if (read.ok()) read = HashAndCopy(fd, path, static_cast<uint64_t>(st.st_size), &sha);
  ::close(fd);
  if (!read.ok()) return read;
  return std::make_pair(static_cast<uint64_t>(st.st_size), sha.HexDigest());
}

// The files a table folder's manifest.csv names, or a problem.
Result<std::vector<std::string>> ManifestNames(const fs::path& path) {
  KOPF_ASSIGN_OR_RETURN(std::string contents, ReadWholeFile(path));
  std::vector<std::string> names;
  KOPF_RETURN_IF_ERROR(ForEachCsvRecord(contents, kManifestHeader, 2, path,
                                        [&](std::vector<CsvField>& fields) -> Status {
                                          names.push_back(fields[1].text);
                                          return Status::Ok();
                                        }));
  return names;
}

// Checks each folder of segments (a table's, or a partition's inside a
// partitioned table's) against the listed files: its manifest.csv is
// listed and names exactly the listed segments and snapshot.
void CheckTableManifests(const fs::path& folder, const std::set<std::string>& listed,
                         std::vector<std::string>* problems) {
  // Listed data files by folder ("tables/t/" or "tables/t/p0/").
  std::map<std::string, std::set<std::string>> data_files;
  std::set<std::string> tables;
  std::set<std::string> segment_folders;
  const std::string prefix = std::string(kTablesFolder) + "/";
  for (const std::string& path : listed) {
    if (!path.starts_with(prefix)) continue;
    const size_t slash = path.find('/', prefix.size());
    if (slash == std::string::npos) continue;
    tables.insert(path.substr(prefix.size(), slash - prefix.size()));
    const size_t last = path.rfind('/');
    const std::string dir = path.substr(0, last + 1);
    const std::string file = path.substr(last + 1);
    if (file.starts_with(kSegmentPrefix) || file.starts_with(kSnapshotPrefix)) {
      data_files[dir].insert(file);
      segment_folders.insert(dir);
    } else if (file == kManifestFileName) {
      segment_folders.insert(dir);
    }
  }
  for (const std::string& table : tables) {
    const std::string dir = prefix + table + "/";
    if (!listed.contains(dir + std::string(kSchemaFileName))) {
      problems->push_back(fmt::format("{}{} is missing", dir, kSchemaFileName));
    }
    // A table without partitions keeps its segments in its own folder.
    if (!listed.contains(dir + std::string(kPartitionFileName))) segment_folders.insert(dir);
  }
  for (const std::string& dir : segment_folders) {
    const std::string manifest = dir + std::string(kManifestFileName);
    if (!listed.contains(manifest)) {
      problems->push_back(fmt::format("{} is missing", manifest));
      continue;
    }
    Result<std::vector<std::string>> names = ManifestNames(folder / manifest);
    if (!names.ok()) {
      problems->push_back(names.status().message());
      continue;
    }
    std::set<std::string>& files = data_files[dir];
    for (const std::string& name : *names) {
      if (!files.erase(name)) {
        problems->push_back(
            fmt::format("{} names {}, which backup.csv does not list", manifest, name));
      }
    }
    for (const std::string& name : files) {
      problems->push_back(fmt::format("{}{} is listed but {} does not name it", dir, name,
                                      kManifestFileName));
    }
  }
}

}  // namespace

uint64_t BackupManifest::total_bytes() const {
  uint64_t total = 0;
  for (const BackupFileEntry& f : files) total += f.bytes;
  return total;
}

std::string EncodeBackupManifest(const BackupManifest& manifest) {
  std::string out(kHeader);
  out += '\n';
  auto record = [&](std::string_view entry, std::string_view value, std::string_view bytes,
                    std::string_view sha) {
    AppendCsvText(&out, entry);
    out += ',';
    AppendCsvText(&out, value);
    out += ',';
    out += bytes;
    out += ',';
    out += sha;
    out += '\n';
  };
  record("format", kFormatVersion, "", "");
  record("commit", std::to_string(manifest.commit), "", "");
  record("time", manifest.time, "", "");
  record("server", manifest.server, "", "");
  for (const BackupFileEntry& f : manifest.files) {
    record("file", f.path, std::to_string(f.bytes), f.sha256);
  }
  return out;
}

Result<BackupManifest> ReadBackupManifest(const fs::path& folder) {
  const fs::path path = folder / kBackupManifestFileName;
  KOPF_ASSIGN_OR_RETURN(std::string contents, ReadWholeFile(path));
  BackupManifest manifest;
  std::set<std::string> seen;
  KOPF_RETURN_IF_ERROR(ForEachCsvRecord(
      contents, kHeader, 4, path, [&](std::vector<CsvField>& fields) -> Status {
        const std::string& entry = fields[0].text;
        const std::string& value = fields[1].text;
        if (entry == "file") {
          if (!IsSafeRelativePath(value) || value == kBackupManifestFileName) {
            return Status::InvalidValue(fmt::format("bad file path \"{}\"", value));
          }
          if (!seen.insert(value).second) {
            return Status::InvalidValue(fmt::format("{} is listed twice", value));
          }
          KOPF_ASSIGN_OR_RETURN(uint64_t bytes, ParseCount(fields[2].text));
          if (!IsHexDigest(fields[3].text)) {
            return Status::InvalidValue(fmt::format("bad SHA-256 \"{}\"", fields[3].text));
          }
          manifest.files.push_back({value, bytes, fields[3].text});
          return Status::Ok();
        }
        if (!seen.insert(entry).second) {
          return Status::InvalidValue(fmt::format("\"{}\" given twice", entry));
        }
        if (entry == "format") {
          if (value != kFormatVersion) {
            return Status::InvalidValue(fmt::format("unknown format \"{}\"", value));
          }
        } else if (entry == "commit") {
          KOPF_ASSIGN_OR_RETURN(manifest.commit, ParseCount(value));
        } else if (entry == "time") {
          manifest.time = value;
        } else if (entry == "server") {
          manifest.server = value;
        } else {
          return Status::InvalidValue(fmt::format("unknown entry \"{}\"", entry));
        }
        return Status::Ok();
      }));
  for (std::string_view required : {"format", "commit", "time"}) {
    if (!seen.contains(std::string(required))) {
      return Status::Corruption(fmt::format("{}: no \"{}\" entry", path.string(), required));
    }
  }
  return manifest;
}

Result<BackupCheck> VerifyBackup(const fs::path& folder) {
  BackupCheck check;
  KOPF_ASSIGN_OR_RETURN(check.manifest, ReadBackupManifest(folder));
  std::set<std::string> listed;
  for (const BackupFileEntry& f : check.manifest.files) {
    listed.insert(f.path);
    std::error_code missing;
    if (!fs::exists(folder / f.path, missing)) {
      check.problems.push_back(fmt::format("{} is missing", f.path));
      continue;
    }
    Result<std::pair<uint64_t, std::string>> read = HashFile(folder / f.path);
    if (!read.ok()) {
      check.problems.push_back(read.status().message());
      continue;
    }
    if (read->first != f.bytes) {
      check.problems.push_back(fmt::format("{} holds {} bytes, backup.csv says {}", f.path,
                                           read->first, f.bytes));
    } else if (read->second != f.sha256) {
      check.problems.push_back(
          fmt::format("{}: SHA-256 {} differs from {} in backup.csv", f.path, read->second,
                      f.sha256));
    }
  }
  // Nothing else may be in the folder: a stray data file would be read by
  // a server started on it.
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(folder, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string relative = fs::relative(it->path(), folder).generic_string();
    if (it->is_directory() && !it->is_symlink()) continue;
    if (relative == kBackupManifestFileName || relative == kBackupVerifiedFileName) continue;
    if (!listed.contains(relative)) {
      check.problems.push_back(fmt::format("{} is not listed in backup.csv", relative));
    } else if (!it->is_regular_file() || it->is_symlink()) {
      check.problems.push_back(fmt::format("{} is not a regular file", relative));
    }
  }
  if (ec) check.problems.push_back(fmt::format("cannot list {}: {}", folder.string(), ec.message()));
  CheckTableManifests(folder, listed, &check.problems);
  return check;
}

Status RecordVerification(const fs::path& folder, const BackupManifest& manifest,
                          std::string_view time) {
  return WriteFileAtomically(folder / kBackupVerifiedFileName,
                             fmt::format("time,commit\n{},{}\n", time, manifest.commit));
}

Result<std::vector<BackupListing>> ListBackups(const fs::path& dir) {
  std::vector<BackupListing> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.ends_with(kBackupWorkSuffix) ||
        !fs::exists(entry.path() / kBackupManifestFileName)) {
      continue;
    }
    BackupListing listing;
    listing.name = name;
    if (Result<BackupManifest> manifest = ReadBackupManifest(entry.path()); manifest.ok()) {
      listing.manifest = std::move(*manifest);
    }
    // verified.csv counts only for the backup it was written for.
    const fs::path verified = entry.path() / kBackupVerifiedFileName;
    if (listing.manifest && fs::exists(verified)) {
      if (Result<std::string> contents = ReadWholeFile(verified); contents.ok()) {
        (void)ForEachCsvRecord(*contents, "time,commit", 2, verified,
                               [&](std::vector<CsvField>& fields) -> Status {
                                 if (fields[1].text == std::to_string(listing.manifest->commit)) {
                                   listing.verified_at = fields[0].text;
                                 }
                                 return Status::Ok();
                               });
      }
    }
    out.push_back(std::move(listing));
  }
  if (ec) return Status::IoError(fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  auto time_of = [](const BackupListing& b) { return b.manifest ? b.manifest->time : ""; };
  std::sort(out.begin(), out.end(), [&](const BackupListing& a, const BackupListing& b) {
    return std::make_pair(time_of(a), a.name) < std::make_pair(time_of(b), b.name);
  });
  return out;
}

std::string UtcTimestamp(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace kopf::cerebrum
