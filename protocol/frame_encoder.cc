#include "protocol/frame_encoder.h"

#include <bit>
#include <cassert>
#include <cstring>
#include <limits>

#include "protocol/little_endian_internal.h"

namespace kopf::protocol {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// Little-endian appends. Written byte by byte so the output does not depend
// on the host's byte order; the compiler turns each into one store.
void PutU8(uint8_t v, std::string* out) { out->push_back(static_cast<char>(v)); }

void PutU16(uint16_t v, std::string* out) {
  char b[2] = {static_cast<char>(v), static_cast<char>(v >> 8)};
  out->append(b, sizeof b);
}

void PutU32(uint32_t v, std::string* out) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, sizeof b);
}

void PutU64(uint64_t v, std::string* out) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, sizeof b);
}

void PutString(std::string_view s, std::string* out) {
  assert(s.size() <= std::numeric_limits<uint32_t>::max());
  PutU32(static_cast<uint32_t>(s.size()), out);
  out->append(s);
}

void PutValue(const Value& v, std::string* out) {
  PutU8(static_cast<uint8_t>(v.type()), out);
  switch (v.type()) {
    case Type::kNull:
      break;
    case Type::kInteger:
      PutU64(static_cast<uint64_t>(v.as_integer()), out);
      break;
    // The bit pattern travels unchanged, so NaN payloads and -0.0 survive.
    case Type::kDouble:
      PutU64(std::bit_cast<uint64_t>(v.as_double()), out);
      break;
    case Type::kText:
      PutString(v.as_text(), out);
      break;
    case Type::kBoolean:
      PutU8(v.as_boolean() ? 1 : 0, out);
      break;
  }
}

// Writes one frame of a size known in advance straight into the output:
// the hot frames (EXECUTE, ROW_DESCRIPTION, ROW_BATCH, COMPLETE) are sized
// first, so the string grows once per frame instead of once per field.
// Little-endian, byte by byte as above.
class Filler {
 public:
  // Grows `*out` by a frame of `body_bytes` after the header and writes
  // the length and the header.
  Filler(MessageType type, uint32_t client_id, uint64_t payload_id, size_t body_bytes,
         std::string* out)
      : Filler(Grow(out, kLengthFieldBytes + kHeaderBytes + body_bytes), type, client_id,
               payload_id, body_bytes) {}
  // The same at `p`, where the caller made room for the whole frame.
  Filler(char* p, MessageType type, uint32_t client_id, uint64_t payload_id, size_t body_bytes)
      : p_(p) {
    assert(kHeaderBytes + body_bytes <= std::numeric_limits<uint32_t>::max());
    U32(static_cast<uint32_t>(kHeaderBytes + body_bytes));
    U8(kFrameVersion);
    U8(static_cast<uint8_t>(type));
    U16(0);  // flags
    U32(client_id);
    U64(payload_id);
  }

  // Where the bytes written so far end.
  char* end() const { return p_; }

  // Grows `*out` by `bytes`; returns where they start.
  static char* Grow(std::string* out, size_t bytes) {
    size_t at = out->size();
    out->resize(at + bytes);
    return out->data() + at;
  }

