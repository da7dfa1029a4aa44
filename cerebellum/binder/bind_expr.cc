#include "cerebellum/binder/bind_expr.h"

#include <fmt/format.h>

#include "cerebellum/binder/binder.h"
#include "cerebellum/binder/parameters.h"
#include "cerebellum/binder/scope.h"
#include "cerebellum/executor/evaluator.h"
#include "cerebellum/planner/planner.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

bool IsNumeric(Type t) { return t == Type::kInteger || t == Type::kDouble; }
bool IsNumericOrNull(Type t) { return IsNumeric(t) || t == Type::kNull; }
// Arithmetic takes booleans as the integers 0 and 1, as SQLite (which has no
// booleans) does.
bool IsArithmetic(Type t) { return IsNumericOrNull(t) || t == Type::kBoolean; }
bool IsConditionType(Type t) { return t == Type::kBoolean || IsNumericOrNull(t); }

BoundExprPtr Make(BoundExpr::Node node, Type type, int32_t position) {
  auto e = std::make_unique<BoundExpr>();
  e->node = std::move(node);
  e->type = type;
  e->position = position;
  return e;
}

std::string_view OpText(ast::BinaryOp op) {
  switch (op) {
    case ast::BinaryOp::kAdd: return "+";
    case ast::BinaryOp::kSubtract: return "-";
    case ast::BinaryOp::kMultiply: return "*";
    case ast::BinaryOp::kDivide: return "/";
    case ast::BinaryOp::kModulo: return "%";
    case ast::BinaryOp::kConcat: return "||";
    case ast::BinaryOp::kEqual: return "=";
    case ast::BinaryOp::kNotEqual: return "<>";
    case ast::BinaryOp::kLess: return "<";
    case ast::BinaryOp::kLessEqual: return "<=";
    case ast::BinaryOp::kGreater: return ">";
    case ast::BinaryOp::kGreaterEqual: return ">=";
    case ast::BinaryOp::kAnd: return "AND";
    case ast::BinaryOp::kOr: return "OR";
  }
  return "?";
}

// Any two types may be compared, as in SQLite: a numeric column compared
// with text reads the text as a number when it is one (see bound::Binary's
// affinity), and otherwise every number sorts before every text.
bool IsNumericColumn(const BoundExpr& e) {
  return std::holds_alternative<bound::Column>(e.node) && IsNumeric(e.type);
}

// The common type of CASE branches or COALESCE arguments: numbers widen to
// DOUBLE; other mixes are reported as TEXT while each value keeps its own
// type, as in SQLite.
Type UnifyTypes(Type acc, Type next) {
  if (acc == Type::kNull) return next;
  if (next == Type::kNull || next == acc) return acc;
  if (IsNumeric(acc) && IsNumeric(next)) return Type::kDouble;
  return Type::kText;
}

// Gives a parameter operand of a binary operator the type its operator or
// other operand implies (see parameters.h).
void InferBinaryParameters(ast::BinaryOp op, BoundExpr* left, BoundExpr* right) {
  switch (op) {
    case ast::BinaryOp::kAdd:
    case ast::BinaryOp::kSubtract:
    case ast::BinaryOp::kMultiply:
    case ast::BinaryOp::kDivide:
    case ast::BinaryOp::kModulo: {
      // The other operand's number type; booleans count as integers here.
      auto numeric = [](Type t) { return t == Type::kBoolean ? Type::kInteger : t; };
      InferParameterType(left, numeric(right->type));
      InferParameterType(right, numeric(left->type));
      InferParameterType(left, Type::kInteger);
      InferParameterType(right, Type::kInteger);
      return;
    }
    case ast::BinaryOp::kConcat:
      InferParameterType(left, Type::kText);
      InferParameterType(right, Type::kText);
      return;
    case ast::BinaryOp::kEqual:
    case ast::BinaryOp::kNotEqual:
    case ast::BinaryOp::kLess:
    case ast::BinaryOp::kLessEqual:
    case ast::BinaryOp::kGreater:
    case ast::BinaryOp::kGreaterEqual:
      InferParameterType(left, right->type);
      InferParameterType(right, left->type);
      return;
    case ast::BinaryOp::kAnd:
    case ast::BinaryOp::kOr:
      InferParameterType(left, Type::kBoolean);
      InferParameterType(right, Type::kBoolean);
      return;
  }
}

class Binder {
 public:
  explicit Binder(BindContext& context) : context_(context) {}

