// Expressions: the `expr` and `arith` rules of grammar/Kopf.g4 to ast::Expr.
//
// Each labelled alternative (# compareExpr, # addArith, ...) is its own
// context class; a visitor dispatches on it with one virtual call instead of
// a chain of dynamic_casts. Every node's position is its first token's.
//
// Subqueries ((SELECT ..), EXISTS (..), x IN (SELECT ..)) call back into
// Builder::BuildSelect, whose expressions get visitors of their own; the
// depth count lives in the Builder so that it runs on through them.
// NOT EXISTS (..) becomes one Exists node with `negated` set, and SQLite's
// `x IN t` becomes `x IN (SELECT * FROM t)`.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
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

// Builds one expression tree. Recursion runs visit -> Expr/Arith -> accept
// -> visit, so its frames are kept small: results travel as plain ExprPtr
// (null once an error is recorded in status_) rather than as Result<>.
class ExprVisitor final : public kopf_generated::KopfBaseVisitor {
 public:
  explicit ExprVisitor(Builder& b) : b_(b) {}

  template <typename Ctx>
  Result<ast::ExprPtr> Build(Ctx* ctx) {
    ast::ExprPtr expr = Sub(ctx);
    if (!status_.ok()) return status_;
    return expr;
  }

  // ---- expr -----------------------------------------------------------

  antlrcpp::Any visitArithExpr(P::ArithExprContext* ctx) override {
    return Return(Sub(ctx->value));
  }

  antlrcpp::Any visitBetweenExpr(P::BetweenExprContext* ctx) override {
    ast::ExprPtr operand = Sub(ctx->operand);
    ast::ExprPtr low = Sub(ctx->low);
    ast::ExprPtr high = Sub(ctx->high);
    if (!high) return {};
    return Return(ctx, ast::Between{std::move(operand), std::move(low), std::move(high),
                                    ctx->negated != nullptr});
  }

  antlrcpp::Any visitInExpr(P::InExprContext* ctx) override {
    ast::InList in;
    in.negated = ctx->negated != nullptr;
    in.operand = Sub(ctx->operand);
    in.items.reserve(ctx->items.size());
    for (P::ExprContext* item : ctx->items) {
      if (!status_.ok()) return {};
      in.items.push_back(Sub(item));
    }
    return Return(ctx, std::move(in));
  }

  antlrcpp::Any visitInSubqueryExpr(P::InSubqueryExprContext* ctx) override {
    ast::ExprPtr operand = Sub(ctx->operand);
    if (!operand) return {};
    ast::SelectPtr query = Subquery(ctx->query);
    return Return(ctx,
                  ast::InSubquery{std::move(operand), std::move(query), ctx->negated != nullptr});
  }

  antlrcpp::Any visitInTableExpr(P::InTableExprContext* ctx) override {
    ast::ExprPtr operand = Sub(ctx->operand);
    if (!operand) return {};
    auto query = std::make_unique<ast::Select>();
    query->position = b_.Position(ctx->table);
    ast::SelectItem star;
    star.star = true;
    star.position = query->position;
    query->items.push_back(std::move(star));
    ast::FromItem from;
    from.table.table = b_.Identifier(ctx->table);
    from.table.position = query->position;
    query->from.push_back(std::move(from));
    return Return(ctx,
                  ast::InSubquery{std::move(operand), std::move(query), ctx->negated != nullptr});
  }

  antlrcpp::Any visitLikeExpr(P::LikeExprContext* ctx) override {
    ast::ExprPtr operand = Sub(ctx->operand);
    ast::ExprPtr pattern = Sub(ctx->pattern);
    return Return(ctx, ast::Like{std::move(operand), std::move(pattern), ctx->negated != nullptr});
  }

  antlrcpp::Any visitCompareExpr(P::CompareExprContext* ctx) override {
    return Binary(ctx, CompareOp(ctx->op), ctx->lhs, ctx->rhs);
  }

  antlrcpp::Any visitIsNullExpr(P::IsNullExprContext* ctx) override {
    const bool negated = ctx->negated != nullptr || ctx->notnull != nullptr;
    return Return(ctx, ast::IsNull{Sub(ctx->operand), negated});
  }

  antlrcpp::Any visitNotExpr(P::NotExprContext* ctx) override {
    if (ctx->operand->getStart()->getType() == P::K_EXISTS) {
      if (auto* arith = dynamic_cast<P::ArithExprContext*>(ctx->operand)) {
        if (auto* exists = dynamic_cast<P::ExistsArithContext*>(arith->value)) {
          return Return(ctx, ast::Exists{Subquery(exists->query), /*negated=*/true});
        }
      }
    }
    return Return(ctx, ast::Unary{ast::UnaryOp::kNot, Sub(ctx->operand)});
  }

  antlrcpp::Any visitAndExpr(P::AndExprContext* ctx) override {
    return Binary(ctx, ast::BinaryOp::kAnd, ctx->lhs, ctx->rhs);
  }

