#include "tests/support/raw_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

#include <doctest/doctest.h>

#include "protocol/frame_encoder.h"

namespace kopf::testing {

RawConnection::RawConnection(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd_ >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval timeout{10, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::SendBytes(std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool RawConnection::Send(const protocol::Envelope& envelope) {
  std::string bytes;
  protocol::EncodeFrame(envelope, &bytes);
  return SendBytes(bytes);
}

uint32_t RawConnection::Handshake() {
  protocol::Hello hello;
  hello.client_name = "raw-test";
  if (!Send({0, 0, hello})) return 0;
  auto reply = Receive();
  if (!reply) return 0;
  auto* welcome = std::get_if<protocol::Welcome>(&reply->message);
  return welcome ? welcome->client_id : 0;
}

std::optional<protocol::Envelope> RawConnection::Receive() {
  while (true) {
    auto next = decoder_.Next();
    if (!next.ok()) return std::nullopt;
    if (next->has_value()) return std::move(**next);
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    decoder_.Append(std::string_view(buf, static_cast<size_t>(n)));
  }
}

bool RawConnection::WaitClosed() {
  char buf[4096];
  while (true) {
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == ECONNRESET;
  }
}

}  // namespace kopf::testing
