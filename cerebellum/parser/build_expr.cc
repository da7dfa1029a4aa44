// Expressions: the `expr` and `arith` rules of grammar/Kopf.g4 to ast::Expr.
//
// Each labelled alternative (# compareExpr, # addArith, ...) is its own
// context class; a visitor dispatches on it with one virtual call instead of
// a chain of dynamic_casts. Every node's position is its first token's.
#include <charconv>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "KopfBaseVisitor.h"
#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

using protocol::ErrorCode;
using protocol::Result;
using protocol::Status;
using protocol::Value;

namespace {

using P = kopf_generated::KopfParser;

ast::ExprPtr MakeExpr(ast::Expr::Node node, int32_t position) {
  auto expr = std::make_unique<ast::Expr>();
  expr->node = std::move(node);
  expr->position = position;
  return expr;
}

ast::BinaryOp CompareOp(const antlr4::Token* op) {
  switch (op->getType()) {
    case P::EQ:
    case P::EQEQ:
      return ast::BinaryOp::kEqual;
    case P::NEQ:
    case P::BANGEQ:
      return ast::BinaryOp::kNotEqual;
    case P::LT:
      return ast::BinaryOp::kLess;
    case P::LE:
      return ast::BinaryOp::kLessEqual;
    case P::GT:
      return ast::BinaryOp::kGreater;
    default:
      return ast::BinaryOp::kGreaterEqual;
  }
}

ast::BinaryOp ArithmeticOp(const antlr4::Token* op) {
  switch (op->getType()) {
    case P::STAR:
      return ast::BinaryOp::kMultiply;
    case P::SLASH:
      return ast::BinaryOp::kDivide;
    case P::PERCENT:
      return ast::BinaryOp::kModulo;
    case P::PLUS:
      return ast::BinaryOp::kAdd;
    default:
      return ast::BinaryOp::kSubtract;
  }
}

// The value of the numeric literal `digits` (an INTEGER_LITERAL or
// DECIMAL_LITERAL token), negated when `negate`. Integers that do not fit in
// int64 become DOUBLE, except that -9223372036854775808 is INT64_MIN.
// Fails (empty optional) only when the number is beyond DOUBLE's range.
std::optional<Value> NumericValue(std::string_view digits, bool is_integer, bool negate) {
  const char* first = digits.data();
  const char* last = digits.data() + digits.size();
  if (is_integer) {
    uint64_t magnitude = 0;
    auto [end, ec] = std::from_chars(first, last, magnitude);
    if (ec == std::errc() && end == last) {
      constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
      if (magnitude <= kMax) {
        const auto v = static_cast<int64_t>(magnitude);
        return Value::Integer(negate ? -v : v);
      }
      if (negate && magnitude == kMax + 1) {
        return Value::Integer(std::numeric_limits<int64_t>::min());
      }
    }
  }
  double d = 0;
  auto [end, ec] = std::from_chars(first, last, d);
  if (ec != std::errc() || end != last) return std::nullopt;
  return Value::Double(negate ? -d : d);
}

// Visits one expr/arith context and leaves the result in Take().
class ExprVisitor final : public kopf_generated::KopfBaseVisitor {
 public:
  explicit ExprVisitor(Builder& b) : b_(b) {}

  Result<ast::ExprPtr> Take() {
    if (!status_.ok()) return status_;
    if (expr_ == nullptr) return Status::Internal("parser: expression alternative not handled");
    return std::move(expr_);
  }

  // ---- expr -----------------------------------------------------------

  antlrcpp::Any visitArithExpr(P::ArithExprContext* ctx) override {
    return Store(b_.BuildArith(ctx->value));
  }

  antlrcpp::Any visitBetweenExpr(P::BetweenExprContext* ctx) override {
    return Store(Between(ctx));
  }

  antlrcpp::Any visitInExpr(P::InExprContext* ctx) override { return Store(In(ctx)); }

