#include "cerebrum/database.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "cerebrum/file_util.h"
#include "cerebrum/index_file.h"
#include "cerebrum/parallel.h"
#include "cerebrum/partitioning.h"
#include "cerebrum/schema_file.h"
#include "cerebrum/segment_format.h"

namespace kopf::cerebrum {

namespace fs = std::filesystem;
using protocol::Result;
using protocol::Status;

Database::Database(Options options)
    : options_(std::move(options)),
      group_commit_(in_memory() ? SyncMode::kNone : options_.sync, options_.sync_interval) {}

Database::~Database() {
  if (compaction_thread_.joinable()) {
    {
      std::lock_guard lock(compaction_mu_);
      stopping_ = true;
    }
    compaction_cv_.notify_all();
    compaction_thread_.join();
  }
  // The last fsync round (interval mode) runs while the folder is still ours.
  group_commit_.Stop();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::shared_ptr<Table> Database::NewTable(TableSchema schema, const fs::path& folder) {
  auto table = std::make_shared<Table>(std::move(schema), folder, &group_commit_, options_);
  table->SetSequence(&sequence_);
  table->SetCompactionHint([this] {
    {
      std::lock_guard lock(compaction_mu_);
      compaction_wanted_ = true;
    }
    compaction_cv_.notify_one();
  });
  return table;
}

void Database::CompactionLoop() {
  std::unique_lock lock(compaction_mu_);
  while (!stopping_) {
    // A commit past a threshold wakes the thread; the timeout looks again
    // at tables whose hint came while a compaction was running.
    compaction_cv_.wait_for(lock, std::chrono::seconds(5),
                            [&] { return stopping_ || compaction_wanted_; });
    if (stopping_) break;
    compaction_wanted_ = false;
    lock.unlock();
    std::vector<std::shared_ptr<Table>> tables;
    {
      std::shared_lock catalog(catalog_mutex_);
      for (const auto& [name, table] : tables_) tables.push_back(table);
    }
    for (const auto& table : tables) {
      {
        std::lock_guard stop(compaction_mu_);
        if (stopping_) break;
      }
      if (!table->NeedsCompaction()) continue;
      Result<uint64_t> rows = table->CompactIfNeeded();
      if (!rows.ok() && rows.status().code() != protocol::ErrorCode::kUndefinedTable) {
        std::fprintf(stderr, "kopfd: background compaction of table \"%s\" failed: %s\n",
                     table->schema().name.c_str(), rows.status().ToString().c_str());
      }
    }
    lock.lock();
  }
}

Result<uint64_t> Database::CompactTable(std::string_view name) {
  std::shared_ptr<Table> table = FindTable(name);
  if (!table) return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", name));
  return table->Compact();
}

fs::path Database::tables_dir() const { return options_.data_dir / kTablesFolder; }

Result<std::unique_ptr<Database>> Database::Open(const Options& options) {
  std::unique_ptr<Database> db(new Database(options));
  if (db->in_memory()) return db;  // no folder, no lock, nothing to recover
  std::error_code ec;
  fs::create_directories(db->tables_dir(), ec);
  if (ec) {
    errno = ec.value();  // so a read-only or full disk gets its own code
    return ErrnoStatus("cannot create data directory", options.data_dir);
  }
  fs::path lock_path = options.data_dir / "kopfd.lock";
  db->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (db->lock_fd_ < 0) return ErrnoStatus("cannot open", lock_path);
  if (::flock(db->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::IoError(fmt::format("data directory {} is in use by another kopfd",
                                       options.data_dir.string()));
  }
  // Every partition keeps its active segment open, so a table of 1024
  // partitions needs as many descriptors: allow what the hard limit allows.
  if (rlimit files{}; ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);  // best effort: the old limit stays otherwise
  }
  KOPF_RETURN_IF_ERROR(db->Recover());
  if (options.compact_dead_fraction > 0 || options.compact_max_segments > 0) {
    db->compaction_thread_ = std::thread([raw = db.get()] { raw->CompactionLoop(); });
  }
  return db;
}

Status Database::Recover() {
  std::vector<fs::path> folders;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(tables_dir(), ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(kTransientPrefix)) {
      // A table half created or half dropped when the server stopped.
      std::fprintf(stderr, "kopfd: removing unfinished %s\n", entry.path().c_str());
      fs::remove_all(entry.path(), ec);
      continue;
    }
    if (!entry.is_directory()) {
      std::fprintf(stderr, "kopfd: warning: ignoring stray file %s\n", entry.path().c_str());
      continue;
    }
    folders.push_back(entry.path());
  }
  if (ec) return Status::IoError(fmt::format("cannot list {}: {}", tables_dir().string(), ec.message()));

  // Tables are independent: recover several at once.
  std::vector<Result<std::shared_ptr<Table>>> recovered(
      folders.size(), Result<std::shared_ptr<Table>>(std::shared_ptr<Table>()));
  std::vector<uint64_t> max_seqs(folders.size(), 0);
  ForEachInParallel(folders.size(), options_.recovery_threads,
                    [&](size_t i) { recovered[i] = RecoverTable(folders[i], &max_seqs[i]); });

  uint64_t max_seq = 0;
  for (size_t i = 0; i < folders.size(); ++i) {
    KOPF_ASSIGN_OR_RETURN(std::shared_ptr<Table> table, std::move(recovered[i]));
    if (!table) continue;  // not a table folder
    max_seq = std::max(max_seq, max_seqs[i]);
    for (const IndexStatistics& index : table->Statistics().indexes) {
      if (indexes_.contains(index.schema.name)) {
        return Status::Corruption(fmt::format("{}: index \"{}\" is defined on two tables",
                                              (folders[i] / kIndexFileName).string(),
                                              index.schema.name));
      }
      indexes_.emplace(index.schema.name, index.schema);
    }
    std::string name = table->schema().name;
    tables_.emplace(std::move(name), std::move(table));
  }
  sequence_.store(max_seq);
  return Status::Ok();
}

Result<std::shared_ptr<Table>> Database::RecoverTable(const fs::path& folder, uint64_t* max_seq) {
  fs::path schema_path = folder / kSchemaFileName;
  if (!fs::exists(schema_path)) {
    std::fprintf(stderr, "kopfd: warning: ignoring folder %s without %s\n", folder.c_str(),
                 std::string(kSchemaFileName).c_str());
    return std::shared_ptr<Table>();
  }
  std::string name = DecodeFileName(folder.filename().string());
  KOPF_ASSIGN_OR_RETURN(std::string contents, ReadWholeFile(schema_path));
  KOPF_ASSIGN_OR_RETURN(TableSchema schema, DecodeSchemaFile(contents, name, schema_path));
  if (fs::path partitions = folder / kPartitionFileName; fs::exists(partitions)) {
    KOPF_ASSIGN_OR_RETURN(std::string spec, ReadWholeFile(partitions));
    KOPF_RETURN_IF_ERROR(DecodePartitionFile(spec, &schema, partitions));
  }
  std::shared_ptr<Table> table = NewTable(std::move(schema), folder);
  KOPF_RETURN_IF_ERROR(table->Recover(max_seq));
  KOPF_RETURN_IF_ERROR(table->OpenForWrites());
  return table;
}

Status Database::CreateTable(TableSchema schema) {
  std::lock_guard ddl(ddl_mutex_);
  if (FindTable(schema.name)) {
    return Status::DuplicateTable(fmt::format("table \"{}\" already exists", schema.name));
  }
  if (in_memory()) {
    std::shared_ptr<Table> table = NewTable(std::move(schema), fs::path());
    std::unique_lock catalog(catalog_mutex_);
    tables_.emplace(table->schema().name, std::move(table));
    return Status::Ok();
  }
  // Build the folder under a transient name, then rename it into place:
  // after a crash the table either fully exists or not at all.
  std::string encoded = EncodeFileName(schema.name);
  fs::path staging = tables_dir() / fmt::format("{}creating-{}", kTransientPrefix, encoded);
  fs::path folder = tables_dir() / encoded;
  std::error_code ec;
  fs::remove_all(staging, ec);
  if (!fs::create_directory(staging, ec) || ec) {
    errno = ec ? ec.value() : EEXIST;
    return ErrnoStatus("cannot create", staging);
  }
  Status written = WriteFileAtomically(staging / kSchemaFileName, EncodeSchemaFile(schema));
  if (written.ok() && schema.partitioned()) {
    // Each partition's folder exists before the table does.
    written = WriteFileAtomically(staging / kPartitionFileName, EncodePartitionFile(schema));
    for (const PartitionDef& p : schema.partitioning.partitions) {
      if (!written.ok()) break;
      fs::path sub = staging / EncodeFileName(p.name);
      if (!fs::create_directory(sub, ec) || ec) {
        errno = ec ? ec.value() : EEXIST;
        written = ErrnoStatus("cannot create", sub);
      }
    }
    if (written.ok()) written = SyncDirectory(staging);
  }
  if (!written.ok()) {
    fs::remove_all(staging, ec);
    return written;
  }
  if (::rename(staging.c_str(), folder.c_str()) != 0) {
    Status s = ErrnoStatus("cannot rename into place", folder);
    fs::remove_all(staging, ec);
    return s;
  }
  KOPF_RETURN_IF_ERROR(SyncDirectory(tables_dir()));
  std::shared_ptr<Table> table = NewTable(std::move(schema), folder);
  if (Status opened = table->OpenForWrites(); !opened.ok()) {
    // The folder exists but the table could not be opened (for instance a
    // partition past the limit of open files): take it away again, so it
    // does not appear at the next start-up. Start-up removes the
    // transient name if this is cut short.
    fs::path doomed = tables_dir() / fmt::format("{}dropped-{}-new", kTransientPrefix, encoded);
    table.reset();
    if (::rename(folder.c_str(), doomed.c_str()) == 0) {
      (void)SyncDirectory(tables_dir());
      fs::remove_all(doomed, ec);
    }
    return opened;
  }
  std::unique_lock catalog(catalog_mutex_);
  tables_.emplace(table->schema().name, std::move(table));
  return Status::Ok();
}

Status Database::DropTable(std::string_view name) {
  std::lock_guard ddl(ddl_mutex_);
  std::shared_ptr<Table> table = FindTable(name);
  if (!table) return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", name));
  auto lock = table->LockExclusive();  // waits for statements writing to it
  fs::path doomed;
  if (!in_memory()) {
    auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    doomed = tables_dir() / fmt::format("{}dropped-{}-{}", kTransientPrefix,
                                        EncodeFileName(name), stamp);
    if (::rename(table->folder().c_str(), doomed.c_str()) != 0) {
      return ErrnoStatus("cannot drop", table->folder());
    }
    KOPF_RETURN_IF_ERROR(SyncDirectory(tables_dir()));
  }
  table->MarkDropped();
  {
    std::unique_lock catalog(catalog_mutex_);
    tables_.erase(tables_.find(name));
    std::erase_if(indexes_, [&](const auto& entry) { return entry.second.table == name; });
  }
  std::error_code ec;
  if (!doomed.empty()) fs::remove_all(doomed, ec);  // best effort: start-up removes leftovers
  return Status::Ok();
}

Status Database::CreateIndex(IndexSchema index, bool if_not_exists) {
  std::lock_guard ddl(ddl_mutex_);
  if (FindIndex(index.name)) {
    if (if_not_exists) return Status::Ok();
    return Status::DuplicateTable(fmt::format("index \"{}\" already exists", index.name));
  }
  std::shared_ptr<Table> table = FindTable(index.table);
  if (!table) {
    return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", index.table));
  }
  if (index.columns.empty()) {
    return Status::Internal(fmt::format("index \"{}\" has no columns", index.name));
  }
  for (size_t column : index.columns) {
    if (column >= table->schema().columns.size()) {
      return Status::UndefinedColumn(fmt::format("index \"{}\": table \"{}\" has no column {}",
                                                 index.name, index.table, column + 1));
    }
  }
  if (index.descending.empty()) index.descending.assign(index.columns.size(), false);
  if (index.descending.size() != index.columns.size()) {
    return Status::Internal(fmt::format("index \"{}\": {} sort orders for {} columns", index.name,
                                        index.descending.size(), index.columns.size()));
  }
  KOPF_RETURN_IF_ERROR(table->AddIndex(index));
  std::unique_lock catalog(catalog_mutex_);
  std::string name = index.name;
  indexes_.emplace(std::move(name), std::move(index));
  return Status::Ok();
}

Status Database::DropIndex(std::string_view name, bool if_exists) {
  std::lock_guard ddl(ddl_mutex_);
  std::optional<IndexSchema> index = FindIndex(name);
  if (!index) {
    if (if_exists) return Status::Ok();
    return Status::UndefinedTable(fmt::format("index \"{}\" does not exist", name));
  }
  std::shared_ptr<Table> table = FindTable(index->table);
  if (!table) {
    return Status::Internal(
        fmt::format("index \"{}\" belongs to the missing table \"{}\"", name, index->table));
  }
  KOPF_RETURN_IF_ERROR(table->RemoveIndex(name));
  std::unique_lock catalog(catalog_mutex_);
  indexes_.erase(indexes_.find(name));
  return Status::Ok();
}

std::optional<IndexSchema> Database::FindIndex(std::string_view name) const {
  std::shared_lock catalog(catalog_mutex_);
  auto it = indexes_.find(name);
  if (it == indexes_.end()) return std::nullopt;
  return it->second;
}

std::vector<IndexSchema> Database::IndexesOf(std::string_view table) const {
  std::shared_ptr<Table> t = FindTable(table);
  if (!t) return {};
  std::vector<IndexSchema> out;
  for (IndexStatistics& index : t->Statistics().indexes) out.push_back(std::move(index.schema));
  return out;
}

std::shared_ptr<Table> Database::FindTable(std::string_view name) const {
  std::shared_lock catalog(catalog_mutex_);
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : it->second;
}

std::vector<std::string> Database::TableNames() const {
  std::shared_lock catalog(catalog_mutex_);
  std::vector<std::string> names;
  for (const auto& [name, table] : tables_) names.push_back(name);
  return names;
}

}  // namespace kopf::cerebrum