  void U8(uint8_t v) { *p_++ = static_cast<char>(v); }
  void U16(uint16_t v) { Bytes<2>(v); }
  void U32(uint32_t v) { Bytes<4>(v); }
  void U64(uint64_t v) { Bytes<8>(v); }
  void String(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void Put(const Value& v) {
    U8(static_cast<uint8_t>(v.type()));
    switch (v.type()) {
      case Type::kNull: break;
      case Type::kInteger: U64(static_cast<uint64_t>(v.as_integer())); break;
      case Type::kDouble: U64(std::bit_cast<uint64_t>(v.as_double())); break;
      case Type::kText: String(v.as_text()); break;
      case Type::kBoolean: U8(v.as_boolean() ? 1 : 0); break;
    }
  }
  void Rows(std::span<const Row> rows, size_t width) {
    for (const Row& row : rows) {
      assert(row.size() == width && "all rows have the same width");
      for (const Value& v : row) Put(v);
    }
  }

 private:
  // The low N bytes of `v`, least significant first.
  template <size_t N>
  void Bytes(uint64_t v) {
    StoreLittleEndian<N>(v, p_);
    p_ += N;
  }

  char* p_;
};

size_t RowsSize(std::span<const Row> rows) {
  size_t size = 0;
  for (const Row& row : rows) {
    for (const Value& v : row) size += EncodedValueSize(v);
  }
  return size;
}

// Appends the length placeholder and the header; returns where the frame
// starts so FinishFrame can fill in the length.
size_t BeginFrame(MessageType type, uint32_t client_id, uint64_t payload_id, std::string* out) {
  size_t start = out->size();
  PutU32(0, out);
  PutU8(kFrameVersion, out);
  PutU8(static_cast<uint8_t>(type), out);
  PutU16(0, out);  // flags
  PutU32(client_id, out);
  PutU64(payload_id, out);
  return start;
}

void FinishFrame(size_t start, std::string* out) {
  size_t length = out->size() - start - kLengthFieldBytes;
  assert(length <= std::numeric_limits<uint32_t>::max());
  for (size_t i = 0; i < kLengthFieldBytes; ++i) {
    (*out)[start + i] = static_cast<char>(length >> (8 * i));
  }
}

void PutColumns(const std::vector<ColumnInfo>& columns, std::string* out) {
  assert(columns.size() <= std::numeric_limits<uint16_t>::max());
  PutU16(static_cast<uint16_t>(columns.size()), out);
  for (const ColumnInfo& c : columns) {
    PutString(c.name, out);
    PutU8(static_cast<uint8_t>(c.type), out);
  }
}

void PutRows(std::span<const Row> rows, std::string* out) {
  size_t width = rows.empty() ? 0 : rows.front().size();
  assert(rows.size() <= std::numeric_limits<uint32_t>::max());
  assert(width <= std::numeric_limits<uint16_t>::max());
  PutU32(static_cast<uint32_t>(rows.size()), out);
  PutU16(static_cast<uint16_t>(width), out);
  for (const Row& row : rows) {
    assert(row.size() == width && "all rows of a batch have the same width");
    for (const Value& v : row) PutValue(v, out);
  }
}

void PutBody(const Message& message, std::string* out) {
  std::visit(Overloaded{
                 [out](const Hello& m) {
                   PutU16(m.major, out);
                   PutU16(m.minor, out);
                   PutString(m.client_name, out);
                   if (m.minor >= 1) {
                     PutString(m.user, out);
                     PutString(m.scram_first, out);
                   }
                 },
                 [out](const AuthChallenge& m) {
                   PutString(m.mechanism, out);
                   PutString(m.data, out);
                 },
                 [out](const AuthResponse& m) { PutString(m.data, out); },
                 [out](const AuthOk& m) { PutString(m.data, out); },
                 [out](const Welcome& m) {
                   PutU32(m.client_id, out);
                   PutU16(m.major, out);
                   PutU16(m.minor, out);
                   PutString(m.server_version, out);
                 },
                 [](const Goodbye&) {},
                 [](const Ping&) {},
                 [](const Pong&) {},
                 [](const Cancel&) {},
                 [out](const Query& m) { PutString(m.sql, out); },
                 [out](const Prepare& m) { PutString(m.sql, out); },
                 [out](const Execute& m) {
                   PutU64(m.statement_id, out);
                   assert(m.rows.size() <= std::numeric_limits<uint32_t>::max());
                   PutU32(static_cast<uint32_t>(m.rows.size()), out);
                   PutU16(m.parameter_count, out);
                   for (const Row& row : m.rows) {
                     assert(row.size() == m.parameter_count);
                     for (const Value& v : row) PutValue(v, out);
                   }
                 },
                 [out](const CloseStatement& m) { PutU64(m.statement_id, out); },
                 [out](const RowDescription& m) { PutColumns(m.columns, out); },
                 [out](const RowBatch& m) { PutRows(m.rows, out); },
                 [out](const Complete& m) {
                   PutString(m.tag, out);
                   PutU64(m.count, out);
                 },
                 [out](const ErrorMessage& m) {
                   assert(m.code != ErrorCode::kOk);
                   PutU16(static_cast<uint16_t>(m.code), out);
                   PutU32(static_cast<uint32_t>(m.position), out);
                   PutString(m.message, out);
                 },
                 [out](const StatementDescription& m) {
                   PutU64(m.statement_id, out);
                   assert(m.parameter_types.size() <= std::numeric_limits<uint16_t>::max());
                   PutU16(static_cast<uint16_t>(m.parameter_types.size()), out);
                   for (Type t : m.parameter_types) PutU8(static_cast<uint8_t>(t), out);
                   PutColumns(m.columns, out);
                 },
                 [out](const CopyInResponse& m) {
                   PutU8(static_cast<uint8_t>(m.format), out);
                   PutColumns(m.columns, out);
                 },
                 [out](const CopyData& m) { out->append(m.data); },
                 [](const CopyDone&) {},
                 [out](const CopyFail& m) { PutString(m.message, out); },
             },
             message);
}

}  // namespace

void EncodeFrame(const Envelope& envelope, std::string* out) {
  size_t start = BeginFrame(TypeOf(envelope.message), envelope.client_id, envelope.payload_id, out);
  PutBody(envelope.message, out);
  FinishFrame(start, out);
}

void EncodeRowBatchFrame(uint32_t client_id, uint64_t payload_id, std::span<const Row> rows,
                         std::string* out) {
  size_t width = rows.empty() ? 0 : rows.front().size();
  assert(rows.size() <= std::numeric_limits<uint32_t>::max());
  assert(width <= std::numeric_limits<uint16_t>::max());
  Filler f(MessageType::kRowBatch, client_id, payload_id, 4 + 2 + RowsSize(rows), out);
  f.U32(static_cast<uint32_t>(rows.size()));
  f.U16(static_cast<uint16_t>(width));
  f.Rows(rows, width);
}