  antlrcpp::Any visitLikeExpr(P::LikeExprContext* ctx) override { return Store(Like(ctx)); }

  antlrcpp::Any visitCompareExpr(P::CompareExprContext* ctx) override {
    return Store(Binary(ctx, CompareOp(ctx->op), ctx->lhs, ctx->rhs));
  }

  antlrcpp::Any visitIsNullExpr(P::IsNullExprContext* ctx) override {
    return Store(IsNull(ctx));
  }

  antlrcpp::Any visitNotExpr(P::NotExprContext* ctx) override {
    return Store(Unary(ctx, ast::UnaryOp::kNot, b_.BuildExpr(ctx->operand)));
  }

  antlrcpp::Any visitAndExpr(P::AndExprContext* ctx) override {
    return Store(Binary(ctx, ast::BinaryOp::kAnd, ctx->lhs, ctx->rhs));
  }

  antlrcpp::Any visitOrExpr(P::OrExprContext* ctx) override {
    return Store(Binary(ctx, ast::BinaryOp::kOr, ctx->lhs, ctx->rhs));
  }

  // ---- arith ----------------------------------------------------------

  antlrcpp::Any visitUnaryArith(P::UnaryArithContext* ctx) override {
    return Store(UnaryArith(ctx));
  }

  antlrcpp::Any visitMultiplyArith(P::MultiplyArithContext* ctx) override {
    return Store(Binary(ctx, ArithmeticOp(ctx->op), ctx->lhs, ctx->rhs));
  }

  antlrcpp::Any visitAddArith(P::AddArithContext* ctx) override {
    return Store(Binary(ctx, ArithmeticOp(ctx->op), ctx->lhs, ctx->rhs));
  }

  antlrcpp::Any visitConcatArith(P::ConcatArithContext* ctx) override {
    return Store(Binary(ctx, ast::BinaryOp::kConcat, ctx->lhs, ctx->rhs));
  }

  antlrcpp::Any visitLiteralArith(P::LiteralArithContext* ctx) override {
    return Store(Literal(ctx->value, /*negate=*/false, b_.Position(ctx)));
  }

  antlrcpp::Any visitCastArith(P::CastArithContext* ctx) override { return Store(Cast(ctx)); }

  antlrcpp::Any visitCaseArith(P::CaseArithContext* ctx) override { return Store(Case(ctx)); }

  antlrcpp::Any visitCallArith(P::CallArithContext* ctx) override { return Store(Call(ctx)); }

  antlrcpp::Any visitColumnArith(P::ColumnArithContext* ctx) override {
    ast::ColumnRef ref;
    if (ctx->second == nullptr) {
      ref.column = b_.Identifier(ctx->first);
    } else {
      ref.table = b_.Identifier(ctx->first);
      ref.column = b_.Identifier(ctx->second);
    }
    return Store(MakeExpr(std::move(ref), b_.Position(ctx)));
  }

  antlrcpp::Any visitParenArith(P::ParenArithContext* ctx) override {
    return Store(b_.BuildExpr(ctx->inner));
  }

 private:
  antlrcpp::Any Store(Result<ast::ExprPtr> result) {
    if (result.ok()) {
      expr_ = std::move(result).value();
    } else {
      status_ = result.status();
    }
    return {};
  }

  // `Child` is ExprContext or ArithContext.
  template <typename Child>
  Result<ast::ExprPtr> Binary(antlr4::ParserRuleContext* ctx, ast::BinaryOp op, Child* lhs_ctx,
                              Child* rhs_ctx) {
    KOPF_ASSIGN_OR_RETURN(ast::ExprPtr lhs, Build(lhs_ctx));
    KOPF_ASSIGN_OR_RETURN(ast::ExprPtr rhs, Build(rhs_ctx));
    return MakeExpr(ast::Binary{op, std::move(lhs), std::move(rhs)}, b_.Position(ctx));
  }

