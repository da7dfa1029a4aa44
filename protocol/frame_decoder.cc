#include "protocol/frame_decoder.h"

#include <algorithm>
#include <bit>
#include <concepts>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/little_endian_internal.h"

namespace kopf::protocol {

namespace {

// Builds an error message from pieces (the codec uses the standard library
// only, so it can be linked into any client program).
void AppendPiece(std::string* out, std::string_view s) { out->append(s); }
void AppendPiece(std::string* out, std::integral auto v) { out->append(std::to_string(v)); }
template <class... Pieces>
std::string Cat(const Pieces&... pieces) {
  std::string out;
  (AppendPiece(&out, pieces), ...);
  return out;
}

std::string Hex(uint32_t v, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  for (int i = digits - 1; i >= 0; --i) out.push_back(kDigits[(v >> (4 * i)) & 0xF]);
  return out;
}

// Buffer capacity a FrameDecoder keeps between frames.
constexpr size_t kKeepCapacityBytes = 256 * 1024;

// Reads the fields of one body. The first failure is recorded and every
// later read returns a zero value without touching memory, so a decoding
// function may read several fields and check ok() once before it acts on
// them (and must check before any loop or allocation sized by a field).
class BodyReader {
 public:
  BodyReader(std::span<const uint8_t> body, MessageType type) : body_(body), type_(type) {}

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  size_t remaining() const { return body_.size() - offset_; }
  size_t offset() const { return offset_; }

  // Moves past `n` bytes the caller has read itself.
  // REQUIRES: n <= remaining().
  void Skip(size_t n) { offset_ += n; }

  void Fail(std::string_view what) {
    if (!ok()) return;
    status_ = Status::ProtocolViolation(Cat(MessageTypeName(type_), " frame: ", what));
    offset_ = body_.size();
  }

  uint8_t U8(std::string_view field) { return static_cast<uint8_t>(Fixed<1>(field)); }
  uint16_t U16(std::string_view field) { return static_cast<uint16_t>(Fixed<2>(field)); }
  uint32_t U32(std::string_view field) { return static_cast<uint32_t>(Fixed<4>(field)); }
  uint64_t U64(std::string_view field) { return Fixed<8>(field); }

  std::string String(std::string_view field) {
    size_t at = offset_;
    uint32_t length = U32(field);
    if (!ok()) return {};
    if (length > remaining()) {
      Fail(Cat(field, " at body offset ", at, " declares ", length, " bytes but only ", remaining(),
               " remain"));
      return {};
    }
    std::string_view bytes(reinterpret_cast<const char*>(body_.data() + offset_), length);
    if (!IsValidUtf8(bytes)) {
      Fail(Cat(field, " at body offset ", at, " is not valid UTF-8"));
      return {};
    }
    offset_ += length;
    return std::string(bytes);
  }

  Value ReadValue() {
    size_t at = offset_;
    uint8_t tag = U8("value tag");
    if (!ok()) return {};
    switch (tag) {
      case static_cast<uint8_t>(Type::kNull):
        return Value::Null();
      case static_cast<uint8_t>(Type::kInteger):
        return Value::Integer(static_cast<int64_t>(U64("INTEGER value")));
      case static_cast<uint8_t>(Type::kDouble):
        return Value::Double(std::bit_cast<double>(U64("DOUBLE value")));
      case static_cast<uint8_t>(Type::kText):
        return Value::Text(String("TEXT value"));
      case static_cast<uint8_t>(Type::kBoolean): {
        uint8_t b = U8("BOOLEAN value");
        if (ok() && b > 1) {
          Fail(Cat("BOOLEAN value at body offset ", at + 1, " is ", b, ", not 0 or 1"));
        }
        return Value::Boolean(b == 1);
      }
      default:
        Fail(Cat("bad value tag ", tag, " at body offset ", at));
        return {};
    }
  }

  // The remaining bytes as they are (COPY_DATA: raw CSV text, which may
  // end inside a UTF-8 sequence, so it is not checked here).
  std::string Rest() {
    std::string bytes(reinterpret_cast<const char*>(body_.data() + offset_), remaining());
    offset_ = body_.size();
    return bytes;
  }

