// kopf: the interactive SQL shell for a kopf server (in the spirit of psql).
//
//   kopf [-h HOST] [-p PORT] [-U USER] [-W] [-d URL | URL] [-c SQL]... [-f FILE]...
//        [--csv | --json] [-x] [-q]
//   kopf [-h HOST] [-p PORT] [-U USER] [-d URL] backup --to DIR | kopf backup --verify DIR
//
// 1. Parse the command line; -c and -f may repeat and run in the order given.
//    The address is built up in layers: the defaults (kopf://127.0.0.1:5433),
//    then $KOPF_URL, then a connection string (-d or the one argument), then
//    -h, -p and -U, each overriding what came before.
// 2. Connect (exit 2 when that fails).
// 3. Run the -c texts and -f files; without either, run stdin: through the
//    line editor when it is a terminal, else as a script.
// 4. Exit 0 when everything succeeded, 1 when any statement failed, 2 when
//    the connection failed or was lost.
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <getopt.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include "protocol/client.h"
#include "protocol/connection_string.h"
#include "tools/kopf/backup_command.h"
#include "tools/kopf/interactive.h"
#include "tools/kopf/line_editor.h"
#include "tools/kopf/pager.h"
#include "tools/kopf/shell.h"
#include "tools/kopf/user_command.h"

namespace {

using kopf::shell::Outcome;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitConnection = 2;

constexpr std::string_view kUsage =
    "kopf is the interactive shell of the kopf SQL server.\n"
    "\n"
    "Usage:\n"
    "  kopf [OPTION]... [kopf://USER:PASSWORD@HOST:PORT]\n"
    "  kopf [-h HOST] [-p PORT] [-U USER] backup --to DIR | --verify DIR   (kopf backup --help)\n"
    "\n"
    "Connection options (they override $KOPF_URL, which overrides the defaults):\n"
    "  -d, --dbname=URL      connection string kopf://[user[:password]@][host][:port]\n"
    "                        (the same as giving URL as the argument)\n"
    "  -h, --host=HOST       server address (default 127.0.0.1)\n"
    "  -p, --port=PORT       server port (default 5433)\n"
    "  -U, --username=USER   user name\n"
    "  -W, --password        ask for the password before connecting\n"
    "\n"
    "Other options:\n"
    "  -c, --command=SQL     run SQL (one or more ';'-separated statements or one\n"
    "                        meta-command) and exit; may be repeated\n"
    "  -f, --file=FILE       run the statements in FILE (\"-\" is stdin) and exit;\n"
    "                        may be repeated, mixed with -c in the given order\n"
    "      --csv             print rows as CSV (RFC 4180 quoting; NULL is an empty\n"
    "                        field, the empty string is \"\")\n"
    "      --json            print each result as one JSON array of row objects\n"
    "  -x, --expanded        print rows as records, one line per column\n"
    "  -q, --quiet           do not print command tags such as \"INSERT 1\"\n"
    "      --help            show this help and exit\n"
    "\n"
    "Without -c or -f, statements are read from standard input: with line editing,\n"
    "Tab completion and history (~/.kopf_history) on a terminal, otherwise as a\n"
    "script. On a terminal, results taller than the screen go through $PAGER\n"
    "(default \"less -FRX\"; PAGER= turns it off) and errors are coloured unless\n"
    "NO_COLOR is set.\n"
    "\n"
    "Scripts (-c, -f, piped input) keep going after a failed statement, like\n"
    "psql without ON_ERROR_STOP; \\q stops a script early.\n"
    "\n"
    "Exit status: 0 if every statement succeeded, 1 if any statement failed,\n"
    "2 if the connection to the server failed or was lost.\n"
    "\n"
    "Type \\? inside kopf for the meta-commands.\n";

struct Input {
  enum class Kind { kCommand, kFile };
  Kind kind;
  std::string text;  // SQL for kCommand, a path for kFile
};

struct Flags {
  kopf::protocol::ConnectionString connection;
  bool ask_password = false;
  std::vector<Input> inputs;
  kopf::shell::OutputFormat format = kopf::shell::OutputFormat::kAligned;
  bool expanded = false;
  bool quiet = false;
};

enum LongOnly { kCsvOption = 1000, kJsonOption, kHelpOption };

int UsageError(const std::string& message) {
  std::cerr << "kopf: " << message << "\nTry \"kopf --help\" for more information.\n";
  return kExitFailed;
}

// Reads a password without echoing it, from the controlling terminal as
// psql does (so a script on stdin stays intact), else from stdin.
std::string ReadPassword(const std::string& prompt) {
  FILE* tty = std::fopen("/dev/tty", "r+");
  FILE* in = tty != nullptr ? tty : stdin;
  FILE* out = tty != nullptr ? tty : stderr;
  termios saved{};
  bool hidden = isatty(fileno(in)) && tcgetattr(fileno(in), &saved) == 0;
  if (hidden) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fileno(in), TCSAFLUSH, &quiet);
  }
  // Echo is off before the prompt shows, so nothing typed after it echoes.
  std::fputs(prompt.c_str(), out);
  std::fflush(out);
  std::string password;
  for (int c = std::fgetc(in); c != EOF && c != '\n'; c = std::fgetc(in)) {
    password += static_cast<char>(c);
  }
  if (hidden) {
    tcsetattr(fileno(in), TCSANOW, &saved);
    std::fputs("\n", out);
  }
  if (tty != nullptr) std::fclose(tty);
  return password;
}

