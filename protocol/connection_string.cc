#include "protocol/connection_string.h"

#include <charconv>
#include <string>

#include "protocol/frame_decoder.h"

namespace kopf::protocol {

namespace {

constexpr std::string_view kScheme = "kopf://";

Status Bad(std::string_view what, size_t offset) {
  return Status::InvalidValue("bad connection string: " + std::string(what),
                              static_cast<int32_t>(offset));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes of `part`, which starts at `offset` in the whole text.
Result<std::string> PercentDecode(std::string_view part, size_t offset, std::string_view name) {
  std::string out;
  for (size_t i = 0; i < part.size(); ++i) {
    if (part[i] != '%') {
      out += part[i];
      continue;
    }
    int high = i + 1 < part.size() ? HexDigit(part[i + 1]) : -1;
    int low = i + 2 < part.size() ? HexDigit(part[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return Bad(std::string(name) + " has a '%' not followed by two hex digits", offset + i);
    }
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  if (!IsValidUtf8(out)) return Bad(std::string(name) + " is not valid UTF-8", offset);
  return out;
}

// Percent-encodes everything but RFC 3986's unreserved characters.
std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                 c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace

Result<ConnectionString> ParseConnectionString(std::string_view text) {
  if (text.substr(0, kScheme.size()) != kScheme) {
    return Bad("expected it to start with \"kopf://\", as in kopf://user@host:port", 0);
  }
  ConnectionString cs;
  size_t pos = kScheme.size();
  std::string_view rest = text.substr(pos);

  // The authority ends at the first '/', '?' or '#'; only a lone '/' may follow.
  size_t end = rest.find_first_of("/?#");
  if (end != std::string_view::npos) {
    std::string_view tail = rest.substr(end);
    if (tail != "/") {
      return Bad(tail[0] == '/' ? "kopf has no databases: nothing may follow the '/'"
                                : "a query or fragment is not allowed",
                 pos + end + (tail[0] == '/' ? 1 : 0));
    }
    rest = rest.substr(0, end);
  }

  // userinfo@: the last '@' ends it, since the host cannot contain one.
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    size_t colon = userinfo.find(':');
    KOPF_ASSIGN_OR_RETURN(cs.user, PercentDecode(userinfo.substr(0, colon), pos, "the user"));
    if (colon != std::string_view::npos) {
      KOPF_ASSIGN_OR_RETURN(cs.password, PercentDecode(userinfo.substr(colon + 1),
                                                       pos + colon + 1, "the password"));
    }
    pos += at + 1;
    rest = rest.substr(at + 1);
  }

  // host, "[v6]" or empty, then an optional ":port".
  std::string_view host = rest;
  std::string_view port;
  size_t port_offset = 0;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return Bad("'[' of an IPv6 address is not closed", pos);
    host = rest.substr(1, close - 1);
    if (host.empty()) return Bad("empty IPv6 address in brackets", pos);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty() && after[0] != ':') {
      return Bad("expected ':' and a port after ']'", pos + close + 1);
    }
    if (!after.empty()) {
      port = after.substr(1);
      port_offset = pos + close + 2;
    }
  } else {
    size_t colon = rest.find(':');
    if (colon != std::string_view::npos) {
      if (rest.find(':', colon + 1) != std::string_view::npos) {
        return Bad("an IPv6 address must be written in brackets, as in kopf://[::1]:5433",
                   pos);
      }
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
      port_offset = pos + colon + 1;
    }
  }
  if (!host.empty()) {
    size_t host_offset = pos + (rest[0] == '[' ? 1 : 0);
    KOPF_ASSIGN_OR_RETURN(cs.host, PercentDecode(host, host_offset, "the host"));
  }
  if (port_offset != 0) {
    unsigned value = 0;
    auto [stop, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || stop != port.data() + port.size() || value == 0 ||
        value > 65535) {
      return Bad("the port \"" + std::string(port) + "\" is not a number from 1 to 65535",
                 port_offset);
    }
    cs.port = static_cast<uint16_t>(value);
  }
  return cs;
}

std::string ConnectionString::Address() const {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string ConnectionString::ToString(bool with_password) const {
  std::string out(kScheme);
  if (!user.empty() || !password.empty()) {
    out += PercentEncode(user);
    if (!password.empty()) out += ":" + (with_password ? PercentEncode(password) : "***");
    out += '@';
  }
  bool ipv6 = host.find(':') != std::string::npos;
  out += ipv6 ? "[" + host + "]" : PercentEncode(host);
  return out + ":" + std::to_string(port);
}

}  // namespace kopf::protocol
