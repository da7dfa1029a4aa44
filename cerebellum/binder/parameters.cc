#include "cerebellum/binder/parameters.h"

#include <fmt/format.h>

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

thread_local ParameterSet* current_parameters = nullptr;

}  // namespace

ParameterScope::ParameterScope(ParameterSet* set) : previous_(current_parameters) {
  current_parameters = set;
}

ParameterScope::~ParameterScope() { current_parameters = previous_; }

ParameterSet* CurrentParameters() { return current_parameters; }

Result<BoundExprPtr> BindParameter(uint32_t index, int32_t position) {
  ParameterSet* set = current_parameters;
  if (set == nullptr) {
    return Status::SyntaxError(
        fmt::format("parameter ${} is only allowed in a prepared statement (PREPARE)", index),
        position);
  }
  size_t i = index - 1;
  auto e = std::make_unique<BoundExpr>();
  e->position = position;
  if (set->values != nullptr) {
    if (i >= set->types.size() || i >= set->values->size()) {
      return Status::Internal(fmt::format("no value for parameter ${}", index));
    }
    e->type = set->types[i];
    const Value& v = (*set->values)[i];
    e->node = bound::Constant{v.type() == Type::kInteger && e->type == Type::kDouble
                                  ? Value::Double(static_cast<double>(v.as_integer()))
                                  : v};
    return e;
  }
  if (set->types.size() <= i) {
    set->types.resize(i + 1, Type::kNull);
    set->positions.resize(i + 1, -1);
  }
  if (set->positions[i] < 0) set->positions[i] = position;
  e->type = set->types[i];
  e->node = bound::Parameter{index};
  return e;
}

void InferParameterType(BoundExpr* expr, Type type) {
  if (expr == nullptr || type == Type::kNull || expr->type != Type::kNull) return;
  auto* parameter = std::get_if<bound::Parameter>(&expr->node);
  ParameterSet* set = current_parameters;
  if (parameter == nullptr || set == nullptr) return;
  expr->type = type;
  size_t i = parameter->index - 1;
  if (i < set->types.size() && set->types[i] == Type::kNull) set->types[i] = type;
}

Status CheckParameterTypes(const ParameterSet& set) {
  for (size_t i = 0; i < set.types.size(); ++i) {
    if (set.positions[i] < 0) {
      return Status::SyntaxError(
          fmt::format("parameter ${} is never used, but ${} is: number parameters from $1 "
                      "without gaps",
                      i + 1, set.types.size()));
    }
    if (set.types[i] == Type::kNull) {
      return Status::TypeMismatch(
          fmt::format("cannot tell the type of parameter ${} from where it is used; write "
                      "CAST(${} AS type)",
                      i + 1, i + 1),
          set.positions[i]);
    }
  }
  return Status::Ok();
}

Status CheckParameterValues(const std::vector<Type>& types, protocol::Row* row, size_t row_number) {
  if (row->size() != types.size()) {
    return Status::InvalidValue(
        fmt::format("parameter row {} has {} values, but the statement takes {} parameters",
                    row_number, row->size(), types.size()));
  }
  for (size_t i = 0; i < types.size(); ++i) {
    Value& v = (*row)[i];
    Type want = types[i];
    if (v.is_null() || v.type() == want) continue;
    if (v.type() == Type::kInteger && want == Type::kDouble) {
      v = Value::Double(static_cast<double>(v.as_integer()));
      continue;
    }
    return Status::TypeMismatch(
        fmt::format("parameter ${} of row {} is {}, but the statement "
                    "expects {}",
                    i + 1, row_number, protocol::TypeName(v.type()), protocol::TypeName(want)));
  }
  return Status::Ok();
}

}  // namespace kopf::cerebellum
