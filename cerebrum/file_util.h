// Small POSIX file helpers for the storage layer: durable renames, fsync of
// folders, atomic whole-file replacement, and file-name-safe encoding of
// table names. All failures come back as a Status naming the path and errno
// (see ErrnoStatus). The first three live in protocol/file_io.h, shared with
// the users file, and are re-exported here.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "protocol/file_io.h"
#include "protocol/status.h"

namespace kopf::cerebrum {

// SyncDirectory, WriteFileAtomically (mode 0644 unless asked) and
// ErrnoStatus: see protocol/file_io.h.
using protocol::ErrnoStatus;
using protocol::SyncDirectory;
using protocol::WriteFileAtomically;

// Reads a whole (small) file.
protocol::Result<std::string> ReadWholeFile(const std::filesystem::path& path);

// Encodes a table name as a folder name: [A-Za-z0-9_-] kept, every other
// byte as %XX. DecodeFileName reverses it (empty optional-like "" on a bad
// escape).
std::string EncodeFileName(std::string_view name);
std::string DecodeFileName(std::string_view encoded);

}  // namespace kopf::cerebrum
