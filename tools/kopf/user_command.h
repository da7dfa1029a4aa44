// `kopf user`: edits the users file of a kopf server offline.
//
//   kopf user add NAME [--role ROLE] [--data DIR | --users FILE] [--password-stdin]
//   kopf user passwd NAME [--role ROLE] [...]
//   kopf user remove NAME [...]
//   kopf user list [...]
//
// The file is DIR/users.csv (DIR defaults to ./data, as for kopfd) or FILE;
// its format is protocol/users_file.h. The password is read without echo
// from the terminal (asked twice), or as one line from standard input when
// that is not a terminal or with --password-stdin. Every change replaces
// the file atomically; a running kopfd picks it up at its next connection.
// Concurrent edits of one file are not serialised: the last one wins.
//
// Thread-safety: none; a command runs on the main thread.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace kopf::shell {

// Where the password comes from when one is needed.
struct PasswordSource {
  std::istream* in = nullptr;  // standard input
  bool terminal = false;       // `in` is a terminal: prompt, no echo, ask twice
};

// Runs `kopf user` with the arguments after "user" and returns the exit
// status: 0 on success, 1 when the command failed (the reason goes to
// `err`), 2 on a usage error.
int RunUserCommand(const std::vector<std::string>& args, PasswordSource password, std::ostream& out,
                   std::ostream& err);

}  // namespace kopf::shell
