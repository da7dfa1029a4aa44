// wire_bench: a load driver for kopfd that speaks raw protocol frames, to
// measure the server's request path without any client library in the way.
//
//   wire_bench --port 5433 --mode execute --connections 8 --depth 16 --seconds 5
//
// Modes (each request touches one row of kv(k INTEGER PRIMARY KEY, v TEXT)):
//   query    QUERY "SELECT v FROM kv WHERE k = <n>" (parsed every time)
//   execute  EXECUTE of "SELECT v FROM kv WHERE k = $1", prepared once
//   insert   EXECUTE of "INSERT INTO kv VALUES ($1, $2)", one new row each
// --setup creates kv and loads --rows rows first (one batch EXECUTE per
// 10,000 rows). Every connection keeps --depth requests in flight (1: one
// at a time). Prints requests per second and the median and 99th percentile
// latency of the requests, from the moment a request is written to the
// moment its response is complete. Reads and inserts are checked: a wrong
// answer or an error stops the run.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol/frame_decoder.h"
#include "protocol/frame_encoder.h"
#include "protocol/message.h"

namespace {

using namespace kopf::protocol;
using Clock = std::chrono::steady_clock;

struct Flags {
  int port = 5433;
  std::string mode = "execute";
  int connections = 1;
  int depth = 1;
  double seconds = 5;
  int64_t rows = 100000;
  bool setup = false;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "wire_bench: %s\n", what.c_str());
  std::exit(1);
}

class Connection {
 public:
  explicit Connection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      Die("cannot connect to 127.0.0.1:" + std::to_string(port));
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Send({0, 0, Hello{kProtocolMajor, kProtocolMinor, "wire_bench", "", ""}});
    Flush();
    Envelope welcome = Receive();
    auto* w = std::get_if<Welcome>(&welcome.message);
    if (w == nullptr) Die("no WELCOME");
    id_ = w->client_id;
  }
  ~Connection() { ::close(fd_); }

  uint32_t id() const { return id_; }
  uint64_t Next() { return ++payload_; }

  // Appends a frame to the send buffer; Flush() writes it out.
  void Send(const Envelope& e) { EncodeFrame(e, &out_); }
  void Flush() {
    size_t done = 0;
    while (done < out_.size()) {
      ssize_t n = ::send(fd_, out_.data() + done, out_.size() - done, MSG_NOSIGNAL);
      if (n <= 0) Die("send failed");
      done += static_cast<size_t>(n);
    }
    out_.clear();
  }

  Envelope Receive() {
    for (;;) {
      auto next = decoder_.Next();
      if (!next.ok()) Die(next.status().ToString());
      if (next->has_value()) return std::move(**next);
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) Die("connection closed");
      decoder_.Append(std::string_view(buf, static_cast<size_t>(n)));
    }
  }

  // Receives frames until the end of one response; returns its payload id.
  uint64_t ReceiveResponse(std::vector<Row>* rows) {
    for (;;) {
      Envelope e = Receive();
      if (auto* b = std::get_if<RowBatch>(&e.message); b && rows) {
        for (Row& r : b->rows) rows->push_back(std::move(r));
      }
      if (auto* err = std::get_if<ErrorMessage>(&e.message)) Die(ToStatus(*err).ToString());
      if (std::holds_alternative<Complete>(e.message) ||
          std::holds_alternative<StatementDescription>(e.message)) {
        return e.payload_id;
      }
    }
  }

  // Sends one request and waits for its response.
  std::vector<Row> Call(Message m) {
    Send({id_, Next(), std::move(m)});
    Flush();
    std::vector<Row> rows;
    ReceiveResponse(&rows);
    return rows;
  }

 private:
  int fd_ = -1;
  uint32_t id_ = 0;
  uint64_t payload_ = 0;
  std::string out_;
  FrameDecoder decoder_{kMaxServerFrameBytes};
};

void Setup(const Flags& f) {
  Connection c(f.port);
  c.Call(Query{"CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT)"});
  uint64_t statement = c.Next();
  c.Send({c.id(), statement, Prepare{"INSERT INTO kv VALUES ($1, $2)"}});
  c.Flush();
  c.ReceiveResponse(nullptr);
  for (int64_t k = 0; k < f.rows;) {
    Execute e{statement, 2, {}};
    for (int64_t end = std::min(f.rows, k + 10000); k < end; ++k) {
      e.rows.push_back({Value::Integer(k), Value::Text("value-" + std::to_string(k))});
    }
    c.Call(std::move(e));
  }
}

