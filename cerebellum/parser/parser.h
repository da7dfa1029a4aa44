// The SQL parser: SQL text in, kopf AST out.
//
// Built on the ANTLR4 grammar in grammar/Kopf.g4. The generated code and the
// ANTLR runtime stay inside this folder's .cc files; callers see only
// ast::Statement and Status.
//
// Thread-safety: ParseStatement may be called from many threads at once.
#pragma once

#include <string_view>

#include "cerebellum/ast/ast.h"
#include "protocol/status.h"

namespace kopf::cerebellum {

// Parses exactly one SQL statement; a trailing ';' and surrounding
// whitespace and comments are allowed.
// Fails with kSyntaxError whose position() is the 0-based byte offset of the
// offending token and whose message reads like
//   syntax error at or near "FROM" (line 1, column 8)
// Two or more statements in one text are a kSyntaxError at the second one.
protocol::Result<ast::Statement> ParseStatement(std::string_view sql);

}  // namespace kopf::cerebellum