  antlrcpp::Any visitOrExpr(P::OrExprContext* ctx) override {
    return Binary(ctx, ast::BinaryOp::kOr, ctx->lhs, ctx->rhs);
  }

  // ---- arith ----------------------------------------------------------

  antlrcpp::Any visitUnaryArith(P::UnaryArithContext* ctx) override {
    if (ctx->op->getType() == P::TILDE) return BitwiseNotSupported(ctx->op);
    const bool minus = ctx->op->getType() == P::MINUS;
    // Fold the sign into a numeric literal right behind it, so that -5 is
    // the constant -5 and -9223372036854775808 fits in INTEGER.
    if (minus) {
      if (auto* literal = dynamic_cast<P::LiteralArithContext*>(ctx->operand)) {
        const size_t type = literal->value->getType();
        if (type == P::INTEGER_LITERAL || type == P::DECIMAL_LITERAL) {
          return Literal(ctx, literal->value, /*negate=*/true);
        }
      }
    }
    return Return(
        ctx, ast::Unary{minus ? ast::UnaryOp::kNegate : ast::UnaryOp::kPlus, Sub(ctx->operand)});
  }

  antlrcpp::Any visitMultiplyArith(P::MultiplyArithContext* ctx) override {
    return Binary(ctx, ArithmeticOp(ctx->op), ctx->lhs, ctx->rhs);
  }

  antlrcpp::Any visitAddArith(P::AddArithContext* ctx) override {
    return Binary(ctx, ArithmeticOp(ctx->op), ctx->lhs, ctx->rhs);
  }

  antlrcpp::Any visitBitwiseArith(P::BitwiseArithContext* ctx) override {
    return BitwiseNotSupported(ctx->op);
  }

  antlrcpp::Any visitConcatArith(P::ConcatArithContext* ctx) override {
    return Binary(ctx, ast::BinaryOp::kConcat, ctx->lhs, ctx->rhs);
  }

  antlrcpp::Any visitLiteralArith(P::LiteralArithContext* ctx) override {
    return Literal(ctx, ctx->value, /*negate=*/false);
  }

  antlrcpp::Any visitCastArith(P::CastArithContext* ctx) override {
    ast::ExprPtr operand = Sub(ctx->operand);
    if (!operand) return {};
    Result<ast::TypeName> type = b_.BuildTypeName(ctx->typeName());
    if (!type.ok()) return Fail(type.status());
    return Return(ctx, ast::Cast{std::move(operand), type->type});
  }

  antlrcpp::Any visitCaseArith(P::CaseArithContext* ctx) override {
    ast::Case c;
    if (ctx->operand != nullptr) c.operand = Sub(ctx->operand);
    c.whens.reserve(ctx->whens.size());
    for (P::CaseWhenContext* when : ctx->whens) {
      if (!status_.ok()) return {};
      ast::ExprPtr condition = Sub(when->condition);
      c.whens.emplace_back(std::move(condition), Sub(when->result));
    }
    if (ctx->otherwise != nullptr) c.else_result = Sub(ctx->otherwise);
    return Return(ctx, std::move(c));
  }

  antlrcpp::Any visitCallArith(P::CallArithContext* ctx) override {
    ast::FunctionCall call;
    call.name = b_.Identifier(ctx->name);
    call.star = ctx->star != nullptr;
    call.distinct = ctx->distinct != nullptr;
    call.args.reserve(ctx->args.size());
    for (P::ExprContext* arg : ctx->args) {
      if (!status_.ok()) return {};
      call.args.push_back(Sub(arg));
    }
    return Return(ctx, std::move(call));
  }

  antlrcpp::Any visitColumnArith(P::ColumnArithContext* ctx) override {
    ast::ColumnRef ref;
    if (ctx->second == nullptr) {
      ref.column = b_.Identifier(ctx->first);
    } else {
      ref.table = b_.Identifier(ctx->first);
      ref.column = b_.Identifier(ctx->second);
    }
    return Return(ctx, std::move(ref));
  }

  antlrcpp::Any visitParenArith(P::ParenArithContext* ctx) override {
    return Return(Sub(ctx->inner));
  }

  antlrcpp::Any visitSubqueryArith(P::SubqueryArithContext* ctx) override {
    return Return(ctx, ast::ScalarSubquery{Subquery(ctx->query)});
  }

  antlrcpp::Any visitExistsArith(P::ExistsArithContext* ctx) override {
    return Return(ctx, ast::Exists{Subquery(ctx->query), /*negated=*/false});
  }

 private:
  // Builds a child: null after any error, including one recorded earlier,
  // so callers may build all children first and check once.
  ast::ExprPtr Sub(antlr4::ParserRuleContext* ctx) {
    if (!status_.ok()) return nullptr;
    int& depth = b_.expression_depth();
    if (depth >= kMaxExpressionDepth) return TooDeep(ctx);
    ++depth;
    ctx->accept(this);
    --depth;
    if (result_ == nullptr && status_.ok()) return Unhandled();
    return std::move(result_);
  }

