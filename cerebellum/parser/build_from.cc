// FROM t1 [[AS] a], t2 [INNER | CROSS | LEFT [OUTER]] JOIN t3 [[AS] b] [ON e], ...
//
// The clause becomes one flat list of ast::FromItem, joined left to right:
// the first item and every comma item are kCross. As in SQLite, a JOIN with
// no ON is a cross join, CROSS JOIN ... ON is an inner join, and a LEFT JOIN
// with no ON joins on TRUE. SQLite's INDEXED BY / NOT INDEXED hints are
// accepted and dropped: kopf's planner chooses indexes itself.
//
// A parenthesised join is flattened into the list where that is exact (see
// AppendFromItem). Not supported yet (kNotSupported at the offending token):
// NATURAL JOIN, JOIN ... USING (...), subqueries in FROM, and a
// parenthesised join on the right of a LEFT JOIN.
#include <memory>
#include <utility>
#include <vector>

#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

using protocol::ErrorCode;
using protocol::Result;
using protocol::Value;

namespace {

using P = kopf_generated::KopfParser;

// `a AND b`, positioned at a.
ast::ExprPtr And(ast::ExprPtr a, ast::ExprPtr b) {
  auto expr = std::make_unique<ast::Expr>();
  expr->position = a->position;
  expr->node = ast::Binary{ast::BinaryOp::kAnd, std::move(a), std::move(b)};
  return expr;
}

}  // namespace

// Appends `ref` to `items`, joined to everything before it by `join` on
// `on` (null for kCross). A parenthesised join is spliced in flat. That is
// exact when the group is joined by a cross or inner join, because the ON
// conditions inside the group see only the group's own tables:
//   L, (a JOIN b ON c)         = L, a JOIN b ON c
//   L JOIN (a JOIN b ON c) ON d = L, a JOIN b ON c AND d
// The second also holds when an earlier join inside the group is a LEFT
// JOIN, as long as the group's last one is not (d must filter the finished
// group, and on an inner join it does). A group on the right of a LEFT JOIN
// cannot be flattened and is kNotSupported.
protocol::Status Builder::AppendFromItem(std::vector<ast::FromItem>& items, P::TableRefContext* ref,
                                         ast::JoinKind join, ast::ExprPtr on) {
  if (auto* named = dynamic_cast<P::NamedTableContext*>(ref)) {
    ast::FromItem item;
    item.table.table = Identifier(named->table);
    item.table.position = Position(named->table);
    if (named->alias != nullptr) item.table.alias = Identifier(named->alias);
    item.join = join;
    item.on = std::move(on);
    items.push_back(std::move(item));
    return protocol::Status::Ok();
  }
  auto* group = dynamic_cast<P::JoinGroupTableContext*>(ref);
  if (group == nullptr) {
    return ErrorAt(ErrorCode::kNotSupported, ref->getStart(),
                   "subqueries in FROM are not supported yet");
  }
  KOPF_ASSIGN_OR_RETURN(std::vector<ast::FromItem> inner, BuildFrom(group->inner));
  if (inner.size() == 1) {  // (t): just the table
    inner[0].join = join;
    inner[0].on = std::move(on);
  } else if (join == ast::JoinKind::kLeft) {
    return ErrorAt(ErrorCode::kNotSupported, ref->getStart(),
                   "LEFT JOIN to a parenthesised join is not supported yet");
  } else if (on != nullptr) {
    ast::FromItem& last = inner.back();
    if (last.join == ast::JoinKind::kLeft) {
      return ErrorAt(ErrorCode::kNotSupported, ref->getStart(),
                     "a parenthesised join ending in LEFT JOIN is not supported here yet");
    }
    last.on = last.on == nullptr ? std::move(on) : And(std::move(last.on), std::move(on));
    last.join = ast::JoinKind::kInner;
  }
  for (ast::FromItem& item : inner) items.push_back(std::move(item));
  return protocol::Status::Ok();
}

Result<std::vector<ast::FromItem>> Builder::BuildFrom(P::FromClauseContext* ctx) {
  std::vector<ast::FromItem> items;
  items.reserve(1 + ctx->joins.size());
  KOPF_RETURN_IF_ERROR(AppendFromItem(items, ctx->first, ast::JoinKind::kCross, nullptr));

  for (P::JoinClauseContext* join_ctx : ctx->joins) {
    if (auto* comma = dynamic_cast<P::CommaJoinContext*>(join_ctx)) {
      KOPF_RETURN_IF_ERROR(AppendFromItem(items, comma->table, ast::JoinKind::kCross, nullptr));
      continue;
    }
    auto* join = static_cast<P::ExplicitJoinContext*>(join_ctx);
    if (join->natural != nullptr) {
      return ErrorAt(ErrorCode::kNotSupported, join->natural, "NATURAL JOIN is not supported yet");
    }
    if (join->usingKw != nullptr) {
      return ErrorAt(ErrorCode::kNotSupported, join->usingKw,
                     "JOIN ... USING is not supported yet; use JOIN ... ON");
    }
    ast::ExprPtr on;
    if (join->on != nullptr) {
      KOPF_ASSIGN_OR_RETURN(on, BuildExpr(join->on));
    }
    ast::JoinKind kind = on != nullptr ? ast::JoinKind::kInner : ast::JoinKind::kCross;
    if (join->left != nullptr) {
      kind = ast::JoinKind::kLeft;
      if (on == nullptr) {
        on = std::make_unique<ast::Expr>();
        on->node = ast::Literal{Value::Boolean(true)};
        on->position = Position(join->left);
      }
    }
    KOPF_RETURN_IF_ERROR(AppendFromItem(items, join->table, kind, std::move(on)));
  }
  return items;
}

}  // namespace kopf::cerebellum::parser
