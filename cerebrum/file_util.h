// Small POSIX file helpers for the storage layer: durable renames, fsync of
// folders, atomic whole-file replacement, and file-name-safe encoding of
// table names. All failures come back as a Status naming the path and errno
// (see ErrnoStatus).
//
// Thread-safety: free functions without shared state.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "protocol/status.h"

namespace kopf::cerebrum {

// fsync of a directory, making renames and creations inside it durable.
protocol::Status SyncDirectory(const std::filesystem::path& dir);

// Writes `contents` to `path` atomically: temp file, fsync, rename over
// `path`, fsync of the folder. After a crash either the old or the new file
// is there, never a mix.
protocol::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents);

// Reads a whole (small) file.
protocol::Result<std::string> ReadWholeFile(const std::filesystem::path& path);

// Encodes a table name as a folder name: [A-Za-z0-9_-] kept, every other
// byte as %XX. DecodeFileName reverses it (empty optional-like "" on a bad
// escape).
std::string EncodeFileName(std::string_view name);
std::string DecodeFileName(std::string_view encoded);

// "<what> <path>: <strerror(errno)>" as kIoError; kDiskFull "...: no space
// left on device" for ENOSPC and EDQUOT, kReadOnly "...: read-only file
// system" for EROFS.
protocol::Status ErrnoStatus(std::string_view what, const std::filesystem::path& path);

}  // namespace kopf::cerebrum
