// Shared by backup.cc (writing backups) and backup_manifest.cc (verifying
// them); not part of the backup interface.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstdint>
#include <filesystem>

#include "protocol/status.h"

namespace kopf::cerebrum {

class Sha256;

// Reads the first `bytes` of the open file `src` (named `src_path` in
// errors) into `sha`, and writes them to `dst` too unless it is negative,
// handing the copy to the disk in steady batches. kIoError when a read or
// write fails or `src` is shorter than `bytes`.
protocol::Status HashAndCopy(int src, const std::filesystem::path& src_path, uint64_t bytes,
                             Sha256* sha, int dst = -1,
                             const std::filesystem::path& dst_path = {});

}  // namespace kopf::cerebrum
