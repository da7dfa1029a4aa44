// COPY FROM and COPY TO a server-side CSV file (the path is already confined
// to the import directories by ConfineCopyPath), or FROM STDIN / TO STDOUT,
// the client's end of the connection (the copy sub-protocol).
//
// COPY FROM, one statement and one commit:
//   1. stream the file record by record (CopyCsvReader) and type each field
//      by its column, without holding any lock: a bad value ends the
//      statement here, naming line and column, before anything is written;
//   2. take the table's exclusive lock and hand every row to the table as
//      one batch, checked (keys, unique indexes) and appended as one commit,
//      so after a crash either every row is there or none;
//   3. wait for durability outside the lock, as every commit does.
//
// FROM STDIN is the same, but the records come from the client's COPY_DATA
// chunks (copy_in_stream.h), parsed as they arrive; only the typed rows are
// held until the commit, never the raw text. A client that aborts (COPY_FAIL,
// CANCEL, a lost connection) fails the statement before step 2.
//
// COPY TO writes a temporary file beside the target under the table's
// shared lock (or runs the query), then fsyncs and renames it into place.
// TO STDOUT collects the rows as a SELECT does and hands them back with the
// CSV dialect; the brainstem streams them as COPY_DATA at the client's pace.
#include <charconv>

#include <fmt/format.h>

#include "cerebellum/copy_in_stream.h"
#include "cerebellum/executor/cancel.h"
#include "cerebellum/executor/copy_csv.h"
#include "cerebellum/executor/executor.h"
#include "cerebellum/executor/query_runner.h"
#include "cerebellum/executor/scan.h"
#include "cerebellum/executor/statement_locks.h"
#include "cerebrum/csv_format.h"
#include "cerebrum/database.h"
#include "protocol/ascii.h"

namespace kopf::cerebellum {

using protocol::EqualsIgnoringCase;
using protocol::Result;
using protocol::Row;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

// Types the fields of a COPY FROM by their columns: INTEGER and DOUBLE as
// kopf's segments spell them, BOOLEAN as true/false/t/f/1/0 (any case), TEXT
// as is. An unquoted field equal to the NULL text is NULL.
class FieldParser {
 public:
  explicit FieldParser(const BoundCopy& copy) : copy_(copy) {}

  // The value of `field` for table column `column`, or an error naming line
  // and column: kInvalidValue for a bad value, kConstraintViolation for a
  // NULL in a NOT NULL column.
  Result<Value> Parse(const CopyField& field, size_t column, uint64_t line) {
    const cerebrum::ColumnSchema& schema = copy_.table->schema().columns[column];
    if (!field.quoted && field.text == copy_.options.null_text) {
      if (schema.not_null) {
        return Status::ConstraintViolation(
            fmt::format("{}: null value violates the not-null constraint",
                        Where(line, schema.name)),
            copy_.path_position);
      }
      return Value();
    }
    switch (schema.type) {
      case Type::kText:
        // A NUL byte or text that is not UTF-8 is refused by the table's
        // row check, which names the column; the line comes from the row's
        // index.
        return Value::Text(std::string(field.text));
      case Type::kInteger: {
        int64_t v = 0;
        const char* first = field.text.data();
        const char* last = first + field.text.size();
        auto [end, ec] = std::from_chars(first, last, v);
        if (ec == std::errc() && end == last && !field.text.empty()) return Value::Integer(v);
        break;  // the shared parser words the error
      }
      case Type::kBoolean: {
        for (std::string_view yes : {"true", "t", "1"}) {
          if (EqualsIgnoringCase(field.text, yes)) return Value::Boolean(true);
        }
        for (std::string_view no : {"false", "f", "0"}) {
          if (EqualsIgnoringCase(field.text, no)) return Value::Boolean(false);
        }
        return Fail(line, schema.name,
                    Status::InvalidValue(fmt::format("invalid boolean \"{}\"", field.text)));
      }
      case Type::kDouble:
      case Type::kNull:
        break;
    }
    scratch_.text.assign(field.text);
    scratch_.quoted = true;  // never NULL here
    Result<Value> value = cerebrum::ParseCsvValue(scratch_, schema.type);
    if (!value.ok()) return Fail(line, schema.name, value.status());
    return value;
  }

  std::string Where(uint64_t line, std::string_view column) const {
    return fmt::format("COPY {}, line {}, column \"{}\"", copy_.name, line, column);
  }

 private:
  Status Fail(uint64_t line, std::string_view column, const Status& status) const {
    return Status(status.code(), fmt::format("{}: {}", Where(line, column), status.message()),
                  copy_.path_position);
  }

  const BoundCopy& copy_;
  cerebrum::CsvField scratch_;
};

Status InFile(const BoundCopy& s, const Status& status) {
  return Status(status.code(), fmt::format("COPY {}, {}", s.name, status.message()),
                s.path_position);
}

// The reader of a COPY FROM: the file, or the client's stream (opened
// here, which asks the client to start sending).
Result<std::unique_ptr<CopyCsvReader>> OpenSource(BoundCopy& s,
                                                  std::shared_ptr<CopyInStream>* stream) {
  if (!s.client) return CopyCsvReader::Open(s.file, s.options);
  std::vector<protocol::ColumnInfo> columns;
  for (size_t c : s.columns) {
    const cerebrum::ColumnSchema& column = s.table->schema().columns[c];
    columns.push_back({column.name, column.type});
  }
  *stream = s.copy_client->OpenCopyIn(s.payload_id, std::move(columns));
  return std::make_unique<CopyCsvReader>(
      [in = *stream](char* dest, size_t capacity) { return in->Read(dest, capacity); }, s.options);
}

// Tells the client's stream that the statement reads no more, however it
// ends, so the connection drops the rest of the client's data.
class AbandonOnExit {
 public:
  explicit AbandonOnExit(const std::shared_ptr<CopyInStream>& stream) : stream_(stream) {}
  ~AbandonOnExit() {
    if (stream_) stream_->Abandon();
  }
  AbandonOnExit(const AbandonOnExit&) = delete;
  AbandonOnExit& operator=(const AbandonOnExit&) = delete;

