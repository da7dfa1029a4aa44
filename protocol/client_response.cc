#include <string>
#include <utility>

#include "protocol/client_internal.h"

namespace kopf::protocol::client_internal {

namespace {

Status Violation(const std::string& what) {
  return Status::ProtocolViolation("server broke the protocol: " + what);
}

}  // namespace

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
  if (!outstanding_.contains(id)) {
    return Violation(Describe(envelope) + " answers no outstanding request");
  }
  if (partial_ && partial_->payload_id != id) {
    return Violation(Describe(envelope) + " interleaved with the response to payload " +
                     std::to_string(partial_->payload_id));
  }
  if (!partial_) {
    partial_.emplace();
    partial_->payload_id = id;
    described_ = false;
  }
  QueryResult& result = partial_->result;
  switch (type) {
    case MessageType::kRowDescription:
      if (described_) return Violation(Describe(envelope) + ": second ROW_DESCRIPTION");
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
      // An ERROR replaces whatever part of the response came before it.
      partial_->result = QueryResult{};
      return Finish(ToStatus(std::get<ErrorMessage>(envelope.message)));
    case MessageType::kHello:
    case MessageType::kWelcome:
    case MessageType::kGoodbye:
    case MessageType::kQuery:
    case MessageType::kAuthChallenge:
    case MessageType::kAuthResponse:
    case MessageType::kAuthOk:
    // Protocol 1.1 messages this client never asks for.
    case MessageType::kPing:
    case MessageType::kPong:
    case MessageType::kCancel:
    case MessageType::kPrepare:
    case MessageType::kExecute:
    case MessageType::kClose:
    case MessageType::kStatementDescription:
      break;
  }
  return Violation("unexpected " + Describe(envelope));
}

Status ResponseAssembler::Finish(Status status) {
  partial_->status = std::move(status);
  outstanding_.erase(partial_->payload_id);
  finished_.push_back(std::move(*partial_));
  partial_.reset();
  return Status::Ok();
}

std::optional<Response> ResponseAssembler::Take(uint64_t payload_id) {
  for (auto it = finished_.begin(); it != finished_.end(); ++it) {
    if (it->payload_id == payload_id) {
      Response response = std::move(*it);
      finished_.erase(it);
      return response;
    }
  }
  return std::nullopt;
}

std::optional<Response> ResponseAssembler::TakeAny() {
  if (finished_.empty()) return std::nullopt;
  Response response = std::move(finished_.front());
  finished_.pop_front();
  return response;
}

}  // namespace kopf::protocol::client_internal
