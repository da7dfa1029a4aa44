// How a physical line is recovered exactly from io::LineReader.
//
// LineReader::next_line() returns a pointer into its buffer with the line's
// "\n" (or the end of the file) overwritten by a NUL, and a "\r" just before
// it overwritten by a NUL too. So the text is the C string at the pointer,
// and a stripped "\r" shows as a second NUL right after it. That reading is
// only sound while the file holds no NUL byte of its own, and the reader
// must also know where each line ends to count byte offsets. Hence:
//
// 1. Bytes reach LineReader through our own FileState, which notes whether
//    any NUL byte was read, how many bytes were read, whether the file is
//    exhausted, and the last byte read.
// 2. Fast path (no NUL seen): the line is strlen() bytes; it ended with
//    "\r\n" if the byte after the first NUL is NUL too; at the end of the
//    file the last byte read tells "\n" from a lone "\r", and no byte left
//    means no line break at all (a torn line).
// 3. Every line is checked against the next one: the next line must start
//    right after this one's line break (or one parser block earlier, when
//    LineReader has shifted its buffer down), and the last line must end at
//    the end of the file.
// 4. If a NUL was seen or the check fails, the line's true length follows
//    from where the next line starts (or from the file size), and its exact
//    bytes are read again with pread().
#include "cerebrum/csv_reader.h"

// csv.h copies file names with strncpy into fixed buffers, which g++ warns
// about once inlined; the truncation is intended there.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#include <csv.h>
#pragma GCC diagnostic pop
#include <cerrno>
#include <cstring>
#include <new>
#include <string_view>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

namespace kopf::cerebrum {

using protocol::Result;
using protocol::Status;

namespace {

// io::LineReader's block_len (private there): it buffers 3 blocks, shifts
// its buffer down by one block at a time, and rejects a line whose bytes,
// "\n" included, exceed one block.
constexpr intptr_t kParserBlockBytes = intptr_t{1} << 24;
static_assert(kMaxPhysicalLineBytes == kParserBlockBytes);

std::string ErrnoText(int err) { return std::strerror(err); }

}  // namespace

// The file LineReader reads, and what has been seen of it.
class CsvRecordReader::FileState {
 public:
  explicit FileState(int fd) : fd_(fd) {}
  ~FileState() { ::close(fd_); }
  FileState(const FileState&) = delete;
  FileState& operator=(const FileState&) = delete;

  // Fills `buffer` with up to `size` bytes; fewer only at the end of the
  // file. LineReader takes a short count for the end of the file, so a read
  // error is noted here (and reported by the reader) and ends the data.
  int Read(char* buffer, int size) {
    int done = 0;
    while (done < size && !exhausted_) {
      ssize_t got = ::read(fd_, buffer + done, static_cast<size_t>(size - done));
      if (got < 0) {
        if (errno == EINTR) continue;
        error_ = errno;
        exhausted_ = true;
      } else if (got == 0) {
        exhausted_ = true;
      } else {
        done += static_cast<int>(got);
      }
    }
    if (done > 0) {
      if (bytes_read_ == 0) bom_ = done >= 3 && std::memcmp(buffer, kUtf8Bom.data(), 3) == 0;
      if (std::memchr(buffer, '\0', static_cast<size_t>(done)) != nullptr) saw_nul_ = true;
      last_byte_ = buffer[done - 1];
      bytes_read_ += static_cast<uint64_t>(done);
    }
    return done;
  }

  int fd() const { return fd_; }
  int error() const { return error_; }
  bool exhausted() const { return exhausted_; }
  bool saw_nul() const { return saw_nul_; }
  bool bom() const { return bom_; }
  uint64_t bytes_read() const { return bytes_read_; }
  char last_byte() const { return last_byte_; }

 private:
  int fd_;
  int error_ = 0;
  bool exhausted_ = false;
  bool saw_nul_ = false;
  bool bom_ = false;
  uint64_t bytes_read_ = 0;
  char last_byte_ = 0;
};

// The byte source handed to LineReader. LineReader destroys it as soon as
// its first read reaches the end of the file, so it only forwards to the
// FileState the reader owns.
class CsvRecordReader::ForwardingSource final : public io::ByteSourceBase {
 public:
  explicit ForwardingSource(FileState* file) : file_(file) {}
  int read(char* buffer, int size) override { return file_->Read(buffer, size); }

 private:
  FileState* file_;
};

CsvRecordReader::CsvRecordReader(std::filesystem::path path) : path_(std::move(path)) {}

CsvRecordReader::~CsvRecordReader() = default;

Result<std::unique_ptr<CsvRecordReader>> CsvRecordReader::Open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::IoError(fmt::format("cannot open {}: {}", path.string(), ErrnoText(errno)));
  }
  std::unique_ptr<CsvRecordReader> reader(new CsvRecordReader(path));
  reader->source_ = std::make_unique<FileState>(fd);
  try {
    // The constructor allocates the buffers and reads the first two blocks.
    reader->lines_ = std::make_unique<io::LineReader>(
        path.string(), std::make_unique<ForwardingSource>(reader->source_.get()));
  } catch (const std::bad_alloc&) {
    return Status::Internal(fmt::format("out of memory opening {}", path.string()));
  } catch (const io::error::base& e) {
    return Status::IoError(fmt::format("cannot read {}: {}", path.string(), e.what()));
  }
  if (reader->source_->error() != 0) {
    return Status::IoError(
        fmt::format("cannot read {}: {}", path.string(), ErrnoText(reader->source_->error())));
  }
  reader->offset_ = reader->source_->bom() ? 3 : 0;
  return reader;
}