struct Stats {
  uint64_t requests = 0;
  std::vector<uint32_t> latencies_us;  // a sample: every request
};

void Worker(const Flags& f, int index, std::atomic<bool>* stop, Stats* stats) {
  Connection c(f.port);
  std::mt19937_64 rng(index + 1);
  uint64_t statement = 0;
  if (f.mode != "query") {
    statement = c.Next();
    c.Send({c.id(), statement,
            Prepare{f.mode == "insert" ? "INSERT INTO kv VALUES ($1, $2)"
                                       : "SELECT v FROM kv WHERE k = $1"}});
    c.Flush();
    c.ReceiveResponse(nullptr);
  }
  // Inserts use keys above the loaded ones: a range per connection, and a
  // start that differs from run to run, so runs can repeat on one table.
  auto run_start = static_cast<int64_t>(
      std::chrono::system_clock::now().time_since_epoch().count() % (int64_t{1} << 38));
  int64_t next_insert =
      f.rows + static_cast<int64_t>(index + 1) * (int64_t{1} << 40) + (run_start << 1);
  std::vector<Clock::time_point> started;  // by payload id
  auto send_one = [&] {
    uint64_t payload = c.Next();
    if (f.mode == "insert") {
      c.Send({c.id(), payload,
              Execute{statement, 2, {{Value::Integer(next_insert++), Value::Text("new")}}}});
    } else {
      int64_t k = static_cast<int64_t>(rng() % static_cast<uint64_t>(f.rows));
      if (f.mode == "query") {
        c.Send({c.id(), payload, Query{"SELECT v FROM kv WHERE k = " + std::to_string(k)}});
      } else {
        c.Send({c.id(), payload, Execute{statement, 1, {{Value::Integer(k)}}}});
      }
    }
    if (started.size() <= payload) started.resize(payload * 2 + 16);
    started[payload] = Clock::now();
  };
  for (int i = 0; i < f.depth; ++i) send_one();
  c.Flush();
  std::vector<Row> rows;
  while (!stop->load(std::memory_order_relaxed)) {
    rows.clear();
    uint64_t done = c.ReceiveResponse(&rows);
    auto now = Clock::now();
    if (f.mode != "insert" && rows.size() != 1) Die("a point read did not return one row");
    stats->latencies_us.push_back(static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - started[done]).count()));
    ++stats->requests;
    send_one();
    c.Flush();
  }
  for (int i = 0; i < f.depth; ++i) c.ReceiveResponse(nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--port")
      f.port = std::stoi(value());
    else if (a == "--mode")
      f.mode = value();
    else if (a == "--connections")
      f.connections = std::stoi(value());
    else if (a == "--depth")
      f.depth = std::stoi(value());
    else if (a == "--seconds")
      f.seconds = std::stod(value());
    else if (a == "--rows")
      f.rows = std::stoll(value());
    else if (a == "--setup")
      f.setup = true;
    else
      Die("unknown flag " + a);
  }
  if (f.mode != "query" && f.mode != "execute" && f.mode != "insert") Die("bad --mode");
  if (f.setup) Setup(f);

  std::atomic<bool> stop{false};
  std::vector<Stats> stats(static_cast<size_t>(f.connections));
  std::vector<std::thread> threads;
  auto begin = Clock::now();
  for (int i = 0; i < f.connections; ++i) {
    threads.emplace_back(Worker, std::cref(f), i, &stop, &stats[static_cast<size_t>(i)]);
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(f.seconds));
  stop = true;
  for (std::thread& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();

  uint64_t total = 0;
  std::vector<uint32_t> all;
  for (Stats& s : stats) {
    total += s.requests;
    all.insert(all.end(), s.latencies_us.begin(), s.latencies_us.end());
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0u : all[static_cast<size_t>(p * (all.size() - 1))];
  };
  std::printf(
      "mode=%s connections=%d depth=%d: %.0f requests/s, p50 %u us, p99 %u us (%llu in %.1f s)\n",
      f.mode.c_str(), f.connections, f.depth, total / elapsed, pct(0.5), pct(0.99),
      static_cast<unsigned long long>(total), elapsed);
  return 0;
}
