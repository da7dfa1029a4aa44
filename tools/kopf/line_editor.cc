#include "tools/kopf/line_editor.h"

#include <cctype>
#include <cerrno>
#include <climits>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cwchar>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <histedit.h>
#include <langinfo.h>
#include <poll.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/kopf/interrupt.h"

namespace kopf::shell {

struct LineEditor::Impl {
  EditLine* editline = nullptr;
  History* history = nullptr;
  std::string history_path;
  std::string prompt;  // what PromptCallback shows; set by ReadLine
  LineEditor::CompletionFunction complete;
  int input_fd = STDIN_FILENO;  // the terminal libedit was set up on
  // The same terminal opened again, non-blocking, for ReadKey; -1 when it
  // could not be, and ReadKey reads input_fd.
  int key_fd = -1;
  int interrupt_fd = -1;     // SetInterruptFd()
  bool interrupted = false;  // ReadKey took a Ctrl-C during this ReadLine
  // The bytes of a key that is not complete yet (UTF-8 comes byte by byte).
  char pending[MB_LEN_MAX] = {};
  size_t pending_bytes = 0;
};

namespace {

// libedit asks for the prompt through a C callback; the Impl rides along as
// the editor's client data.
char* PromptCallback(EditLine* editline) {
  void* data = nullptr;
  el_get(editline, EL_CLIENTDATA, &data);
  return static_cast<LineEditor::Impl*>(data)->prompt.data();
}

LineEditor::Impl* ImplOf(EditLine* editline) {
  void* data = nullptr;
  el_get(editline, EL_CLIENTDATA, &data);
  return static_cast<LineEditor::Impl*>(data);
}

// Turns the bytes in impl->pending into one key, as libedit's own reader
// does: mbrtowc in the current locale. Returns 1 with *key, 0 when more
// bytes are needed. An invalid sequence is dropped except its last byte,
// which may begin the next key; an invalid single byte is dropped.
int DecodeKey(LineEditor::Impl* impl, wchar_t* key) {
  for (;;) {
    std::mbstate_t state{};
    size_t n = std::mbrtowc(key, impl->pending, impl->pending_bytes, &state);
    if (n == static_cast<size_t>(-2)) {
      // Incomplete; as long as the longest character, it is none.
      if (impl->pending_bytes == sizeof impl->pending) impl->pending_bytes = 0;
      return 0;
    }
    if (n != static_cast<size_t>(-1)) {
      impl->pending_bytes = 0;
      return 1;
    }
    if (impl->pending_bytes <= 1) {
      impl->pending_bytes = 0;
      return 0;
    }
    impl->pending[0] = impl->pending[impl->pending_bytes - 1];
    impl->pending_bytes = 1;
  }
}

// libedit's key reader (EL_GETCFN), in place of its own: waits for the
// terminal and the interrupt fd together, so a Ctrl-C is seen whenever it
// comes, not only while libedit happens to sit in read(). Returns 1 with
// *key, 0 at the end of input, -1 on a read error, or -1 with errno EINTR
// and impl->interrupted set after a Ctrl-C (el_gets then returns nothing,
// whatever was typed).
int ReadKey(EditLine* editline, wchar_t* key) {
  LineEditor::Impl* impl = ImplOf(editline);
  *key = L'\0';
  // A Ctrl-C between poll() and read() empties the terminal's input, so
  // that a blocking read() would wait for the next key with the Ctrl-C
  // unseen; on the non-blocking descriptor it returns EAGAIN instead.
  const int input_fd = impl->key_fd >= 0 ? impl->key_fd : impl->input_fd;
  for (;;) {
    pollfd fds[2] = {{input_fd, POLLIN, 0}, {impl->interrupt_fd, POLLIN, 0}};
    const nfds_t count = impl->interrupt_fd >= 0 ? 2 : 1;
    if (::poll(fds, count, -1) < 0) {
      // A signal: SIGINT's byte is in the pipe by now, and libedit's own
      // handlers (window size, stop and continue) have done their part.
      if (errno == EINTR) continue;
      return -1;
    }
    // The pipe first: the terminal dropped the keys typed before the
    // Ctrl-C anyway.
    if (count == 2 && fds[1].revents != 0) {
      TakeInterrupts(impl->interrupt_fd);
      impl->interrupted = true;
      impl->pending_bytes = 0;
      errno = EINTR;
      return -1;
    }
    char byte = 0;
    ssize_t n = ::read(input_fd, &byte, 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return static_cast<int>(n);
    impl->pending[impl->pending_bytes++] = byte;
    if (DecodeKey(impl, key) == 1) return 1;
  }
}

// The longest prefix all candidates share, compared without case.
size_t CommonPrefix(const std::vector<std::string>& candidates) {
  size_t n = candidates[0].size();
  for (const std::string& c : candidates) {
    size_t i = 0;
    while (i < n && i < c.size() &&
           std::tolower(static_cast<unsigned char>(c[i])) ==
               std::tolower(static_cast<unsigned char>(candidates[0][i]))) {
      ++i;
    }
    n = i;
  }
  return n;
}

// Bound to Tab: completes the word before the cursor (see the header).
unsigned char CompleteCallback(EditLine* editline, int) {
  LineEditor::Impl* impl = ImplOf(editline);
  if (!impl->complete) return CC_REFRESH_BEEP;
  const LineInfo* line = el_line(editline);
  std::string_view before(line->buffer, static_cast<size_t>(line->cursor - line->buffer));
  Completion completion = impl->complete(before);
  const std::vector<std::string>& candidates = completion.candidates;
  if (candidates.empty()) return CC_REFRESH_BEEP;
  auto replace_word = [&](const std::string& text) {
    el_deletestr(editline, static_cast<int>(completion.word_length));
    el_insertstr(editline, text.c_str());
  };
  if (candidates.size() == 1) {
    replace_word(candidates[0] + " ");
    return CC_REFRESH;
  }
  size_t common = CommonPrefix(candidates);
  if (common > completion.word_length) {
    replace_word(candidates[0].substr(0, common));
    return CC_REFRESH;
  }
  std::string list = "\n";
  for (const std::string& c : candidates) list += c + "  ";
  list += "\n";
  std::fputs(list.c_str(), stdout);
  std::fflush(stdout);
  return CC_REDISPLAY;
}

}  // namespace

void LineEditor::SetCompletion(CompletionFunction complete) {
  impl_->complete = std::move(complete);
}

void LineEditor::SetInterruptFd(int fd) { impl_->interrupt_fd = fd; }

LineEditor::LineEditor(const std::string& program, std::string history_path)
    : impl_(std::make_unique<Impl>()) {
  impl_->history_path = std::move(history_path);
  HistEvent event;
  impl_->history = history_init();
  history(impl_->history, &event, H_SETSIZE, kHistorySize);
  history(impl_->history, &event, H_SETUNIQUE, 1);
  if (!impl_->history_path.empty()) {
    // A missing file is the normal first run; nothing to report.
    history(impl_->history, &event, H_LOAD, impl_->history_path.c_str());
  }

  // libedit decodes keys, and measures what it draws, by LC_CTYPE, which
  // stays "C" (ASCII: other keys are dropped) unless set. kopf's text is
  // UTF-8, so the user's locale is taken when it is UTF-8, else C.UTF-8.
  // Before el_init, which looks at the locale once.
  if (std::setlocale(LC_CTYPE, "") == nullptr ||
      std::string_view(nl_langinfo(CODESET)) != "UTF-8") {
    std::setlocale(LC_CTYPE, "C.UTF-8");
  }
  impl_->editline = el_init(program.c_str(), stdin, stdout, stderr);
  // A description of its own, so that O_NONBLOCK does not reach the
  // program that shares standard input (the calling shell).
  if (const char* terminal = ttyname(impl_->input_fd); terminal != nullptr) {
    impl_->key_fd = ::open(terminal, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  }
  el_set(impl_->editline, EL_CLIENTDATA, impl_.get());
  el_set(impl_->editline, EL_PROMPT, &PromptCallback);
  el_set(impl_->editline, EL_EDITOR, "emacs");
  // Let libedit restore the terminal when a signal arrives mid-edit (and
  // redraw after a stop or a resize). On SIGINT its handler passes the
  // signal on to interrupt.h's, whose byte ReadKey then finds.
  el_set(impl_->editline, EL_SIGNAL, 1);
  el_wset(impl_->editline, EL_GETCFN, &ReadKey);
  el_set(impl_->editline, EL_HIST, history, impl_->history);
  // The wide form: el_set would convert both strings into copies that
  // libedit never frees; el_wset keeps pointers to these literals.
  el_wset(impl_->editline, EL_ADDFN, L"kopf-complete", L"complete a word", &CompleteCallback);
  el_set(impl_->editline, EL_BIND, "^I", "kopf-complete", nullptr);
  el_source(impl_->editline, nullptr);  // the user's ~/.editrc, if any
}

LineEditor::~LineEditor() {
  Save();
  el_end(impl_->editline);
  history_end(impl_->history);
  if (impl_->key_fd >= 0) ::close(impl_->key_fd);
}

LineEditor::ReadStatus LineEditor::ReadLine(std::string_view prompt, std::string* line) {
  impl_->prompt = std::string(prompt);
  impl_->interrupted = false;
  // The terminal goes raw (libedit draws and echoes) before the prompt
  // shows; el_gets alone would switch only after drawing it, and keys typed
  // at a prompt already on screen would meet the terminal's own line mode
  // (echoed twice, and a Ctrl-C would lose them with no line returned).
  el_set(impl_->editline, EL_PREP_TERM, 1);
  int count = 0;
  const char* text = el_gets(impl_->editline, &count);
  if (impl_->interrupted) return ReadStatus::kInterrupted;
  if (text == nullptr || count <= 0) return ReadStatus::kEnd;
  line->assign(text, static_cast<size_t>(count));
  while (!line->empty() && (line->back() == '\n' || line->back() == '\r')) line->pop_back();
  return ReadStatus::kLine;
}

void LineEditor::AddHistory(std::string_view line) {
  if (line.find_first_not_of(" \t") == std::string_view::npos) return;
  HistEvent event;
  std::string text(line);
  history(impl_->history, &event, H_ENTER, text.c_str());
}

void LineEditor::Save() {
  if (impl_->history_path.empty()) return;
  HistEvent event;
  // The history holds whatever was typed, secrets included: keep it private.
  mode_t old_mask = umask(077);
  history(impl_->history, &event, H_SAVE, impl_->history_path.c_str());
  umask(old_mask);
}

std::string DefaultHistoryPath() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    const passwd* entry = getpwuid(getuid());
    home = entry != nullptr ? entry->pw_dir : nullptr;
  }
  if (home == nullptr || *home == '\0') return {};
  return std::string(home) + "/.kopf_history";
}

}  // namespace kopf::shell
