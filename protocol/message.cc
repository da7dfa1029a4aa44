#include "protocol/message.h"

#include <cassert>

namespace kopf::protocol {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

MessageType TypeOf(const Message& message) {
  return std::visit(
      Overloaded{
          [](const Hello&) { return MessageType::kHello; },
          [](const Welcome&) { return MessageType::kWelcome; },
          [](const Goodbye&) { return MessageType::kGoodbye; },
          [](const Ping&) { return MessageType::kPing; },
          [](const Pong&) { return MessageType::kPong; },
          [](const Cancel&) { return MessageType::kCancel; },
          [](const Query&) { return MessageType::kQuery; },
          [](const Prepare&) { return MessageType::kPrepare; },
          [](const Execute&) { return MessageType::kExecute; },
          [](const CloseStatement&) { return MessageType::kClose; },
          [](const RowDescription&) { return MessageType::kRowDescription; },
          [](const RowBatch&) { return MessageType::kRowBatch; },
          [](const Complete&) { return MessageType::kComplete; },
          [](const ErrorMessage&) { return MessageType::kError; },
          [](const StatementDescription&) { return MessageType::kStatementDescription; },
          [](const AuthChallenge&) { return MessageType::kAuthChallenge; },
          [](const AuthResponse&) { return MessageType::kAuthResponse; },
          [](const AuthOk&) { return MessageType::kAuthOk; },
          [](const CopyInResponse&) { return MessageType::kCopyInResponse; },
          [](const CopyData&) { return MessageType::kCopyData; },
          [](const CopyDone&) { return MessageType::kCopyDone; },
          [](const CopyFail&) { return MessageType::kCopyFail; },
      },
      message);
}

std::string Describe(const Envelope& envelope) {
  return std::string(MessageTypeName(TypeOf(envelope.message))) + " " +
         std::to_string(envelope.client_id) + "-" + std::to_string(envelope.payload_id);
}

Status ToStatus(const ErrorMessage& error) {
  return Status(error.code, error.message, error.position);
}

ErrorMessage ToErrorMessage(const Status& status) {
  assert(!status.ok());
  int32_t position = status.position() < 0 ? Status::kNoPosition : status.position();
  return ErrorMessage{status.code(), position, status.message()};
}

}  // namespace kopf::protocol