  Result<ast::ExprPtr> Build(P::ExprContext* ctx) { return b_.BuildExpr(ctx); }
  Result<ast::ExprPtr> Build(P::ArithContext* ctx) { return b_.BuildArith(ctx); }

  Result<ast::ExprPtr> Unary(antlr4::ParserRuleContext* ctx, ast::UnaryOp op,
                             Result<ast::ExprPtr> operand) {
    if (!operand.ok()) return operand.status();
    return MakeExpr(ast::Unary{op, std::move(operand).value()}, b_.Position(ctx));
  }

  Result<ast::ExprPtr> UnaryArith(P::UnaryArithContext* ctx) {
    const bool minus = ctx->op->getType() == P::MINUS;
    // Fold the sign into a numeric literal right behind it, so that -5 is
    // the constant -5 and -9223372036854775808 fits in INTEGER.
    if (minus) {
      if (auto* literal = dynamic_cast<P::LiteralArithContext*>(ctx->operand)) {
        const size_t type = literal->value->getType();
        if (type == P::INTEGER_LITERAL || type == P::DECIMAL_LITERAL) {
          return Literal(literal->value, /*negate=*/true, b_.Position(ctx));
        }
      }
    }
    return Unary(ctx, minus ? ast::UnaryOp::kNegate : ast::UnaryOp::kPlus,
                 b_.BuildArith(ctx->operand));
  }

  Result<ast::ExprPtr> Literal(const antlr4::Token* token, bool negate, int32_t position) {
    Value value;
    const std::string_view text = b_.Text(token);
    switch (token->getType()) {
      case P::INTEGER_LITERAL:
      case P::DECIMAL_LITERAL: {
        std::optional<Value> number =
            NumericValue(text, token->getType() == P::INTEGER_LITERAL, negate);
        if (!number) {
          return b_.ErrorAt(ErrorCode::kInvalidValue, token,
                            fmt::format("numeric literal {} is out of range", text));
        }
        value = std::move(*number);
        break;
      }
      case P::STRING_LITERAL: {
        std::string s;
        std::string_view body = text.substr(1, text.size() - 2);
        s.reserve(body.size());
        for (size_t i = 0; i < body.size(); ++i) {
          s += body[i];
          if (body[i] == '\'') ++i;  // '' stands for one quote
        }
        value = Value::Text(std::move(s));
        break;
      }
      case P::K_TRUE:
        value = Value::Boolean(true);
        break;
      case P::K_FALSE:
        value = Value::Boolean(false);
        break;
      default:  // K_NULL
        break;
    }
    return MakeExpr(ast::Literal{std::move(value)}, position);
  }

  Result<ast::ExprPtr> Between(P::BetweenExprContext* ctx) {
    KOPF_ASSIGN_OR_RETURN(ast::ExprPtr operand, b_.BuildExpr(ctx->operand));
    KOPF_ASSIGN_OR_RETURN(ast::ExprPtr low, b_.BuildArith(ctx->low));
    KOPF_ASSIGN_OR_RETURN(ast::ExprPtr high, b_.BuildArith(ctx->high));
    return MakeExpr(
        ast::Between{std::move(operand), std::move(low), std::move(high), ctx->negated != nullptr},
        b_.Position(ctx));
  }

  Result<ast::ExprPtr> In(P::InExprContext* ctx) {
    ast::InList in;
    in.negated = ctx->negated != nullptr;
    KOPF_ASSIGN_OR_RETURN(in.operand, b_.BuildExpr(ctx->operand));
    in.items.reserve(ctx->items.size());
    for (P::ExprContext* item : ctx->items) {
      KOPF_ASSIGN_OR_RETURN(ast::ExprPtr built, b_.BuildExpr(item));
      in.items.push_back(std::move(built));
    }
    return MakeExpr(std::move(in), b_.Position(ctx));
  }

