// SCRAM-SHA-256 over OpenSSL's libcrypto (PBKDF2, HMAC, SHA-256, random
// bytes). The message grammar is RFC 5802 section 7; names in comments
// (ClientKey, AuthMessage, ...) are the RFC's, section 3.
#include "protocol/auth.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "protocol/frame_decoder.h"

namespace kopf::protocol::scram {

namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Key Hmac(std::span<const uint8_t> key, std::string_view data) {
  Key out{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
  return out;
}

Key Sha256(std::span<const uint8_t> data) {
  Key out{};
  SHA256(data.data(), data.size(), out.data());
  return out;
}

Key Xor(const Key& a, const Key& b) {
  Key out{};
  for (size_t i = 0; i < out.size(); ++i) out[i] = a[i] ^ b[i];
  return out;
}

// One "x=value" attribute of a SCRAM message.
struct Attribute {
  char name = 0;
  std::string_view value;
};

// Splits "a=1,b=2" into attributes. Fails when a part is not "<letter>=...".
Result<std::vector<Attribute>> SplitAttributes(std::string_view message, std::string_view what) {
  std::vector<Attribute> out;
  size_t start = 0;
  for (;;) {
    size_t comma = message.find(',', start);
    std::string_view part = message.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (part.size() < 2 || part[1] != '=' || !std::isalpha(static_cast<unsigned char>(part[0]))) {
      return Status::ProtocolViolation(std::string(what) + ": malformed attribute \"" +
                                       std::string(part) + "\"");
    }
    out.push_back({part[0], part.substr(2)});
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

// Requires attribute `index` to be `name`; returns its value.
Result<std::string_view> Expect(const std::vector<Attribute>& attributes, size_t index, char name,
                                std::string_view what) {
  if (index >= attributes.size() || attributes[index].name != name) {
    return Status::ProtocolViolation(std::string(what) + ": expected the \"" +
                                     std::string(1, name) + "=\" attribute at position " +
                                     std::to_string(index + 1));
  }
  return attributes[index].value;
}

// A nonce is printable ASCII other than ',' (RFC 5802 "printable").
bool IsPrintable(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  }
  return true;
}

// saslname: ',' and '=' travel as "=2C" and "=3D".
std::string EncodeName(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> DecodeName(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out += text[i];
    } else if (text.substr(i, 3) == "=2C") {
      out += ',';
      i += 2;
    } else if (text.substr(i, 3) == "=3D") {
      out += '=';
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

Result<Key> DecodeKey(std::string_view text, std::string_view what) {
  std::optional<Key> key = Base64DecodeKey(text);
  if (!key) return Status::ProtocolViolation(std::string(what) + " is not the base64 of 32 bytes");
  return *key;
}

}  // namespace

// ---- Math ----

Result<Credentials> DeriveCredentials(std::string_view password, std::string_view salt,
                                      uint32_t iterations) {
  if (iterations == 0) return Status::InvalidValue("SCRAM iteration count must be positive");
  if (salt.empty()) return Status::InvalidValue("SCRAM salt must not be empty");
  Key salted{};
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(salted.size()), salted.data()) != 1) {
    return Status::Internal("PBKDF2 failed");
  }
  Credentials c;
  c.salt = std::string(salt);
  c.iterations = iterations;
  c.stored_key = Sha256(Hmac(salted, "Client Key"));
  c.server_key = Hmac(salted, "Server Key");
  OPENSSL_cleanse(salted.data(), salted.size());
  return c;
}

Credentials DecoyCredentials(std::string_view secret, std::string_view user) {
  Credentials c;
  Key salt = Hmac(Bytes(secret), "salt:" + std::string(user));
  c.salt.assign(reinterpret_cast<const char*>(salt.data()), kSaltBytes);
  c.iterations = kDefaultIterations;
  c.stored_key = Hmac(Bytes(secret), "stored:" + std::string(user));
  c.server_key = Hmac(Bytes(secret), "server:" + std::string(user));
  return c;
}

Result<std::string> RandomBytes(size_t count) {
  std::string out(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    return Status::Internal("no random bytes available");
  }
  return out;
}

Result<std::string> NewNonce() {
  KOPF_ASSIGN_OR_RETURN(std::string bytes, RandomBytes(kNonceBytes));
  return Base64Encode(bytes);
}

std::string Base64Encode(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = uint32_t{bytes[i]} << 16;
    if (i + 1 < bytes.size()) n |= uint32_t{bytes[i + 1]} << 8;
    if (i + 2 < bytes.size()) n |= bytes[i + 2];
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kBase64Alphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kBase64Alphabet[n & 63] : '=';
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) { return Base64Encode(Bytes(bytes)); }

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    uint32_t n = 0;
    int padding = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        ++padding;
        n <<= 6;
        continue;
      }
      size_t v = kBase64Alphabet.find(c);
      if (v == std::string_view::npos || c == '\0' || padding > 0) return std::nullopt;
      n = (n << 6) | static_cast<uint32_t>(v);
    }
    out += static_cast<char>(n >> 16);
    if (padding < 2) out += static_cast<char>((n >> 8) & 0xFF);
    if (padding < 1) out += static_cast<char>(n & 0xFF);
  }
  return out;
}

