// What one SCRAM-SHA-256 login costs each side (protocol/auth.h), measured
// side by side in one run:
//   - the client's PBKDF2 at the default 4096 iterations, which is the
//     point of SCRAM (a stolen users file is slow to crack) and dominates a
//     login;
//   - the server's share: parsing the client-first-message, building the
//     challenge and checking the proof, a few HMACs on the session's strand.
//     It stays in microseconds, so a flood of logins costs the server far
//     less than it costs the clients.
#include <string>

#include <benchmark/benchmark.h>

#include "protocol/auth.h"

namespace {

using namespace kopf::protocol::scram;

void BM_ClientDeriveKeys4096(benchmark::State& state) {
  for (auto _ : state) {
    auto c =
        DeriveCredentials("correct horse battery staple", "0123456789abcdef", kDefaultIterations);
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_ClientDeriveKeys4096)->Unit(benchmark::kMillisecond);

void BM_ServerExchange(benchmark::State& state) {
  auto credentials = DeriveCredentials("pw", "0123456789abcdef", kDefaultIterations);
  auto client = ScramClient::StartWithNonce("alice", "pw", "clientnonce");
  auto first = ParseClientFirst(client->client_first());
  ScramServer prepared(*first, *credentials, "servernonce");
  auto client_final = client->OnServerFirst(prepared.server_first());
  for (auto _ : state) {
    auto parsed = ParseClientFirst(client->client_first());
    ScramServer server(*parsed, *credentials, "servernonce");
    auto server_final = server.OnClientFinal(*client_final);
    if (!server_final.ok()) state.SkipWithError("the proof did not verify");
    benchmark::DoNotOptimize(server_final);
  }
}
BENCHMARK(BM_ServerExchange)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
