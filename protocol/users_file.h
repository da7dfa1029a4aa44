// The users file: who may connect to kopfd, with which role, and the SCRAM
// credentials that check their password (protocol/auth.h). kopfd reads it;
// `kopf user` edits it offline. Both link this file pair, which is why it
// lives beside the SCRAM code rather than in brainstem/.
//
// Format (CSV, RFC 4180 subset: no field needs quoting), one user a line
// after a fixed header line:
//
//   user,role,salt,iterations,stored_key,server_key
//   alice,admin,<base64>,4096,<base64>,<base64>
//
// `role` is a RoleName ("read-only", "read-write", "admin"); salt and keys
// are base64; stored_key and server_key are 32 bytes each. A user name is
// 1..64 characters from [A-Za-z0-9_.@-], so it never needs quoting and is
// the same in every log. Lines end with "\n"; a trailing "\r" is accepted.
//
// Thread-safety: plain values and free functions; writers of one file must
// not run concurrently (the last rename wins).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "protocol/auth.h"
#include "protocol/role.h"
#include "protocol/status.h"

namespace kopf::protocol {

// The header line every users file starts with.
inline constexpr std::string_view kUsersFileHeader =
    "user,role,salt,iterations,stored_key,server_key";
// The users file inside a data directory when kopfd gets no --users flag.
inline constexpr std::string_view kDefaultUsersFileName = "users.csv";

struct UserRecord {
  Role role = Role::kReadOnly;
  scram::Credentials credentials;
  bool operator==(const UserRecord&) const = default;
};

// Users by name, in name order (the order the file is written in).
using UserTable = std::map<std::string, UserRecord, std::less<>>;

// OK when `name` is a valid user name (see above); else kInvalidValue
// saying what is wrong with it.
Status ValidateUserName(std::string_view name);

// Parses the contents of a users file. `source` names it in messages. Fails
// with kCorruption naming source:line and the field for a wrong header, a
// wrong number of fields, a bad name, role, base64 or iteration count, or a
// user listed twice.
Result<UserTable> ParseUsersFile(std::string_view text, std::string_view source);

// The file contents for `users`: the header, then one line per user.
std::string FormatUsersFile(const UserTable& users);

// Reads and parses `path`. kIoError when it cannot be read (the message
// names the path and the reason), else as ParseUsersFile.
Result<UserTable> ReadUsersFile(const std::filesystem::path& path);

// Replaces `path` atomically: writes a temporary file beside it with mode
// 0600, fsyncs it, renames it over `path` and fsyncs the directory, so a
// reader (or a crash) sees either the old file or the new one. kIoError on
// failure, with the temporary file removed.
Status WriteUsersFile(const std::filesystem::path& path, const UserTable& users);

}  // namespace kopf::protocol
