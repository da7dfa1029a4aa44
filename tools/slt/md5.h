// Md5: the MD5 message digest of RFC 1321, written for kopf-slt.
//
// sqllogictest abbreviates large query results as "N values hashing to
// <md5>", so the runner needs MD5 and nothing stronger; this is not for
// security. Feed bytes with Update() in any number of pieces, then call
// Finish() once. HexDigest() is the one-shot form the runner uses.
//
// Thread-safety: a value type; one Md5 per thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace kopf::slt {

class Md5 {
 public:
  using Digest = std::array<uint8_t, 16>;

  Md5();

  // Appends `bytes` to the message. REQUIRES: Finish() was not called.
  void Update(std::string_view bytes);
  // Pads the message and returns its digest. Call at most once.
  Digest Finish();

  // 32 lowercase hex digits of `digest`.
  static std::string ToHex(const Digest& digest);
  // The MD5 of `bytes` as 32 lowercase hex digits.
  static std::string HexDigest(std::string_view bytes);

 private:
  void Transform(const uint8_t* block);  // one 64-byte block

  std::array<uint32_t, 4> state_;
  uint64_t length_ = 0;  // message bytes seen so far
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
};

}  // namespace kopf::slt
