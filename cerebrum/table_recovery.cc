// Table::Recover: rebuilding a table's rows from its segments at start-up.
//
// 1. Read manifest.csv for the live files (a snapshot, then segments; a
//    folder without a manifest: segment-*.csv in number order). See
//    segment_set.h for the leftovers of a crash that are removed here.
// 2. Read each record (a record may span lines when a value holds a
//    newline). The first record must be the expected header.
// 3. Collect put/del records of a commit until its `commit` record, then
//    keep them with the other complete commits. Records without their
//    commit record are never applied: that is what makes a statement
//    atomic. Once every file is read, the last change of each key wins and
//    the surviving rows are loaded into the tree in key order
//    (ApplyRecovered).
// 4. The last segment's trailing zero bytes (space SegmentWriter wrote
//    ahead of the commits) are cut off silently before it is read.
//    At the end of the last segment, records after the last commit record
//    (a torn line, a commit cut short by a crash) are cut off the file, so
//    new commits are appended after the last complete one.
// 5. A damaged record followed by a complete commit is not a torn tail but
//    damage in the middle: start-up stops with kCorruption naming the file
//    and line, and nothing is dropped silently. So does an incomplete end
//    of any file but the last (each was fsync'ed whole before the next was
//    started). With Options::repair (kopfd --repair) the file is instead
//    cut after its last complete commit, the bytes cut off are saved as
//    <file>.damaged-<time>, and recovery carries on with the next file.
// 6. Once every row is back, the secondary indexes named in indexes.csv are
//    built from the rows (their entries are never stored). A unique index
//    the rows violate (only possible if files were edited by hand) stops
//    start-up with kCorruption naming indexes.csv.
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "cerebrum/csv_format.h"
#include "cerebrum/csv_reader.h"
#include "cerebrum/file_util.h"
#include "cerebrum/index_file.h"
#include "cerebrum/segment_format.h"
#include "cerebrum/segment_set.h"
#include "cerebrum/segment_writer.h"
#include "cerebrum/table.h"

namespace kopf::cerebrum {

using protocol::Result;
using protocol::Row;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

Result<uint64_t> ParseSeq(const CsvField& field) {
  if (field.quoted || field.text.empty() || field.text.size() > 19) {
    return Status::InvalidValue(fmt::format("bad commit number \"{}\"", field.text));
  }
  uint64_t seq = 0;
  for (char c : field.text) {
    if (c < '0' || c > '9') {
      return Status::InvalidValue(fmt::format("bad commit number \"{}\"", field.text));
    }
    seq = seq * 10 + static_cast<uint64_t>(c - '0');
  }
  return seq;
}

// The partitions a multi-part commit line names ("commit:0:3"), or
// nothing when `op` is not one.
std::optional<std::vector<size_t>> ParseCommitParts(std::string_view op) {
  if (op.size() <= kOpCommit.size() || !op.starts_with(kOpCommit) ||
      op[kOpCommit.size()] != kOpPartSeparator) {
    return std::nullopt;
  }
  std::vector<size_t> parts;
  size_t value = 0;
  bool digits = false;
  for (size_t i = kOpCommit.size() + 1; i <= op.size(); ++i) {
    if (i == op.size() || op[i] == kOpPartSeparator) {
      if (!digits) return std::nullopt;
      parts.push_back(value);
      value = 0;
      digits = false;
    } else if (op[i] >= '0' && op[i] <= '9' && value < 100000) {
      value = value * 10 + static_cast<size_t>(op[i] - '0');
      digits = true;
    } else {
      return std::nullopt;
    }
  }
  return parts;
}

// Damage in the middle of the data stops the start; the message says how
// to get past it.
Status WithRepairHint(const Status& damage) {
  return Status::Corruption(damage.message() +
                            " (start kopfd with --repair to cut the file after its last complete "
                            "commit; the bytes cut off are saved beside it)");
}

}  // namespace

std::vector<std::string_view> Table::KnownFiles() { return {kSchemaFileName, kIndexFileName}; }

Status Table::Recover(uint64_t* max_seq) {
  if (partitioned()) return RecoverPartitions(max_seq);
  RecoveryLog log;
  KOPF_RETURN_IF_ERROR(ReadFiles(max_seq, &log));
  ApplyRecovered(std::move(log.changes));
  return LoadIndexes();
}

