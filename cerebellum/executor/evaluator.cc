#include "cerebellum/executor/evaluator.h"

#include "cerebellum/executor/exec_context.h"
#include "cerebellum/executor/text_functions.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "protocol/utf8.h"

namespace kopf::cerebellum {

using protocol::Row;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

// Leading numeric prefix of a text, as SQLite's CAST reads it ("12abc" -> 12).
Value TextToNumber(const std::string& text, Type type) {
  const char* begin = text.c_str();
  while (*begin == ' ' || *begin == '\t' || *begin == '\n') ++begin;
  if (type == Type::kInteger) {
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(begin, &end, 10);
    if (end == begin) return Value::Integer(0);
    return Value::Integer(v);
  }
  char* end = nullptr;
  double d = std::strtod(begin, &end);
  if (end == begin) return Value::Double(0.0);
  return Value::Double(d);
}

}  // namespace

std::optional<bool> Truth(const Value& v) {
  switch (v.type()) {
    case Type::kNull: return std::nullopt;
    case Type::kBoolean: return v.as_boolean();
    case Type::kInteger: return v.as_integer() != 0;
    case Type::kDouble: return v.as_double() != 0.0;
    case Type::kText: return TextToNumber(v.as_text(), Type::kDouble).as_double() != 0.0;
  }
  return std::nullopt;
}