  // Error paths live out of line to keep the recursive frames small.
  [[gnu::noinline, gnu::cold]] ast::ExprPtr TooDeep(antlr4::ParserRuleContext* ctx) {
    Fail(b_.ErrorAt(
        ErrorCode::kSyntaxError, ctx->getStart(),
        fmt::format("expression nested too deeply (more than {} levels)", kMaxExpressionDepth)));
    return nullptr;
  }
  // Builds a subquery with the Builder, recording its error if it fails.
  // Out of line: the Result<Select> would bloat the recursive frames.
  [[gnu::noinline]] ast::SelectPtr Subquery(P::SelectStatementContext* ctx) {
    if (!status_.ok()) return nullptr;
    Result<ast::Select> query = b_.BuildSelect(ctx);
    if (!query.ok()) {
      Fail(query.status());
      return nullptr;
    }
    return std::make_unique<ast::Select>(std::move(query).value());
  }

  [[gnu::noinline, gnu::cold]] ast::ExprPtr Unhandled() {
    Fail(Status::Internal("parser: expression alternative not handled"));
    return nullptr;
  }

  antlrcpp::Any Return(ast::ExprPtr expr) {
    result_ = std::move(expr);
    return {};
  }

  // Stores a node positioned at `ctx`'s first token, unless an error was
  // recorded while building its children.
  template <typename Node>
  antlrcpp::Any Return(antlr4::ParserRuleContext* ctx, Node&& node) {
    if (!status_.ok()) return {};
    result_ = std::make_unique<ast::Expr>();
    result_->node.emplace<std::decay_t<Node>>(std::forward<Node>(node));
    result_->position = b_.Position(ctx);
    return {};
  }

  // TODO(parser): build them once ast::BinaryOp / UnaryOp have bitwise
  // operators; they parse already, with SQLite's precedence among arith.
  [[gnu::noinline, gnu::cold]] antlrcpp::Any BitwiseNotSupported(const antlr4::Token* op) {
    return Fail(b_.ErrorAt(ErrorCode::kNotSupported, op,
                           fmt::format("operator {} is not supported yet", b_.Text(op))));
  }

  // x'..': well-formed ones are kNotSupported (kopf has no BLOB type).
  [[gnu::noinline, gnu::cold]] antlrcpp::Any BlobLiteral(const antlr4::Token* token) {
    const std::string_view text = b_.Text(token);
    const std::string_view digits = text.substr(2, text.size() - 3);
    const bool hex = std::all_of(digits.begin(), digits.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    });
    if (!hex || digits.size() % 2 != 0) {
      return Fail(b_.ErrorAt(ErrorCode::kSyntaxError, token,
                             "a BLOB literal needs an even number of hexadecimal digits"));
    }
    return Fail(b_.ErrorAt(ErrorCode::kNotSupported, token, "BLOB literals are not supported"));
  }

  [[gnu::noinline, gnu::cold]] antlrcpp::Any Fail(Status status) {
    if (status_.ok()) status_ = std::move(status);
    result_ = nullptr;
    return {};
  }

  antlrcpp::Any Binary(antlr4::ParserRuleContext* ctx, ast::BinaryOp op,
                       antlr4::ParserRuleContext* lhs_ctx, antlr4::ParserRuleContext* rhs_ctx) {
    ast::ExprPtr lhs = Sub(lhs_ctx);
    ast::ExprPtr rhs = Sub(rhs_ctx);
    return Return(ctx, ast::Binary{op, std::move(lhs), std::move(rhs)});
  }

  antlrcpp::Any Literal(antlr4::ParserRuleContext* ctx, const antlr4::Token* token, bool negate) {
    Value value;
    const std::string_view text = b_.Text(token);
    switch (token->getType()) {
      case P::INTEGER_LITERAL:
      case P::DECIMAL_LITERAL: {
        std::optional<Value> number =
            NumericValue(text, token->getType() == P::INTEGER_LITERAL, negate);
        if (!number) {
          return Fail(b_.ErrorAt(ErrorCode::kInvalidValue, token,
                                 fmt::format("numeric literal {} is out of range", text)));
        }
        value = std::move(*number);
        break;
      }
      case P::STRING_LITERAL:
        value = Value::Text(b_.StringLiteral(token));
        break;
      case P::BLOB_LITERAL:
        return BlobLiteral(token);
      case P::K_TRUE:
        value = Value::Boolean(true);
        break;
      case P::K_FALSE:
        value = Value::Boolean(false);
        break;
      default:  // K_NULL
        break;
    }
    return Return(ctx, ast::Literal{std::move(value)});
  }

  Builder& b_;
  ast::ExprPtr result_;  // the last visit's result
  Status status_;        // the first error
};

}  // namespace

Result<ast::ExprPtr> Builder::BuildExpr(P::ExprContext* ctx) {
  ExprVisitor visitor(*this);
  return visitor.Build(ctx);
}

Result<ast::ExprPtr> Builder::BuildArith(P::ArithContext* ctx) {
  ExprVisitor visitor(*this);
  return visitor.Build(ctx);
}

}  // namespace kopf::cerebellum::parser
