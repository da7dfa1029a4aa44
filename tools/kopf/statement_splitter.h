// StatementSplitter: cuts the shell's input, line by line, into complete SQL
// statements and backslash meta-commands.
//
// A statement ends at a ';' that is outside every quoted or commented span:
// 'text' literals (with '' as an escaped quote), "identifiers" (with ""),
// -- comments to the end of the line and /* */ comments (not nested, as in
// the server's grammar). The emitted text runs from the statement's first
// significant character (leading blanks and comments are dropped) to its ';'
// inclusive, lines joined with '\n', so the server's error positions can be
// mapped back onto it. Empty statements (a lone ';') are dropped.
//
// A '\' where a fresh statement would begin (at the start of a line with
// nothing pending, or after a ';') starts a meta-command that runs to the end
// of the line: "\d users" and "SELECT 1; \timing" both work. Inside a
// statement, quote or comment, a backslash is ordinary SQL text.
//
// Usage: AddLine() each input line, then drain Next() until it returns
// nullopt; pending() selects the continuation prompt; at end of input,
// TakeRemainder() returns an unterminated last statement (psql runs it too).
//
// Thread-safety: none; one splitter per input stream.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace kopf::shell {

struct InputItem {
  enum class Kind { kStatement, kMetaCommand };
  Kind kind = Kind::kStatement;
  std::string text;
  // 1-based number of the input line where the item starts (its first
  // significant character), counting every AddLine() call.
  int line = 0;
  bool operator==(const InputItem&) const = default;
};

class StatementSplitter {
 public:
  // Feeds one line of input, without its line terminator (a trailing '\r'
  // is dropped too). Complete items become available from Next().
  void AddLine(std::string_view line);

  // Removes and returns the oldest complete item, or nullopt when none.
  std::optional<InputItem> Next();

  // True while a statement has started but not ended, or a quoted span or a
  // /* comment is still open: the next line continues it.
  bool pending() const;

  // Returns the started-but-unterminated statement (without a ';', trailing
  // blanks trimmed), if any, and forgets all pending input. Items already
  // complete stay queued.
  std::optional<InputItem> TakeRemainder();

 private:
  enum class State { kNormal, kString, kIdentifier, kBlockComment };

  void Scan(std::string_view line);
  void EndStatement();

  State state_ = State::kNormal;
  std::string buffer_;    // the current statement since its first significant char
  bool started_ = false;  // a significant character has been seen
  int line_number_ = 0;   // lines fed so far
  int start_line_ = 0;    // line of the current statement's first character
  std::deque<InputItem> ready_;
};

}  // namespace kopf::shell
