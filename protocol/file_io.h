// File helpers shared by the storage layer (cerebrum/file_util.h re-exports
// them) and the users file (users_file.h), which may not depend on cerebrum/:
// errno as a typed Status, fsync of a folder, and atomic whole-file
// replacement.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string_view>

#include "protocol/status.h"

namespace kopf::protocol {

// "<what> <path>: <strerror(errno)>" as kIoError; kDiskFull "...: no space
// left on device" for ENOSPC and EDQUOT, kReadOnly "...: read-only file
// system" for EROFS.
Status ErrnoStatus(std::string_view what, const std::filesystem::path& path);

// fsync of a directory, making renames and creations inside it durable.
Status SyncDirectory(const std::filesystem::path& dir);

// Writes `contents` to `path` atomically: a temp file beside it (`path` +
// ".tmp", created with `mode`, so a secret is never readable by others),
// fsync, rename over `path`, fsync of the folder. After a crash either the
// old or the new file is there, never a mix.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents,
                           mode_t mode = 0644);

}  // namespace kopf::protocol
