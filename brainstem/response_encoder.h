// Response encoder: turns the engine's answer to one request into the bytes
// of its whole response (PROTOCOL.md, "Responses"):
//   ROW_DESCRIPTION, ROW_BATCH*, COMPLETE   for a result with columns
//   COMPLETE                                for a result without
//   ERROR                                   for a failure
//   COPY_DATA*, COMPLETE                    for COPY ... TO STDOUT
// Rows are cut into batches of at most kRowBatchMaxRows rows and about
// kRowBatchTargetBytes bytes, so the client can start decoding early and no
// frame approaches protocol::kMaxServerFrameBytes.
//
// The engine's result is checked before it goes on the wire, since a frame
// the client cannot decode would cost it the connection: a result that the
// protocol cannot carry becomes an ERROR instead (kInternal for an engine
// bug such as rows without columns, kCorruption for a TEXT value that is
// not UTF-8, kNotSupported for a row or column count over the format's
// limits).
//
// Thread-safety: a pure function; called on the engine's worker threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "cerebellum/prepared_statement.h"
#include "cerebellum/statement_result.h"
#include "protocol/status.h"

namespace kopf::brainstem {

inline constexpr size_t kRowBatchMaxRows = 1000;
inline constexpr size_t kRowBatchTargetBytes = 256 * 1024;

// Encodes one response a piece at a time, so that a large result is turned
// into frames only as fast as the client reads them (the session asks for
// the next piece when the previous one has been written). Each piece is
// whole frames: the first starts with ROW_DESCRIPTION, the last ends with
// COMPLETE, or with ERROR when a row cannot be sent (PROTOCOL.md allows an
// ERROR after some ROW_BATCHes; the client drops the partial rows).
//
// Thread-safety: one thread at a time (the worker for the first piece,
// then the session's strand).
class ResponseStream {
 public:
  ResponseStream(uint32_t client_id, uint64_t payload_id,
                 protocol::Result<cerebellum::StatementResult> result);

  // Appends the next piece to `*out`: frames until about `budget_bytes`
  // (at least one ROW_BATCH, however large) or the end of the response.
  // Returns true while more pieces remain. REQUIRES: not done().
  // COPY ... TO STDOUT answers COPY_DATA frames of CSV text instead of
  // ROW_DESCRIPTION and ROW_BATCHes, then COMPLETE.
  bool Next(std::string* out, size_t budget_bytes);
  bool done() const { return done_; }
  uint64_t payload_id() const { return payload_id_; }

  // Ends the response early with ERROR Cancelled; returns that frame.
  // REQUIRES: not done().
  std::string Cancel();

 private:
  bool Fail(std::string* out, const protocol::Status& status);
  bool NextCopyData(std::string* out, size_t budget_bytes);

  uint32_t client_id_;
  uint64_t payload_id_;
  protocol::Result<cerebellum::StatementResult> result_;
  size_t next_row_ = 0;
  bool started_ = false;
  bool done_ = false;
  std::string csv_;  // COPY TO STDOUT: the text of the frame being filled
};

// The whole response at once.
std::string EncodeResponse(uint32_t client_id, uint64_t payload_id,
                           protocol::Result<cerebellum::StatementResult> result);

// Appends the response to a point read answered in place
// (Engine::TryPointReadInline): ROW_DESCRIPTION of `columns`, a ROW_BATCH
// of the row (*row)[picks[0]], (*row)[picks[1]], ... unless `row` is null,
// COMPLETE "SELECT" 1 or 0; the same bytes and checks as a ResponseStream
// of that result, without building it or copying the row.
// `*description` keeps the ROW_DESCRIPTION frame from read to read: the
// caller holds one per prepared statement, empty at first; the columns are
// checked and encoded when it is empty, and later reads copy it, setting
// their own payload id. REQUIRES: every pick < row->size(); the same
// `client_id` and `columns` for every read with one `*description`.
void EncodePointReadResponse(uint32_t client_id, uint64_t payload_id,
                             std::span<const protocol::ColumnInfo> columns,
                             std::string* description, const protocol::Row* row,
                             std::span<const size_t> picks, std::string* out);

// The response to a PREPARE: one STATEMENT_DESCRIPTION (statement id = the
// PREPARE's payload id), or one ERROR: the error of `result`, or why its
// description cannot be sent (more than 65535 columns, a name that is not
// UTF-8). `*sent` gets what the client was told: OK, or that error.
std::string EncodePrepareResponse(
    uint32_t client_id, uint64_t payload_id,
    const protocol::Result<std::shared_ptr<const cerebellum::PreparedStatement>>& result,
    protocol::Status* sent);

// One ERROR frame for `status` (REQUIRES: not OK); a message that is not
// UTF-8 is made so, since it may quote user data.
std::string EncodeError(uint32_t client_id, uint64_t payload_id, const protocol::Status& status);

}  // namespace kopf::brainstem
