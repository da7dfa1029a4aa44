// Frame encoder: turns messages into complete wire frames (length prefix,
// header, body) as described in protocol/PROTOCOL.md. It only appends bytes
// to a std::string; it never touches a socket, so the server, the client
// library and the tests share it.
//
// The encoder trusts its input: the size limits listed in message.h are
// REQUIRES (assert), not errors. Callers that hold untrusted data (the
// server encoding an engine result) check them first, see
// brainstem/response_encoder.cc.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "protocol/message.h"
#include "protocol/value.h"

namespace kopf::protocol {

// Appends one complete frame carrying `envelope` to `*out`.
void EncodeFrame(const Envelope& envelope, std::string* out);

// Appends one ROW_BATCH frame holding `rows` without copying them into a
// RowBatch first (the server's hot path).
// REQUIRES: every row has the same size (<= 65535), rows.size() < 2^32, and
// the frame fits in 2^32-1 bytes.
void EncodeRowBatchFrame(uint32_t client_id, uint64_t payload_id, std::span<const Row> rows,
                         std::string* out);
// The same for the other frames of the hot paths, from their parts: one
// ROW_DESCRIPTION, one COMPLETE, one EXECUTE of `rows` (all of one width,
// the statement's parameter count). Each sizes its frame first and writes
// it in one go; the bytes are exactly EncodeFrame's.
void EncodeRowDescriptionFrame(uint32_t client_id, uint64_t payload_id,
                               std::span<const ColumnInfo> columns, std::string* out);
void EncodeCompleteFrame(uint32_t client_id, uint64_t payload_id, std::string_view tag,
                         uint64_t count, std::string* out);
void EncodeExecuteFrame(uint32_t client_id, uint64_t payload_id, uint64_t statement_id,
                        std::span<const Row> rows, std::string* out);
// Appends `frame`, one whole frame encoded earlier, with its payload id
// set to `payload_id`: a frame that is the same for every request but its
// payload id (a prepared point read's ROW_DESCRIPTION) is encoded once and
// copied. REQUIRES: `frame` is one whole frame.
void AppendFrameWithPayloadId(std::string_view frame, uint64_t payload_id, std::string* out);
// Appends the whole answer to a read of at most one row in one go:
// `row_description` (a ROW_DESCRIPTION frame encoded earlier, or nothing)
// with its payload id set to `payload_id`, then one ROW_BATCH of
// row[columns[0]], row[columns[1]], ... unless `row` is null, then
// COMPLETE `tag` with count 1, or 0 without a row. The same bytes as those
// frames encoded one by one. REQUIRES: columns.size() <= 65535, every index < row->size().
void EncodeSingleRowResponse(uint32_t client_id, uint64_t payload_id,
                             std::string_view row_description, const Row* row,
                             std::span<const size_t> columns, std::string_view tag,
                             std::string* out);
// Appends one COPY_DATA frame carrying `data` (the same bytes as
// EncodeFrame of a CopyData, without copying `data` into a message first).
void EncodeCopyDataFrame(uint32_t client_id, uint64_t payload_id, std::string_view data,
                         std::string* out);

// Bytes `value` takes inside a frame: its tag plus its payload. Lets the
// server cut row batches at a byte budget before encoding them.
size_t EncodedValueSize(const Value& value);

// Bytes a ROW_BATCH frame holding `rows` takes, length prefix included.
size_t EncodedRowBatchFrameSize(std::span<const Row> rows);

}  // namespace kopf::protocol
