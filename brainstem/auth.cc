#include "brainstem/auth.h"

#include <cerrno>
#include <cstring>
#include <utility>  // before Asio: its C++20 coroutine support needs it

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>
#include <sys/stat.h>

#include "brainstem/log.h"

namespace kopf::brainstem {

using protocol::Result;
using protocol::Status;

namespace {

// Stats `path`; false (with errno set) when that fails.
bool StatFile(const std::filesystem::path& path, struct stat* st) {
  return ::stat(path.c_str(), st) == 0;
}

}  // namespace

bool Authenticator::FileIdentity::operator==(const FileIdentity& o) const {
  return device == o.device && inode == o.inode && size == o.size &&
         mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec;
}

Authenticator::Authenticator(std::filesystem::path path, std::string secret)
    : path_(std::move(path)), secret_(std::move(secret)) {}

Result<std::unique_ptr<Authenticator>> Authenticator::Open(std::filesystem::path path) {
  KOPF_ASSIGN_OR_RETURN(std::string secret, protocol::scram::RandomBytes(32));
  std::unique_ptr<Authenticator> auth(new Authenticator(std::move(path), std::move(secret)));
  struct stat st {};
  if (!StatFile(auth->path_, &st)) {
    return Status::IoError(fmt::format("cannot read the users file {}: {}", auth->path_.string(),
                                       std::strerror(errno)));
  }
  KOPF_ASSIGN_OR_RETURN(auth->users_, protocol::ReadUsersFile(auth->path_));
  auth->loaded_ = {st.st_dev, st.st_ino, st.st_size, st.st_mtim};
  return auth;
}

void Authenticator::ReloadIfChanged() {
  struct stat st {};
  if (!StatFile(path_, &st)) {
    std::string error = std::strerror(errno);
    if (error != last_error_) {
      Log("cannot read the users file {}: {}; the users read before stay in force", path_.string(),
          error);
      last_error_ = error;
    }
    return;
  }
  FileIdentity now{st.st_dev, st.st_ino, st.st_size, st.st_mtim};
  if (now == loaded_) return;
  Result<protocol::UserTable> users = protocol::ReadUsersFile(path_);
  if (!users.ok()) {
    if (users.status().message() != last_error_) {
      Log("cannot reload the users file: {}; the users read before stay in force",
          users.status().ToString());
      last_error_ = users.status().message();
    }
    return;
  }
  users_ = std::move(users).value();
  loaded_ = now;
  last_error_.clear();
  Log("reloaded the users file {} ({} users)", path_.string(), users_.size());
}

Authenticator::Account Authenticator::Find(std::string_view user) {
  std::lock_guard lock(mu_);
  ReloadIfChanged();
  auto it = users_.find(user);
  if (it == users_.end()) {
    return Account{false, protocol::Role::kReadOnly,
                   protocol::scram::DecoyCredentials(secret_, user)};
  }
  return Account{true, it->second.role, it->second.credentials};
}

Status CheckUnauthenticatedHost(std::string_view host) {
  boost::system::error_code ec;
  boost::asio::ip::address address = boost::asio::ip::make_address(std::string(host), ec);
  if (host == "localhost" || (!ec && address.is_loopback())) return Status::Ok();
  return Status::InvalidValue(fmt::format(
      "--host {} is not a loopback address, and there is no users file: every client "
      "would connect as admin without a password. Create a user first (kopf user add NAME "
      "--role admin --data DIR, or --users FILE), or listen on 127.0.0.1",
      host));
}

}  // namespace kopf::brainstem
