#include "tools/kopf/statement_splitter.h"

namespace kopf::shell {

namespace {

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

void StatementSplitter::AddLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  ++line_number_;
  Scan(line);
  // The line ends inside the statement (or inside an open quote or comment,
  // where the newline is part of the text); before a statement starts,
  // blank lines and comments are simply dropped.
  if (started_) buffer_ += '\n';
}

// Walks one line as a small lexer. Leading blanks and comments are not
// copied into buffer_ until the statement's first significant character,
// so buffer_ always starts where the server's position 0 will be.
void StatementSplitter::Scan(std::string_view line) {
  auto append = [this](std::string_view text) {
    if (started_) buffer_ += text;
  };
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    char next = i + 1 < line.size() ? line[i + 1] : '\0';
    switch (state_) {
      case State::kString:
        append(line.substr(i, 1));
        // A doubled '' reads as close-then-reopen, which is the escape.
        if (c == '\'') state_ = State::kNormal;
        break;
      case State::kIdentifier:
        append(line.substr(i, 1));
        if (c == '"') state_ = State::kNormal;
        break;
      case State::kBlockComment:
        if (c == '*' && next == '/') {
          append("*/");
          ++i;
          state_ = State::kNormal;
        } else {
          append(line.substr(i, 1));
        }
        break;
      case State::kNormal:
        if (c == '-' && next == '-') {
          append(line.substr(i));  // the rest of the line is a comment
          return;
        }
        if (c == '/' && next == '*') {
          append("/*");
          ++i;
          state_ = State::kBlockComment;
          break;
        }
        if (c == ';') {
          if (started_) {
            buffer_ += ';';
            EndStatement();
          }
          break;  // a ';' with nothing before it is an empty statement
        }
        if (!started_ && IsBlank(c)) break;
        if (!started_ && c == '\\') {
          // No SQL starts with a backslash: where a fresh statement would
          // begin, the rest of the line is a meta-command.
          ready_.push_back(
              {InputItem::Kind::kMetaCommand, std::string(Trim(line.substr(i))), line_number_});
          return;
        }
        if (!started_) start_line_ = line_number_;
        started_ = true;
        buffer_ += c;
        if (c == '\'') state_ = State::kString;
        if (c == '"') state_ = State::kIdentifier;
        break;
    }
  }
}

void StatementSplitter::EndStatement() {
  ready_.push_back({InputItem::Kind::kStatement, std::move(buffer_), start_line_});
  buffer_.clear();
  started_ = false;
}

std::optional<InputItem> StatementSplitter::Next() {
  if (ready_.empty()) return std::nullopt;
  InputItem item = std::move(ready_.front());
  ready_.pop_front();
  return item;
}

bool StatementSplitter::pending() const { return started_ || state_ != State::kNormal; }

std::optional<InputItem> StatementSplitter::TakeRemainder() {
  std::optional<InputItem> rest;
  if (started_) {
    std::string_view text = buffer_;
    while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
    rest = InputItem{InputItem::Kind::kStatement, std::string(text), start_line_};
  }
  buffer_.clear();
  started_ = false;
  state_ = State::kNormal;
  return rest;
}

}  // namespace kopf::shell