  Result<BoundExprPtr> Bind(const ast::Expr& expr) {
    return std::visit([&](const auto& node) { return BindNode(node, expr.position); }, expr.node);
  }

 private:
  Result<BoundExprPtr> BindNode(const ast::Literal& n, int32_t pos) {
    return Make(bound::Constant{n.value}, n.value.type(), pos);
  }

  Result<BoundExprPtr> BindNode(const ast::Parameter& n, int32_t pos) {
    return BindParameter(n.index, pos);
  }

  Result<BoundExprPtr> BindNode(const ast::ColumnRef& n, int32_t pos) {
    if (context_.scope == nullptr) {
      return Status::UndefinedColumn(
          fmt::format("column \"{}\" does not exist (no columns are allowed here)", n.column), pos);
    }
    KOPF_ASSIGN_OR_RETURN(Scope::Resolved r, context_.scope->Resolve(n, pos));
    return Make(bound::Column{r.index, r.depth}, r.type, pos);
  }

  Result<std::shared_ptr<const BoundSelect>> BindSubquery(const ast::Select& query, int32_t pos,
                                                          bool* correlated) {
    if (context_.db == nullptr) {
      return Status::NotSupported("subqueries are not allowed here", pos);
    }
    Scope inner(context_.scope);
    KOPF_ASSIGN_OR_RETURN(auto bound, BindQuerySelect(query, *context_.db, &inner, context_.reads));
    PlanSelect(bound.get());
    *correlated = inner.escape() > 0;
    if (context_.scope && inner.escape() > 1) context_.scope->NoteEscape(inner.escape() - 1);
    return std::shared_ptr<const BoundSelect>(std::move(bound));
  }

  Result<BoundExprPtr> BindNode(const ast::ScalarSubquery& n, int32_t pos) {
    bound::Subquery sub;
    sub.kind = bound::Subquery::Kind::kScalar;
    KOPF_ASSIGN_OR_RETURN(sub.query, BindSubquery(*n.query, pos, &sub.correlated));
    if (sub.query->columns.size() != 1) {
      return Status::SyntaxError("subquery must return only one column", pos);
    }
    Type type = sub.query->columns[0].type;
    return Make(std::move(sub), type, pos);
  }

  Result<BoundExprPtr> BindNode(const ast::Exists& n, int32_t pos) {
    bound::Subquery sub;
    sub.kind = bound::Subquery::Kind::kExists;
    sub.negated = n.negated;
    KOPF_ASSIGN_OR_RETURN(sub.query, BindSubquery(*n.query, pos, &sub.correlated));
    return Make(std::move(sub), Type::kBoolean, pos);
  }

  Result<BoundExprPtr> BindNode(const ast::InSubquery& n, int32_t pos) {
    bound::Subquery sub;
    sub.kind = bound::Subquery::Kind::kIn;
    sub.negated = n.negated;
    KOPF_ASSIGN_OR_RETURN(sub.operand, Bind(*n.operand));
    KOPF_ASSIGN_OR_RETURN(sub.query, BindSubquery(*n.query, pos, &sub.correlated));
    if (sub.query->columns.size() != 1) {
      return Status::SyntaxError("subquery has too many columns", pos);
    }
    return Make(std::move(sub), Type::kBoolean, pos);
  }

  Result<BoundExprPtr> BindNode(const ast::Unary& n, int32_t pos) {
    KOPF_ASSIGN_OR_RETURN(BoundExprPtr operand, Bind(*n.operand));
    if (n.op == ast::UnaryOp::kNot) InferParameterType(operand.get(), Type::kBoolean);
    Type t = operand->type;
    switch (n.op) {
      case ast::UnaryOp::kNot:
        if (!IsConditionType(t)) {
          return Status::TypeMismatch(
              fmt::format("argument of NOT must be BOOLEAN, not {}", protocol::TypeName(t)), pos);
        }
        return Make(bound::Unary{n.op, std::move(operand)}, Type::kBoolean, pos);
      case ast::UnaryOp::kPlus:
        // Unary plus is the identity on every type, as in SQLite.
        if (t == Type::kText) return operand;
        [[fallthrough]];
      case ast::UnaryOp::kNegate:
        if (!IsArithmetic(t)) {
          return Status::TypeMismatch(
              fmt::format("unary operator needs a number, not {}", protocol::TypeName(t)), pos);
        }
        return Make(bound::Unary{n.op, std::move(operand)},
                    t == Type::kBoolean ? Type::kInteger : t, pos);
    }
    return Status::Internal("unknown unary operator");
  }

