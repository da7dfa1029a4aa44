// Sha256: a streaming SHA-256 digest, for the checksums of backup.csv.
//
// The only user of OpenSSL's libcrypto in kopf (EVP interface), so that
// replacing it touches this file pair alone.
//
// Thread-safety: one object per thread; distinct objects are independent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kopf::cerebrum {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // Adds `bytes` to the digest.
  void Update(std::string_view bytes);
  // The digest of everything added, as 64 lower-case hex digits. Ends the
  // object's use: call nothing else afterwards.
  std::string HexDigest();

  // The digest of `bytes` in one call.
  static std::string Of(std::string_view bytes);

 private:
  struct Context;  // EVP_MD_CTX, kept out of this header
  Context* ctx_;
};

}  // namespace kopf::cerebrum
