// ConnectionString: where and as whom to connect, written as one URL:
//
//   kopf://[user[:password]@][host][:port][/]
//
// Examples: "kopf://127.0.0.1:5433", "kopf://ann:s%40cret@db.example",
// "kopf://[::1]:6000", "kopf://" (all defaults). The scheme is required so a
// bare host name is never mistaken for a URL. User, password and host are
// percent-decoded (RFC 3986), so '@', ':' and '/' inside a password are
// written %40, %3A and %2F. An IPv6 address goes in brackets. kopf has one
// database per server, so there is no path beyond an optional '/', and no
// query or fragment.
//
// The shell, the examples and kopf-bench take addresses in this form; the
// shell also reads it from $KOPF_URL.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/client.h"
#include "protocol/status.h"

namespace kopf::protocol {

struct ConnectionString {
  static constexpr const char* kDefaultHost = "127.0.0.1";
  static constexpr uint16_t kDefaultPort = 5433;

  std::string user;      // empty: none given
  std::string password;  // empty: none given
  std::string host = kDefaultHost;  // without IPv6 brackets
  uint16_t port = kDefaultPort;

  // The URL again, percent-encoded where needed; the password shows as
  // "***" unless `with_password`, so the result is safe to print.
  std::string ToString(bool with_password = false) const;
  // "host:port", IPv6 in brackets: for messages.
  std::string Address() const;

  bool operator==(const ConnectionString&) const = default;

  // Client options carrying this address's user and password, for
  // Client::Connect and AsyncClient::Connect.
  ClientOptions Options(std::string client_name) const {
    ClientOptions options;
    options.client_name = std::move(client_name);
    options.user = user;
    options.password = password;
    return options;
  }
};

// Parses `text`. Fails with kInvalidValue naming the problem and its 0-based
// offset in `text` as the Status position: a missing "kopf://" scheme, a bad
// %XX escape, an unclosed '[', a port that is not 1..65535, a path, query or
// fragment. Parts left out keep ConnectionString's defaults.
Result<ConnectionString> ParseConnectionString(std::string_view text);

}  // namespace kopf::protocol