void EncodeRowDescriptionFrame(uint32_t client_id, uint64_t payload_id,
                               std::span<const ColumnInfo> columns, std::string* out) {
  assert(columns.size() <= std::numeric_limits<uint16_t>::max());
  size_t size = 2;
  for (const ColumnInfo& c : columns) size += 4 + c.name.size() + 1;
  Filler f(MessageType::kRowDescription, client_id, payload_id, size, out);
  f.U16(static_cast<uint16_t>(columns.size()));
  for (const ColumnInfo& c : columns) {
    f.String(c.name);
    f.U8(static_cast<uint8_t>(c.type));
  }
}

void EncodeCompleteFrame(uint32_t client_id, uint64_t payload_id, std::string_view tag,
                         uint64_t count, std::string* out) {
  Filler f(MessageType::kComplete, client_id, payload_id, 4 + tag.size() + 8, out);
  f.String(tag);
  f.U64(count);
}

void EncodeExecuteFrame(uint32_t client_id, uint64_t payload_id, uint64_t statement_id,
                        std::span<const Row> rows, std::string* out) {
  size_t width = rows.empty() ? 0 : rows.front().size();
  assert(rows.size() <= std::numeric_limits<uint32_t>::max());
  assert(width <= std::numeric_limits<uint16_t>::max());
  Filler f(MessageType::kExecute, client_id, payload_id, 8 + 4 + 2 + RowsSize(rows), out);
  f.U64(statement_id);
  f.U32(static_cast<uint32_t>(rows.size()));
  f.U16(static_cast<uint16_t>(width));
  f.Rows(rows, width);
}

namespace {

// Copies `frame`, one whole frame, to `p` with its payload id (the
// header's last field) set to `payload_id`.
char* CopyFrameWithPayloadId(std::string_view frame, uint64_t payload_id, char* p) {
  constexpr size_t kPayloadIdAt = kLengthFieldBytes + kHeaderBytes - 8;
  assert(frame.size() >= kLengthFieldBytes + kHeaderBytes);
  std::memcpy(p, frame.data(), frame.size());
  StoreLittleEndian<8>(payload_id, p + kPayloadIdAt);
  return p + frame.size();
}

}  // namespace

void AppendFrameWithPayloadId(std::string_view frame, uint64_t payload_id, std::string* out) {
  CopyFrameWithPayloadId(frame, payload_id, Filler::Grow(out, frame.size()));
}

void EncodeSingleRowResponse(uint32_t client_id, uint64_t payload_id,
                             std::string_view row_description, const Row* row,
                             std::span<const size_t> columns, std::string_view tag,
                             std::string* out) {
  assert(columns.size() <= std::numeric_limits<uint16_t>::max());
  constexpr size_t kFrameBytes = kLengthFieldBytes + kHeaderBytes;
  size_t batch_body = 4 + 2;
  if (row != nullptr) {
    for (size_t c : columns) batch_body += EncodedValueSize((*row)[c]);
  }
  const size_t complete_body = 4 + tag.size() + 8;
  char* p = Filler::Grow(out, row_description.size() +
                                  (row != nullptr ? kFrameBytes + batch_body : 0) + kFrameBytes +
                                  complete_body);
  if (!row_description.empty()) p = CopyFrameWithPayloadId(row_description, payload_id, p);
  if (row != nullptr) {
    Filler batch(p, MessageType::kRowBatch, client_id, payload_id, batch_body);
    batch.U32(1);
    batch.U16(static_cast<uint16_t>(columns.size()));
    for (size_t c : columns) batch.Put((*row)[c]);
    p = batch.end();
  }
  Filler complete(p, MessageType::kComplete, client_id, payload_id, complete_body);
  complete.String(tag);
  complete.U64(row != nullptr ? 1 : 0);
}

void EncodeCopyDataFrame(uint32_t client_id, uint64_t payload_id, std::string_view data,
                         std::string* out) {
  size_t start = BeginFrame(MessageType::kCopyData, client_id, payload_id, out);
  out->append(data);
  FinishFrame(start, out);
}

size_t EncodedValueSize(const Value& value) {
  switch (value.type()) {
    case Type::kNull:
      return 1;
    case Type::kInteger:
    case Type::kDouble:
      return 1 + 8;
    case Type::kText:
      return 1 + 4 + value.as_text().size();
    case Type::kBoolean:
      return 1 + 1;
  }
  return 1;
}

size_t EncodedRowBatchFrameSize(std::span<const Row> rows) {
  size_t size = kLengthFieldBytes + kHeaderBytes + 4 + 2;
  for (const Row& row : rows) {
    for (const Value& v : row) size += EncodedValueSize(v);
  }
  return size;
}

}  // namespace kopf::protocol
