#include "cerebellum/executor/copy_csv.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cerebrum/csv_format.h"
#include "cerebrum/file_util.h"

namespace kopf::cerebellum {

namespace fs = std::filesystem;
using protocol::Result;
using protocol::Status;
using protocol::Type;
using protocol::Value;

namespace {

using cerebrum::kUtf8Bom;
// Bytes read per refill, and the writer's buffer: large enough that system
// calls do not show in a profile, small enough to stay in cache.
constexpr size_t kIoChunkBytes = size_t{1} << 20;

}  // namespace

// ---- Reader -----------------------------------------------------------------

CopyCsvReader::CopyCsvReader(Source source, const ast::CopyOptions& options)
    : source_(std::move(source)),
      delimiter_(options.delimiter),
      quote_(options.quote),
      buffer_(kIoChunkBytes) {}

CopyCsvReader::~CopyCsvReader() = default;

Result<std::unique_ptr<CopyCsvReader>> CopyCsvReader::Open(const fs::path& path,
                                                           const ast::CopyOptions& options) {
  // The path is canonical (ConfineCopyPath): a symlink here was put in
  // place after the check, so refuse to follow it.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return cerebrum::ErrnoStatus("cannot open", path);
  // The source owns the descriptor and closes it with the reader.
  auto owned = std::shared_ptr<int>(new int(fd), [](int* p) {
    ::close(*p);
    delete p;
  });
  Source source = [owned](char* dest, size_t capacity) -> Result<size_t> {
    while (true) {
      ssize_t n = ::read(*owned, dest, capacity);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::IoError(fmt::format("COPY: read failed: {}", std::strerror(errno)));
      return static_cast<size_t>(n);
    }
  };
  return std::make_unique<CopyCsvReader>(std::move(source), options);
}

Status CopyCsvReader::Refill() {
  if (pos_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  if (end_ == buffer_.size()) {
    if (buffer_.size() >= kMaxRecordBytes) {
      return Status::InvalidValue(
          fmt::format("line {}: record longer than {} bytes", next_line_, kMaxRecordBytes));
    }
    buffer_.resize(buffer_.size() * 2);
  }
  KOPF_ASSIGN_OR_RETURN(size_t n, source_(buffer_.data() + end_, buffer_.size() - end_));
  if (n == 0) eof_ = true;
  end_ += n;
  return Status::Ok();
}

Result<bool> CopyCsvReader::Next(std::vector<CopyField>* fields) {
  if (!started_) {
    while (!eof_ && end_ < kUtf8Bom.size()) KOPF_RETURN_IF_ERROR(Refill());
    if (std::string_view(buffer_.data(), end_).starts_with(kUtf8Bom)) pos_ = kUtf8Bom.size();
    started_ = true;
  }
  while (true) {
    if (pos_ == end_ && eof_) return false;
    KOPF_ASSIGN_OR_RETURN(bool complete, ParseRecord(fields));
    if (complete) return true;
    KOPF_RETURN_IF_ERROR(Refill());
  }
}

// One pass finds the fields and the record's end; only when the record is
// complete are doubled quotes undone, in place (the text only shrinks), so
// a record cut by the end of the buffer can be parsed again after a refill.
Result<bool> CopyCsvReader::ParseRecord(std::vector<CopyField>* fields) {
  const char* b = buffer_.data();
  size_t i = pos_;
  uint64_t inner_lines = 0;  // line breaks inside quoted fields
  fields->clear();
  escaped_.clear();
  // `done`: the field in question is already in `fields`.
  auto error = [&](std::string_view what, bool done = false) {
    return Status::InvalidValue(fmt::format("line {}: {} (field {})", next_line_ + inner_lines,
                                            what, fields->size() + (done ? 0 : 1)));
  };
  while (true) {
    if (i < end_ && b[i] == quote_) {
      const size_t open = i;
      size_t j = i + 1;
      bool doubled = false;
      size_t close;
      while (true) {
        const void* q = std::memchr(b + j, quote_, end_ - j);
        if (q == nullptr) {
          if (!eof_) return false;
          return error("unterminated quoted field");
        }
        size_t k = static_cast<size_t>(static_cast<const char*>(q) - b);
        if (k + 1 == end_ && !eof_) return false;  // "" or the end? read on
        if (k + 1 < end_ && b[k + 1] == quote_) {
          doubled = true;
          j = k + 2;
          continue;
        }
        close = k;
        break;
      }
      inner_lines += static_cast<uint64_t>(std::count(b + open + 1, b + close, '\n'));
      if (doubled) escaped_.push_back(fields->size());
      fields->push_back({std::string_view(b + open + 1, close - open - 1), true});
      i = close + 1;
    } else {
      size_t j = i;
      for (; j < end_; ++j) {
        const char c = b[j];
        if (c == delimiter_ || c == '\n') break;
        if (c == '\r') {
          if (j + 1 == end_ && !eof_) return false;
          if (j + 1 == end_ || b[j + 1] == '\n') break;
          continue;  // a lone CR is data
        }
        if (c == quote_) return error("quote inside an unquoted field (quote the whole field)");
      }
      if (j == end_ && !eof_) return false;
      fields->push_back({std::string_view(b + i, j - i), false});
      i = j;
    }
    // After a field: a delimiter, the end of the record, or the end of file.
    if (i == end_) {
      if (!eof_) return false;
      break;
    }
    const char c = b[i];
    if (c == delimiter_) {
      ++i;
      continue;
    }
    if (c == '\n') {
      ++i;
      break;
    }
    if (c == '\r') {
      if (i + 1 == end_ && !eof_) return false;
      if (i + 1 == end_) {
        ++i;
        break;
      }
      if (b[i + 1] == '\n') {
        i += 2;
        break;
      }
    }
    return error("text after the closing quote of a field", /*done=*/true);
  }
  record_line_ = next_line_;
  next_line_ += inner_lines + 1;
  pos_ = i;
  for (size_t f : escaped_) {
    CopyField& field = (*fields)[f];
    char* out = buffer_.data() + (field.text.data() - b);
    const char* in = field.text.data();
    const char* stop = in + field.text.size();
    char* start = out;
    while (in < stop) {
      *out++ = *in;
      in += *in == quote_ ? 2 : 1;  // a quote inside is always doubled
    }
    field.text = std::string_view(start, static_cast<size_t>(out - start));
  }
  return true;
}

// ---- Writer -----------------------------------------------------------------

CopyCsvWriter::CopyCsvWriter(fs::path path, fs::path temp, int fd, const ast::CopyOptions& options)
    : path_(std::move(path)), temp_(std::move(temp)), fd_(fd), encoder_(options) {
  buffer_.reserve(kIoChunkBytes + 4096);
}

CopyCsvWriter::~CopyCsvWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_) ::unlink(temp_.c_str());
}

