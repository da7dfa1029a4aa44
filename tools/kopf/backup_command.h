// `kopf backup`: taking and checking backups from the command line.
//
//   kopf [-h HOST] [-p PORT] [-U USER] [-d URL] backup --to DIR
//                                              asks the server for BACKUP TO 'DIR'
//   kopf backup --verify DIR                   checks a backup folder offline
//
// --to prints the folder, commit number, file count and size the server
// reports. --verify needs no server: it re-reads every file the backup's
// backup.csv lists, checks its size and SHA-256, that nothing else is in
// the folder and that each table's manifest.csv agrees
// (cerebrum::VerifyBackup), prints every problem, and on success records
// the check in the folder's verified.csv (shown by SHOW BACKUPS).
//
// Exit status: 0 on success; 1 when the backup failed, the folder is
// damaged or the arguments are wrong; 2 when the server cannot be reached.
//
// Thread-safety: runs on the main thread only.
#pragma once

#include <iosfwd>
#include <optional>

namespace kopf::shell {

// When the command line's first word that is not an option (or the value
// of -h/-p) is "backup", runs the backup command and returns its exit
// status; otherwise returns nothing and the shell runs as usual.
std::optional<int> RunBackupCommandIfAsked(int argc, char** argv, std::ostream& out,
                                           std::ostream& err);

}  // namespace kopf::shell
