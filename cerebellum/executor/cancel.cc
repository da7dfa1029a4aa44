#include "cerebellum/executor/cancel.h"

namespace kopf::cerebellum {

namespace {

thread_local const CancelFlag* current_flag = nullptr;

}  // namespace

CancelScope::CancelScope(const CancelFlag* flag) : previous_(current_flag) { current_flag = flag; }

CancelScope::~CancelScope() { current_flag = previous_; }

bool Cancelled() {
  const CancelFlag* flag = current_flag;
  return flag != nullptr && flag->load(std::memory_order_relaxed);
}

protocol::Status CancelledStatus() {
  return protocol::Status::Cancelled("the request was cancelled by the client");
}

}  // namespace kopf::cerebellum
