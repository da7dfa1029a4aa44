// ServerConfig: every setting of kopfd in one validated struct, read from
// the command line by brainstem/main.cc (the only place that reads
// configuration), then handed to each layer as its own Options by value.
//
//   flag                  default      bounds
//   --host ADDR           127.0.0.1    an IPv4 or IPv6 address
//   --port N              5433         0..65535; 0 = a free port
//   --data DIR            ./data       created if missing
//   --workers N           4            1..1024 statement threads
//   --io-threads N        1            1..16 network threads
//   --max-frame-bytes N   16777216     64..1073741824
//   --max-queued-bytes N  67108864     >= 1048576 (responses buffered per client)
//   --no-sync                          skip fsync per commit
//   --backup-dir DIR      (none)       where BACKUP TO writes; none = refused
//   --backup-schedule CRON (none)      5 cron fields; needs --backup-dir
//   --backup-keep N       7            0..100000 scheduled backups kept, 0 = all
//   --help
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "brainstem/backup_scheduler.h"
#include "brainstem/options.h"
#include "cerebellum/engine.h"
#include "cerebrum/options.h"
#include "protocol/status.h"

namespace kopf::brainstem {

struct ServerConfig {
  Options server;              // listener and session limits
  cerebellum::Options engine;  // worker pool
  cerebrum::Options storage;   // data directory, durability, backup_dir
  BackupScheduleOptions backups;  // scheduled backups
};

struct CommandLine {
  bool help = false;  // --help: print Usage() and exit 0
  ServerConfig config;
};

// Parses the arguments after the program name. Flags take their value as
// the next argument or after '=' (--port=0). Fails with kInvalidValue naming
// the flag for an unknown flag, a missing value or a value out of bounds.
protocol::Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// The --help text.
std::string Usage();

}  // namespace kopf::brainstem