std::optional<Key> Base64DecodeKey(std::string_view text) {
  std::optional<std::string> bytes = Base64Decode(text);
  Key key{};
  if (!bytes || bytes->size() != key.size()) return std::nullopt;
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

bool ConstantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// ---- Client ----

ScramClient::ScramClient(std::string password, std::string nonce, std::string client_first_bare)
    : password_(std::move(password)),
      nonce_(std::move(nonce)),
      client_first_("n,," + client_first_bare),
      client_first_bare_(std::move(client_first_bare)) {}

Result<ScramClient> ScramClient::Start(std::string_view user, std::string password) {
  KOPF_ASSIGN_OR_RETURN(std::string nonce, NewNonce());
  return StartWithNonce(user, std::move(password), std::move(nonce));
}

Result<ScramClient> ScramClient::StartWithNonce(std::string_view user, std::string password,
                                                std::string nonce) {
  if (user.empty()) return Status::InvalidValue("the user name is empty");
  if (!IsValidUtf8(user)) return Status::InvalidValue("the user name is not valid UTF-8");
  if (!IsPrintable(nonce)) return Status::InvalidValue("a SCRAM nonce must be printable ASCII");
  std::string bare = "n=" + EncodeName(user) + ",r=" + nonce;
  return ScramClient(std::move(password), std::move(nonce), std::move(bare));
}

Status ScramClient::Fail(Status status) {
  step_ = Step::kFailed;
  failure_ = std::move(status);
  OPENSSL_cleanse(password_.data(), password_.size());
  return failure_;
}

Result<std::string> ScramClient::OnServerFirst(std::string_view server_first) {
  if (step_ == Step::kFailed) return failure_;
  if (step_ != Step::kSentFirst) {
    return Fail(Status::ProtocolViolation("SCRAM: a second server-first-message"));
  }
  constexpr std::string_view kWhat = "SCRAM server-first-message";
  auto attributes = SplitAttributes(server_first, kWhat);
  if (!attributes.ok()) return Fail(attributes.status());
  auto nonce = Expect(*attributes, 0, 'r', kWhat);
  auto salt_text = Expect(*attributes, 1, 's', kWhat);
  auto iterations_text = Expect(*attributes, 2, 'i', kWhat);
  for (const auto* r : {&nonce, &salt_text, &iterations_text}) {
    if (!r->ok()) return Fail(r->status());
  }
  if (!nonce->starts_with(nonce_) || nonce->size() == nonce_.size() || !IsPrintable(*nonce)) {
    return Fail(
        Status::ProtocolViolation("SCRAM: the server's nonce does not extend the client's nonce"));
  }
  std::optional<std::string> salt = Base64Decode(*salt_text);
  if (!salt || salt->empty()) {
    return Fail(Status::ProtocolViolation("SCRAM: the salt is not non-empty base64"));
  }
  uint32_t iterations = 0;
  auto [end, ec] = std::from_chars(iterations_text->data(),
                                   iterations_text->data() + iterations_text->size(), iterations);
  if (ec != std::errc() || end != iterations_text->data() + iterations_text->size()) {
    return Fail(Status::ProtocolViolation("SCRAM: the iteration count is not a number"));
  }
  if (iterations < kMinIterations || iterations > kMaxIterations) {
    return Fail(Status::ProtocolViolation("SCRAM: iteration count " + std::to_string(iterations) +
                                          " is outside " + std::to_string(kMinIterations) + ".." +
                                          std::to_string(kMaxIterations)));
  }

  // SaltedPassword, ClientKey, StoredKey; ClientProof = ClientKey XOR
  // HMAC(StoredKey, AuthMessage); ServerSignature = HMAC(ServerKey, AuthMessage).
  Key salted{};
  if (PKCS5_PBKDF2_HMAC(password_.data(), static_cast<int>(password_.size()),
                        reinterpret_cast<const unsigned char*>(salt->data()),
                        static_cast<int>(salt->size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(salted.size()), salted.data()) != 1) {
    return Fail(Status::Internal("PBKDF2 failed"));
  }
  OPENSSL_cleanse(password_.data(), password_.size());
  password_.clear();
  Key client_key = Hmac(salted, "Client Key");
  Key stored_key = Sha256(client_key);
  Key server_key = Hmac(salted, "Server Key");
  OPENSSL_cleanse(salted.data(), salted.size());

  std::string without_proof =
      "c=" + Base64Encode(std::string_view("n,,")) + ",r=" + std::string(*nonce);
  auth_message_ = client_first_bare_ + "," + std::string(server_first) + "," + without_proof;
  Key proof = Xor(client_key, Hmac(stored_key, auth_message_));
  server_signature_ = Hmac(server_key, auth_message_);
  OPENSSL_cleanse(client_key.data(), client_key.size());
  step_ = Step::kSentFinal;
  return without_proof + ",p=" + Base64Encode(proof);
}

Status ScramClient::OnServerFinal(std::string_view server_final) {
  if (step_ == Step::kFailed) return failure_;
  if (step_ != Step::kSentFinal) {
    return Fail(Status::ProtocolViolation("SCRAM: server-final-message out of turn"));
  }
  constexpr std::string_view kWhat = "SCRAM server-final-message";
  auto attributes = SplitAttributes(server_final, kWhat);
  if (!attributes.ok()) return Fail(attributes.status());
  if ((*attributes)[0].name == 'e') {
    return Fail(
        Status::AuthenticationFailed("the server refused: " + std::string((*attributes)[0].value)));
  }
  auto verifier = Expect(*attributes, 0, 'v', kWhat);
  if (!verifier.ok()) return Fail(verifier.status());
  auto signature = DecodeKey(*verifier, "SCRAM: the server signature");
  if (!signature.ok()) return Fail(signature.status());
  if (!ConstantTimeEqual(*signature, server_signature_)) {
    return Fail(Status::AuthenticationFailed(
        "the server's SCRAM signature is wrong: it does not know this user's password"));
  }
  step_ = Step::kDone;
  return Status::Ok();
}

// ---- Server ----

Result<ClientFirst> ParseClientFirst(std::string_view message) {
  constexpr std::string_view kWhat = "SCRAM client-first-message";
  // gs2-header: cbind-flag "," [authzid] ","
  ClientFirst out;
  if (message.starts_with("p=")) {
    return Status::ProtocolViolation("SCRAM: channel binding is not supported");
  }
  if (!message.starts_with("n,") && !message.starts_with("y,")) {
    return Status::ProtocolViolation(std::string(kWhat) +
                                     ": must start with the GS2 header \"n,,\"");
  }
  size_t second = message.find(',', 2);
  if (second == std::string_view::npos) {
    return Status::ProtocolViolation(std::string(kWhat) + ": truncated GS2 header");
  }
  if (second != 2) {
    return Status::ProtocolViolation("SCRAM: authorization identities (a=) are not supported");
  }
  out.gs2_header = std::string(message.substr(0, 3));
  out.bare = std::string(message.substr(3));
  KOPF_ASSIGN_OR_RETURN(std::vector<Attribute> attributes, SplitAttributes(out.bare, kWhat));
  if (attributes[0].name == 'm') {
    return Status::ProtocolViolation("SCRAM: mandatory extensions (m=) are not supported");
  }
  KOPF_ASSIGN_OR_RETURN(std::string_view name, Expect(attributes, 0, 'n', kWhat));
  KOPF_ASSIGN_OR_RETURN(std::string_view nonce, Expect(attributes, 1, 'r', kWhat));
  std::optional<std::string> user = DecodeName(name);
  if (!user || user->empty() || !IsValidUtf8(*user)) {
    return Status::ProtocolViolation(std::string(kWhat) + ": bad user name");
  }
  if (!IsPrintable(nonce)) {
    return Status::ProtocolViolation(std::string(kWhat) + ": the nonce is not printable ASCII");
  }
  out.user = std::move(*user);
  out.nonce = std::string(nonce);
  return out;
}

ScramServer::ScramServer(ClientFirst client_first, Credentials credentials,
                         std::string server_nonce)
    : client_first_(std::move(client_first)),
      credentials_(std::move(credentials)),
      nonce_(client_first_.nonce + server_nonce),
      server_first_("r=" + nonce_ + ",s=" + Base64Encode(credentials_.salt) +
                    ",i=" + std::to_string(credentials_.iterations)) {}

Result<std::string> ScramServer::OnClientFinal(std::string_view client_final) {
  constexpr std::string_view kWhat = "SCRAM client-final-message";
  size_t proof_at = client_final.rfind(",p=");
  if (proof_at == std::string_view::npos) {
    return Status::ProtocolViolation(std::string(kWhat) + ": no proof (p=) at the end");
  }
  std::string_view without_proof = client_final.substr(0, proof_at);
  KOPF_ASSIGN_OR_RETURN(std::vector<Attribute> attributes, SplitAttributes(without_proof, kWhat));
  KOPF_ASSIGN_OR_RETURN(std::string_view binding, Expect(attributes, 0, 'c', kWhat));
  KOPF_ASSIGN_OR_RETURN(std::string_view nonce, Expect(attributes, 1, 'r', kWhat));
  if (binding != Base64Encode(client_first_.gs2_header)) {
    return Status::ProtocolViolation(
        "SCRAM: the channel binding (c=) does not repeat the GS2 "
        "header of the client-first-message");
  }
  if (nonce != nonce_) {
    return Status::ProtocolViolation("SCRAM: the nonce (r=) is not this exchange's nonce");
  }
  KOPF_ASSIGN_OR_RETURN(Key proof,
                        DecodeKey(client_final.substr(proof_at + 3), "SCRAM: the proof (p=)"));

  // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); the proof is
  // right when H(ClientKey) == StoredKey.
  std::string auth_message =
      client_first_.bare + "," + server_first_ + "," + std::string(without_proof);
  Key client_key = Xor(proof, Hmac(credentials_.stored_key, auth_message));
  if (!ConstantTimeEqual(Sha256(client_key), credentials_.stored_key)) {
    return Status::AuthenticationFailed("authentication failed for user \"" + client_first_.user +
                                        "\"");
  }
  return "v=" + Base64Encode(Hmac(credentials_.server_key, auth_message));
}

}  // namespace kopf::protocol::scram
