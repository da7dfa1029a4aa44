// Builder: turns an ANTLR parse tree of grammar/Kopf.g4 into kopf's AST.
//
// Private to cerebellum/parser/: this is the only header that names the
// generated types. One Builder method per statement, each defined in its own
// build_<statement>.cc (STYLE.md section 8); expressions in build_expr.cc,
// type names in build_type_name.cc, shared helpers in builder.cc.
//
// A Builder never throws: every failure comes back as a Status whose
// position is the byte offset of the offending token and whose message ends
// in "(line L, column C)".
//
// Thread-safety: one Builder per parse; not shared.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "KopfParser.h"
#include "cerebellum/ast/ast.h"
#include "cerebellum/parser/source_text.h"
#include "protocol/status.h"

namespace kopf::cerebellum::parser {

// Deepest expression tree the builder produces, counted in parse-tree levels
// it descends (about one per operator, two per pair of parentheses). The
// binder, planner and executor recurse over expressions, so this bounds
// their stack use too. SQLite uses the same figure (SQLITE_MAX_EXPR_DEPTH).
inline constexpr int kMaxExpressionDepth = 1000;

class Builder {
 public:
  using P = kopf_generated::KopfParser;

  // REQUIRES: `text` outlives the Builder and is the text that was parsed.
  explicit Builder(const SourceText& text) : text_(text) {}
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;

  protocol::Result<ast::Statement> BuildStatement(P::StatementContext* ctx);

  protocol::Result<ast::CreateTable> BuildCreateTable(P::CreateTableStatementContext* ctx);
  protocol::Result<ast::CreateIndex> BuildCreateIndex(P::CreateIndexStatementContext* ctx);
  protocol::Result<ast::DropTable> BuildDropTable(P::DropTableStatementContext* ctx);
  protocol::Result<ast::DropIndex> BuildDropIndex(P::DropIndexStatementContext* ctx);
  protocol::Result<ast::Insert> BuildInsert(P::InsertStatementContext* ctx);
  // A whole (possibly compound) SELECT, also for subqueries.
  protocol::Result<ast::Select> BuildSelect(P::SelectStatementContext* ctx);
  protocol::Result<ast::Update> BuildUpdate(P::UpdateStatementContext* ctx);
  protocol::Result<ast::Delete> BuildDelete(P::DeleteStatementContext* ctx);
  protocol::Result<ast::ShowTables> BuildShowTables(P::ShowTablesStatementContext* ctx);
  protocol::Result<ast::ShowIndexes> BuildShowIndexes(P::ShowIndexesStatementContext* ctx);
  protocol::Result<ast::PartitionBy> BuildPartitionBy(P::PartitionByContext* ctx);
  protocol::Result<ast::ShowPartitions> BuildShowPartitions(P::ShowPartitionsStatementContext* ctx);
  protocol::Result<ast::Describe> BuildDescribe(P::DescribeStatementContext* ctx);
  protocol::Result<ast::CompactTable> BuildCompactTable(P::CompactTableStatementContext* ctx);
  // Fails with kSyntaxError for EXPLAIN EXPLAIN.
  protocol::Result<ast::Explain> BuildExplain(P::ExplainStatementContext* ctx);
  // Fails with kSyntaxError for an unknown or repeated option or a bad
  // option value, and for FROM with a query.
  protocol::Result<ast::Copy> BuildCopy(P::CopyStatementContext* ctx);
  protocol::Result<ast::Backup> BuildBackup(P::BackupStatementContext* ctx);
  protocol::Result<ast::ShowBackups> BuildShowBackups(P::ShowBackupsStatementContext* ctx);

  // One SELECT of a compound, without ORDER BY or LIMIT (build_select.cc).
  protocol::Result<ast::Select> BuildSelectCore(P::SelectCoreContext* ctx);
  // The FROM list (build_from.cc). Fails with kNotSupported, at the
  // offending token, for NATURAL JOIN, JOIN ... USING, FROM (SELECT ...) and
  // a parenthesised join that cannot be flattened.
  protocol::Result<std::vector<ast::FromItem>> BuildFrom(P::FromClauseContext* ctx);

  // Fails with kSyntaxError past kMaxExpressionDepth, kInvalidValue for a
  // numeric literal out of DOUBLE's range.
  protocol::Result<ast::ExprPtr> BuildExpr(P::ExprContext* ctx);
  protocol::Result<ast::ExprPtr> BuildArith(P::ArithContext* ctx);
  // Fails with kSyntaxError for an unknown type or bad modifiers.
  protocol::Result<ast::TypeName> BuildTypeName(P::TypeNameContext* ctx);

  // ---- Helpers shared by the build_*.cc files (builder.cc) ----

  // The name as kopf stores it: unquoted folded to lower case, "quoted"
  // kept as written with "" unescaped.
  std::string Identifier(P::IdentifierContext* ctx) const;
  // 0-based byte offset of a token / of a rule's first token.
  int32_t Position(const antlr4::Token* token) const;
  int32_t Position(antlr4::ParserRuleContext* ctx) const;
  // The text of a STRING_LITERAL token: quotes stripped, '' unescaped.
  std::string StringLiteral(const antlr4::Token* token) const;
  // The token's bytes in the SQL text.
  std::string_view Text(const antlr4::Token* token) const;
  // "<message> (line L, column C)" positioned at `token`.
  protocol::Status ErrorAt(protocol::ErrorCode code, const antlr4::Token* token,
                           std::string_view message) const;

  // Expression levels entered so far in this statement. Expressions inside
  // subqueries keep counting from their enclosing expression's level, so
  // kMaxExpressionDepth bounds the statement's whole tree (build_expr.cc).
  int& expression_depth() { return expression_depth_; }

 private:
  // Appends one table of the FROM list, or the flattened items of a
  // parenthesised join, joined to the items before it (build_from.cc).
  protocol::Status AppendFromItem(std::vector<ast::FromItem>& items, P::TableRefContext* ref,
                                  ast::JoinKind join, ast::ExprPtr on);

  const SourceText& text_;
  int expression_depth_ = 0;
};

}  // namespace kopf::cerebellum::parser