Value ApplyNumericAffinity(const Value& v) {
  if (v.type() != Type::kText) return v;
  const std::string& t = v.as_text();
  size_t b = 0, e = t.size();
  while (b < e && std::isspace(static_cast<unsigned char>(t[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(t[e - 1]))) --e;
  if (b == e) return v;
  std::string trimmed = t.substr(b, e - b);
  char* end = nullptr;
  errno = 0;
  long long i = std::strtoll(trimmed.c_str(), &end, 10);
  if (end == trimmed.c_str() + trimmed.size() && errno == 0) return Value::Integer(i);
  double d = std::strtod(trimmed.c_str(), &end);
  if (end == trimmed.c_str() + trimmed.size()) return Value::Double(d);
  return v;
}

Value Evaluator::OuterColumn(const bound::Column& column) {
  if (context_ == nullptr || context_->outer().size() < column.depth) {
    return Fail(Status::Internal("correlated column without an enclosing row"));
  }
  const auto& outer = context_->outer();
  return (*outer[outer.size() - column.depth])[column.index];
}

Value Evaluator::Subquery(const bound::Subquery& node, const BoundExpr& expr, const Row& row) {
  if (context_ == nullptr) return Fail(Status::Internal("subquery without a context"));
  Value operand;
  if (node.kind == bound::Subquery::Kind::kIn) {
    operand = Evaluate(*node.operand, row);
  }
  auto result = context_->RunSubquery(node, row);
  if (!result.ok()) return Fail(result.status().WithPosition(expr.position));
  const SubqueryRows& rows = **result;
  switch (node.kind) {
    case bound::Subquery::Kind::kScalar:
      if (rows.rows.empty()) return Value();
      return rows.rows[0][0];
    case bound::Subquery::Kind::kExists:
      return Value::Boolean(rows.rows.empty() == node.negated);
    case bound::Subquery::Kind::kIn: {
      if (rows.rows.empty()) return Value::Boolean(node.negated);
      if (operand.is_null()) return Value();
      bool found =
          std::binary_search(rows.sorted.begin(), rows.sorted.end(), operand, protocol::ValueLess());
      if (found) return Value::Boolean(!node.negated);
      if (rows.has_null) return Value();
      return Value::Boolean(node.negated);
    }
  }
  return Value();
}

Value Evaluator::Fail(Status status) {
  if (status_.ok()) status_ = std::move(status);
  return Value();
}

bool Evaluator::IsTrue(const BoundExpr& expr, const Row& row) {
  return Truth(Evaluate(expr, row)).value_or(false);
}

Value Evaluator::Arithmetic(ast::BinaryOp op, const Value& a, const Value& b,
                            const BoundExpr& expr) {
  if (a.is_null() || b.is_null()) return Value();
  bool ints = a.type() != Type::kDouble && b.type() != Type::kDouble;
  if (ints) {
    int64_t x = a.type() == Type::kBoolean ? a.as_boolean() : a.as_integer();
    int64_t y = b.type() == Type::kBoolean ? b.as_boolean() : b.as_integer();
    int64_t r = 0;
    bool overflow = false;
    switch (op) {
      case ast::BinaryOp::kAdd: overflow = __builtin_add_overflow(x, y, &r); break;
      case ast::BinaryOp::kSubtract: overflow = __builtin_sub_overflow(x, y, &r); break;
      case ast::BinaryOp::kMultiply: overflow = __builtin_mul_overflow(x, y, &r); break;
      case ast::BinaryOp::kDivide:
        if (y == 0) return Value();
        if (x == INT64_MIN && y == -1) overflow = true;
        else r = x / y;
        break;
      case ast::BinaryOp::kModulo:
        if (y == 0) return Value();
        r = (y == -1) ? 0 : x % y;
        break;
      default: return Fail(Status::Internal("not an arithmetic operator"));
    }
    if (overflow) return Fail(Status::InvalidValue("integer out of range", expr.position));
    return Value::Integer(r);
  }
  double x = a.numeric(), y = b.numeric();
  switch (op) {
    case ast::BinaryOp::kAdd: return Value::Double(x + y);
    case ast::BinaryOp::kSubtract: return Value::Double(x - y);
    case ast::BinaryOp::kMultiply: return Value::Double(x * y);
    case ast::BinaryOp::kDivide:
      if (y == 0.0) return Value();
      return Value::Double(x / y);
    case ast::BinaryOp::kModulo: {
      // SQLite's % works on the integer parts.
      auto xi = static_cast<int64_t>(x), yi = static_cast<int64_t>(y);
      if (yi == 0) return Value();
      return Value::Double(static_cast<double>(yi == -1 ? 0 : xi % yi));
    }
    default: return Fail(Status::Internal("not an arithmetic operator"));
  }
}

Value Evaluator::Widen(const Value& v, Type type) {
  if (type == Type::kDouble && v.type() == Type::kInteger) {
    return Value::Double(static_cast<double>(v.as_integer()));
  }
  return v;
}

Value Evaluator::CastTo(const Value& v, Type type) {
  if (v.is_null() || v.type() == type) return v;
  switch (type) {
    case Type::kNull: return Value();
    case Type::kText: return Value::Text(v.ToString());
    case Type::kBoolean: {
      auto t = Truth(v);
      return t ? Value::Boolean(*t) : Value();
    }
    case Type::kInteger:
      switch (v.type()) {
        case Type::kDouble: {
          double d = v.as_double();
          if (std::isnan(d)) return Value::Integer(0);
          if (d >= 9223372036854775807.0) return Value::Integer(INT64_MAX);
          if (d <= -9223372036854775808.0) return Value::Integer(INT64_MIN);
          return Value::Integer(static_cast<int64_t>(d));
        }
        case Type::kBoolean: return Value::Integer(v.as_boolean() ? 1 : 0);
        case Type::kText: return TextToNumber(v.as_text(), Type::kInteger);
        default: return v;
      }
    case Type::kDouble:
      switch (v.type()) {
        case Type::kInteger: return Value::Double(static_cast<double>(v.as_integer()));
        case Type::kBoolean: return Value::Double(v.as_boolean() ? 1.0 : 0.0);
        case Type::kText: return TextToNumber(v.as_text(), Type::kDouble);
        default: return v;
      }
  }
  return v;
}

Value Evaluator::Evaluate(const BoundExpr& expr, const Row& row) {
  switch (expr.node.index()) {
    case 0: return std::get<bound::Constant>(expr.node).value;
    case 1: {
      const auto& column = std::get<bound::Column>(expr.node);
      if (column.depth == 0) return row[column.index];
      return OuterColumn(column);
    }
    default: break;
  }
  struct Visitor {
    Evaluator& ev;
    const BoundExpr& expr;
    const Row& row;
    Value operator()(const bound::Constant& n) { return n.value; }
    Value operator()(const bound::Column& n) {
      return n.depth == 0 ? row[n.index] : ev.OuterColumn(n);
    }
    Value operator()(const bound::Subquery& n) { return ev.Subquery(n, expr, row); }
    Value operator()(const bound::Parameter& n) {
      return ev.Fail(protocol::Status::Internal(
          "parameter $" + std::to_string(n.index) + " was not bound to a value"));
    }
    Value operator()(const bound::Unary& n) {
      Value v = ev.Evaluate(*n.operand, row);
      if (v.is_null()) return v;
      switch (n.op) {
        case ast::UnaryOp::kNot: return Value::Boolean(!*Truth(v));
        case ast::UnaryOp::kPlus:
          return v.type() == Type::kBoolean ? Value::Integer(v.as_boolean()) : v;
        case ast::UnaryOp::kNegate:
          if (v.type() == Type::kDouble) return Value::Double(-v.as_double());
          if (v.type() == Type::kBoolean) return Value::Integer(-int64_t{v.as_boolean()});
          if (v.as_integer() == INT64_MIN) {
            return ev.Fail(Status::InvalidValue("integer out of range", expr.position));
          }
          return Value::Integer(-v.as_integer());
      }
      return Value();
    }
    Value operator()(const bound::Binary& n) {
      if (n.op == ast::BinaryOp::kAnd || n.op == ast::BinaryOp::kOr) {
        bool is_and = n.op == ast::BinaryOp::kAnd;
        auto l = Truth(ev.Evaluate(*n.left, row));
        if (l && *l != is_and) return Value::Boolean(*l);  // short circuit
        auto r = Truth(ev.Evaluate(*n.right, row));
        if (r && *r != is_and) return Value::Boolean(*r);
        if (!l || !r) return Value();
        return Value::Boolean(is_and);
      }
      Value a = ev.Evaluate(*n.left, row);
      Value b = ev.Evaluate(*n.right, row);
      if (n.affinity == 1) a = ApplyNumericAffinity(a);
      if (n.affinity == 2) b = ApplyNumericAffinity(b);
      switch (n.op) {
        case ast::BinaryOp::kAdd:
        case ast::BinaryOp::kSubtract:
        case ast::BinaryOp::kMultiply:
        case ast::BinaryOp::kDivide:
        case ast::BinaryOp::kModulo: return ev.Arithmetic(n.op, a, b, expr);
        case ast::BinaryOp::kConcat:
          if (a.is_null() || b.is_null()) return Value();
          return Value::Text(a.ToString() + b.ToString());
        default: break;
      }
      if (a.is_null() || b.is_null()) return Value();
      auto c = protocol::Compare(a, b);
      switch (n.op) {
        case ast::BinaryOp::kEqual: return Value::Boolean(c == 0);
        case ast::BinaryOp::kNotEqual: return Value::Boolean(c != 0);
        case ast::BinaryOp::kLess: return Value::Boolean(c < 0);
        case ast::BinaryOp::kLessEqual: return Value::Boolean(c <= 0);
        case ast::BinaryOp::kGreater: return Value::Boolean(c > 0);
        case ast::BinaryOp::kGreaterEqual: return Value::Boolean(c >= 0);
        default: return Value();
      }
    }
    Value operator()(const bound::IsNull& n) {
      bool is_null = ev.Evaluate(*n.operand, row).is_null();
      return Value::Boolean(is_null != n.negated);
    }
    Value operator()(const bound::Between& n) {
      Value v = ev.Evaluate(*n.operand, row);
      Value lo = ev.Evaluate(*n.low, row);
      Value hi = ev.Evaluate(*n.high, row);
      std::optional<bool> ge, le;
      if (!v.is_null() && !lo.is_null()) ge = protocol::Compare(v, lo) >= 0;
      if (!v.is_null() && !hi.is_null()) le = protocol::Compare(v, hi) <= 0;
      std::optional<bool> result;
      if ((ge && !*ge) || (le && !*le)) result = false;
      else if (ge && le) result = true;
      if (!result) return Value();
      return Value::Boolean(*result != n.negated);
    }
    Value operator()(const bound::InList& n) {
      // x IN () is false and x NOT IN () true, even for a NULL x.
      if (n.items.empty()) return Value::Boolean(n.negated);
      Value v = ev.Evaluate(*n.operand, row);
      if (v.is_null()) return Value();
      bool saw_null = false;
      for (const auto& item : n.items) {
        Value x = ev.Evaluate(*item, row);
        if (n.numeric_affinity) x = ApplyNumericAffinity(x);
        if (x.is_null()) {
          saw_null = true;
        } else if (protocol::Compare(v, x) == 0) {
          return Value::Boolean(!n.negated);
        }
      }
      if (saw_null) return Value();
      return Value::Boolean(n.negated);
    }
    Value operator()(const bound::Like& n) {
      Value v = ev.Evaluate(*n.operand, row);
      Value p = ev.Evaluate(*n.pattern, row);
      if (v.is_null() || p.is_null()) return Value();
      return Value::Boolean(LikeMatch(v.as_text(), p.as_text()) != n.negated);
    }
    Value operator()(const bound::Case& n) {
      Value subject;
      if (n.operand) subject = ev.Evaluate(*n.operand, row);
      for (const auto& [when, then] : n.whens) {
        Value w = ev.Evaluate(*when, row);
        bool hit = n.operand ? (!subject.is_null() && !w.is_null() &&
                                protocol::Compare(subject, w) == 0)
                             : Truth(w).value_or(false);
        if (hit) return ev.Widen(ev.Evaluate(*then, row), expr.type);
      }
      if (n.else_result) return ev.Widen(ev.Evaluate(*n.else_result, row), expr.type);
      return Value();
    }
    Value operator()(const bound::Cast& n) {
      return ev.CastTo(ev.Evaluate(*n.operand, row), expr.type);
    }
    Value operator()(const bound::Function& n) { return ev.CallFunction(n, expr, row); }
  };
  return std::visit(Visitor{*this, expr, row}, expr.node);
}

Value Evaluator::CallFunction(const bound::Function& fn, const BoundExpr& expr, const Row& row) {
  std::vector<Value> args;
  args.reserve(fn.args.size());
  // COALESCE and IFNULL evaluate lazily.
  if (fn.function == ScalarFunction::kCoalesce || fn.function == ScalarFunction::kIfNull) {
    for (const auto& a : fn.args) {
      Value v = Evaluate(*a, row);
      if (!v.is_null()) return Widen(v, expr.type);
    }
    return Value();
  }
  for (const auto& a : fn.args) args.push_back(Evaluate(*a, row));
  if (fn.function == ScalarFunction::kTypeOf) {
    static constexpr std::string_view kNames[] = {"null", "integer", "real", "text", "boolean"};
    return Value::Text(std::string(kNames[static_cast<int>(args[0].type())]));
  }
  if (fn.function == ScalarFunction::kNullIf) {
    if (!args[0].is_null() && !args[1].is_null() && protocol::Compare(args[0], args[1]) == 0) {
      return Value();
    }
    return args[0];
  }
  for (const Value& a : args) {
    if (a.is_null()) return Value();
  }
  switch (fn.function) {
    case ScalarFunction::kAbs:
      if (args[0].type() == Type::kDouble) return Value::Double(std::fabs(args[0].as_double()));
      if (args[0].as_integer() == INT64_MIN) {
        return Fail(Status::InvalidValue("integer out of range", expr.position));
      }
      return Value::Integer(std::llabs(args[0].as_integer()));
    case ScalarFunction::kLength:
      // In characters (code points), as SQLite counts text; a number
      // counts the characters of its text form.
      if (args[0].type() == Type::kText) {
        return Value::Integer(static_cast<int64_t>(protocol::CountCodePoints(args[0].as_text())));
      }
      return Value::Integer(static_cast<int64_t>(args[0].ToString().size()));
    case ScalarFunction::kLower:
    case ScalarFunction::kUpper:
      return Value::Text(AsciiCase(args[0].as_text(), fn.function == ScalarFunction::kUpper));
    case ScalarFunction::kTrim:
    case ScalarFunction::kLtrim:
    case ScalarFunction::kRtrim:
      return Value::Text(std::string(TrimChars(args[0].as_text(),
                                               args.size() > 1 ? args[1].as_text() : " ",
                                               fn.function != ScalarFunction::kRtrim,
                                               fn.function != ScalarFunction::kLtrim)));
    case ScalarFunction::kSubstr: {
      const bool has_count = args.size() > 2;
      return Value::Text(std::string(Substr(args[0].as_text(), args[1].as_integer(),
                                            has_count ? args[2].as_integer() : 0, has_count)));
    }
    case ScalarFunction::kRound: {
      double x = args[0].numeric();
      int64_t digits = args.size() > 1 ? std::clamp<int64_t>(args[1].as_integer(), 0, 30) : 0;
      double scale = std::pow(10.0, static_cast<double>(digits));
      return Value::Double(std::round(x * scale) / scale);
    }
    case ScalarFunction::kExactInteger: {
      double d = args[0].numeric();
      if (d != std::trunc(d) || !(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
        return Fail(Status::TypeMismatch(
            fmt::format("{} is not an integer and cannot be stored in an INTEGER column",
                        args[0].ToString()),
            expr.position));
      }
      return Value::Integer(static_cast<int64_t>(d));
    }
    case ScalarFunction::kCoalesce:
    case ScalarFunction::kIfNull:
    case ScalarFunction::kNullIf:
    case ScalarFunction::kTypeOf: break;
  }
  return Value();
}

}  // namespace kopf::cerebellum
