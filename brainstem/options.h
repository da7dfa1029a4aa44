// Options for the network edge: where to listen and the limits that keep
// one client from exhausting the server. Every field has its default here
// with the trade-off it controls; brainstem/main.cc fills it from flags.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "protocol/frame_format.h"

namespace kopf::brainstem {

struct Options {
  // Address to listen on: an IP address or a host name that resolves to
  // one. The default accepts local connections only.
  std::string host = "127.0.0.1";
  // TCP port; 0 lets the kernel pick a free one (tests), see Server::port().
  uint16_t port = 5433;
  // Largest frame accepted from a client. Bounds the memory one request
  // can pin before it is even parsed; a larger frame is a protocol
  // violation that closes the connection.
  uint32_t max_frame_bytes = protocol::kDefaultMaxFrameBytes;
  // Encoded response bytes a connection may have waiting behind the one
  // being written. A client that stops reading is disconnected past it, so
  // it cannot make the server buffer without bound. A large result does
  // not count against it whole: it is encoded a piece at a time as the
  // client reads (PROTOCOL.md section 6).
  size_t max_queued_bytes = size_t{64} << 20;
  // Requests of one connection submitted and not yet answered. Past it the
  // session stops reading from that client (TCP pushes back) instead of
  // queuing more work; it is not an error.
  size_t max_requests_in_flight = 1024;
  // Threads running the network event loop. One is plenty for thousands of
  // connections, since statements run on the engine's workers.
  int io_threads = 1;
  // At shutdown, how long connections get to finish their in-flight
  // requests before they are closed regardless.
  std::chrono::milliseconds shutdown_grace{10000};
  // Time from accepting a connection to sending its WELCOME. A client that
  // has not finished HELLO (and the SCRAM exchange) by then is closed, so
  // half-open logins cannot pile up. Long enough for a slow network and the
  // client's PBKDF2; 0 disables it.
  std::chrono::milliseconds handshake_timeout{10000};
  // How long a network thread keeps polling for more work before it sleeps
  // (brainstem/main.cc, RunPolling). Saves the wake-up of a sleeping core on
  // each request of a client that sends one at a time, at the price of up to
  // this much CPU after each burst; 0 sleeps at once. Between two empty
  // polls it yields its core, so a client on the same core is not kept
  // waiting. 200 µs outlasts a quick fdatasync, so the replies of a
  // durable round do not wait for the network thread to wake.
  std::chrono::microseconds io_poll{200};
  // A COPY FROM STDIN whose client sends nothing (no COPY_DATA, COPY_DONE
  // or COPY_FAIL) for this long is cancelled, and the worker thread it held
  // is free again, so a stalled client cannot hold workers for ever; 0
  // waits for ever.
  std::chrono::milliseconds copy_idle_timeout{60000};
};

}  // namespace kopf::brainstem
