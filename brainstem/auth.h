// Authenticator: who may connect to this server, and as which role.
//
// With a users file (protocol/users_file.h) every connection must pass the
// SCRAM-SHA-256 exchange of the handshake (PROTOCOL.md section 5.1, run by
// the session with protocol/auth.h). Without one, authentication is off and
// every connection is admin; kopfd then only listens on loopback addresses
// (CheckUnauthenticatedHost), so that is a local-only mode.
//
// Reloading: Find() looks at the file's identity (inode, size, mtime) on
// every call, i.e. once per connection, and re-reads it when it changed.
// `kopf user` replaces the file with a rename, so a running server sees
// added, removed and re-passworded users from the next connection on; open
// connections keep the role they logged in with. A file that disappears or
// no longer parses is logged and the last good contents stay in force.
//
// Thread-safety: Find may be called from any thread (sessions on several
// I/O threads); the table is guarded by a mutex.
#pragma once

#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <sys/types.h>

#include "protocol/auth.h"
#include "protocol/role.h"
#include "protocol/status.h"
#include "protocol/users_file.h"

namespace kopf::brainstem {

class Authenticator {
 public:
  // What a connection learns about the user it names. For an unknown user
  // `known` is false and `credentials` are decoys (scram::DecoyCredentials).
  struct Account {
    bool known = false;
    protocol::Role role = protocol::Role::kReadOnly;
    protocol::scram::Credentials credentials;
  };

  // Reads the users file at `path`. Fails with kIoError when it cannot be
  // read and kCorruption when it does not parse.
  static protocol::Result<std::unique_ptr<Authenticator>> Open(std::filesystem::path path);

  // The user's account, re-reading the file first if it changed.
  Account Find(std::string_view user);

  const std::filesystem::path& path() const { return path_; }

 private:
  struct FileIdentity {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = -1;
    timespec mtime{};
    bool operator==(const FileIdentity& o) const;
  };

  Authenticator(std::filesystem::path path, std::string secret);
  // Stats the file and re-reads it when it changed. REQUIRES: mu_ held.
  void ReloadIfChanged();

  const std::filesystem::path path_;
  const std::string secret_;  // random per process; seeds the decoy credentials

  std::mutex mu_;
  protocol::UserTable users_;  // guarded by mu_
  FileIdentity loaded_;        // guarded by mu_: the file users_ came from
  std::string last_error_;     // guarded by mu_: logged once per distinct error
};

// OK when `host` (kopfd --host) is a loopback address or "localhost", the
// only places kopfd listens without authentication; else kInvalidValue with
// a message saying how to fix it.
protocol::Status CheckUnauthenticatedHost(std::string_view host);

}  // namespace kopf::brainstem
