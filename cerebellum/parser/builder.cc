// Statement dispatch and the helpers every build_*.cc shares.
#include "cerebellum/parser/builder.h"

#include <utility>

#include <fmt/format.h>

namespace kopf::cerebellum::parser {

using protocol::Result;
using protocol::Status;

namespace {

// Wraps a built statement of type T into the Statement variant.
template <typename T>
Result<ast::Statement> Wrap(Result<T> built) {
  if (!built.ok()) return built.status();
  return ast::Statement(std::move(built).value());
}

}  // namespace

Result<ast::Statement> Builder::BuildStatement(P::StatementContext* ctx) {
  // A statement rule has exactly one child, whose rule names the statement
  // kind, so one switch finds it without trying each alternative.
  if (ctx == nullptr || ctx->children.size() != 1) {
    return Status::Internal("parser: malformed statement tree");
  }
  auto* child = dynamic_cast<antlr4::ParserRuleContext*>(ctx->children[0]);
  if (child == nullptr) return Status::Internal("parser: malformed statement tree");
  switch (child->getRuleIndex()) {
    case P::RuleCreateTableStatement:
      return Wrap(BuildCreateTable(static_cast<P::CreateTableStatementContext*>(child)));
    case P::RuleCreateIndexStatement:
      return Wrap(BuildCreateIndex(static_cast<P::CreateIndexStatementContext*>(child)));
    case P::RuleDropTableStatement:
      return Wrap(BuildDropTable(static_cast<P::DropTableStatementContext*>(child)));
    case P::RuleDropIndexStatement:
      return Wrap(BuildDropIndex(static_cast<P::DropIndexStatementContext*>(child)));
    case P::RuleInsertStatement:
      return Wrap(BuildInsert(static_cast<P::InsertStatementContext*>(child)));
    case P::RuleSelectStatement:
      return Wrap(BuildSelect(static_cast<P::SelectStatementContext*>(child)));
    case P::RuleUpdateStatement:
      return Wrap(BuildUpdate(static_cast<P::UpdateStatementContext*>(child)));
    case P::RuleDeleteStatement:
      return Wrap(BuildDelete(static_cast<P::DeleteStatementContext*>(child)));
    case P::RuleShowTablesStatement:
      return Wrap(BuildShowTables(static_cast<P::ShowTablesStatementContext*>(child)));
    case P::RuleShowIndexesStatement:
      return Wrap(BuildShowIndexes(static_cast<P::ShowIndexesStatementContext*>(child)));
    case P::RuleShowPartitionsStatement:
      return Wrap(BuildShowPartitions(static_cast<P::ShowPartitionsStatementContext*>(child)));
    case P::RuleDescribeStatement:
      return Wrap(BuildDescribe(static_cast<P::DescribeStatementContext*>(child)));
    case P::RuleCompactTableStatement:
      return Wrap(BuildCompactTable(static_cast<P::CompactTableStatementContext*>(child)));
    case P::RuleExplainStatement:
      return Wrap(BuildExplain(static_cast<P::ExplainStatementContext*>(child)));
    case P::RuleCopyStatement:
      return Wrap(BuildCopy(static_cast<P::CopyStatementContext*>(child)));
    case P::RuleBackupStatement:
      return Wrap(BuildBackup(static_cast<P::BackupStatementContext*>(child)));
    case P::RuleShowBackupsStatement:
      return Wrap(BuildShowBackups(static_cast<P::ShowBackupsStatementContext*>(child)));
    default:
      return Status::Internal("parser: unknown statement kind");
  }
}

std::string Builder::Identifier(P::IdentifierContext* ctx) const {
  const antlr4::Token* token = ctx->getStart();
  std::string_view text = Text(token);
  std::string name;
  if (token->getType() == P::QUOTED_IDENTIFIER) {
    // Strip the quotes and turn each "" into ".
    text = text.substr(1, text.size() - 2);
    name.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      name += text[i];
      if (text[i] == '"') ++i;
    }
    return name;
  }
  name.assign(text);
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return name;
}

std::string Builder::StringLiteral(const antlr4::Token* token) const {
  std::string_view body = Text(token);
  body = body.substr(1, body.size() - 2);
  std::string s;
  s.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    s += body[i];
    if (body[i] == '\'') ++i;  // '' stands for one quote
  }
  return s;
}

int32_t Builder::Position(const antlr4::Token* token) const {
  return text_.ByteOffset(token->getStartIndex());
}

int32_t Builder::Position(antlr4::ParserRuleContext* ctx) const {
  return Position(ctx->getStart());
}

std::string_view Builder::Text(const antlr4::Token* token) const {
  return text_.Slice(token->getStartIndex(), token->getStopIndex());
}

Status Builder::ErrorAt(protocol::ErrorCode code, const antlr4::Token* token,
                        std::string_view message) const {
  const int32_t position = Position(token);
  return Status(code, fmt::format("{} ({})", message, text_.LineColumn(position)), position);
}

}  // namespace kopf::cerebellum::parser
