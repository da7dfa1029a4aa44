#include "protocol/users_file.h"

#include "protocol/file_io.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kopf::protocol {

namespace {

constexpr size_t kMaxUserNameBytes = 64;
constexpr size_t kFieldCount = 6;

std::string Where(std::string_view source, size_t line) {
  return std::string(source) + ":" + std::to_string(line) + ": ";
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  for (;;) {
    size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return fields;
    }
    fields.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

Result<scram::Key> ParseKey(std::string_view text, std::string_view field, const std::string& at) {
  std::optional<scram::Key> key = scram::Base64DecodeKey(text);
  if (!key) return Status::Corruption(at + std::string(field) + " is not the base64 of 32 bytes");
  return *key;
}

Result<std::pair<std::string, UserRecord>> ParseLine(std::string_view line, const std::string& at) {
  std::vector<std::string_view> f = SplitFields(line);
  if (f.size() != kFieldCount) {
    return Status::Corruption(at + "expected " + std::to_string(kFieldCount) + " fields, found " +
                              std::to_string(f.size()));
  }
  if (Status name = ValidateUserName(f[0]); !name.ok()) {
    return Status::Corruption(at + name.message());
  }
  UserRecord record;
  std::optional<Role> role = RoleFromName(f[1]);
  if (!role) {
    return Status::Corruption(at + "unknown role \"" + std::string(f[1]) +
                              "\" (read-only, read-write or admin)");
  }
  record.role = *role;
  std::optional<std::string> salt = scram::Base64Decode(f[2]);
  if (!salt || salt->empty()) return Status::Corruption(at + "salt is not non-empty base64");
  record.credentials.salt = std::move(*salt);
  uint32_t iterations = 0;
  auto [end, ec] = std::from_chars(f[3].data(), f[3].data() + f[3].size(), iterations);
  if (ec != std::errc() || end != f[3].data() + f[3].size() || iterations < scram::kMinIterations ||
      iterations > scram::kMaxIterations) {
    return Status::Corruption(at + "iterations \"" + std::string(f[3]) + "\" is not a number in " +
                              std::to_string(scram::kMinIterations) + ".." +
                              std::to_string(scram::kMaxIterations));
  }
  record.credentials.iterations = iterations;
  KOPF_ASSIGN_OR_RETURN(record.credentials.stored_key, ParseKey(f[4], "stored_key", at));
  KOPF_ASSIGN_OR_RETURN(record.credentials.server_key, ParseKey(f[5], "server_key", at));
  return std::pair{std::string(f[0]), std::move(record)};
}

Status Errno(const std::string& what, const std::filesystem::path& path) {
  return Status::IoError(what + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

Status ValidateUserName(std::string_view name) {
  if (name.empty()) return Status::InvalidValue("the user name is empty");
  if (name.size() > kMaxUserNameBytes) {
    return Status::InvalidValue("the user name is longer than " +
                                std::to_string(kMaxUserNameBytes) + " characters");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '@' || c == '-';
    if (!ok) {
      return Status::InvalidValue("the user name \"" + std::string(name) +
                                  "\" may only hold letters, digits and _ . @ -");
    }
  }
  return Status::Ok();
}

Result<UserTable> ParseUsersFile(std::string_view text, std::string_view source) {
  UserTable users;
  size_t line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    std::string at = Where(source, line_number);
    if (line_number == 1) {
      if (line != kUsersFileHeader) {
        return Status::Corruption(at + "the header must be \"" + std::string(kUsersFileHeader) +
                                  "\"");
      }
      continue;
    }
    if (line.empty()) continue;
    KOPF_ASSIGN_OR_RETURN(auto entry, ParseLine(line, at));
    if (!users.emplace(std::move(entry.first), std::move(entry.second)).second) {
      return Status::Corruption(at + "user \"" + std::string(line.substr(0, line.find(','))) +
                                "\" is listed twice");
    }
  }
  if (line_number == 0) {
    return Status::Corruption(std::string(source) + ": empty file, the header line is missing");
  }
  return users;
}

std::string FormatUsersFile(const UserTable& users) {
  std::string out(kUsersFileHeader);
  out += '\n';
  for (const auto& [name, record] : users) {
    const scram::Credentials& c = record.credentials;
    out += name + "," + std::string(RoleName(record.role)) + "," + scram::Base64Encode(c.salt) +
           "," + std::to_string(c.iterations) + "," + scram::Base64Encode(c.stored_key) + "," +
           scram::Base64Encode(c.server_key) + "\n";
  }
  return out;
}

Result<UserTable> ReadUsersFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Errno("cannot read the users file", path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Errno("cannot read the users file", path);
  return ParseUsersFile(text.str(), path.string());
}

Status WriteUsersFile(const std::filesystem::path& path, const UserTable& users) {
  // Mode 0600 from the start: the file holds password hashes.
  return WriteFileAtomically(path, FormatUsersFile(users), 0600);
}

}  // namespace kopf::protocol
