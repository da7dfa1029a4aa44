// kopf: the interactive SQL shell for a kopf server (in the spirit of psql).
//
//   kopf [-h HOST] [-p PORT] [-c SQL]... [-f FILE]... [--csv] [-q]
//   kopf [-h HOST] [-p PORT] backup --to DIR | kopf backup --verify DIR
//
// 1. Parse the command line; -c and -f may repeat and run in the order given.
// 2. Connect (exit 2 when that fails).
// 3. Run the -c texts and -f files; without either, run stdin: through the
//    line editor when it is a terminal, else as a script.
// 4. Exit 0 when everything succeeded, 1 when any statement failed, 2 when
//    the connection failed or was lost.
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <getopt.h>
#include <signal.h>
#include <unistd.h>

#include "protocol/client.h"
#include "tools/kopf/backup_command.h"
#include "tools/kopf/interactive.h"
#include "tools/kopf/line_editor.h"
#include "tools/kopf/shell.h"

namespace {

using kopf::shell::Outcome;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitConnection = 2;

constexpr std::string_view kUsage =
    "kopf is the interactive shell of the kopf SQL server.\n"
    "\n"
    "Usage:\n"
    "  kopf [OPTION]...\n"
    "  kopf [-h HOST] [-p PORT] backup --to DIR | --verify DIR   (kopf backup --help)\n"
    "\n"
    "Options:\n"
    "  -h, --host=HOST       server address (default 127.0.0.1)\n"
    "  -p, --port=PORT       server port (default 5433)\n"
    "  -c, --command=SQL     run SQL (one or more ';'-separated statements or one\n"
    "                        meta-command) and exit; may be repeated\n"
    "  -f, --file=FILE       run the statements in FILE (\"-\" is stdin) and exit;\n"
    "                        may be repeated, mixed with -c in the given order\n"
    "      --csv             print rows as CSV (RFC 4180 quoting; NULL is an empty\n"
    "                        field, the empty string is \"\")\n"
    "  -q, --quiet           do not print command tags such as \"INSERT 1\"\n"
    "      --help            show this help and exit\n"
    "\n"
    "Without -c or -f, statements are read from standard input: with line editing\n"
    "and history (~/.kopf_history) on a terminal, otherwise as a script.\n"
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
  std::string host = "127.0.0.1";
  uint16_t port = 5433;
  std::vector<Input> inputs;
  bool csv = false;
  bool quiet = false;
};

enum LongOnly { kCsvOption = 1000, kHelpOption };

// Returns the parsed flags, or an exit status when the program should end
// (--help, or a usage error already reported).
std::variant<Flags, int> ParseFlags(int argc, char** argv) {
  static const option kOptions[] = {
      {"host", required_argument, nullptr, 'h'},    {"port", required_argument, nullptr, 'p'},
      {"command", required_argument, nullptr, 'c'}, {"file", required_argument, nullptr, 'f'},
      {"quiet", no_argument, nullptr, 'q'},         {"csv", no_argument, nullptr, kCsvOption},
      {"help", no_argument, nullptr, kHelpOption},  {nullptr, 0, nullptr, 0},
  };
  Flags flags;
  opterr = 0;  // report bad options ourselves, as "kopf" rather than argv[0]
  int opt = 0;
  while ((opt = getopt_long(argc, argv, "h:p:c:f:q", kOptions, nullptr)) != -1) {
    switch (opt) {
      case 'h':
        flags.host = optarg;
        break;
      case 'p': {
        std::string_view text = optarg;
        unsigned port = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
        if (ec != std::errc() || end != text.data() + text.size() || port == 0 || port > 65535) {
          std::cerr << fmt::format("kopf: invalid port \"{}\"\n", text);
          return kExitFailed;
        }
        flags.port = static_cast<uint16_t>(port);
        break;
      }
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
        flags.csv = true;
        break;
      case kHelpOption:
        std::cout << kUsage;
        return kExitOk;
      default:
        if (optopt != 0 && opt == '?' && std::strchr("hpcf", optopt) != nullptr) {
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
  if (optind < argc) {
    std::cerr << fmt::format("kopf: unexpected argument \"{}\"\n", argv[optind])
              << "Try \"kopf --help\" for more information.\n";
    return kExitFailed;
  }
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
  // `kopf backup ...` (tools/kopf/backup_command.h).
  if (auto status = kopf::shell::RunBackupCommandIfAsked(argc, argv, std::cout, std::cerr)) {
    return *status;
  }
  auto parsed = ParseFlags(argc, argv);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const Flags& flags = std::get<Flags>(parsed);

  // A server that goes away must show up as a failed write, not kill us.
  signal(SIGPIPE, SIG_IGN);

  kopf::protocol::ClientOptions client_options;
  client_options.client_name = "kopf-shell";
  auto connected = kopf::protocol::Client::Connect(flags.host, flags.port, client_options);
  if (!connected.ok()) {
    // The client's message names the address already.
    std::cerr << fmt::format("kopf: could not connect to the server: {}\n",
                             connected.status().message());
    return kExitConnection;
  }
  kopf::protocol::Client& client = **connected;

  kopf::shell::ShellOptions options;
  options.format =
      flags.csv ? kopf::shell::OutputFormat::kCsv : kopf::shell::OutputFormat::kAligned;
  options.quiet = flags.quiet;
  options.host = flags.host;
  options.port = flags.port;
  kopf::shell::Shell shell(client, options, std::cout, std::cerr);

  if (!flags.inputs.empty()) {
    Outcome outcome = RunInputs(shell, flags.inputs);
    if (outcome == Outcome::kFailed && !shell.any_failed()) return kExitFailed;  // bad -f path
    return ExitStatus(outcome, shell);
  }
  if (!isatty(STDIN_FILENO)) return ExitStatus(shell.RunScript(std::cin, "<stdin>"), shell);

  if (!flags.quiet) {
    std::cout << fmt::format("kopf {} (connected to {} at {}:{})\nType \"\\?\" for help.\n\n",
                             KOPF_VERSION, client.server_version(), flags.host, flags.port);
  }
  kopf::shell::LineEditor editor("kopf", kopf::shell::DefaultHistoryPath());
  Outcome outcome = kopf::shell::RunInteractive(shell, editor);
  // An interactive session's failed statements were already seen and dealt
  // with by the user; only a lost connection is worth a non-zero status.
  return outcome == Outcome::kConnectionLost ? kExitConnection : kExitOk;
}
