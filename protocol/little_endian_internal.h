// The wire's integers, least significant byte first (PROTOCOL.md section
// 2), read from and written to raw bytes. Internal to the protocol
// library: the frame encoder and decoder and the client's fast decoding.
//
// Thread-safety: pure functions.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace kopf::protocol {

// The N-byte integer at `p`. N is a template argument so that the loop,
// fully unrolled, becomes one load on a little-endian host.
template <size_t N>
uint64_t LoadLittleEndian(const uint8_t* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < N; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

// Writes the low N bytes of `v` to `p`; one store on a little-endian host
// (a byte loop through a char* is not merged into one: its stores could
// alias the pointer they go through).
template <size_t N>
void StoreLittleEndian(uint64_t v, char* p) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(p, &v, N);
  } else {
    for (size_t i = 0; i < N; ++i) p[i] = static_cast<char>(v >> (8 * i));
  }
}

}  // namespace kopf::protocol
