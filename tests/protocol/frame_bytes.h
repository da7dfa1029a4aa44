// Helpers the protocol tests share to build and decode frames byte by byte.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "protocol/frame_decoder.h"
#include "protocol/frame_encoder.h"
#include "protocol/message.h"

namespace kopf::protocol::testing {

inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// The bytes given as numbers (0..255).
inline std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

inline std::string Encode(const Envelope& envelope) {
  std::string out;
  EncodeFrame(envelope, &out);
  return out;
}

// Decodes a whole frame through both steps of the two-step API.
inline Result<Envelope> Decode(const std::string& frame,
                               uint32_t max = kDefaultMaxFrameBytes) {
  REQUIRE(frame.size() >= 4);
  Result<uint32_t> length = DecodeFrameLength(AsBytes(frame).data(), max);
  if (!length.ok()) return length.status();
  REQUIRE(*length == frame.size() - 4);
  return DecodeFrameBody(AsBytes(frame).subspan(4));
}

}  // namespace kopf::protocol::testing
