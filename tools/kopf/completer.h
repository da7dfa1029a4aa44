// Completer: what Tab offers in the interactive shell: SQL keywords,
// table names and column names from the server, and meta-command names.
//
// Table names come from SHOW TABLES and a table's columns from DESCRIBE,
// each asked once and cached until Invalidate() (the shell calls it after
// any statement that may change the schema). Which words are offered
// depends on the word before the cursor's word:
//   - after FROM, JOIN, INTO, UPDATE, TABLE, DESCRIBE, ON, or in "\d ":
//     table names only;
//   - at the start of a line after '\': meta-command names;
//   - otherwise keywords, table names, and the columns of the tables the
//     line mentions.
// Keywords are offered in the case the user started typing (lower case
// when the word typed so far has no capital letter). Matching ignores
// case. A server error while fetching names just offers fewer words.
//
// Thread-safety: none; the query function runs on the caller's thread
// (the shell's client, idle while the user types).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/client.h"

namespace kopf::shell {

struct Completion {
  size_t word_length = 0;               // bytes before the cursor the candidates replace
  std::vector<std::string> candidates;  // sorted, without duplicates
};

class Completer {
 public:
  using QueryFunction =
      std::function<protocol::Result<protocol::QueryResult>(std::string_view sql)>;

  explicit Completer(QueryFunction query) : query_(std::move(query)) {}

  // Candidates for the word that ends at the end of `before_cursor`.
  Completion Complete(std::string_view before_cursor);

  // Forgets cached table and column names.
  void Invalidate();

 private:
  const std::vector<std::string>& Tables();
  const std::vector<std::string>& Columns(const std::string& table);

  QueryFunction query_;
  std::optional<std::vector<std::string>> tables_;
  std::map<std::string, std::vector<std::string>> columns_;
};

}  // namespace kopf::shell
