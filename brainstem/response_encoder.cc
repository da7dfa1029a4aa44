#include "brainstem/response_encoder.h"

#include <limits>
#include <span>

#include <fmt/format.h>

#include "cerebellum/ast/ast.h"
#include "cerebellum/executor/cancel.h"
#include "cerebellum/executor/copy_csv.h"
#include "protocol/frame_decoder.h"
#include "protocol/frame_encoder.h"
#include "protocol/frame_format.h"
#include "protocol/message.h"

namespace kopf::brainstem {

using protocol::Envelope;
using protocol::Row;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

// Frame overhead of a ROW_BATCH: length, header, row and column counts.
constexpr size_t kRowBatchOverhead = protocol::kLengthFieldBytes + protocol::kHeaderBytes + 6;
// COPY TO STDOUT fills a COPY_DATA frame with about this much CSV text (a
// row is never split, so a frame may hold more).
constexpr size_t kCopyDataFrameBytes = 64 * 1024;

}  // namespace

std::string EncodeError(uint32_t client_id, uint64_t payload_id, const Status& status) {
  protocol::ErrorMessage error = protocol::ToErrorMessage(status);
  if (!protocol::IsValidUtf8(error.message)) {
    // Messages may quote user data; never let one break the client's decoder.
    for (char& c : error.message) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
  }
  std::string out;
  protocol::EncodeFrame(Envelope{client_id, payload_id, std::move(error)}, &out);
  return out;
}

namespace {

std::string ErrorFrame(uint32_t client_id, uint64_t payload_id, const Status& status) {
  return EncodeError(client_id, payload_id, status);
}

// Bytes `row` takes in a ROW_BATCH, or an error when the protocol cannot
// carry it.
// CheckRow of the row whose values are value_at(0), ..., value_at(width - 1).
template <typename ValueAt>
protocol::Result<size_t> CheckValues(size_t width, const ValueAt& value_at, size_t index,
                                     std::span<const protocol::ColumnInfo> columns) {
  if (width != columns.size()) {
    return Status::Internal(
        fmt::format("row {} has {} values for {} columns", index, width, columns.size()));
  }
  size_t bytes = 0;
  for (size_t c = 0; c < width; ++c) {
    const Value& v = value_at(c);
    if (v.type() == Type::kText && !protocol::IsValidUtf8(v.as_text())) {
      return Status::Corruption(fmt::format("row {} column \"{}\": TEXT value is not valid UTF-8",
                                            index, columns[c].name));
    }
    bytes += protocol::EncodedValueSize(v);
  }
  if (bytes + kRowBatchOverhead > protocol::kMaxServerFrameBytes) {
    return Status::NotSupported(
        fmt::format("row {} takes {} bytes, more than one frame may carry", index, bytes));
  }
  return bytes;
}

protocol::Result<size_t> CheckRow(const Row& row, size_t index,
                                  std::span<const protocol::ColumnInfo> columns) {
  return CheckValues(
      row.size(), [&row](size_t c) -> const Value& { return row[c]; }, index, columns);
}

Status CheckColumns(std::span<const protocol::ColumnInfo> columns) {
  if (columns.size() > std::numeric_limits<uint16_t>::max()) {
    return Status::NotSupported(
        fmt::format("a result of {} columns; at most 65535 can be sent", columns.size()));
  }
  for (const protocol::ColumnInfo& c : columns) {
    if (!protocol::IsValidUtf8(c.name)) return Status::Internal("column name is not valid UTF-8");
  }
  return Status::Ok();
}

Status CheckShape(const cerebellum::StatementResult& result) {
  KOPF_RETURN_IF_ERROR(CheckColumns(result.columns));
  if (result.columns.empty() && !result.rows.empty()) {
    return Status::Internal("statement returned rows without columns");
  }
  if (!protocol::IsValidUtf8(result.tag)) return Status::Internal("tag is not valid UTF-8");
  return Status::Ok();
}

}  // namespace

ResponseStream::ResponseStream(uint32_t client_id, uint64_t payload_id,
                               protocol::Result<cerebellum::StatementResult> result)
    : client_id_(client_id), payload_id_(payload_id), result_(std::move(result)) {}

bool ResponseStream::Next(std::string* out, size_t budget_bytes) {
  if (done_) return false;
  if (!result_.ok()) return Fail(out, result_.status());
  const cerebellum::StatementResult& r = *result_;
  if (r.copy_out) return NextCopyData(out, budget_bytes);
  if (!started_) {
    started_ = true;
    if (Status shape = CheckShape(r); !shape.ok()) return Fail(out, shape);
    if (!r.columns.empty()) {
      protocol::EncodeRowDescriptionFrame(client_id_, payload_id_, r.columns, out);
    }
  }
  size_t start_size = out->size();
  std::span<const Row> rows(r.rows);
  // Whole ROW_BATCH frames until the budget is spent; a row that cannot be
  // sent ends the response with an ERROR (after the batches before it).
  while (next_row_ < rows.size() && out->size() - start_size < budget_bytes) {
    size_t begin = next_row_;
    size_t batch_bytes = 0;
    while (next_row_ < rows.size() && next_row_ - begin < kRowBatchMaxRows) {
      protocol::Result<size_t> row_bytes = CheckRow(rows[next_row_], next_row_, r.columns);
      if (!row_bytes.ok()) {
        if (next_row_ > begin) {
          protocol::EncodeRowBatchFrame(client_id_, payload_id_,
                                        rows.subspan(begin, next_row_ - begin), out);
        }
        return Fail(out, row_bytes.status());
      }
      if (next_row_ > begin && batch_bytes + *row_bytes > kRowBatchTargetBytes) break;
      batch_bytes += *row_bytes;
      ++next_row_;
    }
    protocol::EncodeRowBatchFrame(client_id_, payload_id_, rows.subspan(begin, next_row_ - begin),
                                  out);
  }
  if (next_row_ == rows.size()) {
    protocol::EncodeCompleteFrame(client_id_, payload_id_, r.tag, r.count, out);
    done_ = true;
    // The rows are sent: give their memory back now, not when the session
    // drops the stream.
    result_ = Status::Internal("response already sent");
  }
  return !done_;
}

