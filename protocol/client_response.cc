#include <algorithm>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "protocol/client_internal.h"
#include "protocol/frame_decoder.h"
#include "protocol/frame_encoder.h"
#include "protocol/little_endian_internal.h"

namespace kopf::protocol::client_internal {

namespace {

Status Violation(const std::string& what) {
  return Status::ProtocolViolation("server broke the protocol: " + what);
}

}  // namespace

Status CheckSql(std::string_view sql) {
  constexpr size_t kMaxSql = std::numeric_limits<uint32_t>::max() - kHeaderBytes - 4;
  if (sql.size() > kMaxSql) {
    return Status::InvalidValue("statement of " + std::to_string(sql.size()) +
                                " bytes is too large for a frame");
  }
  if (!IsValidUtf8(sql)) return Status::InvalidValue("statement is not valid UTF-8");
  return Status::Ok();
}

void PayloadIdSet::Insert(uint64_t id) {
  if (window_.empty() && others_.empty()) base_ = id;
  if (id - base_ == window_.size()) {  // the usual case: the next id
    window_.push_back(true);
    ++in_window_;
    return;
  }
  if (id >= base_ && id - base_ < window_.size() + kMaxGap) {
    if (id - base_ >= window_.size()) window_.resize(id - base_ + 1, false);
    bool& flag = window_[id - base_];
    if (!flag) ++in_window_;
    flag = true;
  } else {
    others_.insert(id);
  }
}

void PayloadIdSet::Erase(uint64_t id) {
  if (!InWindow(id)) {
    others_.erase(id);
    return;
  }
  bool& flag = window_[id - base_];
  if (!flag) return;
  flag = false;
  --in_window_;
  while (!window_.empty() && !window_.front()) {
    window_.pop_front();
    ++base_;
  }
}

Status ResponseAssembler::OnFrame(Envelope envelope) {
  MessageType type = TypeOf(envelope.message);
  if (type == MessageType::kGoodbye) {
    return Status::ProtocolViolation("the server closed the connection (GOODBYE)");
  }
  if (envelope.client_id != client_id_) {
    return Violation(Describe(envelope) + " carries client id " +
                     std::to_string(envelope.client_id) + ", this connection is " +
                     std::to_string(client_id_));
  }
  uint64_t id = envelope.payload_id;
  if (type == MessageType::kPong) {
    if (partial_) {
      return Violation(Describe(envelope) + " inside the response to payload " +
                       std::to_string(partial_->payload_id));
    }
    if (pings_.erase(id) == 0) return Violation(Describe(envelope) + " answers no PING");
    pongs_.push_back(id);
    return Status::Ok();
  }
  if (!outstanding_.Contains(id)) {
    return Violation(Describe(envelope) + " answers no outstanding request");
  }
  if (partial_ && partial_->payload_id != id) {
    return Violation(Describe(envelope) + " interleaved with the response to payload " +
                     std::to_string(partial_->payload_id));
  }
  if (!partial_) StartResponse(id);
  QueryResult& result = partial_->result;
  switch (type) {
    case MessageType::kCopyInResponse: {
      if (described_ || copying_out_) {
        return Violation(Describe(envelope) + " after the response began");
      }
      partial_->copy_in = std::move(std::get<CopyInResponse>(envelope.message).columns);
      partial_->result.columns.clear();  // kept by StartResponse; this ends it
      // Not the end of the request: it stays outstanding for its COMPLETE.
      partial_ = nullptr;
      return Status::Ok();
    }
    case MessageType::kCopyData: {
      if (described_) return Violation(Describe(envelope) + " after ROW_DESCRIPTION");
      copying_out_ = true;
      std::string& data = std::get<CopyData>(envelope.message).data;
      if (sink_ != nullptr && sink_id_ == id) {
        if (sink_error_.ok()) sink_error_ = (*sink_)(data);
      } else {
        result.copy_data += data;
      }
      return Status::Ok();
    }
    case MessageType::kRowDescription:
      if (described_) return Violation(Describe(envelope) + ": second ROW_DESCRIPTION");
      if (copying_out_) return Violation(Describe(envelope) + " after COPY_DATA");
      described_ = true;
      result.columns = std::move(std::get<RowDescription>(envelope.message).columns);
      return Status::Ok();
    case MessageType::kRowBatch: {
      if (!described_) return Violation(Describe(envelope) + " before ROW_DESCRIPTION");
      auto& rows = std::get<RowBatch>(envelope.message).rows;
      for (Row& row : rows) {
        if (row.size() != result.columns.size()) {
          return Violation(Describe(envelope) + " has rows of " + std::to_string(row.size()) +
                           " values for " + std::to_string(result.columns.size()) + " columns");
        }
        result.rows.push_back(std::move(row));
      }
      return Status::Ok();
    }
    case MessageType::kComplete: {
      auto& complete = std::get<Complete>(envelope.message);
      result.tag = std::move(complete.tag);
      result.count = complete.count;
      return Finish(Status::Ok());
    }
    case MessageType::kError:
      // An ERROR replaces whatever part of the response came before it,
      // including ROW_BATCHes already streamed (PROTOCOL.md section 5.3).
      partial_->result = QueryResult{};
      return Finish(ToStatus(std::get<ErrorMessage>(envelope.message)));
    case MessageType::kStatementDescription: {
      if (described_) return Violation(Describe(envelope) + " after ROW_DESCRIPTION");
      auto& description = std::get<StatementDescription>(envelope.message);
      if (description.statement_id != id) {
        return Violation(Describe(envelope) + " names statement " +
                         std::to_string(description.statement_id));
      }
      partial_->statement = PreparedStatement{id, true, std::move(description.parameter_types),
                                              std::move(description.columns)};
      return Finish(Status::Ok());
    }
    case MessageType::kHello:
    case MessageType::kWelcome:
    case MessageType::kGoodbye:
    case MessageType::kQuery:
    case MessageType::kAuthChallenge:
    case MessageType::kAuthResponse:
    case MessageType::kAuthOk:
    case MessageType::kPing:
    case MessageType::kPong:  // handled above
    case MessageType::kCancel:
    case MessageType::kPrepare:
    case MessageType::kExecute:
    case MessageType::kClose:
    case MessageType::kCopyDone:
    case MessageType::kCopyFail:
      break;
  }
  return Violation("unexpected " + Describe(envelope));
}

bool ResponseAssembler::TryFastFrame(std::span<const uint8_t> frame) {
  if (frame.size() < kHeaderBytes) return false;
  FrameHeader header = PeekFrameHeader(frame);
  if (header.version != kFrameVersion || header.flags != 0 || header.client_id != client_id_) {
    return false;
  }
  uint64_t id = header.payload_id;
  // A response under way is outstanding; a new one must be.
  if (partial_ ? partial_->payload_id != id : !outstanding_.Contains(id)) return false;
  std::span<const uint8_t> body = frame.subspan(kHeaderBytes);
  switch (static_cast<MessageType>(header.type)) {
    case MessageType::kRowDescription: {
      if (partial_ && (described_ || copying_out_)) return false;
      // Every execution of a prepared statement describes the same
      // columns: a body equal to the last one decoded is copied from it.
      // (Empty until one is decoded; an empty body is never valid.)
      bool cached = !last_description_.empty() &&
                    std::equal(body.begin(), body.end(), last_description_.begin(),
                               last_description_.end());
      std::vector<ColumnInfo> columns;
      if (!cached) {
        if (!TryDecodeRowDescriptionBody(body, &columns)) return false;
        last_description_.assign(body.begin(), body.end());
        last_columns_ = columns;
      }
      if (!partial_) StartResponse(id);
      described_ = true;
      if (cached) {
        // Into the recycled room, unless the slot holds these columns
        // already (StartResponse kept them): comparing is cheaper.
        if (partial_->result.columns != last_columns_) partial_->result.columns = last_columns_;
      } else {
        partial_->result.columns = std::move(columns);
      }
      return true;
    }
    case MessageType::kRowBatch: {
      if (!partial_ || !described_) return false;
      QueryResult& result = partial_->result;
      return TryAppendRowBatchBody(body, result.columns.size(), &result.rows, &spare_rows_);
    }
    case MessageType::kComplete: {
      // The body is the tag (u32 length, bytes) and the count (u64). The
      // tag repeats from one response to the next ("SELECT"): a body
      // whose tag bytes equal the last ones decoded reuses that tag, and
      // only its count is read.
      bool cached = !last_complete_tag_bytes_.empty() &&
                    body.size() == last_complete_tag_bytes_.size() + 8 &&
                    std::equal(last_complete_tag_bytes_.begin(), last_complete_tag_bytes_.end(),
                               body.begin());
      std::string tag;
      uint64_t count = 0;
      if (cached) {
        count = LoadLittleEndian<8>(body.data() + body.size() - 8);
      } else {
        if (!TryDecodeCompleteBody(body, &tag, &count)) return false;
        last_complete_tag_bytes_.assign(body.begin(), body.end() - 8);
        last_complete_tag_ = tag;
      }
      if (!partial_) StartResponse(id);
      if (cached) {
        partial_->result.tag = last_complete_tag_;  // into the reused slot's room
      } else {
        partial_->result.tag = std::move(tag);
      }
      partial_->result.count = count;
      return Finish(Status::Ok()).ok();
    }
    default:
      return false;
  }
}

void ResponseAssembler::StartResponse(uint64_t payload_id) {
  if (count_ == ring_.size()) {
    // Full: a ring twice the size, the responses moved over in order.
    std::vector<Response> grown(std::max<size_t>(8, 2 * ring_.size()));
    for (size_t i = 0; i < count_; ++i) grown[i] = std::move(At(i));
    ring_.swap(grown);
    head_ = 0;
  }
  // A reused slot: empty it, keeping the room its vectors have. Its
  // columns stay until the response ends (Finish), where a response
  // without a ROW_DESCRIPTION clears them: one that repeats the slot's
  // description then leaves them as they are. Its rows' own vectors go to
  // spare_rows_, where the next ROW_BATCH's rows take them from.
  Response& r = At(count_++);
  r.payload_id = payload_id;
  r.status = Status::Ok();
  for (Row& row : r.result.rows) {
    if (spare_rows_.size() >= kMaxSpareRows) break;
    row.clear();
    spare_rows_.push_back(std::move(row));
  }
  r.result.rows.clear();
  r.result.tag.clear();
  r.result.count = 0;
  r.result.copy_data.clear();
  r.statement.reset();
  r.copy_in.reset();
  partial_ = &r;
  described_ = false;
  copying_out_ = false;
}

Status ResponseAssembler::Finish(Status status) {
  if (!described_) partial_->result.columns.clear();  // kept by StartResponse
  partial_->status = std::move(status);
  outstanding_.Erase(partial_->payload_id);
  partial_ = nullptr;
  return Status::Ok();
}

bool ResponseAssembler::finished(uint64_t payload_id) const {
  for (size_t i = 0; i < count_; ++i) {
    if (At(i).payload_id == payload_id && &At(i) != partial_) return true;
  }
  return false;
}

std::optional<Response> ResponseAssembler::Take(uint64_t payload_id) {
  for (size_t i = 0; i < count_; ++i) {
    if (At(i).payload_id != payload_id || &At(i) == partial_) continue;
    Response response = std::move(At(i));
    // Close the gap: the emptied slot moves to the end, out of the queue.
    for (size_t j = i; j + 1 < count_; ++j) std::swap(At(j), At(j + 1));
    --count_;
    if (partial_ != nullptr) partial_ = &At(count_ - 1);
    return response;
  }
  return std::nullopt;
}

bool ResponseAssembler::TakePong(uint64_t payload_id) {
  for (auto it = pongs_.begin(); it != pongs_.end(); ++it) {
    if (*it == payload_id) {
      pongs_.erase(it);
      return true;
    }
  }
  return false;
}

std::optional<uint64_t> ResponseAssembler::TakeAnyPong() {
  if (pongs_.empty()) return std::nullopt;
  uint64_t id = pongs_.front();
  pongs_.pop_front();
  return id;
}

void ResponseAssembler::DropOldest() {
  // The slot keeps the room of a small result; a large one gives it back.
  constexpr size_t kKeepColumns = 64;
  constexpr size_t kKeepRows = 64;
  constexpr size_t kKeepCopyBytes = 64 * 1024;
  QueryResult& result = At(0).result;
  if (result.columns.capacity() > kKeepColumns) result.columns = {};
  if (result.rows.capacity() > kKeepRows) result.rows = {};
  if (result.copy_data.capacity() > kKeepCopyBytes) result.copy_data = {};
  head_ = (head_ + 1) & (ring_.size() - 1);
  --count_;
}

std::optional<Response> ResponseAssembler::TakeAny() {
  if (!has_finished()) return std::nullopt;
  Response response = std::move(At(0));
  DropOldest();
  return response;
}

}  // namespace kopf::protocol::client_internal

