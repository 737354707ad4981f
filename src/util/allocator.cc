#include "util/allocator.h"

#include <malloc.h>

#include <cstddef>
#include <string>

// jemalloc's public API; null unless the binary links jemalloc.
extern "C" {
int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));
void malloc_stats_print(void (*write_cb)(void*, const char*), void* cbopaque, const char* opts)
    __attribute__((weak));
}

namespace ringkv::allocator {

namespace {

bool HasJemalloc() { return mallctl != nullptr; }

uint64_t ReadSize(const char* name) {
  size_t value = 0;
  size_t len = sizeof(value);
  if (mallctl(name, &value, &len, nullptr, 0) != 0) return 0;
  return value;
}

}  // namespace

Stats Read() {
  Stats stats;
  if (HasJemalloc()) {
    // jemalloc caches its statistics until the epoch advances.
    uint64_t epoch = 1;
    size_t len = sizeof(epoch);
    mallctl("epoch", &epoch, &len, &epoch, len);
    stats.jemalloc = true;
    stats.allocated = ReadSize("stats.allocated");
    stats.active = ReadSize("stats.active");
    stats.resident = ReadSize("stats.resident");
    return stats;
  }
  const struct mallinfo2 info = mallinfo2();
  stats.allocated = static_cast<uint64_t>(info.uordblks) + static_cast<uint64_t>(info.hblkhd);
  stats.active = stats.allocated;
  stats.resident = static_cast<uint64_t>(info.arena) + static_cast<uint64_t>(info.hblkhd);
  return stats;
}

std::string Name() {
  if (!HasJemalloc()) return "libc";
  const char* version = nullptr;
  size_t len = sizeof(version);
  if (mallctl("version", &version, &len, nullptr, 0) != 0 || version == nullptr) {
    return "jemalloc";
  }
  // "5.3.0-0-g54eaed1d..." -> "jemalloc-5.3.0", as Redis prints it.
  std::string v = version;
  const size_t dash = v.find('-');
  if (dash != std::string::npos) v.resize(dash);
  return "jemalloc-" + v;
}

std::string Report() {
  if (malloc_stats_print == nullptr) return {};
  std::string out;
  malloc_stats_print(
      [](void* opaque, const char* text) { static_cast<std::string*>(opaque)->append(text); }, &out,
      nullptr);
  return out;
}

void Purge() {
  if (HasJemalloc()) {
    // MALLCTL_ARENAS_ALL is 4096 in jemalloc 5.
    mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
    return;
  }
  malloc_trim(0);
}

}  // namespace ringkv::allocator
