#include "tools/kopf/line_editor.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include <histedit.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kopf::shell {

struct LineEditor::Impl {
  EditLine* editline = nullptr;
  History* history = nullptr;
  std::string history_path;
  std::string prompt;  // what PromptCallback shows; set by ReadLine
  LineEditor::CompletionFunction complete;
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

  impl_->editline = el_init(program.c_str(), stdin, stdout, stderr);
  el_set(impl_->editline, EL_CLIENTDATA, impl_.get());
  el_set(impl_->editline, EL_PROMPT, &PromptCallback);
  el_set(impl_->editline, EL_EDITOR, "emacs");
  // Let libedit restore the terminal when a signal arrives mid-edit.
  el_set(impl_->editline, EL_SIGNAL, 1);
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
}

LineEditor::ReadStatus LineEditor::ReadLine(std::string_view prompt, std::string* line) {
  impl_->prompt = std::string(prompt);
  int count = 0;
  errno = 0;
  const char* text = el_gets(impl_->editline, &count);
  if (text == nullptr || count <= 0) {
    // el_gets gives up on a read that a signal interrupted (the SIGINT
    // handler is installed without SA_RESTART for this purpose).
    return count < 0 && errno == EINTR ? ReadStatus::kInterrupted : ReadStatus::kEnd;
  }
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
