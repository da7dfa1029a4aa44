// Role: what a user may do, from the users file to the engine's check.
//
// Roles are ordered; each allows everything the one before it does:
//   read-only   SELECT, SHOW TABLES, SHOW INDEXES, DESCRIBE, EXPLAIN
//   read-write  + INSERT, UPDATE, DELETE (and COPY)
//   admin       + CREATE/DROP TABLE and INDEX (and COMPACT, BACKUP, user management)
// The names are stored in the users file (protocol/users_file.h) and shown
// in messages: DO NOT CHANGE THEM.
//
// Thread-safety: constants and pure functions only.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kopf::protocol {

enum class Role : uint8_t {
  kReadOnly = 0,
  kReadWrite = 1,
  kAdmin = 2,
};

// "read-only", "read-write" or "admin".
constexpr std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kReadOnly:
      return "read-only";
    case Role::kReadWrite:
      return "read-write";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

// The role named `name` (exactly as RoleName spells it), or nullopt.
constexpr std::optional<Role> RoleFromName(std::string_view name) {
  for (Role role : {Role::kReadOnly, Role::kReadWrite, Role::kAdmin}) {
    if (RoleName(role) == name) return role;
  }
  return std::nullopt;
}

// True when a user holding `held` may run what needs `needed`.
constexpr bool RoleAllows(Role held, Role needed) {
  return static_cast<uint8_t>(held) >= static_cast<uint8_t>(needed);
}

}  // namespace kopf::protocol