// Returns the parsed flags, or an exit status when the program should end
// (--help, or a usage error already reported).
std::variant<Flags, int> ParseFlags(int argc, char** argv) {
  static const option kOptions[] = {
      {"host", required_argument, nullptr, 'h'},     {"port", required_argument, nullptr, 'p'},
      {"username", required_argument, nullptr, 'U'}, {"password", no_argument, nullptr, 'W'},
      {"dbname", required_argument, nullptr, 'd'},   {"command", required_argument, nullptr, 'c'},
      {"file", required_argument, nullptr, 'f'},     {"quiet", no_argument, nullptr, 'q'},
      {"expanded", no_argument, nullptr, 'x'},       {"csv", no_argument, nullptr, kCsvOption},
      {"json", no_argument, nullptr, kJsonOption},   {"help", no_argument, nullptr, kHelpOption},
      {nullptr, 0, nullptr, 0},
  };
  Flags flags;
  if (const char* url = std::getenv("KOPF_URL"); url != nullptr && *url != '\0') {
    auto parsed = kopf::protocol::ParseConnectionString(url);
    if (!parsed.ok()) return UsageError("$KOPF_URL: " + parsed.status().message());
    flags.connection = *parsed;
  }
  // -h, -p and -U override any connection string, wherever they stand.
  std::optional<std::string> host, user, url;
  std::optional<uint16_t> port;
  opterr = 0;  // report bad options ourselves, as "kopf" rather than argv[0]
  int opt = 0;
  while ((opt = getopt_long(argc, argv, "h:p:U:Wd:c:f:qx", kOptions, nullptr)) != -1) {
    switch (opt) {
      case 'h':
        host = optarg;
        break;
      case 'p': {
        std::string_view text = optarg;
        unsigned value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
          std::cerr << fmt::format("kopf: invalid port \"{}\"\n", text);
          return kExitFailed;
        }
        port = static_cast<uint16_t>(value);
        break;
      }
      case 'U':
        user = optarg;
        break;
      case 'W':
        flags.ask_password = true;
        break;
      case 'd':
        url = optarg;
        break;
      case 'x':
        flags.expanded = true;
        break;
      case 'c':
        flags.inputs.push_back({Input::Kind::kCommand, optarg});
        break;
      case 'f':
        flags.inputs.push_back({Input::Kind::kFile, optarg});
        break;
      case 'q':
        flags.quiet = true;
        break;
      case kCsvOption:
        flags.format = kopf::shell::OutputFormat::kCsv;
        break;
      case kJsonOption:
        flags.format = kopf::shell::OutputFormat::kJson;
        break;
      case kHelpOption:
        std::cout << kUsage;
        return kExitOk;
      default:
        if (optopt != 0 && opt == '?' && std::strchr("hpUdcf", optopt) != nullptr) {
          std::cerr << fmt::format("kopf: option -{} needs an argument\n",
                                   static_cast<char>(optopt));
        } else if (optopt != 0) {
          std::cerr << fmt::format("kopf: invalid option -{}\n", static_cast<char>(optopt));
        } else {
          std::cerr << fmt::format("kopf: invalid option \"{}\"\n", argv[optind - 1]);
        }
        std::cerr << "Try \"kopf --help\" for more information.\n";
        return kExitFailed;
    }
  }
  if (optind < argc && !url && std::string_view(argv[optind]).rfind("kopf://", 0) == 0) {
    url = argv[optind++];
  }
  if (optind < argc) return UsageError(fmt::format("unexpected argument \"{}\"", argv[optind]));
  if (url) {
    auto parsed = kopf::protocol::ParseConnectionString(*url);
    if (!parsed.ok()) return UsageError(parsed.status().message());
    flags.connection = *parsed;
  }
  if (host) flags.connection.host = *host;
  if (port) flags.connection.port = *port;
  if (user) flags.connection.user = *user;
  return flags;
}