  Result<ast::ExprPtr> Like(P::LikeExprContext* ctx) {
    KOPF_ASSIGN_OR_RETURN(ast::ExprPtr operand, b_.BuildExpr(ctx->operand));
    KOPF_ASSIGN_OR_RETURN(ast::ExprPtr pattern, b_.BuildArith(ctx->pattern));
    return MakeExpr(ast::Like{std::move(operand), std::move(pattern), ctx->negated != nullptr},
                    b_.Position(ctx));
  }

  Result<ast::ExprPtr> IsNull(P::IsNullExprContext* ctx) {
    KOPF_ASSIGN_OR_RETURN(ast::ExprPtr operand, b_.BuildExpr(ctx->operand));
    const bool negated = ctx->negated != nullptr || ctx->notnull != nullptr;
    return MakeExpr(ast::IsNull{std::move(operand), negated}, b_.Position(ctx));
  }

  Result<ast::ExprPtr> Cast(P::CastArithContext* ctx) {
    KOPF_ASSIGN_OR_RETURN(ast::ExprPtr operand, b_.BuildExpr(ctx->operand));
    KOPF_ASSIGN_OR_RETURN(ast::TypeName type, b_.BuildTypeName(ctx->typeName()));
    return MakeExpr(ast::Cast{std::move(operand), type.type}, b_.Position(ctx));
  }

  Result<ast::ExprPtr> Case(P::CaseArithContext* ctx) {
    ast::Case c;
    if (ctx->operand != nullptr) {
      KOPF_ASSIGN_OR_RETURN(c.operand, b_.BuildExpr(ctx->operand));
    }
    c.whens.reserve(ctx->whens.size());
    for (P::CaseWhenContext* when : ctx->whens) {
      KOPF_ASSIGN_OR_RETURN(ast::ExprPtr condition, b_.BuildExpr(when->condition));
      KOPF_ASSIGN_OR_RETURN(ast::ExprPtr result, b_.BuildExpr(when->result));
      c.whens.emplace_back(std::move(condition), std::move(result));
    }
    if (ctx->otherwise != nullptr) {
      KOPF_ASSIGN_OR_RETURN(c.else_result, b_.BuildExpr(ctx->otherwise));
    }
    return MakeExpr(std::move(c), b_.Position(ctx));
  }

  Result<ast::ExprPtr> Call(P::CallArithContext* ctx) {
    ast::FunctionCall call;
    call.name = b_.Identifier(ctx->name);
    call.star = ctx->star != nullptr;
    call.distinct = ctx->distinct != nullptr;
    call.args.reserve(ctx->args.size());
    for (P::ExprContext* arg : ctx->args) {
      KOPF_ASSIGN_OR_RETURN(ast::ExprPtr built, b_.BuildExpr(arg));
      call.args.push_back(std::move(built));
    }
    return MakeExpr(std::move(call), b_.Position(ctx));
  }

  Builder& b_;
  ast::ExprPtr expr_;
  Status status_;
};

Status TooDeep(const Builder& b, antlr4::ParserRuleContext* ctx) {
  return b.ErrorAt(ErrorCode::kSyntaxError, ctx->getStart(),
                   fmt::format("expression nested too deeply (more than {} levels)",
                               kMaxExpressionDepth));
}

}  // namespace

Result<ast::ExprPtr> Builder::BuildExpr(P::ExprContext* ctx) {
  DepthGuard guard(*this);
  if (guard.too_deep()) return TooDeep(*this, ctx);
  ExprVisitor visitor(*this);
  ctx->accept(&visitor);
  return visitor.Take();
}

Result<ast::ExprPtr> Builder::BuildArith(P::ArithContext* ctx) {
  DepthGuard guard(*this);
  if (guard.too_deep()) return TooDeep(*this, ctx);
  ExprVisitor visitor(*this);
  ctx->accept(&visitor);
  return visitor.Take();
}

}  // namespace kopf::cerebellum::parser