Result<std::unique_ptr<CopyCsvWriter>> CopyCsvWriter::Create(const fs::path& path,
                                                             const ast::CopyOptions& options) {
  std::string pattern = (path.parent_path() / ("." + path.filename().string() + ".copy-XXXXXX"));
  int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) return cerebrum::ErrnoStatus("cannot create a file beside", path);
  ::fchmod(fd, 0644);  // mkstemp's 0600 would hide the export from its reader
  return std::unique_ptr<CopyCsvWriter>(new CopyCsvWriter(path, pattern, fd, options));
}

void CopyCsvEncoder::AppendField(std::string_view text, bool force_quotes, std::string* out) const {
  bool quote = force_quotes || text.starts_with(kUtf8Bom);
  for (size_t i = 0; i < text.size() && !quote; ++i) {
    const char c = text[i];
    quote = c == options_.delimiter || c == options_.quote || c == '\r' || c == '\n';
  }
  if (!quote) {
    out->append(text);
    return;
  }
  out->push_back(options_.quote);
  for (char c : text) {
    out->push_back(c);
    if (c == options_.quote) out->push_back(c);
  }
  out->push_back(options_.quote);
}

void CopyCsvEncoder::AppendValue(const Value& v, std::string* out) const {
  switch (v.type()) {
    case Type::kNull:
      out->append(options_.null_text);
      return;
    case Type::kInteger: {
      char digits[24];
      auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), v.as_integer());
      std::string_view text(digits, static_cast<size_t>(end - digits));
      AppendField(text, text == options_.null_text, out);
      return;
    }
    case Type::kDouble: {
      std::string text = v.ToString();
      AppendField(text, text == options_.null_text, out);
      return;
    }
    case Type::kText:
      AppendField(v.as_text(), v.as_text() == options_.null_text, out);
      return;
    case Type::kBoolean: {
      std::string_view text = v.as_boolean() ? "true" : "false";
      AppendField(text, text == options_.null_text, out);
      return;
    }
  }
}

void CopyCsvEncoder::AppendNames(const std::vector<std::string>& names, std::string* out) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out->push_back(options_.delimiter);
    AppendField(names[i], names[i] == options_.null_text, out);
  }
  out->push_back('\n');
}

void CopyCsvEncoder::AppendRow(const protocol::Row& row, const std::vector<size_t>& columns,
                               std::string* out) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out->push_back(options_.delimiter);
    AppendValue(row[columns[i]], out);
  }
  out->push_back('\n');
}

void CopyCsvEncoder::AppendRow(const protocol::Row& row, std::string* out) const {
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out->push_back(options_.delimiter);
    AppendValue(row[i], out);
  }
  out->push_back('\n');
}

Status CopyCsvWriter::FlushIfFull() {
  if (buffer_.size() >= kIoChunkBytes) return Flush();
  return Status::Ok();
}

Status CopyCsvWriter::WriteNames(const std::vector<std::string>& names) {
  encoder_.AppendNames(names, &buffer_);
  return FlushIfFull();
}

Status CopyCsvWriter::WriteRow(const protocol::Row& row, const std::vector<size_t>& columns) {
  encoder_.AppendRow(row, columns, &buffer_);
  return FlushIfFull();
}

Status CopyCsvWriter::Flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return cerebrum::ErrnoStatus("cannot write", temp_);
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
  return Status::Ok();
}

Status CopyCsvWriter::Finish() {
  KOPF_RETURN_IF_ERROR(Flush());
  if (::fsync(fd_) != 0) return cerebrum::ErrnoStatus("cannot fsync", temp_);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return cerebrum::ErrnoStatus("cannot close", temp_);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    return cerebrum::ErrnoStatus("cannot rename into place", path_);
  }
  finished_ = true;
  return cerebrum::SyncDirectory(path_.parent_path());
}

}  // namespace kopf::cerebellum
