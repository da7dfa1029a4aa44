// ServerConfig: every setting of kopfd in one validated struct, read by
// brainstem/main.cc (the only place that reads configuration) from an
// optional config file and the command line, then handed to each layer as
// its own Options by value.
//
// Every setting is one entry of the table in server_config.cc: a key
// (`max_frame_bytes`) that is also a flag (`--max-frame-bytes`), its value's
// name, default, bounds and a parser. The config file, the flags and
// --help all come from that table; adding a setting is adding an entry.
// `kopfd --help` and kopfd.conf.example (at the top of the repository)
// list them all.
//
// Config file (--config FILE): one `key = value` per line; `#` starts a
// comment (values cannot contain it); blank lines are ignored; spaces
// around keys and values are trimmed. Unknown keys, bad values and a key
// given twice are errors naming the file and line. Flags override the file,
// wherever --config stands among them. Relative paths in the file are
// relative to the working directory, as on the command line. kopfd reads
// no file unless told to (not even DATA/kopfd.conf): `data` is itself a
// setting, and a data directory copied elsewhere (a backup) should not bring
// a port or a sync mode along unnoticed.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
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
  cerebrum::Options storage;   // data directory, durability, storage mode, backup_dir
  BackupScheduleOptions backups;  // scheduled backups
  // The users file (brainstem/auth.h). Empty: DATA/users.csv when it
  // exists, else authentication is off and only loopback hosts are allowed.
  std::filesystem::path users_file;
};

struct CommandLine {
  bool help = false;                  // --help: print Usage() and exit 0
  std::filesystem::path config_file;  // --config FILE, empty when none
  ServerConfig config;
};

// Parses the arguments after the program name: reads the --config file
// first (if any), then applies the flags over it. Flags take their value as
// the next argument or after '=' (--port=0). Fails with kInvalidValue for an
// unknown flag, a missing value, a value out of bounds (naming the flag), an
// unreadable config file, or any error in it (naming file and line).
protocol::Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// Applies the `key = value` lines of `text` to *config. `file_name` starts
// every error message: "FILE:LINE: port: 70000 is out of range (0..65535)".
// kInvalidValue for unknown keys, bad values, duplicate keys and lines
// without '='.
protocol::Status ApplyConfigText(std::string_view text, std::string_view file_name,
                                 ServerConfig* config);

// The --help text, listing every setting with its default and bounds.
std::string Usage();

}  // namespace kopf::brainstem