Status CsvRecordReader::Fetch() {
  try {
    pending_ = lines_->next_line();
  } catch (const io::error::line_length_limit_exceeded&) {
    pending_ = nullptr;
    return Status::Corruption(fmt::format("{} line {}: a physical line is longer than {} bytes",
                                          path_.string(), lines_taken_ + 2, kMaxPhysicalLineBytes));
  } catch (const io::error::base& e) {
    pending_ = nullptr;
    return Status::IoError(fmt::format("{}: {}", path_.string(), e.what()));
  }
  if (source_->error() != 0) {
    pending_ = nullptr;
    return Status::IoError(
        fmt::format("cannot read {}: {}", path_.string(), ErrnoText(source_->error())));
  }
  return Status::Ok();
}

Status CsvRecordReader::TakeLine(std::string* record, LineInfo* info) {
  const char* line = pending_;
  const size_t n = std::strlen(line);
  const uint64_t start = offset_;
  const bool trusted = !source_->saw_nul();
  bool cr = false;
  bool lf = true;
  if (trusted) {
    const uint64_t total = source_->bytes_read();
    if (source_->exhausted() && start + n == total) {
      lf = false;
    } else if (source_->exhausted() && start + n + 1 == total) {
      if (source_->last_byte() == '\r') {
        cr = true;
        lf = false;
      }
    } else if (line[n + 1] == '\0') {
      // Bytes follow this line's first NUL, so line[n + 1] is data: either
      // the next line's first byte (never NUL here) or the "\n" LineReader
      // overwrote after the "\r" it overwrote.
      cr = true;
    }
  }
  const size_t mark = record->size();
  record->append(line, n);
  KOPF_RETURN_IF_ERROR(Fetch());  // `line` may be overwritten from here on

  uint64_t length = n + (cr ? 1 : 0) + (lf ? 1 : 0);
  const auto at = [](const char* p) { return reinterpret_cast<intptr_t>(p); };
  bool consistent;
  if (pending_ != nullptr) {
    const intptr_t next = at(line) + static_cast<intptr_t>(length);
    consistent = lf && (at(pending_) == next || at(pending_) + kParserBlockBytes == next);
  } else {
    consistent = source_->exhausted() && start + length == source_->bytes_read();
  }
  if (!trusted || !consistent) {
    if (pending_ != nullptr) {
      intptr_t d = at(pending_) - at(line);
      if (d <= 0) d += kParserBlockBytes;  // the buffer shifted down a block
      length = static_cast<uint64_t>(d);
    } else if (source_->exhausted() && source_->bytes_read() >= start + n) {
      length = source_->bytes_read() - start;
    } else {
      length = 0;
    }
    if (length < n || length > kMaxPhysicalLineBytes) {
      return Status::Internal(fmt::format("{} line {}: lost track of line boundaries",
                                          path_.string(), lines_taken_ + 1));
    }
    scratch_.resize(length);
    size_t got = 0;
    while (got < length) {
      ssize_t r = ::pread(source_->fd(), scratch_.data() + got, length - got,
                          static_cast<off_t>(start + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        return Status::IoError(fmt::format("cannot re-read {} at offset {}: {}", path_.string(),
                                           start + got, r < 0 ? ErrnoText(errno) : "file shrank"));
      }
      got += static_cast<size_t>(r);
    }
    std::string_view text = scratch_;
    lf = text.ends_with('\n');
    if (lf) text.remove_suffix(1);
    cr = text.ends_with('\r');
    if (cr) text.remove_suffix(1);
    if (pending_ != nullptr && !lf) {
      return Status::Internal(fmt::format("{} line {}: lost track of line boundaries",
                                          path_.string(), lines_taken_ + 1));
    }
    record->resize(mark);
    record->append(text);
  }
  offset_ = start + length;
  ++lines_taken_;
  info->cr = cr;
  info->lf = lf;
  return Status::Ok();
}

Result<bool> CsvRecordReader::Next(std::string* record, uint64_t* first_line) {
  if (!error_.ok()) return error_;
  Result<bool> result = NextImpl(record, first_line);
  if (!result.ok()) error_ = result.status();
  return result;
}

// Assembles one record: take physical lines while the record ends inside a
// quoted field, putting back the line breaks (and a "\r" before them) that
// belong to the data.
Result<bool> CsvRecordReader::NextImpl(std::string* record, uint64_t* first_line) {
  if (!started_) {
    started_ = true;
    KOPF_RETURN_IF_ERROR(Fetch());
  }
  if (pending_ == nullptr) return false;
  record->clear();
  scanner_.Reset();
  torn_ = false;
  record_start_ = offset_;
  *first_line = lines_taken_ + 1;
  while (true) {
    LineInfo info;
    const size_t mark = record->size();
    KOPF_RETURN_IF_ERROR(TakeLine(record, &info));
    scanner_.Scan(std::string_view(*record).substr(mark));
    const bool in_quotes = scanner_.in_quoted_field();
    if (info.cr && in_quotes) record->push_back('\r');
    if (!info.lf) {
      torn_ = true;  // the file ends without a final "\n"
      break;
    }
    if (!in_quotes) break;
    record->push_back('\n');
    if (pending_ == nullptr) {
      torn_ = true;  // the file ends inside a quoted field
      break;
    }
  }
  record_end_ = offset_;
  return true;
}

}  // namespace kopf::cerebrum