namespace kopf::protocol {

Status CheckParameters(const PreparedStatement& statement, std::span<const Row> rows) {
  if (rows.empty()) {
    return Status::InvalidValue(
        "EXECUTE needs at least one row of parameters (a statement "
        "without parameters takes one empty row)");
  }
  if (rows.size() > std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidValue("EXECUTE of " + std::to_string(rows.size()) +
                                " rows is too many for one frame");
  }
  size_t width = statement.described ? statement.parameter_types.size() : rows[0].size();
  if (width > std::numeric_limits<uint16_t>::max()) {
    return Status::InvalidValue("rows of " + std::to_string(width) + " values are too wide");
  }
  if (width == 0 && rows.size() != 1) {
    return Status::InvalidValue(
        "a statement without parameters runs with exactly one empty row, "
        "got " +
        std::to_string(rows.size()) + " rows");
  }
  // The frame's length field is a u32: header, statement id, counts, values.
  uint64_t frame_bytes = kHeaderBytes + 8 + 4 + 2;
  for (size_t r = 0; r < rows.size(); ++r) {
    const Row& row = rows[r];
    for (const Value& value : row) frame_bytes += EncodedValueSize(value);
    if (row.size() != width) {
      return Status::InvalidValue("row " + std::to_string(r + 1) + " has " +
                                  std::to_string(row.size()) + " values, the statement takes " +
                                  std::to_string(width) + " parameters");
    }
    if (!statement.described) continue;
    for (size_t p = 0; p < width; ++p) {
      Type want = statement.parameter_types[p];
      Type got = row[p].type();
      if (got == Type::kNull || got == want || (want == Type::kDouble && got == Type::kInteger)) {
        continue;
      }
      return Status::TypeMismatch("parameter $" + std::to_string(p + 1) + " of row " +
                                  std::to_string(r + 1) + " is " + std::string(TypeName(got)) +
                                  ", the statement expects " + std::string(TypeName(want)));
    }
  }
  if (frame_bytes > std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidValue("EXECUTE of " + std::to_string(frame_bytes) +
                                " bytes is too large for one frame: split the rows");
  }
  return Status::Ok();
}

}  // namespace kopf::protocol
