// ParseStatement: runs the generated ANTLR lexer and parser over one
// statement and hands the tree to the Builder.
//
// The life of a parse:
//  1. SourceText::Decode validates the UTF-8 and yields the code points ANTLR
//     lexes (it works in UTF-32), keeping a map back to byte offsets.
//  2. The lexer turns the whole text into tokens. It never fails: the
//     grammar's ERROR_CHAR and UNTERMINATED_* tokens catch what is not SQL,
//     and a scan over the tokens reports the first of them, or parentheses
//     nested deeper than kMaxParenDepth, before any parsing.
//  3. The parser runs in SLL mode, which is fast and right for almost every
//     statement; only when it fails do we rewind and parse again in full LL
//     mode, whose first error is the true one (the usual two-stage ANTLR
//     strategy). Errors stop the parse at once (FirstErrorStrategy) and the
//     first one is recorded with its offending token (FirstErrorListener).
//  4. GuardedParser refuses to recurse deeper than kMaxParseDepth rules, so
//     a hostile statement cannot overflow the worker thread's stack.
//  5. The Builder turns the tree into the AST (builder.h).
//
// ANTLR's runtime throws; nothing here lets an exception out. The runtime
// keeps one DFA cache per grammar, shared by all parser instances and locked
// internally in 4.9; each call makes its own lexer and parser. The first call
// of the process warms that cache with a few statements under std::call_once,
// so that the DFA start states, whose lazy creation is not fully
// synchronised in runtime 4.9, are made by a single thread.
#include "cerebellum/parser/parser.h"

#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "KopfLexer.h"
#include "KopfParser.h"
#include "cerebellum/parser/builder.h"
#include "cerebellum/parser/source_text.h"

namespace kopf::cerebellum {

using protocol::Result;
using protocol::Status;

namespace {

using P = kopf_generated::KopfParser;
using parser::SourceText;

// Deepest run of open parentheses accepted. Each level costs a few ANTLR
// rule frames; PostgreSQL users rarely nest beyond a dozen.
constexpr int kMaxParenDepth = 200;
// Deepest chain of nested grammar rules, counting every rule context (two
// per parenthesis, three per CASE, one per NOT or unary minus). Bounds the
// parser's recursion: measured at about 250 bytes of stack a level (about
// 8 KiB under AddressSanitizer), so the limit costs ~125 KiB at most.
constexpr size_t kMaxParseDepth = 500;

// An ANTLR input stream over code points we decoded ourselves, so invalid
// UTF-8 is our error with our position instead of a runtime exception.
class CodePointStream final : public antlr4::ANTLRInputStream {
 public:
  explicit CodePointStream(std::u32string code_points) {
    _data = std::move(code_points);
    p = 0;
  }
};

// Records the first syntax error, lexer's or parser's, and ignores the rest.
class FirstErrorListener final : public antlr4::BaseErrorListener {
 public:
  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending_symbol, size_t, size_t,
                   const std::string&, std::exception_ptr) override {
    if (has_error_) return;
    has_error_ = true;
    token_ = offending_symbol;
    if (auto* lexer = dynamic_cast<antlr4::Lexer*>(recognizer)) {
      char_index_ = lexer->tokenStartCharIndex;
    }
  }

  bool has_error() const { return has_error_; }
  antlr4::Token* token() const { return token_; }  // null for lexer errors
  size_t char_index() const { return char_index_; }
  void Clear() { *this = FirstErrorListener(); }

 private:
  bool has_error_ = false;
  antlr4::Token* token_ = nullptr;
  size_t char_index_ = 0;
};

// Reports an error to the listeners and abandons the parse, with no attempt
// at recovery: one statement, one error message.
class FirstErrorStrategy final : public antlr4::DefaultErrorStrategy {
 public:
  void reportError(antlr4::Parser* recognizer, const antlr4::RecognitionException& e) override {
    // Our listener builds its own message from the token; skip ANTLR's
    // (which would compute expected-token sets we do not print).
    recognizer->notifyErrorListeners(e.getOffendingToken(), "", nullptr);
  }
  void recover(antlr4::Parser*, std::exception_ptr) override {
    throw antlr4::ParseCancellationException();
  }
  antlr4::Token* recoverInline(antlr4::Parser* recognizer) override {
    reportError(recognizer, antlr4::InputMismatchException(recognizer));
    throw antlr4::ParseCancellationException();
  }
  void sync(antlr4::Parser*) override {}
};

// Thrown by GuardedParser past kMaxParseDepth; caught in ParseOnce.
struct ParseTooDeep {
  antlr4::Token* token;
};

class GuardedParser final : public P {
 public:
  using P::enterRecursionRule;
  using P::P;

