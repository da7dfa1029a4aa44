// LineEditor: interactive line input with editing and persistent history,
// on top of libedit (histedit.h: el_init/el_gets and the history(3) API).
// This is the only file pair that includes libedit; libedit is BSD-licensed,
// whereas GNU readline would make the binary GPL.
//
// Tab runs the completion function, if one is set: a single candidate
// replaces the word before the cursor (plus a blank), several extend it to
// their longest common prefix, or are listed below the line when that adds
// nothing.
//
// Ctrl-C: libedit reads the keys through ReadKey (line_editor.cc), which
// waits with poll() on the terminal and on the interrupt fd (interrupt.h's
// self-pipe) together. A Ctrl-C that arrives while a line is being read,
// however busy libedit is at that moment, is taken from the pipe there and
// ends ReadLine with kInterrupted; none is left behind to cancel the next
// statement.
//
// History is loaded from `history_path` when the editor is created and
// saved back (mode 0600, at most kHistorySize lines) by the destructor and
// by Save(). An empty path disables the file.
//
// Keys are read as UTF-8: the constructor sets LC_CTYPE to the user's
// locale when that is UTF-8, else to C.UTF-8.
//
// Thread-safety: none. Use only while stdin is a terminal; one per process.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "tools/kopf/completer.h"

namespace kopf::shell {

class LineEditor {
 public:
  // Lines of history kept in memory and in the file (psql keeps 500).
  static constexpr int kHistorySize = 1000;

  // `program` names the ~/.editrc section ("kopf") that configures it.
  LineEditor(const std::string& program, std::string history_path);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  enum class ReadStatus {
    kLine,         // *line holds the line read, without its newline
    kInterrupted,  // Ctrl-C (the interrupt fd) while the line was read
    kEnd,          // end of input: Ctrl-D on an empty line, or a read error
  };

  // Shows `prompt` and reads one line into *line.
  ReadStatus ReadLine(std::string_view prompt, std::string* line);

  // While ReadLine runs, a readable `fd` (interrupt.h's self-pipe; -1:
  // none) ends it with kInterrupted, after emptying the fd.
  void SetInterruptFd(int fd);

  // Adds a line to the history (blank lines and immediate repeats are not).
  void AddHistory(std::string_view line);

  // Writes the history file now.
  void Save();

  // Sets what Tab offers for the text before the cursor.
  using CompletionFunction = std::function<Completion(std::string_view before_cursor)>;
  void SetCompletion(CompletionFunction complete);

  // Opaque; public only so the libedit callbacks in the .cc can name it.
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// $HOME/.kopf_history (the password database's home when HOME is unset), or
// "" when no home directory is known.
std::string DefaultHistoryPath();

}  // namespace kopf::shell
