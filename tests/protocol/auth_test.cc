// SCRAM-SHA-256 (protocol/auth.h): RFC 7677's example exchange byte for
// byte on both sides, then each way a message can be wrong.
#include "protocol/auth.h"

#include <string>

#include <doctest/doctest.h>

namespace kopf::protocol::scram {
namespace {

// RFC 7677 section 3: user "user", password "pencil".
constexpr std::string_view kClientNonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view kSalt = "W22ZaJ0SNY7soEsUEjb6gQ==";
constexpr std::string_view kClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

Credentials VectorCredentials() {
  auto c = DeriveCredentials("pencil", *Base64Decode(kSalt), 4096);
  REQUIRE(c.ok());
  return *c;
}

ScramClient VectorClient(std::string password = "pencil") {
  auto client = ScramClient::StartWithNonce("user", std::move(password), std::string(kClientNonce));
  REQUIRE(client.ok());
  return std::move(client).value();
}

ScramServer VectorServer() {
  auto first = ParseClientFirst(kClientFirst);
  REQUIRE(first.ok());
  return ScramServer(*first, VectorCredentials(), std::string(kServerNonce));
}

// Runs the exchange up to the proof, which the server must refuse just as
// it refuses a wrong password.
void CheckRefusedAtProof(ScramClient client, ScramServer& server) {
  auto client_final = client.OnServerFirst(server.server_first());
  REQUIRE(client_final.ok());
  auto result = server.OnClientFinal(*client_final);
  CHECK(result.status().code() == ErrorCode::kAuthenticationFailed);
  CHECK(result.status().message() == "authentication failed for user \"user\"");
}

TEST_SUITE("protocol/auth") {
  TEST_CASE("the client side reproduces RFC 7677's example exchange") {
    ScramClient client = VectorClient();
    CHECK(client.client_first() == kClientFirst);
    auto final_message = client.OnServerFirst(kServerFirst);
    REQUIRE(final_message.ok());
    CHECK(*final_message == kClientFinal);
    CHECK(client.OnServerFinal(kServerFinal).ok());
  }

  TEST_CASE("the server side reproduces RFC 7677's example exchange") {
    ScramServer server = VectorServer();
    CHECK(server.server_first() == kServerFirst);
    auto server_final = server.OnClientFinal(kClientFinal);
    REQUIRE_MESSAGE(server_final.ok(), server_final.status().ToString());
    CHECK(*server_final == kServerFinal);
  }

  TEST_CASE("a wrong password fails at the proof with AuthenticationFailed") {
    ScramServer server = VectorServer();
    CheckRefusedAtProof(VectorClient("pencil2"), server);
  }

  TEST_CASE("decoy credentials fail like a wrong password and are stable per name") {
    CHECK(DecoyCredentials("secret", "ghost") == DecoyCredentials("secret", "ghost"));
    CHECK(DecoyCredentials("secret", "ghost").salt != DecoyCredentials("secret", "other").salt);
    CHECK(DecoyCredentials("secret", "ghost").salt.size() == kSaltBytes);
    auto first = ParseClientFirst(kClientFirst);
    REQUIRE(first.ok());
    ScramServer server(*first, DecoyCredentials("secret", "user"), std::string(kServerNonce));
    CheckRefusedAtProof(VectorClient(), server);
  }

  TEST_CASE("the client refuses a server that cannot prove it knows the password") {
    ScramClient client = VectorClient();
    REQUIRE(client.OnServerFirst(kServerFirst).ok());
    Status status = client.OnServerFinal("v=" + Base64Encode(std::string(32, 'x')));
    CHECK(status.code() == ErrorCode::kAuthenticationFailed);
    // Every later call fails the same way.
    CHECK(client.OnServerFinal(kServerFinal).code() == ErrorCode::kAuthenticationFailed);
  }

  TEST_CASE("the client rejects malformed or hostile server-first-messages") {
    const std::string nonce(kClientNonce);
    const std::string good_tail = ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    struct Case {
      std::string message;
      std::string_view expect;
    };
    const Case cases[] = {
        {"", "malformed attribute"},
        {"garbage", "malformed attribute"},
        {"s=W22ZaJ0SNY7soEsUEjb6gQ==,r=" + nonce + "x,i=4096", "\"r=\" attribute at position 1"},
        {"r=" + nonce + good_tail, "does not extend"},     // no server part
        {"r=someoneelse" + good_tail, "does not extend"},  // not our nonce
        {"r=" + nonce + "x,s=@@@@,i=4096", "salt"},        // not base64
        {"r=" + nonce + "x,s=,i=4096", "salt"},            // empty salt
        {"r=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=abc", "not a number"},
        {"r=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1", "outside"},  // weakened
        {"r=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=20000000", "outside"},
        {"r=" + nonce + "x,s=W22ZaJ0SNY7soEsUEjb6gQ==", "\"i=\" attribute"},
    };
    for (const Case& c : cases) {
      INFO(c.message);
      ScramClient client = VectorClient();
      auto result = client.OnServerFirst(c.message);
      CHECK(result.status().code() == ErrorCode::kProtocolViolation);
      CHECK(result.status().message().find(c.expect) != std::string::npos);
    }
  }

  TEST_CASE("the server rejects malformed client messages") {
    SUBCASE("client-first") {
      const std::pair<std::string_view, std::string_view> cases[] = {
          {"", "GS2 header"},
          {"p=tls-unique,,n=user,r=abc", "channel binding"},
          {"n,a=admin,n=user,r=abc", "authorization identities"},
          {"n,,m=ext,n=user,r=abc", "mandatory extensions"},
          {"n,,r=abc,n=user", "\"n=\" attribute"},
          {"n,,n=user", "\"r=\" attribute"},
          {"n,,n=us=er,r=abc", "bad user name"},
          {"n,,n=,r=abc", "bad user name"},
          {"n,,n=user,r=", "not printable"},
          {"n,,n=user,r=a\x01"
           "b",
           "not printable"},
      };
      for (auto [message, expect] : cases) {
        INFO(message);
        auto result = ParseClientFirst(message);
        CHECK(result.status().code() == ErrorCode::kProtocolViolation);
        CHECK(result.status().message().find(expect) != std::string::npos);
      }
    }
    SUBCASE("client-final") {
      const std::string nonce = std::string(kClientNonce) + std::string(kServerNonce);
      const std::string proof = ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
      const std::pair<std::string, std::string_view> cases[] = {
          {"c=biws,r=" + nonce, "no proof"},
          {"c=eSws,r=" + nonce + proof, "channel binding"},
          {"c=biws,r=" + std::string(kClientNonce) + "other" + proof, "not this exchange's nonce"},
          {"r=" + nonce + ",c=biws" + proof, "\"c=\" attribute"},
          {"c=biws,r=" + nonce + ",p=AAAA", "proof"},
      };
      for (const auto& [message, expect] : cases) {
        INFO(message);
        ScramServer server = VectorServer();
        auto result = server.OnClientFinal(message);
        CHECK(result.status().code() == ErrorCode::kProtocolViolation);
        CHECK(result.status().message().find(expect) != std::string::npos);
      }
    }
  }

  TEST_CASE("user names with ',' and '=' travel escaped and come back whole") {
    auto client = ScramClient::StartWithNonce("a,b=c", "pw", "nonce");
    REQUIRE(client.ok());
    CHECK(client->client_first() == "n,,n=a=2Cb=3Dc,r=nonce");
    auto first = ParseClientFirst(client->client_first());
    REQUIRE(first.ok());
    CHECK(first->user == "a,b=c");
    CHECK(ScramClient::Start("", "pw").status().code() == ErrorCode::kInvalidValue);
  }

  TEST_CASE("base64 round-trips every length and rejects what is not strict base64") {
    std::string bytes;
    for (int i = 0; i < 70; ++i) {
      auto decoded = Base64Decode(Base64Encode(bytes));
      REQUIRE(decoded.has_value());
      CHECK(*decoded == bytes);
      bytes.push_back(static_cast<char>(i * 37 + 255));
    }
    CHECK(Base64Encode(std::string_view("n,,")) == "biws");
    const std::string_view bads[] = {"a",    "abc",  "ab=c",     "=abc",
                                     "ab c", "a==b", "abcd====", std::string_view("ab\0d", 4)};
    for (std::string_view bad : bads) {
      INFO(bad);
      CHECK_FALSE(Base64Decode(bad).has_value());
    }
  }

  TEST_CASE("nonces are fresh printable base64 and constant-time compare checks sizes") {
    auto a = NewNonce();
    auto b = NewNonce();
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(*a != *b);
    CHECK(a->size() == 24);
    Key x{};
    Key y{};
    CHECK(ConstantTimeEqual(x, y));
    y[31] = 1;
    CHECK_FALSE(ConstantTimeEqual(x, y));
    CHECK_FALSE(ConstantTimeEqual(std::span<const uint8_t>(x).first(3), y));
  }
}

}  // namespace
}  // namespace kopf::protocol::scram
