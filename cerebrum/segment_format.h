// The on-disk layout of a table, shared by the segment writer and the
// recovery reader. cerebrum/README.md describes it for people.
//
//   DATA_DIR/tables/<encoded name>/schema.csv         column definitions
//   DATA_DIR/tables/<encoded name>/manifest.csv       the live files, in order
//   DATA_DIR/tables/<encoded name>/snapshot-<seq>.csv  live rows at commit <seq>
//   DATA_DIR/tables/<encoded name>/segment-000001.csv  the table's lines
//
// manifest.csv is a CSV file with the header `kind,file` and one record per
// live file, oldest first: at most one `snapshot` and then one or more
// `segment`s (see segment_set.h). A folder without it (older data) is read
// as its segment files in number order.
//
// A snapshot has the same header as a segment and holds every live row as a
// `put` line with the snapshot's commit number, then that commit's `commit`
// line.
//
// Every segment is a CSV file (RFC 4180, see csv_format.h) whose header is
//   _seq,_op[,_rowid],<column 1>,...,<column n>
// and whose records are, for a commit with sequence number S:
//   S,put[,rowid],v1,...,vn      the full new image of a row
//   S,del[,rowid],k1,...         a tombstone: key columns set, others empty
//   S,commit[,],,...,            the commit is complete
// A partition of a partitioned table (a sub-folder of the table's folder,
// same layout) may also hold:
//   S,commit:0:3[,],,...,        this part of commit S is complete; the
//                                commit has parts in partitions 0 and 3 and
//                                is applied only if every part is present
//   S,abort[,],,...,             this partition's part of commit S is void
//                                (written at start-up for a torn commit)
// `_rowid` exists only for tables without a primary key. Lines of one
// commit are contiguous; recovery applies a commit only when its `commit`
// line is present, so a statement is atomic across a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace kopf::cerebrum {

inline constexpr std::string_view kTablesFolder = "tables";
inline constexpr std::string_view kSchemaFileName = "schema.csv";
inline constexpr std::string_view kSegmentPrefix = "segment-";
inline constexpr std::string_view kSegmentSuffix = ".csv";
inline constexpr std::string_view kSnapshotPrefix = "snapshot-";
inline constexpr std::string_view kManifestFileName = "manifest.csv";
inline constexpr std::string_view kManifestHeader = "kind,file";
inline constexpr std::string_view kManifestSnapshot = "snapshot";
inline constexpr std::string_view kManifestSegment = "segment";
// Suffix of a file being written that is renamed into place when complete.
inline constexpr std::string_view kTempSuffix = ".tmp";
// Infix of a damaged tail saved aside by `kopfd --repair`.
inline constexpr std::string_view kDamagedInfix = ".damaged-";

// Names of the bookkeeping columns at the front of every segment line.
inline constexpr std::string_view kSeqColumn = "_seq";
inline constexpr std::string_view kOpColumn = "_op";
inline constexpr std::string_view kRowIdColumn = "_rowid";

// Values of the _op column.
inline constexpr std::string_view kOpPut = "put";
inline constexpr std::string_view kOpDelete = "del";
inline constexpr std::string_view kOpCommit = "commit";
// A multi-part commit's line: kOpCommit, then ':' and a partition number
// for every partition the commit touched.
inline constexpr char kOpPartSeparator = ':';
inline constexpr std::string_view kOpAbort = "abort";

// Folder entries starting with this are work in progress (a table being
// created or dropped) and are removed at start-up.
inline constexpr std::string_view kTransientPrefix = ".";

inline std::string SegmentFileName(uint64_t number) {
  return fmt::format("{}{:06}{}", kSegmentPrefix, number, kSegmentSuffix);
}

inline std::string SnapshotFileName(uint64_t seq) {
  return fmt::format("{}{:012}{}", kSnapshotPrefix, seq, kSegmentSuffix);
}

}  // namespace kopf::cerebrum
