// COPY t [(a, b)] FROM 'file' | STDIN [WITH (option, ...)]
// COPY t [(a, b)] TO 'file' | STDOUT [WITH (...)]
// COPY (SELECT ...) TO 'file' | STDOUT [WITH (...)]
//
// Options, in PostgreSQL's spelling, each at most once:
//   HEADER [true | false | on | off | 1 | 0]   a bare HEADER means true
//   DELIMITER 'c'    one byte, not a quote, CR or LF (default ',')
//   NULL 'text'      an unquoted field equal to it is NULL (default '')
//   QUOTE 'c'        one byte (default '"')
//   FORMAT csv       the only format there is
// Whether the path may be used is decided later, against the server's
// import directories (cerebellum/binder/bind_copy.cc).
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "cerebellum/parser/builder.h"

namespace kopf::cerebellum::parser {

using protocol::ErrorCode;
using protocol::Result;
using protocol::Status;

namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

Result<ast::Copy> Builder::BuildCopy(P::CopyStatementContext* ctx) {
  ast::Copy copy;
  copy.from = ctx->from != nullptr;
  if (ctx->query != nullptr) {
    if (copy.from) {
      return ErrorAt(ErrorCode::kSyntaxError, ctx->from,
                     "COPY FROM needs a table: a query can only be copied TO a file");
    }
    KOPF_ASSIGN_OR_RETURN(ast::Select select, BuildSelect(ctx->query));
    copy.query = std::make_unique<ast::Select>(std::move(select));
  } else {
    copy.table = Identifier(ctx->table);
    copy.table_position = Position(ctx->table);
    for (P::IdentifierContext* column : ctx->columns) {
      copy.columns.push_back(Identifier(column));
      copy.column_positions.push_back(Position(column));
    }
  }
  if (ctx->client != nullptr) {
    std::string word = Lower(Text(ctx->client));
    if (word != (copy.from ? "stdin" : "stdout")) {
      return ErrorAt(ErrorCode::kSyntaxError, ctx->client,
                     copy.from ? "COPY FROM takes a quoted file name or STDIN"
                               : "COPY TO takes a quoted file name or STDOUT");
    }
    copy.client = true;
    copy.path_position = Position(ctx->client);
  } else {
    copy.path = StringLiteral(ctx->path);
    copy.path_position = Position(ctx->path);
  }

  std::set<std::string> seen;
  for (P::CopyOptionContext* option : ctx->options) {
    const antlr4::Token* name_token = option->getStart();
    std::string name = option->nullName != nullptr ? "null" : Lower(Text(name_token));
    if (!seen.insert(name).second) {
      return ErrorAt(ErrorCode::kSyntaxError, name_token,
                     fmt::format("COPY option {} given more than once", name));
    }
    const antlr4::Token* value = option->value;
    const bool is_string = value != nullptr && value->getType() == P::STRING_LITERAL;
    const antlr4::Token* at = value != nullptr ? value : name_token;
    auto one_byte = [&](std::string_view what) -> Result<char> {
      if (!is_string) {
        return ErrorAt(
            ErrorCode::kSyntaxError, at,
            fmt::format("COPY option {} takes a quoted character, as in {} ','", what, what));
      }
      std::string text = StringLiteral(value);
      if (text.size() != 1 || text[0] == '\r' || text[0] == '\n' || text[0] == '\0') {
        return ErrorAt(ErrorCode::kSyntaxError, at,
                       fmt::format("COPY {} must be one single-byte character other than a "
                                   "line break",
                                   what));
      }
      return text[0];
    };
    if (name == "header") {
      std::string word = value == nullptr ? "true" : Lower(Text(value));
      if (is_string) word = Lower(StringLiteral(value));
      if (word == "true" || word == "on" || word == "1") {
        copy.options.header = true;
      } else if (word == "false" || word == "off" || word == "0") {
        copy.options.header = false;
      } else {
        return ErrorAt(ErrorCode::kSyntaxError, at,
                       "COPY option HEADER takes true, false, on, off, 1 or 0");
      }
    } else if (name == "delimiter") {
      KOPF_ASSIGN_OR_RETURN(copy.options.delimiter, one_byte("DELIMITER"));
    } else if (name == "quote") {
      KOPF_ASSIGN_OR_RETURN(copy.options.quote, one_byte("QUOTE"));
    } else if (name == "null") {
      if (!is_string) {
        return ErrorAt(ErrorCode::kSyntaxError, at,
                       "COPY option NULL takes a quoted string, as in NULL ''");
      }
      copy.options.null_text = StringLiteral(value);
    } else if (name == "format") {
      if (value == nullptr || Lower(is_string ? StringLiteral(value) : Text(value)) != "csv") {
        return ErrorAt(ErrorCode::kSyntaxError, at, "COPY supports FORMAT csv only");
      }
    } else {
      return ErrorAt(ErrorCode::kSyntaxError, name_token,
                     fmt::format("unknown COPY option \"{}\" (known: HEADER, DELIMITER, NULL, "
                                 "QUOTE, FORMAT)",
                                 name));
    }
  }
  const ast::CopyOptions& o = copy.options;
  if (o.delimiter == o.quote) {
    return ErrorAt(ErrorCode::kSyntaxError, ctx->getStart(),
                   "COPY DELIMITER and QUOTE must be different characters");
  }
  if (o.null_text.find_first_of(std::string{o.delimiter, o.quote, '\r', '\n'}) !=
      std::string::npos) {
    return ErrorAt(ErrorCode::kSyntaxError, ctx->getStart(),
                   "COPY NULL must not contain the delimiter, the quote or a line break");
  }
  return copy;
}

}  // namespace kopf::cerebellum::parser