  void enterRule(antlr4::ParserRuleContext* localctx, size_t state, size_t rule_index) override {
    CheckDepth(localctx);
    P::enterRule(localctx, state, rule_index);
  }
  void enterRecursionRule(antlr4::ParserRuleContext* localctx, size_t state, size_t rule_index,
                          int precedence) override {
    CheckDepth(localctx);
    P::enterRecursionRule(localctx, state, rule_index, precedence);
  }

 private:
  // Runs before the base class links the context in, so on a throw the
  // parser's own bookkeeping stays consistent while the stack unwinds.
  void CheckDepth(antlr4::ParserRuleContext* localctx) {
    size_t depth = 0;
    for (antlr4::tree::ParseTree* node = localctx; node != nullptr; node = node->parent) {
      if (++depth > kMaxParseDepth) throw ParseTooDeep{getCurrentToken()};
    }
  }
};

Status ErrorNear(const SourceText& text, std::string_view what, const antlr4::Token* token) {
  const int32_t position = text.ByteOffset(token->getStartIndex());
  if (token->getType() == antlr4::Token::EOF) {
    return Status::SyntaxError(
        fmt::format("{} at end of input ({})", what, text.LineColumn(position)), position);
  }
  return Status::SyntaxError(
      fmt::format("{} at or near \"{}\" ({})", what,
                  SourceText::Excerpt(text.Slice(token->getStartIndex(), token->getStopIndex())),
                  text.LineColumn(position)),
      position);
}

// Step 2: reports error tokens and runaway nesting before parsing.
Status ScanTokens(const SourceText& text, const std::vector<antlr4::Token*>& tokens) {
  int paren_depth = 0;
  for (const antlr4::Token* token : tokens) {
    switch (token->getType()) {
      case P::LPAREN:
        if (++paren_depth > kMaxParenDepth) {
          return ErrorNear(
              text,
              fmt::format("parentheses nested too deeply (more than {} levels)", kMaxParenDepth),
              token);
        }
        break;
      case P::RPAREN:
        if (paren_depth > 0) --paren_depth;
        break;
      case P::QUOTED_IDENTIFIER:
        if (token->getStopIndex() == token->getStartIndex() + 1) {
          return ErrorNear(text, "zero-length delimited identifier", token);
        }
        break;
      case P::UNTERMINATED_STRING:
        return ErrorNear(text, "unterminated quoted string", token);
      case P::UNTERMINATED_QUOTED_IDENTIFIER:
        return ErrorNear(text, "unterminated quoted identifier", token);
      case P::UNTERMINATED_BLOCK_COMMENT:
        return ErrorNear(text, "unterminated /* comment", token);
      case P::ERROR_CHAR:
        return ErrorNear(text, "syntax error", token);
      default:
        break;
    }
  }
  return Status::Ok();
}

Result<ast::Statement> ParseOnce(std::string_view sql) {
  std::u32string code_points;
  KOPF_ASSIGN_OR_RETURN(SourceText text, SourceText::Decode(sql, &code_points));

  CodePointStream input(std::move(code_points));
  FirstErrorListener errors;
  kopf_generated::KopfLexer lexer(&input);
  lexer.removeErrorListeners();
  lexer.addErrorListener(&errors);
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  if (errors.has_error()) {  // not expected: ERROR_CHAR matches any character
    const size_t index = errors.char_index();
    const int32_t position = text.ByteOffset(index);
    return Status::SyntaxError(
        fmt::format("syntax error at or near \"{}\" ({})",
                    SourceText::Excerpt(text.Slice(index, index)), text.LineColumn(position)),
        position);
  }
  KOPF_RETURN_IF_ERROR(ScanTokens(text, tokens.getTokens()));

  GuardedParser parser(&tokens);
  parser.removeErrorListeners();
  parser.addErrorListener(&errors);
  parser.setErrorHandler(std::make_shared<FirstErrorStrategy>());
  auto* interpreter = parser.getInterpreter<antlr4::atn::ParserATNSimulator>();
  P::ParseContext* tree = nullptr;
  try {
    interpreter->setPredictionMode(antlr4::atn::PredictionMode::SLL);
    try {
      tree = parser.parse();
    } catch (const antlr4::ParseCancellationException&) {
      // SLL may fail where full LL succeeds; only LL's verdict counts.
      parser.reset();
      errors.Clear();
      interpreter->setPredictionMode(antlr4::atn::PredictionMode::LL);
      tree = parser.parse();
    }
  } catch (const antlr4::ParseCancellationException&) {
    antlr4::Token* at = errors.token() != nullptr ? errors.token() : parser.getCurrentToken();
    return ErrorNear(text, "syntax error", at);
  } catch (const ParseTooDeep& too_deep) {
    return ErrorNear(text, "statement nested too deeply", too_deep.token);
  }
  parser::Builder builder(text);
  return builder.BuildStatement(tree->statement());
}

// Catches whatever the ANTLR runtime or the allocator throws.
Result<ast::Statement> ParseCatchingExceptions(std::string_view sql) {
  try {
    return ParseOnce(sql);
  } catch (const antlr4::RecognitionException& e) {
    return Status::SyntaxError(fmt::format("syntax error: {}", e.what()));
  } catch (const antlr4::ParseCancellationException& e) {
    return Status::SyntaxError(fmt::format("syntax error: {}", e.what()));
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while parsing");
  } catch (const std::exception& e) {
    return Status::Internal(fmt::format("parser failure: {}", e.what()));
  } catch (...) {
    return Status::Internal("parser failure: unknown exception");
  }
}

// One statement of each kind and every expression form, so that the shared
// DFA cache gets its start states from one thread (see the top comment).
void WarmUp() {
  constexpr std::string_view kStatements[] = {
      "CREATE TABLE IF NOT EXISTS t (a INT NOT NULL, b TEXT NOT NULL DEFAULT 'x', "
      "c DOUBLE PRECISION NULL, d VARCHAR(10), PRIMARY KEY (a))",
      "DROP TABLE IF EXISTS t",
      "INSERT INTO t (a, b) VALUES (1, 'a'), (-2, NULL)",
      "SELECT DISTINCT t.*, a AS x, count(*), f(DISTINCT b), -a, +b FROM t AS u "
      "WHERE a = 1 AND NOT b <> 2 OR c IS NOT NULL AND d ISNULL AND a BETWEEN 1 AND 2 "
      "AND a NOT IN (1, 2) AND b LIKE 'x%' AND a * 2 / 3 % 4 + 1 - 2 < 5 AND b || 'c' >= 'd' "
      "GROUP BY a, b HAVING count(*) > 1 ORDER BY a DESC NULLS LAST, b LIMIT 10 OFFSET 5",
      "SELECT CASE a WHEN 1 THEN 'x' ELSE 'y' END, CASE WHEN a THEN 1 END, "
      "CAST(a AS BIGINT), (1.5e3), TRUE, FALSE",
      "SELECT 1 + 1",
      "UPDATE t SET a = a + 1, b = 'x' WHERE a <= 3",
      "DELETE FROM t WHERE a > 1",
      "SHOW TABLES",
      "SHOW INDEXES FROM t",
      "SHOW BACKUPS",
      "BACKUP TO 'x'",
      "DESCRIBE t",
      "SELECT ALL a FROM t1 x, (t2 CROSS JOIN t3) JOIN t4 ON x.a = t4.a LEFT OUTER JOIN t5 y ON 1 "
      "INNER JOIN t6 ON TRUE, t7 INDEXED BY i NATURAL JOIN t8 WHERE a IN () AND a NOT IN t "
      "AND NOT EXISTS (SELECT 1) AND b IN (SELECT c FROM u UNION SELECT 1) AND (SELECT 2) > 0 "
      "AND c NOT NULL AND d NOT LIKE 'x' AND f(ALL x) UNION ALL SELECT 1 INTERSECT SELECT 2 "
      "EXCEPT SELECT 3 ORDER BY 1 LIMIT 1",
      "SELECT * FROM t NOT INDEXED JOIN u USING (a), (SELECT 1) AS s",
      "SELECT x'00', 1 << 2 >> 3 & 4 | 5, ~1",
      "INSERT INTO t (a) SELECT * FROM u",
      "INSERT INTO t SELECT 1",
      "CREATE UNIQUE INDEX IF NOT EXISTS i ON t (a DESC, b ASC, c)",
      "CREATE INDEX i ON t (a)",
      "DROP INDEX IF EXISTS i",
      "EXPLAIN SELECT 1",
  };
  for (std::string_view sql : kStatements) {
    (void)ParseCatchingExceptions(sql);
  }
}

}  // namespace

Result<ast::Statement> ParseStatement(std::string_view sql) {
  static std::once_flag warmed_up;
  std::call_once(warmed_up, WarmUp);
  return ParseCatchingExceptions(sql);
}

}  // namespace kopf::cerebellum
