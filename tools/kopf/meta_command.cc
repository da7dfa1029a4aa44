#include "tools/kopf/meta_command.h"

namespace kopf::shell {

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Reads one blank-separated word starting at `pos`; quoted spans may hold
// blanks. Returns the word and moves `pos` past it.
std::string ReadWord(std::string_view line, size_t& pos) {
  std::string word;
  bool quoted = false;
  for (; pos < line.size(); ++pos) {
    char c = line[pos];
    if (!quoted && IsBlank(c)) break;
    if (c == '"') quoted = !quoted;  // "" inside quotes toggles twice: an escaped quote
    word += c;
  }
  return word;
}

}  // namespace

MetaCommand ParseMetaCommand(std::string_view line) {
  MetaCommand command;
  size_t pos = 0;
  while (pos < line.size() && IsBlank(line[pos])) ++pos;
  if (pos < line.size() && line[pos] == '\\') ++pos;
  while (pos < line.size() && !IsBlank(line[pos])) command.name += line[pos++];
  while (true) {
    while (pos < line.size() && IsBlank(line[pos])) ++pos;
    if (pos >= line.size()) break;
    command.args.push_back(ReadWord(line, pos));
  }
  return command;
}

}  // namespace kopf::shell
