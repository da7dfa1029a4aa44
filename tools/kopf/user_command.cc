#include "tools/kopf/user_command.h"

#include <filesystem>
#include <iostream>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include "protocol/auth.h"
#include "protocol/users_file.h"

namespace kopf::shell {

namespace {

using protocol::Result;
using protocol::Role;
using protocol::Status;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

constexpr std::string_view kUsage =
    "Usage:\n"
    "  kopf user add NAME [--role ROLE] [--data DIR | --users FILE] [--password-stdin]\n"
    "  kopf user passwd NAME [--role ROLE] [--data DIR | --users FILE] [--password-stdin]\n"
    "  kopf user remove NAME [--data DIR | --users FILE]\n"
    "  kopf user list [--data DIR | --users FILE]\n"
    "\n"
    "Edits the users file of a kopf server: DIR/users.csv (DIR defaults to ./data)\n"
    "or FILE. ROLE is read-only (the default for add), read-write or admin. The\n"
    "password is asked on the terminal without echo, or read as one line from\n"
    "standard input when that is not a terminal or with --password-stdin.\n"
    "A running kopfd sees the change from its next connection on.\n";

struct Command {
  std::string verb;
  std::string name;
  std::optional<Role> role;
  std::filesystem::path file;
  bool password_stdin = false;
};

Result<Command> Parse(const std::vector<std::string>& args) {
  Command c;
  std::optional<std::filesystem::path> data;
  std::optional<std::filesystem::path> users;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    auto value = [&]() -> Result<std::string> {
      if (i + 1 >= args.size()) return Status::InvalidValue(std::string(arg) + " needs a value");
      return args[++i];
    };
    if (arg == "--role") {
      KOPF_ASSIGN_OR_RETURN(std::string v, value());
      c.role = protocol::RoleFromName(v);
      if (!c.role) {
        return Status::InvalidValue(
            fmt::format("unknown role \"{}\" (read-only, read-write or admin)", v));
      }
    } else if (arg == "--data") {
      KOPF_ASSIGN_OR_RETURN(std::string v, value());
      data = v;
    } else if (arg == "--users") {
      KOPF_ASSIGN_OR_RETURN(std::string v, value());
      users = v;
    } else if (arg == "--password-stdin") {
      c.password_stdin = true;
    } else if (arg.starts_with("-")) {
      return Status::InvalidValue(fmt::format("unknown option \"{}\"", arg));
    } else {
      positional.emplace_back(arg);
    }
  }
  if (data && users) return Status::InvalidValue("give --data or --users, not both");
  c.file = users ? *users
                 : (data ? *data : std::filesystem::path("./data")) /
                       std::string(protocol::kDefaultUsersFileName);
  if (positional.empty())
    return Status::InvalidValue("missing the command (add, passwd, remove, list)");
  c.verb = positional[0];
  bool takes_name = c.verb == "add" || c.verb == "passwd" || c.verb == "remove";
  if (!takes_name && c.verb != "list") {
    return Status::InvalidValue(fmt::format("unknown command \"{}\"", c.verb));
  }
  if (takes_name && positional.size() != 2) {
    return Status::InvalidValue(fmt::format("{} takes exactly one user name", c.verb));
  }
  if (!takes_name && positional.size() != 1) {
    return Status::InvalidValue("list takes no user name");
  }
  if (c.role && (c.verb == "remove" || c.verb == "list")) {
    return Status::InvalidValue(fmt::format("{} takes no --role", c.verb));
  }
  if (takes_name) {
    c.name = positional[1];
    KOPF_RETURN_IF_ERROR(protocol::ValidateUserName(c.name));
  }
  return c;
}

// Reads one line from a terminal without echoing it.
std::string ReadHidden(std::istream& in, std::ostream& prompt_out, std::string_view prompt) {
  prompt_out << prompt << std::flush;
  termios saved{};
  bool restore = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(in, line);
  if (restore) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  prompt_out << "\n";
  return line;
}

Result<std::string> ReadPassword(const Command& c, PasswordSource source, std::ostream& err) {
  std::string password;
  if (source.terminal && !c.password_stdin) {
    password = ReadHidden(*source.in, err, fmt::format("Password for {}: ", c.name));
    std::string again = ReadHidden(*source.in, err, "Repeat it: ");
    if (again != password) return Status::InvalidValue("the passwords do not match");
  } else {
    if (!std::getline(*source.in, password)) {
      return Status::InvalidValue("no password on standard input");
    }
    if (password.ends_with('\r')) password.pop_back();
  }
  if (password.empty()) return Status::InvalidValue("the password is empty");
  return password;
}

Result<protocol::scram::Credentials> NewCredentials(const std::string& password) {
  KOPF_ASSIGN_OR_RETURN(std::string salt,
                        protocol::scram::RandomBytes(protocol::scram::kSaltBytes));
  return protocol::scram::DeriveCredentials(password, salt, protocol::scram::kDefaultIterations);
}

Status Run(const Command& c, PasswordSource source, std::ostream& out, std::ostream& err) {
  std::error_code ec;
  bool exists = std::filesystem::exists(c.file, ec);
  protocol::UserTable users;
  if (exists) {
    KOPF_ASSIGN_OR_RETURN(users, protocol::ReadUsersFile(c.file));
  } else if (c.verb != "add") {
    return Status::IoError(fmt::format("there is no users file {}", c.file.string()));
  }
  if (c.verb == "list") {
    for (const auto& [name, record] : users) {
      out << name << "," << protocol::RoleName(record.role) << "\n";
    }
    return Status::Ok();
  }
  auto it = users.find(c.name);
  if (c.verb == "add" && it != users.end()) {
    return Status::InvalidValue(
        fmt::format("user \"{}\" already exists (change it with kopf user passwd)", c.name));
  }
  if (c.verb != "add" && it == users.end()) {
    return Status::InvalidValue(
        fmt::format("there is no user \"{}\" in {}", c.name, c.file.string()));
  }
  std::string done;
  if (c.verb == "remove") {
    users.erase(it);
    done = fmt::format("removed user {}", c.name);
  } else {
    KOPF_ASSIGN_OR_RETURN(std::string password, ReadPassword(c, source, err));
    KOPF_ASSIGN_OR_RETURN(protocol::scram::Credentials credentials, NewCredentials(password));
    protocol::UserRecord& record = users[c.name];
    if (c.role) record.role = *c.role;
    record.credentials = std::move(credentials);
    done = fmt::format("{} user {} ({})", c.verb == "add" ? "added" : "changed", c.name,
                       protocol::RoleName(record.role));
  }
  if (!exists && c.file.has_parent_path()) {
    std::filesystem::create_directories(c.file.parent_path(), ec);
  }
  KOPF_RETURN_IF_ERROR(protocol::WriteUsersFile(c.file, users));
  out << fmt::format("kopf: {} in {}\n", done, c.file.string());
  if (!exists) {
    out << "kopf: a kopfd using this file now requires a user name and password\n";
  }
  return Status::Ok();
}

}  // namespace

int RunUserCommand(const std::vector<std::string>& args, PasswordSource password, std::ostream& out,
                   std::ostream& err) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "help")) {
    out << kUsage;
    return kExitOk;
  }
  Result<Command> command = Parse(args);
  if (!command.ok()) {
    err << "kopf user: " << command.status().message() << "\n" << kUsage;
    return kExitUsage;
  }
  Status status = Run(*command, password, out, err);
  if (!status.ok()) {
    err << "kopf user: " << status.message() << "\n";
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace kopf::shell
