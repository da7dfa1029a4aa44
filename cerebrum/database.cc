#include "cerebrum/database.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "cerebrum/file_util.h"
#include "cerebrum/schema_file.h"
#include "cerebrum/segment_format.h"

namespace kopf::cerebrum {

namespace fs = std::filesystem;
using protocol::Result;
using protocol::Status;

Database::Database(Options options)
    : options_(std::move(options)), group_commit_(options_.sync) {}

Database::~Database() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

fs::path Database::tables_dir() const { return options_.data_dir / kTablesFolder; }

Result<std::unique_ptr<Database>> Database::Open(const Options& options) {
  std::unique_ptr<Database> db(new Database(options));
  std::error_code ec;
  fs::create_directories(db->tables_dir(), ec);
  if (ec) {
    return Status::IoError(
        fmt::format("cannot create data directory {}: {}", options.data_dir.string(), ec.message()));
  }
  fs::path lock_path = options.data_dir / "kopfd.lock";
  db->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (db->lock_fd_ < 0) return ErrnoStatus("cannot open", lock_path);
  if (::flock(db->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::IoError(fmt::format("data directory {} is in use by another kopfd",
                                       options.data_dir.string()));
  }
  KOPF_RETURN_IF_ERROR(db->Recover());
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

  uint64_t max_seq = 0;
  for (const fs::path& folder : folders) {
    fs::path schema_path = folder / kSchemaFileName;
    if (!fs::exists(schema_path)) {
      std::fprintf(stderr, "kopfd: warning: ignoring folder %s without %s\n", folder.c_str(),
                   std::string(kSchemaFileName).c_str());
      continue;
    }
    std::string name = DecodeFileName(folder.filename().string());
    KOPF_ASSIGN_OR_RETURN(std::string contents, ReadWholeFile(schema_path));
    KOPF_ASSIGN_OR_RETURN(TableSchema schema, DecodeSchemaFile(contents, name, schema_path));
    auto table = std::make_shared<Table>(std::move(schema), folder, &group_commit_);
    table->SetSequence(&sequence_);
    KOPF_RETURN_IF_ERROR(table->Recover(&max_seq));
    KOPF_RETURN_IF_ERROR(table->OpenForWrites());
    tables_.emplace(name, std::move(table));
  }
  sequence_.store(max_seq);
  return Status::Ok();
}

Status Database::CreateTable(TableSchema schema) {
  std::lock_guard ddl(ddl_mutex_);
  if (FindTable(schema.name)) {
    return Status::DuplicateTable(fmt::format("table \"{}\" already exists", schema.name));
  }
  // Build the folder under a transient name, then rename it into place:
  // after a crash the table either fully exists or not at all.
  std::string encoded = EncodeFileName(schema.name);
  fs::path staging = tables_dir() / fmt::format("{}creating-{}", kTransientPrefix, encoded);
  fs::path folder = tables_dir() / encoded;
  std::error_code ec;
  fs::remove_all(staging, ec);
  if (!fs::create_directory(staging, ec) || ec) {
    return Status::IoError(fmt::format("cannot create {}: {}", staging.string(),
                                       ec ? ec.message() : "already exists"));
  }
  Status written = WriteFileAtomically(staging / kSchemaFileName, EncodeSchemaFile(schema));
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
  auto table = std::make_shared<Table>(std::move(schema), folder, &group_commit_);
  table->SetSequence(&sequence_);
  KOPF_RETURN_IF_ERROR(table->OpenForWrites());
  std::unique_lock catalog(catalog_mutex_);
  tables_.emplace(table->schema().name, std::move(table));
  return Status::Ok();
}

Status Database::DropTable(std::string_view name) {
  std::lock_guard ddl(ddl_mutex_);
  std::shared_ptr<Table> table = FindTable(name);
  if (!table) return Status::UndefinedTable(fmt::format("table \"{}\" does not exist", name));
  auto lock = table->LockExclusive();  // waits for statements writing to it
  auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
  fs::path doomed = tables_dir() / fmt::format("{}dropped-{}-{}", kTransientPrefix,
                                               EncodeFileName(name), stamp);
  if (::rename(table->folder().c_str(), doomed.c_str()) != 0) {
    return ErrnoStatus("cannot drop", table->folder());
  }
  KOPF_RETURN_IF_ERROR(SyncDirectory(tables_dir()));
  table->MarkDropped();
  {
    std::unique_lock catalog(catalog_mutex_);
    tables_.erase(tables_.find(name));
  }
  std::error_code ec;
  fs::remove_all(doomed, ec);  // best effort: start-up removes leftovers
  return Status::Ok();
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
