// Prefetch: start loading a cache line before it is needed.
//
// GCC takes __builtin_prefetch for an instruction without effect, so a
// loop of nothing but prefetches (or a function of them, once inlined) may
// be dropped whole; it happened to the point-read group's row prefetch.
// The empty asm that takes the address keeps every prefetch made here.
//
// Thread-safety: a hint to the processor; it reads and writes nothing.
#pragma once

namespace kopf::cerebrum {

inline void Prefetch(const void* p) {
  __builtin_prefetch(p);
  asm volatile("" : : "r"(p));
}

}  // namespace kopf::cerebrum
