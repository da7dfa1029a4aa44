#include "tools/kopf/copy_command.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <istream>
#include <ostream>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kopf::shell {

using protocol::Result;
using protocol::Status;

namespace {

// The progress line appears only for a copy still running after this long
// (small files never flash it) and is redrawn at most this often.
constexpr auto kProgressDelay = std::chrono::milliseconds(300);
constexpr auto kProgressInterval = std::chrono::milliseconds(100);
constexpr size_t kReadChunkBytes = 128 * 1024;

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
  return text;
}

// Where the top-level word FROM or TO starts (outside parentheses, quotes
// and double quotes), and which it is; npos when there is none.
size_t FindDirection(std::string_view text, bool* from) {
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == quote) quote = 0;  // a doubled quote closes and reopens
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (depth == 0 && (i == 0 || IsBlank(text[i - 1]) || text[i - 1] == ')')) {
      for (std::string_view word : {"from", "to"}) {
        size_t end = i + word.size();
        if (end <= text.size() && Lower(text.substr(i, word.size())) == word &&
            (end == text.size() || IsBlank(text[end]) || text[end] == '\'')) {
          *from = word == "from";
          return i;
        }
      }
    }
  }
  return std::string_view::npos;
}

std::string HumanBytes(uint64_t bytes) {
  if (bytes < 1000 * 1000) return fmt::format("{:.1f} kB", static_cast<double>(bytes) / 1e3);
  if (bytes < 1000ull * 1000 * 1000) {
    return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
  }
  return fmt::format("{:.2f} GB", static_cast<double>(bytes) / 1e9);
}

Status Errno(std::string_view what, const std::string& file) {
  return Status::IoError(fmt::format("\\copy: {} \"{}\": {}", what, file, std::strerror(errno)));
}

// A file descriptor closed on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

