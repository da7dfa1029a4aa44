// RawConnection: a plain TCP connection to a test server that sends any
// bytes and reads frames back, for tests of malformed input and of the
// handshake. Blocking, with a receive timeout so a broken server fails the
// test instead of hanging it.
//
// Thread-safety: one thread per connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/frame_decoder.h"
#include "protocol/message.h"

namespace kopf::testing {

class RawConnection {
 public:
  // Connects to 127.0.0.1:port; fails the test on error.
  explicit RawConnection(uint16_t port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Sends bytes as they are. False when the peer has closed.
  bool SendBytes(std::string_view bytes);
  // Encodes and sends one frame.
  bool Send(const protocol::Envelope& envelope);
  // Sends HELLO and returns the client id from WELCOME (0 on failure).
  uint32_t Handshake();
  // The next frame, or nullopt when the connection closed (or 10 s passed).
  std::optional<protocol::Envelope> Receive();
  // True when the server closes the connection within 10 s.
  bool WaitClosed();

 private:
  int fd_ = -1;
  protocol::FrameDecoder decoder_{64u << 20};
};

}  // namespace kopf::testing