Status Table::ReadFiles(uint64_t* max_seq, RecoveryLog* log) {
  // An index file being replaced when the server stopped: the old one (or
  // none) is still in place, so the half-written copy goes.
  std::filesystem::path index_tmp = folder_ / kIndexFileName;
  index_tmp += kTempSuffix;
  std::error_code ignored;
  std::filesystem::remove(index_tmp, ignored);

  KOPF_ASSIGN_OR_RETURN(
      segments_, SegmentSet::Load(folder_, HeaderLine(), options_.segment_max_bytes, KnownFiles()));
  std::vector<SegmentFile> files = segments_->live();
  for (size_t i = 0; i < files.size(); ++i) {
    KOPF_RETURN_IF_ERROR(
        RecoverSegment(folder_ / files[i].name, i + 1 == files.size(), max_seq, log));
  }
  return Status::Ok();
}

// Inserting a million keys one by one in the order the files hold them
// costs a tree descent (~20 key comparisons) each; sorting positions by key
// and appending the survivors in order costs one comparison per row in the
// tree. A single INTEGER key (and every rowid table) sorts as plain int64.
void Table::ApplyRecovered(std::vector<RecoveredChange> changes) {
  const size_t n = changes.size();
  bool integer_keys = true;
  for (const RecoveredChange& c : changes) {
    if (c.key.size() != 1 || c.key[0].type() != Type::kInteger) {
      integer_keys = false;
      break;
    }
  }
  if (integer_keys) {
    std::vector<std::pair<int64_t, uint32_t>> keyed(n);
    for (size_t i = 0; i < n; ++i) {
      keyed[i] = {changes[i].key[0].as_integer(), static_cast<uint32_t>(i)};
    }
    std::sort(keyed.begin(), keyed.end());
    // Equal keys are adjacent, in file order: the last one is the key's state.
    for (size_t i = 0; i < n; ++i) {
      if (i + 1 < n && keyed[i + 1].first == keyed[i].first) continue;
      RecoveredChange& c = changes[keyed[i].second];
      if (!c.is_delete) rows_.Append(std::move(c.key), std::move(c.row));
    }
    return;
  }
  std::vector<uint32_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    auto c = KeyCompare()(changes[a].key, changes[b].key);
    return c < 0 || (c == 0 && a < b);
  });
  for (size_t i = 0; i < n; ++i) {
    RecoveredChange& c = changes[order[i]];
    if (i + 1 < n && KeyCompare()(c.key, changes[order[i + 1]].key) == 0) continue;
    if (!c.is_delete) rows_.Append(std::move(c.key), std::move(c.row));
  }
}

Status Table::CutDamagedTail(const std::filesystem::path& path, uint64_t offset,
                             const Status& damage) const {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  std::filesystem::path aside = path;
  aside += fmt::format("{}{}", kDamagedInfix, stamp);
  KOPF_ASSIGN_OR_RETURN(std::string contents, ReadWholeFile(path));
  if (offset > contents.size()) offset = contents.size();
  KOPF_RETURN_IF_ERROR(WriteFileAtomically(aside, std::string_view(contents).substr(offset)));
  if (::truncate(path.c_str(), static_cast<off_t>(offset)) != 0) {
    return ErrnoStatus("cannot cut the damaged tail off", path);
  }
  std::fprintf(stderr,
               "kopfd: repair: %s; cut %llu bytes off %s after its last good commit and saved "
               "them as %s\n",
               damage.message().c_str(), static_cast<unsigned long long>(contents.size() - offset),
               path.c_str(), aside.c_str());
  return Status::Ok();
}

Status Table::LoadIndexes() {
  KOPF_ASSIGN_OR_RETURN(std::vector<IndexSchema> definitions, ReadIndexFile());
  return BuildIndexes(std::move(definitions), {});
}

Result<std::vector<IndexSchema>> Table::ReadIndexFile() const {
  std::filesystem::path path = folder_ / kIndexFileName;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    KOPF_ASSIGN_OR_RETURN(std::string contents, ReadWholeFile(path));
    return DecodeIndexFile(contents, schema_, path);
  }
  if (ec) return Status::IoError(fmt::format("cannot check {}: {}", path.string(), ec.message()));
  return std::vector<IndexSchema>();
}

