// The memory allocator the process runs on, and what it reports. The server
// binary links jemalloc (as Redis does); the library and its tests may run on
// glibc's malloc, so jemalloc's API is reached through weak symbols and every
// figure has a glibc fallback.
#pragma once

#include <cstdint>
#include <string>

namespace ringkv::allocator {

struct Stats {
  bool jemalloc = false;
  uint64_t allocated = 0;  // bytes the program holds (jemalloc stats.allocated)
  uint64_t active = 0;     // bytes in active pages (stats.active; glibc: allocated)
  uint64_t resident = 0;   // bytes the allocator keeps resident (stats.resident)
};

// Fresh figures (jemalloc's stats epoch is advanced first).
Stats Read();

// "jemalloc-5.3.0" under jemalloc, else "libc" (Redis's mem_allocator).
std::string Name();

// jemalloc's malloc_stats_print report; empty without jemalloc.
std::string Report();

// Returns unused memory to the system: jemalloc purges every arena's dirty
// pages (as Redis's MEMORY PURGE), glibc trims its heaps.
void Purge();

}  // namespace ringkv::allocator
