// Response encoder: turns the engine's answer to one request into the bytes
// of its whole response (PROTOCOL.md, "Responses"):
//   ROW_DESCRIPTION, ROW_BATCH*, COMPLETE   for a result with columns
//   COMPLETE                                for a result without
//   ERROR                                   for a failure
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
#include <string>

#include "cerebellum/prepared_statement.h"
#include "cerebellum/statement_result.h"
#include "protocol/status.h"

namespace kopf::brainstem {

inline constexpr size_t kRowBatchMaxRows = 1000;
inline constexpr size_t kRowBatchTargetBytes = 256 * 1024;

std::string EncodeResponse(uint32_t client_id, uint64_t payload_id,
                           const protocol::Result<cerebellum::StatementResult>& result);

// The response to a PREPARE: one STATEMENT_DESCRIPTION (statement id = the
// PREPARE's payload id), or one ERROR.
std::string EncodePrepareResponse(
    uint32_t client_id, uint64_t payload_id,
    const protocol::Result<std::shared_ptr<const cerebellum::PreparedStatement>>& result);

// One ERROR frame for `status` (REQUIRES: not OK); a message that is not
// UTF-8 is made so, since it may quote user data.
std::string EncodeError(uint32_t client_id, uint64_t payload_id, const protocol::Status& status);

}  // namespace kopf::brainstem
