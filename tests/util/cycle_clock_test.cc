#include "util/cycle_clock.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ringkv {
namespace {

// CycleClock's microseconds agree with steady_clock's over a few milliseconds
// (loosely: the point is the calibration, not the precision).
TEST(CycleClockTest, MicrosAgreeWithSteadyClock) {
  using std::chrono::steady_clock;
  const steady_clock::time_point t0 = steady_clock::now();
  const uint64_t start = CycleClock::Now();
  while (steady_clock::now() - t0 < std::chrono::milliseconds(5)) {
  }
  const uint64_t end = CycleClock::Now();
  const double reference =
      std::chrono::duration<double, std::micro>(steady_clock::now() - t0).count();
  const uint64_t measured = CycleClock::Micros(start, end);
  EXPECT_GE(measured, 0.7 * 5000);
  EXPECT_LE(measured, 1.3 * reference);
}

TEST(CycleClockTest, BackwardsIntervalIsZero) {
  const uint64_t now = CycleClock::Now();
  EXPECT_EQ(CycleClock::Micros(now + 1000, now), 0u);
  EXPECT_EQ(CycleClock::Micros(now, now), 0u);
}

}  // namespace
}  // namespace ringkv