  // Fails unless the whole body was consumed.
  void ExpectEnd() {
    if (ok() && remaining() > 0) {
      Fail(Cat(remaining(), " trailing bytes after the body at offset ", offset_));
    }
  }

 private:
  template <size_t n>
  uint64_t Fixed(std::string_view field) {
    if (!ok()) return 0;
    if (remaining() < n) {
      Fail(Cat("truncated body: ", field, " needs ", n, " bytes at body offset ", offset_, ", ",
               remaining(), " remain"));
      return 0;
    }
    uint64_t v = LoadLittleEndian<n>(body_.data() + offset_);
    offset_ += n;
    return v;
  }

  std::span<const uint8_t> body_;
  MessageType type_;
  size_t offset_ = 0;
  Status status_;
};

// A column type or parameter type byte: a value tag, 0 (NULL) allowed
// only where `allow_null`.
Type ReadType(BodyReader& r, std::string_view field, bool allow_null) {
  size_t at = r.offset();
  uint8_t type = r.U8(field);
  if (r.ok() && (type > static_cast<uint8_t>(Type::kBoolean) || (!allow_null && type == 0))) {
    r.Fail(Cat("bad ", field, " ", type, " at body offset ", at));
  }
  return static_cast<Type>(type);
}

std::vector<ColumnInfo> DecodeColumns(BodyReader& r) {
  std::vector<ColumnInfo> columns;
  uint16_t count = r.U16("column count");
  if (!r.ok()) return columns;
  if (count * kMinColumnBytes > r.remaining()) {
    r.Fail(Cat("declares ", count, " columns but only ", r.remaining(), " body bytes remain"));
    return columns;
  }
  columns.reserve(count);
  for (uint16_t i = 0; i < count && r.ok(); ++i) {
    ColumnInfo column;
    column.name = r.String("column name");
    column.type = ReadType(r, "column type", /*allow_null=*/true);
    columns.push_back(std::move(column));
  }
  return columns;
}

// Reads row_count rows of column_count values each. Every value takes at
// least one byte, so a body that cannot hold rows*columns bytes is lying;
// that is checked before reserving anything.
bool CheckRowBytes(BodyReader& r, uint32_t row_count, uint16_t column_count) {
  uint64_t min_bytes = uint64_t{row_count} * column_count * kMinValueBytes;
  if (min_bytes > r.remaining()) {
    r.Fail(Cat("declares ", row_count, " rows of ", column_count, " columns (at least ", min_bytes,
               " bytes) but only ", r.remaining(), " body bytes remain"));
    return false;
  }
  return true;
}

// Appends column_count values to `row` (stops at the first failure).
void ReadRowInto(BodyReader& r, uint16_t column_count, Row* row) {
  row->reserve(row->size() + column_count);
  for (uint16_t c = 0; c < column_count && r.ok(); ++c) row->push_back(r.ReadValue());
}

std::vector<Row> DecodeRows(BodyReader& r, uint32_t row_count, uint16_t column_count) {
  std::vector<Row> rows;
  if (!CheckRowBytes(r, row_count, column_count)) return rows;
  rows.reserve(row_count);
  for (uint32_t i = 0; i < row_count && r.ok(); ++i) {
    Row row;
    ReadRowInto(r, column_count, &row);
    rows.push_back(std::move(row));
  }
  return rows;
}

RowBatch DecodeRowBatch(BodyReader& r) {
  RowBatch m;
  uint32_t row_count = r.U32("row count");
  uint16_t column_count = r.U16("column count");
  if (!r.ok()) return m;
  if (column_count == 0 && row_count > 0) {
    r.Fail(Cat("declares ", row_count, " rows of 0 columns"));
    return m;
  }
  m.rows = DecodeRows(r, row_count, column_count);
  return m;
}

Execute DecodeExecute(BodyReader& r) {
  Execute m;
  m.statement_id = r.U64("statement id");
  uint32_t row_count = r.U32("row count");
  m.parameter_count = r.U16("parameter count");
  if (!r.ok()) return m;
  if (row_count == 0) {
    r.Fail("declares 0 parameter rows; at least one is needed");
    return m;
  }
  // Without parameters the values cannot bound the row count: one run only.
  if (m.parameter_count == 0 && row_count > 1) {
    r.Fail(Cat("declares ", row_count,
               " rows of 0 parameters; a statement without parameters "
               "takes exactly one row"));
    return m;
  }
  m.rows = DecodeRows(r, row_count, m.parameter_count);
  return m;
}

StatementDescription DecodeStatementDescription(BodyReader& r) {
  StatementDescription m;
  m.statement_id = r.U64("statement id");
  uint16_t count = r.U16("parameter count");
  if (!r.ok()) return m;
  if (count > r.remaining()) {
    r.Fail(Cat("declares ", count, " parameters but only ", r.remaining(), " body bytes remain"));
    return m;
  }
  m.parameter_types.reserve(count);
  for (uint16_t i = 0; i < count && r.ok(); ++i) {
    m.parameter_types.push_back(ReadType(r, "parameter type", /*allow_null=*/false));
  }
  m.columns = DecodeColumns(r);
  return m;
}

ErrorMessage DecodeError(BodyReader& r) {
  ErrorMessage m;
  uint16_t code = r.U16("error code");
  if (r.ok() && (code == 0 || !IsKnownErrorCode(code))) {
    r.Fail(Cat("bad error code ", code));
  }
  m.code = static_cast<ErrorCode>(code);
  m.position = static_cast<int32_t>(r.U32("error position"));
  if (r.ok() && m.position < Status::kNoPosition) {
    r.Fail(Cat("bad error position ", m.position));
  }
  m.message = r.String("error message");
  return m;
}

Message DecodeMessage(MessageType type, BodyReader& r) {
  switch (type) {
    case MessageType::kHello: {
      Hello m;
      m.major = r.U16("major version");
      m.minor = r.U16("minor version");
      m.client_name = r.String("client name");
      if (r.ok() && m.minor >= 1) {  // protocol 1.1 added the credentials
        m.user = r.String("user");
        m.scram_first = r.String("SCRAM client-first-message");
      }
      return m;
    }
    case MessageType::kAuthChallenge: {
      AuthChallenge m;
      m.mechanism = r.String("mechanism");
      m.data = r.String("SCRAM server-first-message");
      return m;
    }
    case MessageType::kAuthResponse:
      return AuthResponse{r.String("SCRAM client-final-message")};
    case MessageType::kAuthOk:
      return AuthOk{r.String("SCRAM server-final-message")};
    case MessageType::kWelcome: {
      Welcome m;
      m.client_id = r.U32("client id");
      m.major = r.U16("major version");
      m.minor = r.U16("minor version");
      m.server_version = r.String("server version");
      return m;
    }
    case MessageType::kGoodbye:
      return Goodbye{};
    case MessageType::kPing:
      return Ping{};
    case MessageType::kPong:
      return Pong{};
    case MessageType::kCancel:
      return Cancel{};
    case MessageType::kQuery:
      return Query{r.String("sql")};
    case MessageType::kPrepare:
      return Prepare{r.String("sql")};
    case MessageType::kExecute:
      return DecodeExecute(r);
    case MessageType::kClose:
      return CloseStatement{r.U64("statement id")};
    case MessageType::kRowDescription:
      return RowDescription{DecodeColumns(r)};
    case MessageType::kRowBatch:
      return DecodeRowBatch(r);
    case MessageType::kComplete: {
      Complete m;
      m.tag = r.String("tag");
      m.count = r.U64("count");
      return m;
    }
    case MessageType::kError:
      return DecodeError(r);
    case MessageType::kStatementDescription:
      return DecodeStatementDescription(r);
    case MessageType::kCopyInResponse: {
      CopyInResponse m;
      size_t at = r.offset();
      uint8_t format = r.U8("copy format");
      if (r.ok() && format != static_cast<uint8_t>(CopyInResponse::Format::kCsv)) {
        r.Fail(Cat("bad copy format ", format, " at body offset ", at));
      }
      m.columns = DecodeColumns(r);
      return m;
    }
    case MessageType::kCopyData:
      return CopyData{r.Rest()};
    case MessageType::kCopyDone:
      return CopyDone{};
    case MessageType::kCopyFail:
      return CopyFail{r.String("copy failure message")};
  }
  r.Fail("unknown message type");
  return Goodbye{};
}

}  // namespace

Result<uint32_t> DecodeFrameLength(const uint8_t bytes[kLengthFieldBytes],
                                   uint32_t max_frame_bytes) {
  auto length = static_cast<uint32_t>(LoadLittleEndian<kLengthFieldBytes>(bytes));
  if (length < kHeaderBytes) {
    return Status::ProtocolViolation(
        Cat("frame length ", length, " is shorter than the ", kHeaderBytes, "-byte header"));
  }
  if (length > max_frame_bytes) {
    return Status::ProtocolViolation(
        Cat("frame length ", length, " exceeds the limit of ", max_frame_bytes, " bytes"));
  }
  return length;
}

FrameHeader PeekFrameHeader(std::span<const uint8_t> after_length) {
  const uint8_t* p = after_length.data();
  FrameHeader h;
  h.version = p[0];
  h.type = p[1];
  h.flags = static_cast<uint16_t>(LoadLittleEndian<2>(p + 2));
  h.client_id = static_cast<uint32_t>(LoadLittleEndian<4>(p + 4));
  h.payload_id = LoadLittleEndian<8>(p + 8);
  return h;
}

namespace {

// The checks of a frame's fixed header.
Status CheckHeader(std::span<const uint8_t> after_length, const FrameHeader& h) {
  if (after_length.size() < kHeaderBytes) {
    return Status::ProtocolViolation(Cat("frame of ", after_length.size(),
                                         " bytes is shorter than the ", kHeaderBytes,
                                         "-byte header"));
  }
  if (h.version != kFrameVersion) {
    return Status::ProtocolViolation(Cat("unsupported protocol version ", h.version));
  }
  if (h.flags != 0) {
    return Status::ProtocolViolation(Cat("nonzero flags ", Hex(h.flags, 4)));
  }
  if (!IsKnownMessageType(h.type)) {
    return Status::ProtocolViolation(Cat("unknown message type ", Hex(h.type, 2)));
  }
  return Status();
}

}  // namespace

Result<bool> DecodeSingleExecuteBody(std::span<const uint8_t> after_length, SingleExecute* out) {
  // Anything but a well-formed header of an EXECUTE is the general
  // decoder's to judge.
  if (after_length.size() < kHeaderBytes) return false;
  FrameHeader h = PeekFrameHeader(after_length);
  if (h.type != static_cast<uint8_t>(MessageType::kExecute) || !CheckHeader(after_length, h).ok()) {
    return false;
  }
  // The fixed fields: statement id (8 bytes), row count (4), parameter
  // count (2). A body too short for them, or another row count, is the
  // general decoder's too (a row count of 1 is one no check refuses).
  std::span<const uint8_t> body = after_length.subspan(kHeaderBytes);
  constexpr size_t kHeadBytes = 8 + 4 + 2;
  if (body.size() < kHeadBytes || LoadLittleEndian<4>(body.data() + 8) != 1) return false;
  out->client_id = h.client_id;
  out->payload_id = h.payload_id;
  out->statement_id = LoadLittleEndian<8>(body.data());
  out->parameter_count = static_cast<uint16_t>(LoadLittleEndian<2>(body.data() + 12));
  BodyReader r(body, MessageType::kExecute);
  r.Skip(kHeadBytes);
  out->parameters.clear();
  if (CheckRowBytes(r, 1, out->parameter_count))
    ReadRowInto(r, out->parameter_count, &out->parameters);
  r.ExpectEnd();
  if (!r.ok()) return r.status();
  return true;
}

Result<Envelope> DecodeFrameBody(std::span<const uint8_t> after_length) {
  FrameHeader h;
  if (after_length.size() >= kHeaderBytes) h = PeekFrameHeader(after_length);
  if (Status header = CheckHeader(after_length, h); !header.ok()) return header;
  auto type = static_cast<MessageType>(h.type);
  BodyReader reader(after_length.subspan(kHeaderBytes), type);
  Envelope envelope{h.client_id, h.payload_id, DecodeMessage(type, reader)};
  reader.ExpectEnd();
  if (!reader.ok()) return reader.status();
  return envelope;
}

void FrameDecoder::Append(std::span<const uint8_t> bytes) {
  if (consumed_ == buffer_.size()) {
    // All decoded: start over, and give back the room a large frame took,
    // so an idle connection does not keep it.
    buffer_.clear();
    consumed_ = 0;
    if (buffer_.capacity() > kKeepCapacityBytes) buffer_.shrink_to_fit();
  } else if (consumed_ >= buffer_.size() / 2) {
    // Drop consumed bytes once they dominate the buffer, so it stays about
    // one frame plus one read in size (amortised O(1) per byte).
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void FrameDecoder::Append(std::string_view bytes) {
  Append(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

Result<bool> FrameDecoder::NextSingleExecute(SingleExecute* out) {
  if (!error_.ok()) return error_;
  if (buffered_bytes() < kLengthFieldBytes) return false;
  const auto* base = reinterpret_cast<const uint8_t*>(buffer_.data()) + consumed_;
  // A length DecodeFrameLength refuses is Next()'s to report.
  auto length = static_cast<uint32_t>(LoadLittleEndian<kLengthFieldBytes>(base));
  if (length < kHeaderBytes || length > max_frame_bytes_ ||
      buffered_bytes() - kLengthFieldBytes < length) {
    return false;
  }
  std::span<const uint8_t> frame(base + kLengthFieldBytes, length);
  Result<bool> decoded = DecodeSingleExecuteBody(frame, out);
  if (!decoded.ok()) {
    last_header_ = PeekFrameHeader(frame);
    error_ = decoded.status();
    return error_;
  }
  if (!*decoded) return false;
  last_header_ = FrameHeader{kFrameVersion, static_cast<uint8_t>(MessageType::kExecute), 0,
                             out->client_id, out->payload_id};
  consumed_ += kLengthFieldBytes + length;
  return true;
}

Result<std::optional<Envelope>> FrameDecoder::Next() {
  if (!error_.ok()) return error_;
  if (buffered_bytes() < kLengthFieldBytes) return std::optional<Envelope>();
  const auto* base = reinterpret_cast<const uint8_t*>(buffer_.data()) + consumed_;
  Result<uint32_t> length = DecodeFrameLength(base, max_frame_bytes_);
  if (!length.ok()) {
    last_header_.reset();
    error_ = length.status();
    return error_;
  }
  if (buffered_bytes() - kLengthFieldBytes < *length) return std::optional<Envelope>();
  std::span<const uint8_t> frame(base + kLengthFieldBytes, *length);
  last_header_ = PeekFrameHeader(frame);
  Result<Envelope> envelope = DecodeFrameBody(frame);
  if (!envelope.ok()) {
    error_ = envelope.status();
    return error_;
  }
  consumed_ += kLengthFieldBytes + *length;
  return std::optional<Envelope>(std::move(envelope).value());
}

}  // namespace kopf::protocol

namespace kopf::protocol {

namespace {

// Reads the fields of a body for the Try* decoders: any failure makes
// ok() false, and the caller then gives up on the whole body.
class FastReader {
 public:
  explicit FastReader(std::span<const uint8_t> body) : p_(body.data()), end_(p_ + body.size()) {}

  bool ok() const { return ok_; }
  bool at_end() const { return ok_ && p_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  void Fail() {
    ok_ = false;
    p_ = end_;
  }

  template <size_t kBytes>
  uint64_t Fixed() {
    if (remaining() < kBytes) {
      Fail();
      return 0;
    }
    uint64_t v = LoadLittleEndian<kBytes>(p_);
    p_ += kBytes;
    return v;
  }

  // A string checked as BodyReader::String checks it.
  std::string_view String() {
    auto length = static_cast<uint32_t>(Fixed<4>());
    if (length > remaining()) {
      Fail();
      return {};
    }
    std::string_view bytes(reinterpret_cast<const char*>(p_), length);
    if (!IsValidUtf8(bytes)) {
      Fail();
      return {};
    }
    p_ += length;
    return bytes;
  }

  Value ReadValue() {
    switch (Fixed<1>()) {
      case static_cast<uint8_t>(Type::kNull):
        return Value::Null();
      case static_cast<uint8_t>(Type::kInteger):
        return Value::Integer(static_cast<int64_t>(Fixed<8>()));
      case static_cast<uint8_t>(Type::kDouble):
        return Value::Double(std::bit_cast<double>(Fixed<8>()));
      case static_cast<uint8_t>(Type::kText):
        return Value::Text(std::string(String()));
      case static_cast<uint8_t>(Type::kBoolean): {
        uint64_t b = Fixed<1>();
        if (b > 1) Fail();
        return Value::Boolean(b == 1);
      }
      default:
        Fail();
        return {};
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

}  // namespace

std::optional<std::span<const uint8_t>> PeekFrame(const FrameDecoder& decoder) {
  if (!decoder.error_.ok() || decoder.buffered_bytes() < kLengthFieldBytes) return std::nullopt;
  const auto* base = reinterpret_cast<const uint8_t*>(decoder.buffer_.data()) + decoder.consumed_;
  auto length = static_cast<uint32_t>(LoadLittleEndian<kLengthFieldBytes>(base));
  if (length < kHeaderBytes || length > decoder.max_frame_bytes_ ||
      decoder.buffered_bytes() - kLengthFieldBytes < length) {
    return std::nullopt;
  }
  return std::span<const uint8_t>(base + kLengthFieldBytes, length);
}

bool TryDecodeRowDescriptionBody(std::span<const uint8_t> body, std::vector<ColumnInfo>* columns) {
  FastReader r(body);
  auto count = static_cast<uint16_t>(r.Fixed<2>());
  if (!r.ok() || count * kMinColumnBytes > r.remaining()) return false;
  std::vector<ColumnInfo> decoded(count);
  for (ColumnInfo& column : decoded) {
    column.name = r.String();
    auto type = static_cast<uint8_t>(r.Fixed<1>());
    if (type > static_cast<uint8_t>(Type::kBoolean)) r.Fail();
    column.type = static_cast<Type>(type);
  }
  if (!r.at_end()) return false;
  *columns = std::move(decoded);
  return true;
}

bool TryAppendRowBatchBody(std::span<const uint8_t> body, size_t width, std::vector<Row>* rows,
                           std::vector<Row>* spare) {
  FastReader r(body);
  auto row_count = static_cast<uint32_t>(r.Fixed<4>());
  auto column_count = static_cast<uint16_t>(r.Fixed<2>());
  if (!r.ok()) return false;
  if (row_count == 0) return r.at_end();
  if (column_count == 0 || column_count != width) return false;
  if (uint64_t{row_count} * column_count * kMinValueBytes > r.remaining()) return false;
  size_t before = rows->size();
  // Room for this batch, growing geometrically: reserving the exact size
  // batch after batch would move every row of a large result each time.
  if (rows->capacity() < before + row_count) {
    rows->reserve(std::max(before + row_count, 2 * rows->capacity()));
  }
  for (uint32_t i = 0; i < row_count && r.ok(); ++i) {
    Row& row = rows->emplace_back();
    if (spare != nullptr && !spare->empty()) {
      row = std::move(spare->back());
      spare->pop_back();
    }
    row.reserve(column_count);
    for (uint16_t c = 0; c < column_count; ++c) row.push_back(r.ReadValue());
  }
  if (!r.at_end()) {
    rows->resize(before);
    return false;
  }
  return true;
}

bool TryDecodeCompleteBody(std::span<const uint8_t> body, std::string* tag, uint64_t* count) {
  FastReader r(body);
  std::string_view decoded_tag = r.String();
  uint64_t decoded_count = r.Fixed<8>();
  if (!r.at_end()) return false;
  tag->assign(decoded_tag);
  *count = decoded_count;
  return true;
}

}  // namespace kopf::protocol
