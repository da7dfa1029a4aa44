// PtyProcess: a program running on a pseudo-terminal, for tests of what a
// program does only on a terminal (line editing, completion, pager,
// colour). The test types into the terminal and waits for text to appear.
//
// Thread-safety: none; use from the test's own thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace kopf::testing {

class PtyProcess {
 public:
  // Starts argv[0] (a path) on a new 80x24 terminal, in its own session,
  // with exactly `env` as its environment ("NAME=value" entries).
  static std::unique_ptr<PtyProcess> Start(const std::vector<std::string>& argv,
                                           const std::vector<std::string>& env);
  ~PtyProcess();  // SIGKILL if still running
  PtyProcess(const PtyProcess&) = delete;
  PtyProcess& operator=(const PtyProcess&) = delete;

  // Types `keys` into the terminal.
  void Type(const std::string& keys);
  // Reads the terminal until everything shown so far contains `text` (true),
  // or the program ends or `timeout` passes (false).
  bool WaitFor(const std::string& text,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The same for `text` beginning at or after offset `from` of the screen
  // (say, its size before a key was typed): what a key press caused.
  bool WaitForAfter(size_t from, const std::string& text,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Everything the program has shown so far.
  const std::string& screen() const { return screen_; }
  // The same for a failure message: control characters but line breaks
  // written as \xNN (a NUL would end the message early).
  std::string printable_screen() const;
  // Waits for the program to end; its exit status (128+N for signal N).
  int Wait();

 private:
  PtyProcess() = default;
  pid_t pid_ = -1;
  int master_ = -1;
  std::string screen_;
};

}  // namespace kopf::testing