  Result<BoundExprPtr> BindNode(const ast::Binary& n, int32_t pos) {
    KOPF_ASSIGN_OR_RETURN(BoundExprPtr left, Bind(*n.left));
    KOPF_ASSIGN_OR_RETURN(BoundExprPtr right, Bind(*n.right));
    InferBinaryParameters(n.op, left.get(), right.get());
    Type l = left->type, r = right->type;
    Type result = Type::kBoolean;
    switch (n.op) {
      case ast::BinaryOp::kAdd:
      case ast::BinaryOp::kSubtract:
      case ast::BinaryOp::kMultiply:
      case ast::BinaryOp::kDivide:
      case ast::BinaryOp::kModulo:
        if (!IsArithmetic(l) || !IsArithmetic(r)) {
          return Status::TypeMismatch(
              fmt::format("operator {} needs numbers, not {} and {}", OpText(n.op),
                          protocol::TypeName(l), protocol::TypeName(r)),
              pos);
        }
        if (l == Type::kDouble || r == Type::kDouble) {
          result = Type::kDouble;
        } else if (l != Type::kNull || r != Type::kNull) {
          result = Type::kInteger;
        } else {
          result = Type::kNull;
        }
        break;
      case ast::BinaryOp::kConcat:
        result = Type::kText;
        break;
      case ast::BinaryOp::kEqual:
      case ast::BinaryOp::kNotEqual:
      case ast::BinaryOp::kLess:
      case ast::BinaryOp::kLessEqual:
      case ast::BinaryOp::kGreater:
      case ast::BinaryOp::kGreaterEqual: {
        // SQLite's numeric affinity: a numeric column against text.
        bound::Binary node{n.op, std::move(left), std::move(right)};
        if (IsNumericColumn(*node.left) && r == Type::kText) node.affinity = 2;
        if (IsNumericColumn(*node.right) && l == Type::kText) node.affinity = 1;
        return Make(std::move(node), Type::kBoolean, pos);
      }
      case ast::BinaryOp::kAnd:
      case ast::BinaryOp::kOr:
        if (!IsConditionType(l) || !IsConditionType(r)) {
          return Status::TypeMismatch(
              fmt::format("arguments of {} must be BOOLEAN, not {} and {}", OpText(n.op),
                          protocol::TypeName(l), protocol::TypeName(r)),
              pos);
        }
        break;
    }
    return Make(bound::Binary{n.op, std::move(left), std::move(right)}, result, pos);
  }

  Result<BoundExprPtr> BindNode(const ast::IsNull& n, int32_t pos) {
    KOPF_ASSIGN_OR_RETURN(BoundExprPtr operand, Bind(*n.operand));
    return Make(bound::IsNull{std::move(operand), n.negated}, Type::kBoolean, pos);
  }

  Result<BoundExprPtr> BindNode(const ast::Between& n, int32_t pos) {
    KOPF_ASSIGN_OR_RETURN(BoundExprPtr operand, Bind(*n.operand));
    KOPF_ASSIGN_OR_RETURN(BoundExprPtr low, Bind(*n.low));
    KOPF_ASSIGN_OR_RETURN(BoundExprPtr high, Bind(*n.high));
    for (BoundExpr* e : {operand.get(), low.get(), high.get()}) {
      for (BoundExpr* other : {operand.get(), low.get(), high.get()}) {
        InferParameterType(e, other->type);
      }
    }
    return Make(bound::Between{std::move(operand), std::move(low), std::move(high), n.negated},
                Type::kBoolean, pos);
  }

  Result<BoundExprPtr> BindNode(const ast::InList& n, int32_t pos) {
    KOPF_ASSIGN_OR_RETURN(BoundExprPtr operand, Bind(*n.operand));
    std::vector<BoundExprPtr> items;
    for (const ast::ExprPtr& item : n.items) {
      KOPF_ASSIGN_OR_RETURN(BoundExprPtr b, Bind(*item));
      items.push_back(std::move(b));
    }
    for (BoundExprPtr& item : items) {
      InferParameterType(operand.get(), item->type);
      InferParameterType(item.get(), operand->type);
    }
    bool numeric_affinity = IsNumericColumn(*operand);
    return Make(bound::InList{std::move(operand), std::move(items), n.negated, numeric_affinity},
                Type::kBoolean, pos);
  }