Status Table::BuildIndexes(std::vector<IndexSchema> definitions, const std::vector<uint64_t>& ids) {
  indexes_.clear();
  for (size_t i = 0; i < definitions.size(); ++i) {
    auto index = ids.empty() ? std::make_unique<SecondaryIndex>(std::move(definitions[i]))
                             : std::make_unique<SecondaryIndex>(std::move(definitions[i]), ids[i]);
    Status built = index->Build(rows_);
    if (!built.ok()) {
      std::filesystem::path path = (is_partition_ ? folder_.parent_path() : folder_) / kIndexFileName;
      return Status::Corruption(
          fmt::format("{}: {}; remove the index's lines from the file to start without it",
                      path.string(), built.message()));
    }
    indexes_.push_back(std::move(index));
  }
  PublishStatistics(/*index_list_changed=*/true);
  return Status::Ok();
}

Status Table::RecoverSegment(const std::filesystem::path& path, bool is_last, uint64_t* max_seq,
                             RecoveryLog* log) {
  std::vector<RecoveredChange>* changes = &log->changes;
  if (is_last) {
    // The active segment may end in zeros written ahead of its commits
    // (SegmentWriter preallocation): unused space, not data. Cut them off
    // silently; anything before them is judged as usual.
    KOPF_ASSIGN_OR_RETURN(uint64_t length, LengthWithoutTrailingZeros(path));
    std::error_code error;
    if (length < std::filesystem::file_size(path, error) && !error &&
        ::truncate(path.c_str(), static_cast<off_t>(length)) != 0) {
      return ErrnoStatus("cannot cut the preallocated space off", path);
    }
  }
  KOPF_ASSIGN_OR_RETURN(auto reader, CsvRecordReader::Open(path));
  const bool keyed = schema_.has_primary_key();
  const size_t meta = keyed ? 2 : 3;  // _seq, _op [, _rowid]
  const size_t width = meta + schema_.columns.size();
  const std::string expected_header = HeaderLine();

  std::string record;
  uint64_t line = 0;
  std::vector<CsvField> fields;
  std::vector<RecoveredChange> pending;
  uint64_t pending_seq = 0;
  uint64_t pending_line = 0;
  uint64_t last_good_end = 0;  // byte offset just past the last applied commit
  std::optional<Status> damage;  // first unreadable record, if any
  bool header_seen = false;

  auto where = [&](uint64_t at) { return fmt::format("{} line {}", path.string(), at); };

  while (true) {
    KOPF_ASSIGN_OR_RETURN(bool more, reader->Next(&record, &line));
    if (!more) break;
    if (!header_seen) {
      header_seen = true;
      if (reader->last_record_torn()) {  // crashed while creating the file
        damage = Status::Corruption(fmt::format("{}: incomplete header", where(line)));
        break;
      }
      if (record != expected_header) {
        return Status::Corruption(fmt::format("{}: header \"{}\" does not match the table (\"{}\")",
                                              where(line), record, expected_header));
      }
      last_good_end = reader->record_end_offset();
      continue;
    }
    // Parse the record fully before acting on it.
    auto parse = [&]() -> Status {
      if (reader->last_record_torn()) return Status::InvalidValue("incomplete line");
      KOPF_RETURN_IF_ERROR(SplitCsvRecord(record, &fields));
      if (fields.size() != width) {
        return Status::InvalidValue(
            fmt::format("{} fields where the table has {}", fields.size(), width));
      }
      return Status::Ok();
    };
    Status parsed = parse();
    uint64_t seq = 0;
    std::string_view op;
    std::vector<size_t> parts;  // of a multi-part commit line
    if (parsed.ok()) {
      auto seq_result = ParseSeq(fields[0]);
      if (!seq_result.ok()) {
        parsed = seq_result.status();
      } else {
        seq = *seq_result;
        op = fields[1].text;
        if (op.starts_with(kOpCommit) && op != kOpCommit) {
          if (auto partitions = ParseCommitParts(op)) {
            parts = std::move(*partitions);
            op = kOpCommit;
          }
        }
        if (op != kOpPut && op != kOpDelete && op != kOpCommit && op != kOpAbort) {
          parsed = Status::InvalidValue(fmt::format("unknown operation \"{}\"", op));
        }
      }
    }
    RecoveredChange change;
    if (parsed.ok() && op != kOpCommit && op != kOpAbort) {
      change.is_delete = op == kOpDelete;
      auto parse_values = [&]() -> Status {
        if (!keyed) {
          KOPF_ASSIGN_OR_RETURN(Value rowid, ParseCsvValue(fields[2], Type::kInteger));
          if (rowid.is_null()) return Status::InvalidValue("missing _rowid");
          change.key = {rowid};
        }
        if (change.is_delete && keyed) {
          for (size_t column : schema_.primary_key) {
            KOPF_ASSIGN_OR_RETURN(Value v,
                                  ParseCsvValue(fields[meta + column], schema_.columns[column].type));
            change.key.push_back(std::move(v));
          }
          return Status::Ok();
        }
        if (change.is_delete) return Status::Ok();
        change.row.reserve(schema_.columns.size());
        for (size_t i = 0; i < schema_.columns.size(); ++i) {
          KOPF_ASSIGN_OR_RETURN(Value v, ParseCsvValue(fields[meta + i], schema_.columns[i].type));
          change.row.push_back(std::move(v));
        }
        if (keyed) change.key = KeyOf(change.row);
        return Status::Ok();
      };
      parsed = parse_values();
    }

    if (!parsed.ok()) {
      if (!damage) {
        damage = Status::Corruption(fmt::format("{}: {}", where(line), parsed.message()));
      }
      continue;
    }
    if (damage) {
      // Something readable after a damaged record: if it completes a commit,
      // the damage is in the middle of the data, not a torn tail.
      if (op == kOpCommit) {
        if (!options_.repair) return WithRepairHint(*damage);
        return CutDamagedTail(path, last_good_end, *damage);
      }
      continue;
    }
    if (!pending.empty() && seq != pending_seq) {
      // The lines of an earlier commit never got their commit record (its
      // append failed and could not be cut back). It was never acknowledged.
      std::fprintf(stderr, "kopfd: warning: %s: skipping commit %llu without its commit record\n",
                   where(pending_line).c_str(), static_cast<unsigned long long>(pending_seq));
      pending.clear();
    }
    if (op == kOpAbort) {
      log->aborted.push_back(seq);
      last_good_end = reader->record_end_offset();
      continue;
    }
    if (op == kOpCommit) {
      if (!parts.empty()) {
        log->parts.push_back({seq, std::move(parts), changes->size(),
                              changes->size() + pending.size()});
      }
      for (RecoveredChange& p : pending) {
        if (!keyed) next_rowid_ = std::max(next_rowid_, p.key[0].as_integer() + 1);
        changes->push_back(std::move(p));
      }
      lines_.fetch_add(pending.size(), std::memory_order_relaxed);
      pending.clear();
      *max_seq = std::max(*max_seq, seq);
      if (seq > last_commit_.load(std::memory_order_relaxed)) {
        last_commit_.store(seq, std::memory_order_relaxed);
      }
      last_good_end = reader->record_end_offset();
      continue;
    }
    if (pending.empty()) {
      pending_seq = seq;
      pending_line = line;
    }
    pending.push_back(std::move(change));
  }

  if (!damage && pending.empty()) return Status::Ok();
  if (!is_last) {
    // Files before the last were fsync'ed whole before the next one was
    // started: an incomplete end is damage.
    Status problem = damage ? *damage
                            : Status::Corruption(fmt::format("{}: commit {} has no commit record",
                                                             where(pending_line), pending_seq));
    if (!options_.repair) return WithRepairHint(problem);
    return CutDamagedTail(path, last_good_end, problem);
  }
  // A torn tail: the crash hit while this commit was being written, so it
  // was never acknowledged. Cut it off so appends continue after the last
  // complete commit.
  std::fprintf(stderr, "kopfd: %s: discarding an incomplete commit at the end (%s)\n",
               path.c_str(), damage ? damage->message().c_str() : "no commit record");
  if (::truncate(path.c_str(), static_cast<off_t>(last_good_end)) != 0) {
    return ErrnoStatus("cannot cut the torn tail off", path);
  }
  return Status::Ok();
}

}  // namespace kopf::cerebrum
