// kopfd: the composition root. It is the only place that reads
// configuration and the only place that knows every layer:
//   1. parse the command line into one validated ServerConfig;
//   2. open the cerebrum (recovers every table from its segments);
//   3. start the cerebellum's workers;
//   4. start the brainstem's listener and print "kopfd listening on ...";
//   5. run the event loop until SIGINT/SIGTERM, then stop gracefully:
//      no new connections, in-flight requests finish and are answered,
//      the engine shuts down, exit 0. A second signal stops at once.
#include <csignal>
#include <optional>
#include <cstdio>
#include <cstring>  // strsignal
#include <string>
#include <thread>
#include <utility>  // before Asio: its C++20 coroutine support needs it
#include <vector>

#include <boost/asio.hpp>
#include <fmt/format.h>

#include "brainstem/backup_scheduler.h"
#include "brainstem/log.h"
#include "brainstem/server.h"
#include "brainstem/server_config.h"
#include "cerebellum/engine.h"
#include "cerebrum/database.h"

namespace {

namespace asio = boost::asio;
using kopf::brainstem::Log;

constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;

int Run(const kopf::brainstem::ServerConfig& config) {
  auto database = kopf::cerebrum::Database::Open(config.storage);
  if (!database.ok()) {
    Log("cannot open the data directory {}: {}", config.storage.data_dir.string(),
        database.status().ToString());
    return kExitFailure;
  }
  kopf::cerebellum::Engine engine(database->get(), config.engine);
  // Scheduled backups, stopped (after a backup in progress) before the
  // database closes.
  std::optional<kopf::brainstem::BackupScheduler> backups;
  if (!config.backups.schedule.empty()) {
    auto schedule = kopf::brainstem::CronSchedule::Parse(config.backups.schedule);
    if (!schedule.ok()) {  // ParseCommandLine checked it already
      Log("{}", schedule.status().ToString());
      return kExitFailure;
    }
    backups.emplace(database->get(), std::move(*schedule), config.backups.keep);
  }

  asio::io_context io(config.server.io_threads);
  kopf::brainstem::Server server(io, &engine, config.server, "kopfd " KOPF_VERSION);
  if (kopf::protocol::Status listening = server.Listen(); !listening.ok()) {
    Log("{}", listening.ToString());
    engine.Shutdown();
    return kExitFailure;
  }
  // Tests and scripts wait for exactly this line.
  std::printf("kopfd listening on %s\n", server.address().c_str());
  std::fflush(stdout);
  Log("kopfd {} listening on {} (data {}, {} workers{})", KOPF_VERSION, server.address(),
      config.storage.data_dir.string(), config.engine.worker_threads,
      config.storage.sync ? "" : ", no fsync");

  // Signals are handled on their own strand, so the second-signal wait and
  // the cancel after a graceful stop never race with multiple I/O threads.
  auto control = asio::make_strand(io);
  asio::signal_set signals(control, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
    if (ec) return;
    Log("received {}: stopping gracefully", strsignal(signal_number));
    server.Stop([&] { asio::post(control, [&] { signals.cancel(); }); });
    signals.async_wait([&](const boost::system::error_code& ec2, int signal_number2) {
      if (ec2) return;
      Log("received {} again: stopping now", strsignal(signal_number2));
      io.stop();
    });
  });

  std::vector<std::thread> threads;
  for (int i = 1; i < config.server.io_threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& t : threads) t.join();

  backups.reset();
  engine.Shutdown();
  Log("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto command_line = kopf::brainstem::ParseCommandLine(args);
  if (!command_line.ok()) {
    std::fprintf(stderr, "kopfd: %s\nTry 'kopfd --help'.\n",
                 command_line.status().message().c_str());
    return kExitUsage;
  }
  if (command_line->help) {
    std::fputs(kopf::brainstem::Usage().c_str(), stdout);
    return 0;
  }
  // A peer that vanishes mid-write must not kill the server with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  return Run(command_line->config);
}