  Result<BoundExprPtr> BindNode(const ast::Like& n, int32_t pos) {
    KOPF_ASSIGN_OR_RETURN(BoundExprPtr operand, Bind(*n.operand));
    KOPF_ASSIGN_OR_RETURN(BoundExprPtr pattern, Bind(*n.pattern));
    InferParameterType(operand.get(), Type::kText);
    InferParameterType(pattern.get(), Type::kText);
    for (const BoundExpr* e : {operand.get(), pattern.get()}) {
      if (e->type != Type::kText && e->type != Type::kNull) {
        return Status::TypeMismatch(
            fmt::format("LIKE needs TEXT, not {}", protocol::TypeName(e->type)), e->position);
      }
    }
    return Make(bound::Like{std::move(operand), std::move(pattern), n.negated}, Type::kBoolean,
                pos);
  }

  Result<BoundExprPtr> BindNode(const ast::Case& n, int32_t pos) {
    BoundExprPtr operand;
    if (n.operand) {
      KOPF_ASSIGN_OR_RETURN(operand, Bind(*n.operand));
    }
    Type result = Type::kNull;
    std::vector<std::pair<BoundExprPtr, BoundExprPtr>> whens;
    for (const auto& [when, then] : n.whens) {
      KOPF_ASSIGN_OR_RETURN(BoundExprPtr w, Bind(*when));
      if (!operand && !IsConditionType(w->type)) {
        return Status::TypeMismatch(
            fmt::format("WHEN condition must be BOOLEAN, not {}", protocol::TypeName(w->type)),
            w->position);
      }
      KOPF_ASSIGN_OR_RETURN(BoundExprPtr t, Bind(*then));
      result = UnifyTypes(result, t->type);
      whens.emplace_back(std::move(w), std::move(t));
    }
    BoundExprPtr else_result;
    if (n.else_result) {
      KOPF_ASSIGN_OR_RETURN(else_result, Bind(*n.else_result));
      result = UnifyTypes(result, else_result->type);
    }
    return Make(bound::Case{std::move(operand), std::move(whens), std::move(else_result)}, result,
                pos);
  }

  Result<BoundExprPtr> BindNode(const ast::Cast& n, int32_t pos) {
    KOPF_ASSIGN_OR_RETURN(BoundExprPtr operand, Bind(*n.operand));
    InferParameterType(operand.get(), n.type);
    return Make(bound::Cast{std::move(operand)}, n.type, pos);
  }

