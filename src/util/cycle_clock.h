// A cheap interval timer for per-command statistics (INFO commandstats).
//
// Reading std::chrono::steady_clock costs a clock_gettime call, about 50-100 ns
// on a virtual machine's clock source, and every command needs two readings.
// On x86-64 the time-stamp counter is read in a few nanoseconds and ticks at a
// constant rate on every CPU this server targets (constant_tsc), so intervals
// are measured in TSC ticks and converted with a rate calibrated once against
// steady_clock. Elsewhere it falls back to steady_clock.
#pragma once

#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace ringkv {

class CycleClock {
 public:
  // An opaque reading; only differences of two readings mean anything.
  static uint64_t Now() {
#if defined(__x86_64__)
    return __rdtsc();
#else
    return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
  }

  // Microseconds between two readings (0 if `end` precedes `start`, as it may
  // across CPUs whose counters are not perfectly in step).
  static uint64_t Micros(uint64_t start, uint64_t end) {
    if (end <= start) return 0;
    return static_cast<uint64_t>(static_cast<double>(end - start) * MicrosPerTick());
  }

 private:
  static double MicrosPerTick() {
    static const double rate = Calibrate();
    return rate;
  }

  // Measures the tick rate over about a millisecond of steady_clock time, once
  // per process (on the first Micros call).
  static double Calibrate() {
    using std::chrono::steady_clock;
    const steady_clock::time_point t0 = steady_clock::now();
    const uint64_t c0 = Now();
    steady_clock::time_point t1 = t0;
    while (t1 - t0 < std::chrono::milliseconds(1)) t1 = steady_clock::now();
    const uint64_t c1 = Now();
    const double micros = std::chrono::duration<double, std::micro>(t1 - t0).count();
    return c1 > c0 ? micros / static_cast<double>(c1 - c0) : 0.0;
  }
};

}  // namespace ringkv