 private:
  const std::shared_ptr<CopyInStream>& stream_;
};

Result<StatementResult> CopyFrom(BoundCopy& s) {
  std::shared_ptr<CopyInStream> stream;
  AbandonOnExit abandon(stream);
  KOPF_ASSIGN_OR_RETURN(auto reader, OpenSource(s, &stream));
  std::vector<CopyField> fields;
  if (s.options.header) {
    auto header = reader->Next(&fields);
    if (!header.ok()) return InFile(s, header.status());
  }
  FieldParser parser(s);
  std::vector<Row> rows;
  std::vector<uint64_t> lines;  // of each row, for errors the table finds
  while (true) {
    auto more = reader->Next(&fields);
    if (!more.ok()) return InFile(s, more.status());
    if (!*more) break;
    if (fields.size() != s.columns.size()) {
      return Status::InvalidValue(
          fmt::format("COPY {}, line {}: {} fields where {} are expected", s.name, reader->line(),
                      fields.size(), s.columns.size()),
          s.path_position);
    }
    Row& row = rows.emplace_back(s.defaults);
    for (size_t i = 0; i < fields.size(); ++i) {
      KOPF_ASSIGN_OR_RETURN(row[s.columns[i]],
                            parser.Parse(fields[i], s.columns[i], reader->line()));
    }
    lines.push_back(reader->line());
  }
  if (stream) stream->Abandon();  // all read: nothing more will come
  StatementLocks locks({}, s.table.get());
  size_t failed_row = rows.size();
  auto count = s.table->BulkInsert(locks.TakeExclusive(), std::move(rows), &failed_row);
  if (!count.ok()) {
    std::string where =
        failed_row < lines.size() ? fmt::format(", line {}", lines[failed_row]) : "";
    return Status(count.status().code(),
                  fmt::format("COPY {}{}: {}", s.name, where, count.status().message()),
                  s.path_position);
  }
  StatementResult result;
  result.tag = "COPY";
  result.count = *count;
  return result;
}

// TO STDOUT: the rows (only the copied columns) and their names; the
// brainstem encodes them as CSV while it sends them.
Result<StatementResult> CopyToClient(BoundCopy& s, cerebrum::Database& db) {
  StatementResult result;
  if (s.select) {
    {
      StatementLocks locks(s.reads, nullptr);
      ExecContext context(&db);
      KOPF_ASSIGN_OR_RETURN(result.rows, RunQuery(*s.select, context));
    }
    result.columns = s.select->columns;
  } else {
    const cerebrum::TableSchema& schema = s.table->schema();
    for (size_t c : s.columns) {
      result.columns.push_back({schema.columns[c].name, schema.columns[c].type});
    }
    StatementLocks locks({s.table}, nullptr);
    for (auto it = s.table->rows().Begin(); it.Valid(); it.Next()) {
      if (CancelledEvery(result.rows.size())) return CancelledStatus();
      const Row& row = it.value();
      Row& out = result.rows.emplace_back();
      out.reserve(s.columns.size());
      for (size_t c : s.columns) out.push_back(row[c]);
    }
  }
  KOPF_RETURN_IF_ERROR(db.WaitForVisibleWrites());
  result.tag = "COPY";
  result.count = result.rows.size();
  result.copy_out = std::make_shared<const ast::CopyOptions>(s.options);
  return result;
}

Result<StatementResult> CopyTo(BoundCopy& s, cerebrum::Database& db) {
  if (s.client) return CopyToClient(s, db);
  KOPF_ASSIGN_OR_RETURN(auto writer, CopyCsvWriter::Create(s.file, s.options));
  uint64_t count = 0;
  if (s.select) {
    std::vector<Row> rows;
    {
      StatementLocks locks(s.reads, nullptr);
      ExecContext context(&db);
      KOPF_ASSIGN_OR_RETURN(rows, RunQuery(*s.select, context));
    }
    std::vector<size_t> columns;
    std::vector<std::string> names;
    for (size_t i = 0; i < s.select->columns.size(); ++i) {
      columns.push_back(i);
      names.push_back(s.select->columns[i].name);
    }
    if (s.options.header) KOPF_RETURN_IF_ERROR(writer->WriteNames(names));
    for (const Row& row : rows) KOPF_RETURN_IF_ERROR(writer->WriteRow(row, columns));
    count = rows.size();
  } else {
    if (s.options.header) {
      std::vector<std::string> names;
      for (size_t c : s.columns) names.push_back(s.table->schema().columns[c].name);
      KOPF_RETURN_IF_ERROR(writer->WriteNames(names));
    }
    StatementLocks locks({s.table}, nullptr);
    Status written = Status::Ok();
    ScanRows(*s.table, AccessPath(), [&](const cerebrum::Key&, const Row& row) {
      written = writer->WriteRow(row, s.columns);
      count += written.ok();
      return written.ok();
    });
    KOPF_RETURN_IF_ERROR(written);
  }
  // Never export a row that a crash could still take back.
  KOPF_RETURN_IF_ERROR(db.WaitForVisibleWrites());
  KOPF_RETURN_IF_ERROR(writer->Finish());
  StatementResult result;
  result.tag = "COPY";
  result.count = count;
  return result;
}

}  // namespace

Result<StatementResult> ExecuteCopy(BoundCopy& s, cerebrum::Database& db) {
  return s.from ? CopyFrom(s) : CopyTo(s, db);
}

}  // namespace kopf::cerebellum