bool ResponseStream::NextCopyData(std::string* out, size_t budget_bytes) {
  const cerebellum::StatementResult& r = *result_;
  const cerebellum::CopyCsvEncoder encoder(*r.copy_out);
  if (!started_) {
    started_ = true;
    if (r.copy_out->header) {
      std::vector<std::string> names;
      for (const protocol::ColumnInfo& c : r.columns) names.push_back(c.name);
      encoder.AppendNames(names, &csv_);
    }
  }
  // Frames of about kCopyDataFrameBytes of text each, until the budget is
  // spent or the rows end.
  size_t start_size = out->size();
  while (next_row_ < r.rows.size() && out->size() - start_size < budget_bytes) {
    while (next_row_ < r.rows.size() && csv_.size() < kCopyDataFrameBytes) {
      encoder.AppendRow(r.rows[next_row_++], &csv_);
    }
    protocol::EncodeCopyDataFrame(client_id_, payload_id_, csv_, out);
    csv_.clear();
  }
  if (next_row_ < r.rows.size()) return true;
  if (!csv_.empty()) {  // a header of a result without rows
    protocol::EncodeCopyDataFrame(client_id_, payload_id_, csv_, out);
    csv_.clear();
  }
  protocol::EncodeFrame(Envelope{client_id_, payload_id_, protocol::Complete{r.tag, r.count}}, out);
  done_ = true;
  result_ = Status::Internal("response already sent");
  return false;
}

std::string ResponseStream::Cancel() {
  std::string out;
  Fail(&out, cerebellum::CancelledStatus());
  result_ = Status::Internal("response cancelled");
  return out;
}

bool ResponseStream::Fail(std::string* out, const Status& status) {
  out->append(EncodeError(client_id_, payload_id_, status));
  done_ = true;
  return false;
}

std::string EncodeResponse(uint32_t client_id, uint64_t payload_id,
                           protocol::Result<cerebellum::StatementResult> result) {
  ResponseStream stream(client_id, payload_id, std::move(result));
  std::string out;
  while (stream.Next(&out, std::numeric_limits<size_t>::max())) {
  }
  return out;
}

void EncodePointReadResponse(uint32_t client_id, uint64_t payload_id,
                             std::span<const protocol::ColumnInfo> columns,
                             std::string* description, const Row* row,
                             std::span<const size_t> picks, std::string* out) {
  if (description->empty()) {
    // The first read of the statement (or every read of one without
    // columns): check and encode its columns.
    Status shape = CheckColumns(columns);
    if (shape.ok() && columns.empty() && row != nullptr) {
      shape = Status::Internal("statement returned rows without columns");
    }
    if (!shape.ok()) {
      out->append(ErrorFrame(client_id, payload_id, shape));
      return;
    }
    if (!columns.empty()) protocol::EncodeRowDescriptionFrame(client_id, 0, columns, description);
  }
  // Empty only for a statement without columns, which has no row either.
  if (row != nullptr) {
    // As ResponseStream: a row the protocol cannot carry ends the response
    // with an ERROR after the ROW_DESCRIPTION.
    auto value_at = [row, picks](size_t c) -> const Value& { return (*row)[picks[c]]; };
    if (protocol::Result<size_t> checked = CheckValues(picks.size(), value_at, 0, columns);
        !checked.ok()) {
      protocol::AppendFrameWithPayloadId(*description, payload_id, out);
      out->append(ErrorFrame(client_id, payload_id, checked.status()));
      return;
    }
  }
  protocol::EncodeSingleRowResponse(client_id, payload_id, *description, row, picks, "SELECT",
                                    out);
}

std::string EncodePrepareResponse(
    uint32_t client_id, uint64_t payload_id,
    const protocol::Result<std::shared_ptr<const cerebellum::PreparedStatement>>& result,
    Status* sent) {
  *sent = result.ok() ? CheckColumns((*result)->columns) : result.status();
  if (!sent->ok()) return ErrorFrame(client_id, payload_id, *sent);
  const cerebellum::PreparedStatement& prepared = **result;
  std::string out;
  protocol::EncodeFrame(Envelope{client_id, payload_id,
                                 protocol::StatementDescription{
                                     payload_id, prepared.parameter_types, prepared.columns}},
                        &out);
  return out;
}

}  // namespace kopf::brainstem