  Result<BoundExprPtr> BindNode(const ast::FunctionCall& n, int32_t pos) {
    if (IsAggregateName(n.name, n.args.size()) || n.star) {
      return BindAggregate(n, pos);
    }
    if (n.star || n.distinct) {
      return Status::NotSupported(fmt::format("{}() takes no * or DISTINCT", n.name), pos);
    }
    std::vector<BoundExprPtr> args;
    for (const ast::ExprPtr& a : n.args) {
      KOPF_ASSIGN_OR_RETURN(BoundExprPtr b, Bind(*a));
      args.push_back(std::move(b));
    }
    auto arity = [&](size_t lo, size_t hi) -> Status {
      if (args.size() < lo || args.size() > hi) {
        return Status::SyntaxError(
            fmt::format("wrong number of arguments to function {}()", n.name), pos);
      }
      return Status::Ok();
    };
    auto want = [&](size_t i, bool ok_if, std::string_view what) -> Status {
      if (!ok_if) {
        return Status::TypeMismatch(fmt::format("argument {} of {}() must be {}, not {}", i + 1,
                                                n.name, what, protocol::TypeName(args[i]->type)),
                                    args[i]->position);
      }
      return Status::Ok();
    };
    auto text_or_null = [&](size_t i) {
      return args[i]->type == Type::kText || args[i]->type == Type::kNull;
    };
    ScalarFunction fn;
    Type type = Type::kNull;
    if (n.name == "abs") {
      KOPF_RETURN_IF_ERROR(arity(1, 1));
      KOPF_RETURN_IF_ERROR(want(0, IsNumericOrNull(args[0]->type), "a number"));
      fn = ScalarFunction::kAbs;
      type = args[0]->type;
    } else if (n.name == "length") {
      KOPF_RETURN_IF_ERROR(arity(1, 1));
      fn = ScalarFunction::kLength;
      type = Type::kInteger;
    } else if (n.name == "lower" || n.name == "upper") {
      KOPF_RETURN_IF_ERROR(arity(1, 1));
      KOPF_RETURN_IF_ERROR(want(0, text_or_null(0), "TEXT"));
      fn = n.name == "lower" ? ScalarFunction::kLower : ScalarFunction::kUpper;
      type = Type::kText;
    } else if (n.name == "trim" || n.name == "ltrim" || n.name == "rtrim") {
      KOPF_RETURN_IF_ERROR(arity(1, 2));
      for (size_t i = 0; i < args.size(); ++i) KOPF_RETURN_IF_ERROR(want(i, text_or_null(i), "TEXT"));
      fn = n.name == "trim"    ? ScalarFunction::kTrim
           : n.name == "ltrim" ? ScalarFunction::kLtrim
                               : ScalarFunction::kRtrim;
      type = Type::kText;
    } else if (n.name == "substr" || n.name == "substring") {
      KOPF_RETURN_IF_ERROR(arity(2, 3));
      KOPF_RETURN_IF_ERROR(want(0, text_or_null(0), "TEXT"));
      for (size_t i = 1; i < args.size(); ++i) {
        KOPF_RETURN_IF_ERROR(want(i, args[i]->type == Type::kInteger || args[i]->type == Type::kNull,
                                  "INTEGER"));
      }
      fn = ScalarFunction::kSubstr;
      type = Type::kText;
    } else if (n.name == "round") {
      KOPF_RETURN_IF_ERROR(arity(1, 2));
      KOPF_RETURN_IF_ERROR(want(0, IsNumericOrNull(args[0]->type), "a number"));
      if (args.size() == 2) {
        KOPF_RETURN_IF_ERROR(want(1, args[1]->type == Type::kInteger || args[1]->type == Type::kNull,
                                  "INTEGER"));
      }
      fn = ScalarFunction::kRound;
      type = Type::kDouble;
    } else if (n.name == "coalesce" || n.name == "ifnull" || n.name == "nullif") {
      if (n.name == "coalesce") {
        KOPF_RETURN_IF_ERROR(arity(1, 1000));
      } else {
        KOPF_RETURN_IF_ERROR(arity(2, 2));
      }
      fn = n.name == "coalesce" ? ScalarFunction::kCoalesce
           : n.name == "ifnull" ? ScalarFunction::kIfNull
                                : ScalarFunction::kNullIf;
      if (fn == ScalarFunction::kNullIf) {
        type = args[0]->type;
      } else {
        for (const BoundExprPtr& a : args) {
          type = UnifyTypes(type, a->type);
        }
      }
    } else if (n.name == "typeof") {
      KOPF_RETURN_IF_ERROR(arity(1, 1));
      fn = ScalarFunction::kTypeOf;
      type = Type::kText;
    } else {
      return Status::UndefinedColumn(fmt::format("function {}() does not exist", n.name), pos);
    }
    return Make(bound::Function{fn, std::move(args)}, type, pos);
  }