int ExitStatus(Outcome outcome, const kopf::shell::Shell& shell) {
  if (outcome == Outcome::kConnectionLost) return kExitConnection;
  return shell.any_failed() ? kExitFailed : kExitOk;
}

// Runs the -c and -f inputs in order, stopping at \q or a lost connection.
Outcome RunInputs(kopf::shell::Shell& shell, const std::vector<Input>& inputs) {
  Outcome outcome = Outcome::kOk;
  for (const Input& input : inputs) {
    if (input.kind == Input::Kind::kCommand) {
      outcome = shell.RunText(input.text);
    } else if (input.text == "-") {
      outcome = shell.RunScript(std::cin, "<stdin>");
    } else {
      std::ifstream file(input.text);
      if (!file) {
        std::cerr << fmt::format("kopf: cannot open \"{}\": {}\n", input.text,
                                 std::strerror(errno));
        return Outcome::kFailed;
      }
      outcome = shell.RunScript(file, input.text);
    }
    if (outcome == Outcome::kQuit || outcome == Outcome::kConnectionLost) break;
  }
  return outcome;
}

}  // namespace

int main(int argc, char** argv) {
  // `kopf user ...` edits the users file offline (tools/kopf/user_command.h).
  if (argc >= 2 && std::string_view(argv[1]) == "user") {
    return kopf::shell::RunUserCommand(std::vector<std::string>(argv + 2, argv + argc),
                                       {&std::cin, isatty(STDIN_FILENO) == 1}, std::cout,
                                       std::cerr);
  }
  // `kopf backup ...` (tools/kopf/backup_command.h).
  if (auto status = kopf::shell::RunBackupCommandIfAsked(argc, argv, std::cout, std::cerr)) {
    return *status;
  }
  auto parsed = ParseFlags(argc, argv);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  Flags& flags = std::get<Flags>(parsed);
  kopf::protocol::ConnectionString& where = flags.connection;
  if (flags.ask_password) {
    where.password = ReadPassword(where.user.empty() ? "Password: "
                                                     : fmt::format("Password for {}: ", where.user));
  }

  // A server that goes away (or a pager quit early) must show up as a
  // failed write, not kill us.
  signal(SIGPIPE, SIG_IGN);

  auto connected =
      kopf::protocol::Client::Connect(where.host, where.port, where.Options("kopf-shell"));
  if (!connected.ok()) {
    // The client's message names the address already.
    std::cerr << fmt::format("kopf: could not connect to the server: {}\n",
                             connected.status().message());
    return kExitConnection;
  }
  kopf::protocol::Client& client = **connected;

  bool terminal_out = isatty(STDOUT_FILENO) != 0;
  const char* no_color = std::getenv("NO_COLOR");
  kopf::shell::ShellOptions options;
  options.format = flags.format;
  options.expanded = flags.expanded;
  options.quiet = flags.quiet;
  options.connection = where;
  if (terminal_out) options.pager = kopf::shell::PagerCommand();
  options.color = isatty(STDERR_FILENO) != 0 && (no_color == nullptr || *no_color == '\0');
  options.progress = isatty(STDERR_FILENO) != 0;
  kopf::shell::Shell shell(client, options, std::cout, std::cerr);

  if (!flags.inputs.empty()) {
    Outcome outcome = RunInputs(shell, flags.inputs);
    if (outcome == Outcome::kFailed && !shell.any_failed()) return kExitFailed;  // bad -f path
    return ExitStatus(outcome, shell);
  }
  if (!isatty(STDIN_FILENO)) return ExitStatus(shell.RunScript(std::cin, "<stdin>"), shell);

  if (!flags.quiet) {
    std::cout << fmt::format("kopf {} (connected to {} at {})\nType \"\\?\" for help.\n\n",
                             KOPF_VERSION, client.server_version(), where.Address());
  }
  kopf::shell::LineEditor editor("kopf", kopf::shell::DefaultHistoryPath());
  Outcome outcome = kopf::shell::RunInteractive(shell, editor);
  // An interactive session's failed statements were already seen and dealt
  // with by the user; only a lost connection is worth a non-zero status.
  return outcome == Outcome::kConnectionLost ? kExitConnection : kExitOk;
}
