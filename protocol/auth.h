// SCRAM-SHA-256 (RFC 5802, RFC 7677): the password check of the kopf
// handshake (protocol/PROTOCOL.md, section 5.1), without any I/O.
//
// The password never travels: the client proves it knows it by an HMAC over
// the whole exchange, and the server proves in turn that it holds the
// user's stored key. The server keeps only a salted, iterated hash
// (Credentials); stealing the users file does not let anyone log in
// without first cracking PBKDF2 for each password.
//
// The three parts:
//   - the math: DeriveCredentials, base64, nonces, constant-time compare;
//   - ScramClient: the client's state machine, one call per server message,
//     shared by the blocking client, the async client and the tests;
//   - ParseClientFirst + ScramServer: the server's half, fed by
//     brainstem/auth.h with the user's credentials.
//
// Deviations from RFC 5802, documented in PROTOCOL.md: passwords are used as
// their UTF-8 bytes without SASLprep; channel binding and authorization
// identities are refused; a failure reaches the client as an ERROR frame
// rather than a server-final "e=" attribute.
//
// Thread-safety: free functions are thread-safe; a ScramClient or
// ScramServer belongs to one connection and one thread at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/status.h"

namespace kopf::protocol::scram {

// The mechanism name AUTH_CHALLENGE carries.
inline constexpr std::string_view kMechanism = "SCRAM-SHA-256";
// PBKDF2 iterations: kDefaultIterations for new passwords (RFC 7677's
// minimum, about 3 ms of one core); a client refuses a challenge outside
// [kMinIterations, kMaxIterations], so a rogue server can neither weaken
// the proof it gets nor make the client spin for minutes.
inline constexpr uint32_t kDefaultIterations = 4096;
inline constexpr uint32_t kMinIterations = 4096;
inline constexpr uint32_t kMaxIterations = 10'000'000;
// Random bytes in a new salt and in each side's nonce (before base64).
inline constexpr size_t kSaltBytes = 16;
inline constexpr size_t kNonceBytes = 18;

// A SHA-256 sized key or proof.
using Key = std::array<uint8_t, 32>;

// What the server stores for a user (RFC 5802 section 3).
struct Credentials {
  std::string salt;  // raw bytes
  uint32_t iterations = kDefaultIterations;
  Key stored_key{};  // H(HMAC(SaltedPassword, "Client Key"))
  Key server_key{};  // HMAC(SaltedPassword, "Server Key")
  bool operator==(const Credentials&) const = default;
};

// Derives the credentials for `password` with `salt` and `iterations`.
// Fails with kInvalidValue when iterations is 0 or the salt is empty, and
// kInternal when the crypto library fails.
Result<Credentials> DeriveCredentials(std::string_view password, std::string_view salt,
                                      uint32_t iterations);

// Made-up credentials for a user that does not exist, derived from a
// server secret so the same name always gets the same salt: a client
// probing names sees the same kind of challenge for every name, and the
// exchange fails only at the proof, as for a wrong password.
Credentials DecoyCredentials(std::string_view secret, std::string_view user);

// `count` bytes from the operating system's random source (kInternal when
// none is available).
Result<std::string> RandomBytes(size_t count);

// A fresh printable nonce: base64 of kNonceBytes random bytes.
Result<std::string> NewNonce();

// Standard base64 with padding (RFC 4648 section 4).
std::string Base64Encode(std::span<const uint8_t> bytes);
std::string Base64Encode(std::string_view bytes);
// Decodes strict base64: the standard alphabet, length a multiple of 4,
// '=' only as final padding. nullopt on anything else.
std::optional<std::string> Base64Decode(std::string_view text);
// Decodes the base64 of exactly one Key; nullopt on anything else.
std::optional<Key> Base64DecodeKey(std::string_view text);

// Compares in time that depends only on the sizes, not the contents.
bool ConstantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b);

// ---- Client ----

// The client's side of one exchange:
//   client_first()       -> goes into HELLO
//   OnServerFirst(text)  <- AUTH_CHALLENGE; returns what goes into AUTH_RESPONSE
//   OnServerFinal(text)  <- AUTH_OK; checks the server's signature
// Every failure is final: later calls fail with the same Status.
class ScramClient {
 public:
  // Starts an exchange for `user` with a random nonce. Fails with
  // kInvalidValue for an empty or non-UTF-8 user name.
  static Result<ScramClient> Start(std::string_view user, std::string password);
  // The same with a given nonce (test vectors). REQUIRES: `nonce` is
  // non-empty printable ASCII without ','.
  static Result<ScramClient> StartWithNonce(std::string_view user, std::string password,
                                            std::string nonce);

  // The client-first-message, e.g. "n,,n=user,r=rOprNGfwEbeRWgbNEkqO".
  const std::string& client_first() const { return client_first_; }

  // Answers the server-first-message with the client-final-message. Fails
  // with kProtocolViolation when the message is malformed, its nonce does
  // not extend ours, or its iteration count is outside the bounds above.
  Result<std::string> OnServerFirst(std::string_view server_first);

  // Checks the server-final-message. Fails with kAuthenticationFailed when
  // the server's signature is wrong (it does not know the password either),
  // kProtocolViolation when the message is malformed or out of turn.
  Status OnServerFinal(std::string_view server_final);

 private:
  ScramClient(std::string password, std::string nonce, std::string client_first_bare);
  Status Fail(Status status);

  enum class Step { kSentFirst, kSentFinal, kDone, kFailed };
  Step step_ = Step::kSentFirst;
  Status failure_;
  std::string password_;
  std::string nonce_;
  std::string client_first_;  // with the GS2 header
  std::string client_first_bare_;
  std::string auth_message_;  // set by OnServerFirst
  Key server_signature_{};    // expected in the server-final-message
};

// ---- Server ----

// A parsed client-first-message.
struct ClientFirst {
  std::string user;        // the n= attribute, '=2C' and '=3D' decoded
  std::string nonce;       // the r= attribute
  std::string gs2_header;  // "n,," or "y,,"
  std::string bare;        // client-first-message-bare, for the AuthMessage
};

// Parses a client-first-message. Fails with kProtocolViolation (saying
// which attribute) when malformed, or when it asks for channel binding,
// an authorization identity or a mandatory extension.
Result<ClientFirst> ParseClientFirst(std::string_view message);

// The server's side of one exchange, after ParseClientFirst:
//   server_first()        -> AUTH_CHALLENGE
//   OnClientFinal(text)   <- AUTH_RESPONSE; returns what goes into AUTH_OK
class ScramServer {
 public:
  // `credentials` belong to client_first.user. For a user that does not
  // exist the caller passes made-up credentials: the exchange then looks
  // the same and fails at the proof exactly as a wrong password does.
  ScramServer(ClientFirst client_first, Credentials credentials, std::string server_nonce);

  // The server-first-message "r=<nonce>,s=<salt>,i=<iterations>".
  const std::string& server_first() const { return server_first_; }

  // Verifies the client-final-message and returns the server-final-message
  // "v=<signature>". Fails with kAuthenticationFailed when the proof is
  // wrong, kProtocolViolation when the message is malformed (a nonce or
  // channel binding that does not match this exchange included).
  Result<std::string> OnClientFinal(std::string_view client_final);

 private:
  ClientFirst client_first_;
  Credentials credentials_;
  std::string nonce_;  // client nonce + server nonce
  std::string server_first_;
};

}  // namespace kopf::protocol::scram