  Result<BoundExprPtr> BindAggregate(const ast::FunctionCall& n, int32_t pos) {
    if (context_.aggregates == nullptr) {
      return Status::SyntaxError(
          fmt::format("aggregate functions are not allowed in {}", context_.clause), pos);
    }
    AggregateSink* sink = context_.aggregates;
    BoundAggregate agg;
    agg.distinct = n.distinct;
    using F = BoundAggregate::Function;
    if (n.star) {
      if (n.name != "count") {
        return Status::SyntaxError(fmt::format("{}(*) is not a valid call", n.name), pos);
      }
      agg.function = F::kCountStar;
      agg.type = Type::kInteger;
    } else {
      size_t max_args = n.name == "group_concat" && !n.distinct ? 2 : 1;
      if (n.args.empty() || n.args.size() > max_args) {
        return Status::SyntaxError(
            fmt::format("wrong number of arguments to function {}()", n.name), pos);
      }
      // Arguments are bound without the sink: aggregates do not nest.
      context_.aggregates = nullptr;
      auto arg = Bind(*n.args[0]);
      context_.aggregates = sink;
      if (!arg.ok()) {
        if (arg.status().message().starts_with("aggregate functions are not allowed")) {
          return Status::SyntaxError("aggregate function calls cannot be nested",
                                     n.args[0]->position);
        }
        return arg.status();
      }
      agg.arg = std::move(arg).value();
      Type t = agg.arg->type;
      // Text is read as a number (its numeric prefix, else 0), as in SQLite.
      auto numeric_arg = [&]() -> Status {
        if (!IsNumericOrNull(t) && t != Type::kBoolean && t != Type::kText) {
          return Status::TypeMismatch(
              fmt::format("{}() needs a number, not {}", n.name, protocol::TypeName(t)),
              n.args[0]->position);
        }
        return Status::Ok();
      };
      if (n.name == "count") {
        agg.function = F::kCount;
        agg.type = Type::kInteger;
      } else if (n.name == "sum") {
        KOPF_RETURN_IF_ERROR(numeric_arg());
        agg.function = F::kSum;
        agg.type = (t == Type::kDouble || t == Type::kText) ? Type::kDouble : Type::kInteger;
      } else if (n.name == "total") {
        KOPF_RETURN_IF_ERROR(numeric_arg());
        agg.function = F::kTotal;
        agg.type = Type::kDouble;
      } else if (n.name == "avg") {
        KOPF_RETURN_IF_ERROR(numeric_arg());
        agg.function = F::kAvg;
        agg.type = Type::kDouble;
      } else if (n.name == "min" || n.name == "max") {
        agg.function = n.name == "min" ? F::kMin : F::kMax;
        agg.type = t == Type::kNull ? Type::kText : t;
      } else {
        agg.function = F::kGroupConcat;
        agg.type = Type::kText;
        if (n.args.size() == 2) {
          BindContext constant;
          KOPF_ASSIGN_OR_RETURN(BoundExprPtr sep, BindExpr(*n.args[1], constant));
          KOPF_ASSIGN_OR_RETURN(protocol::Value v, EvaluateConstant(*sep));
          agg.separator = v.is_null() ? "" : v.ToString();
        }
      }
    }
    Type type = agg.type;
    size_t slot = sink->width + sink->aggregates->size();
    sink->aggregates->push_back(std::move(agg));
    return Make(bound::Column{slot, 0}, type, pos);
  }

  BindContext& context_;
};

}  // namespace

bool IsAggregateName(std::string_view name, size_t argument_count) {
  if (name == "min" || name == "max") return argument_count == 1;
  return name == "count" || name == "sum" || name == "avg" || name == "total" ||
         name == "group_concat";
}

Result<BoundExprPtr> BindExpr(const ast::Expr& expr, BindContext& context) {
  return Binder(context).Bind(expr);
}

Result<BoundExprPtr> BindCondition(const ast::Expr& expr, BindContext& context) {
  KOPF_ASSIGN_OR_RETURN(BoundExprPtr bound, BindExpr(expr, context));
  if (!IsConditionType(bound->type)) {
    return Status::TypeMismatch(fmt::format("argument of {} must be BOOLEAN, not {}",
                                            context.clause, protocol::TypeName(bound->type)),
                                expr.position);
  }
  return bound;
}

Result<BoundExprPtr> CoerceToColumn(BoundExprPtr expr, const cerebrum::ColumnSchema& column,
                                    int32_t position) {
  InferParameterType(expr.get(), column.type);
  Type from = expr->type;
  if (from == column.type || from == Type::kNull) return expr;
  if (from == Type::kInteger && column.type == Type::kDouble) {
    int32_t pos = expr->position;
    return Make(bound::Cast{std::move(expr)}, Type::kDouble, pos);
  }
  if (from == Type::kDouble && column.type == Type::kInteger) {
    // SQLite's INTEGER affinity: 4.0 is stored as 4. A value with a
    // fraction cannot be stored in a typed INTEGER column: an error then.
    int32_t pos = expr->position;
    std::vector<BoundExprPtr> args;
    args.push_back(std::move(expr));
    return Make(bound::Function{ScalarFunction::kExactInteger, std::move(args)}, Type::kInteger,
                pos);
  }
  return Status::TypeMismatch(fmt::format("column \"{}\" is of type {} but the expression is {}",
                                          column.name, protocol::TypeName(column.type),
                                          protocol::TypeName(from)),
                              position);
}

Result<Value> EvaluateConstant(const BoundExpr& expr) {
  if (!IsConstant(expr)) {
    return Status::InvalidValue("expression must be a constant", expr.position);
  }
  Evaluator evaluator;
  protocol::Row empty;
  Value v = evaluator.Evaluate(expr, empty);
  KOPF_RETURN_IF_ERROR(evaluator.status());
  return v;
}

}  // namespace kopf::cerebellum
