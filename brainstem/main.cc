// kopfd: the composition root. It is the only place that reads
// configuration and the only place that knows every layer:
//   1. parse the config file (--config) and the command line into one
//      validated ServerConfig;
//   2. open the cerebrum (recovers every table from its segments; with
//      storage = memory it touches no disk at all), then the users file
//      if there is one; without it, refuse a non-loopback host;
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

#include "brainstem/auth.h"
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

// The authenticator for `config`, or null when authentication is off (no
// --users and no DATA/users.csv). Fails when the file given cannot be read,
// or when a server without one would listen beyond loopback.
kopf::protocol::Result<std::shared_ptr<kopf::brainstem::Authenticator>> OpenAuthenticator(
    const kopf::brainstem::ServerConfig& config) {
  std::filesystem::path path = config.users_file;
  if (path.empty()) {
    std::filesystem::path in_data = config.storage.data_dir / kopf::protocol::kDefaultUsersFileName;
    std::error_code ec;
    if (std::filesystem::exists(in_data, ec)) path = in_data;
  }
  if (path.empty()) {
    KOPF_RETURN_IF_ERROR(kopf::brainstem::CheckUnauthenticatedHost(config.server.host));
    return std::shared_ptr<kopf::brainstem::Authenticator>();
  }
  KOPF_ASSIGN_OR_RETURN(auto auth, kopf::brainstem::Authenticator::Open(path));
  return std::shared_ptr<kopf::brainstem::Authenticator>(std::move(auth));
}

// "data ./data, sync interval 1000 ms" for the start-up log line.
std::string StorageDescription(const kopf::cerebrum::Options& storage) {
  using kopf::cerebrum::SyncMode;
  if (storage.storage == kopf::cerebrum::StorageMode::kMemory) {
    return "memory only: nothing is written to disk";
  }
  std::string sync;
  switch (storage.sync) {
    case SyncMode::kAlways: sync = "sync always"; break;
    case SyncMode::kInterval:
      sync = fmt::format("sync every {} ms", storage.sync_interval.count());
      break;
    case SyncMode::kNone: sync = "no fsync"; break;
  }
  return fmt::format("data {}, {}", storage.data_dir.string(), sync);
}

// io.run(), except that once the loop runs out of ready handlers it keeps
// polling (the sockets included) for up to `window` before it sleeps. On a
// virtual machine a sleeping core takes tens of microseconds to wake, twice
// per round trip of a client that sends one request at a time; a request
// that arrives within the window is picked up at once. The cost is up to
// `window` of CPU after each burst of work, none while the server is idle.
void RunPolling(asio::io_context& io, std::chrono::microseconds window) {
  if (window.count() == 0) {
    io.run();
    return;
  }
  using Clock = std::chrono::steady_clock;
  while (!io.stopped()) {
    if (io.poll() > 0) continue;
    bool ran = false;
    for (auto until = Clock::now() + window; !ran && !io.stopped() && Clock::now() < until;) {
      ran = io.poll() > 0;
      // A client on this core (the one just answered, woken onto the
      // waker's core) runs now rather than after the window: without this
      // the poll kept it waiting tens of microseconds per round trip.
      if (!ran) std::this_thread::yield();
    }
    if (ran) continue;
    if (io.stopped() || io.run_one() == 0) break;  // sleeps; 0: stopped or out of work
  }
}

int Run(const kopf::brainstem::ServerConfig& config) {
  auto authenticator = OpenAuthenticator(config);
  if (!authenticator.ok()) {
    Log("{}", authenticator.status().message());
    return kExitFailure;
  }
  auto database = kopf::cerebrum::Database::Open(config.storage);
  if (!database.ok()) {
    // A read-only data directory refuses the start: every write would fail,
    // and recovery may need to cut a torn tail off a segment.
    bool read_only = database.status().code() == kopf::protocol::ErrorCode::kReadOnly;
    Log("cannot open the data directory {}: {}{}", config.storage.data_dir.string(),
        database.status().ToString(),
        read_only ? " (kopfd needs a writable data directory; --memory needs none)" : "");
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
  kopf::brainstem::Server server(io, &engine, config.server, "kopfd " KOPF_VERSION, *authenticator);
  if (kopf::protocol::Status listening = server.Listen(); !listening.ok()) {
    Log("{}", listening.ToString());
    engine.Shutdown();
    return kExitFailure;
  }
  // A group-commit round's replies go to the network thread as one handler.
  (*database)->SetDurableCallbackWrapper(server.ReplyBatcher());
  // Signals are handled on their own strand, so the second-signal wait and
  // the cancel after a graceful stop never race with multiple I/O threads.
  // The handler is in place before the server announces itself, so a
  // signal sent right after the announcement stops it gracefully.
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

  // Tests and scripts wait for exactly this line.
  std::printf("kopfd listening on %s\n", server.address().c_str());
  std::fflush(stdout);
  Log("kopfd {} listening on {} ({}, {} workers, {})", KOPF_VERSION, server.address(),
      StorageDescription(config.storage), config.engine.worker_threads,
      *authenticator ? "users from " + (*authenticator)->path().string()
                     : std::string("no users file: authentication off, every client is admin"));

  std::vector<std::thread> threads;
  auto run = [&io, window = config.server.io_poll] { RunPolling(io, window); };
  for (int i = 1; i < config.server.io_threads; ++i) threads.emplace_back(run);
  run();
  for (std::thread& t : threads) t.join();

  backups.reset();
  engine.Shutdown();
  // Every reply is out; the batcher must not outlive the event loop.
  (*database)->SetDurableCallbackWrapper(nullptr);
  // How well concurrent commits shared their fsyncs over the server's life.
  if (auto durability = (*database)->durability_stats(); durability.rounds > 0) {
    Log("group commit: {} commits in {} fsync rounds ({:.2f} per round, {} us per round on "
        "average)",
        durability.commits, durability.rounds,
        static_cast<double>(durability.commits) / static_cast<double>(durability.rounds),
        durability.sync_time.count() / static_cast<int64_t>(durability.rounds));
  }
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
