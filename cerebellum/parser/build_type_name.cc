// Column and CAST types: the words of `typeName` to a kopf type.
//
// Type names are plain identifiers in the grammar, so an unknown one gets a
// message naming it ("type "blob" does not exist") rather than a bare syntax
// error. The declared text is kept in canonical upper case for DESCRIBE.
#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "cerebellum/parser/builder.h"
#include "protocol/ascii.h"

namespace kopf::cerebellum::parser {

using protocol::ErrorCode;
using protocol::Result;
using protocol::Type;

namespace {

struct KnownType {
  std::string_view words;  // lower case, single spaces
  Type type;
  int max_modifiers;  // how many (n[, m]) numbers the type accepts
};

constexpr std::array<KnownType, 17> kKnownTypes = {{
    {"integer", Type::kInteger, 0},
    {"int", Type::kInteger, 0},
    {"bigint", Type::kInteger, 0},
    {"smallint", Type::kInteger, 0},
    {"double", Type::kDouble, 0},
    {"double precision", Type::kDouble, 0},
    {"real", Type::kDouble, 0},
    {"float", Type::kDouble, 1},
    {"numeric", Type::kDouble, 2},
    {"decimal", Type::kDouble, 2},
    {"text", Type::kText, 0},
    {"varchar", Type::kText, 1},
    {"char", Type::kText, 1},
    {"character", Type::kText, 1},
    {"character varying", Type::kText, 1},
    {"boolean", Type::kBoolean, 0},
    {"bool", Type::kBoolean, 0},
}};

}  // namespace

Result<ast::TypeName> Builder::BuildTypeName(P::TypeNameContext* ctx) {
  std::string words;
  for (const antlr4::Token* word : ctx->words) {
    if (!words.empty()) words += ' ';
    for (char c : Text(word)) {
      words += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
  }
  const KnownType* known = nullptr;
  for (const KnownType& k : kKnownTypes) {
    if (k.words == words) known = &k;
  }
  if (known == nullptr) {
    return ErrorAt(ErrorCode::kSyntaxError, ctx->getStart(),
                   fmt::format("type \"{}\" does not exist", words));
  }
  if (static_cast<int>(ctx->args.size()) > known->max_modifiers) {
    return ErrorAt(ErrorCode::kSyntaxError, ctx->args.front(),
                   known->max_modifiers == 0
                       ? fmt::format("type \"{}\" does not take a length or precision", words)
                       : fmt::format("too many modifiers for type \"{}\"", words));
  }

  ast::TypeName type;
  type.type = known->type;
  type.declared.reserve(words.size() + 8);
  for (char c : words) type.declared += protocol::AsciiUpper(c);
  int32_t precision = 0;
  for (size_t i = 0; i < ctx->args.size(); ++i) {
    const antlr4::Token* arg = ctx->args[i];
    const std::string_view digits = Text(arg);
    int32_t n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    const bool is_scale = i == 1;  // NUMERIC(p, s) with 0 <= s <= p
    const bool in_range = is_scale ? n <= precision : n >= 1;
    if (ec != std::errc() || end != digits.data() + digits.size() || !in_range) {
      return ErrorAt(ErrorCode::kInvalidValue, arg,
                     fmt::format("{} {} out of range for type \"{}\"",
                                 is_scale ? "scale" : "length or precision", digits, words));
    }
    if (i == 0) precision = n;
    type.declared += fmt::format("{}{}", i == 0 ? "(" : ",", n);
  }
  if (!ctx->args.empty()) type.declared += ')';
  return type;
}

}  // namespace kopf::cerebellum::parser