Result<protocol::QueryResult> CopyFromFile(protocol::Client& client, const CopyCommand& command,
                                           std::istream& in, std::ostream& err, bool progress) {
  const std::string sql = command.Sql();
  if (command.standard_stream) {
    CopyProgress bar(err, progress, 0);
    return client.CopyIn(sql, [&](char* buffer, size_t capacity) -> Result<size_t> {
      in.read(buffer, static_cast<std::streamsize>(capacity));
      if (in.bad()) return Status::IoError("\\copy: cannot read standard input");
      size_t n = static_cast<size_t>(in.gcount());
      bar.Add(std::string_view(buffer, n));
      return n;
    });
  }
  Fd fd(::open(command.file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errno("cannot open", command.file);
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return Status::IoError(fmt::format("\\copy: \"{}\" is a directory", command.file));
  }
  uint64_t size = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
  CopyProgress bar(err, progress, size);
  return client.CopyIn(sql, [&](char* buffer, size_t capacity) -> Result<size_t> {
    for (;;) {
      ssize_t n = ::read(fd.get(), buffer, std::min(capacity, kReadChunkBytes));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("cannot read", command.file);
      bar.Add(std::string_view(buffer, static_cast<size_t>(n)));
      return static_cast<size_t>(n);
    }
  });
}

Result<protocol::QueryResult> CopyToFile(protocol::Client& client, const CopyCommand& command,
                                         std::ostream& out, std::ostream& err, bool progress) {
  const std::string sql = command.Sql();
  if (command.standard_stream) {
    // No progress line: it would mix with the data on the terminal.
    return client.CopyOut(sql, [&](std::string_view data) -> Status {
      out.write(data.data(), static_cast<std::streamsize>(data.size()));
      if (!out) return Status::IoError("\\copy: cannot write the output");
      return Status::Ok();
    });
  }
  // A temporary file beside the target, renamed over it on success.
  std::string temp = command.file + ".kopf-copy-XXXXXX";
  Fd fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (fd.get() < 0) return Errno("cannot create a file beside", command.file);
  ::fchmod(fd.get(), 0644);  // mkstemp's 0600 would hide the export
  Status write_error;
  CopyProgress bar(err, progress, 0);
  Result<protocol::QueryResult> result = client.CopyOut(sql, [&](std::string_view data) -> Status {
    bar.Add(data);
    while (!data.empty()) {
      ssize_t n = ::write(fd.get(), data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("cannot write", command.file);
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  });
  bar.Clear();
  if (result.ok() && ::close(fd.release()) != 0) result = Errno("cannot write", command.file);
  if (result.ok() && ::rename(temp.c_str(), command.file.c_str()) != 0) {
    result = Errno("cannot rename the copy into", command.file);
  }
  if (!result.ok()) ::unlink(temp.c_str());
  return result;
}

}  // namespace

std::string CopyCommand::Sql() const {
  std::string sql = fmt::format("COPY {} {}", source, from ? "FROM STDIN" : "TO STDOUT");
  if (!options.empty()) sql += " " + options;
  return sql;
}

Result<CopyCommand> ParseCopyCommand(std::string_view text) {
  constexpr std::string_view kUsage =
      "expected \\copy TABLE [(COLUMNS)] from 'FILE' | stdin [with (OPTIONS)] or "
      "\\copy TABLE | (QUERY) to 'FILE' | stdout [with (OPTIONS)]";
  text = Trim(text);
  CopyCommand command;
  size_t at = FindDirection(text, &command.from);
  if (at == std::string_view::npos) return Status::SyntaxError(fmt::format("\\copy: {}", kUsage));
  command.source = std::string(Trim(text.substr(0, at)));
  if (command.source.empty()) {
    return Status::SyntaxError(fmt::format("\\copy: a table or a (query) must come before {}",
                                           command.from ? "from" : "to"));
  }
  std::string_view rest = Trim(text.substr(at + (command.from ? 4 : 2)));
  if (rest.empty()) {
    return Status::SyntaxError(fmt::format("\\copy: a file name, {} must follow {}",
                                           command.from ? "stdin or pstdin" : "stdout or pstdout",
                                           command.from ? "from" : "to"));
  }
  size_t end = 0;
  if (rest.front() == '\'') {
    // 'FILE', with '' for a quote inside.
    for (end = 1;; ++end) {
      if (end >= rest.size()) return Status::SyntaxError("\\copy: unterminated quoted file name");
      if (rest[end] != '\'') {
        command.file += rest[end];
      } else if (end + 1 < rest.size() && rest[end + 1] == '\'') {
        command.file += '\'';
        ++end;
      } else {
        ++end;
        break;
      }
    }
  } else {
    while (end < rest.size() && !IsBlank(rest[end]) && rest[end] != '(') ++end;
    std::string word(rest.substr(0, end));
    std::string lower = Lower(word);
    if (lower == "program") {
      return Status::NotSupported("\\copy: PROGRAM is not supported; use a file or a pipe");
    }
    bool standard = command.from ? (lower == "stdin" || lower == "pstdin")
                                 : (lower == "stdout" || lower == "pstdout");
    bool wrong_way = command.from ? (lower == "stdout" || lower == "pstdout")
                                  : (lower == "stdin" || lower == "pstdin");
    if (wrong_way) {
      return Status::SyntaxError(fmt::format("\\copy: {} cannot {} {}", word,
                                             command.from ? "be read" : "be written",
                                             command.from ? "from" : "to"));
    }
    command.standard_stream = standard;
    if (!standard) command.file = word;
  }
  if (!command.standard_stream && command.file.empty()) {
    return Status::SyntaxError("\\copy: the file name is empty");
  }
  command.options = std::string(Trim(rest.substr(end)));
  return command;
}

CopyProgress::CopyProgress(std::ostream& err, bool enabled, uint64_t total_bytes)
    : err_(err),
      enabled_(enabled),
      total_bytes_(total_bytes),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void CopyProgress::Add(std::string_view data) {
  bytes_ += data.size();
  rows_ += static_cast<uint64_t>(std::count(data.begin(), data.end(), '\n'));
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - start_ < kProgressDelay || now - last_draw_ < kProgressInterval) return;
  Draw(now);
}

void CopyProgress::Draw(std::chrono::steady_clock::time_point now) {
  last_draw_ = now;
  double seconds = std::chrono::duration<double>(now - start_).count();
  double rate = seconds > 0 ? static_cast<double>(rows_) / seconds : 0;
  std::string line = "\r\x1b[K";
  if (total_bytes_ > 0) {
    constexpr int kWidth = 24;
    double share = std::min(1.0, static_cast<double>(bytes_) / static_cast<double>(total_bytes_));
    int filled = static_cast<int>(share * kWidth);
    line += fmt::format("[{}{}] {:3.0f}%  {} of {}", std::string(filled, '#'),
                        std::string(kWidth - filled, '.'), share * 100, HumanBytes(bytes_),
                        HumanBytes(total_bytes_));
  } else {
    line += fmt::format("{}", HumanBytes(bytes_));
  }
  line += fmt::format("  {} rows  {:.0f} rows/s", rows_, rate);
  err_ << line << std::flush;
  drawn_ = true;
}

void CopyProgress::Clear() {
  if (!drawn_) return;
  err_ << "\r\x1b[K" << std::flush;
  drawn_ = false;
}

Result<protocol::QueryResult> RunCopyCommand(protocol::Client& client, const CopyCommand& command,
                                             std::istream& in, std::ostream& out, std::ostream& err,
                                             bool progress) {
  if (command.from) return CopyFromFile(client, command, in, err, progress);
  return CopyToFile(client, command, out, err, progress);
}

}  // namespace kopf::shell
