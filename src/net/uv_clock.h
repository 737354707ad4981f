// cluster::Clock on a libuv loop: wall time from the system clock, monotonic
// time and timers from the loop.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <utility>

#include "cluster/transport.h"

namespace ringkv::net {

class UvClock : public cluster::Clock {
 public:
  // Does not take ownership of `loop`, which must outlive the clock's handle:
  // run the loop after Close() or destruction so the handle's close completes.
  explicit UvClock(uv_loop_t* loop);
  // Same as Close(). Safe while the loop is not running.
  ~UvClock() override;

  UvClock(const UvClock&) = delete;
  UvClock& operator=(const UvClock&) = delete;

  // Milliseconds since the Unix epoch from the system clock.
  int64_t NowMs() const override;
  // The loop's time (uv_now): cached once per loop iteration, so it is the
  // same clock timers fire by; a timer set with After(d) at MonotonicMs() == t
  // never runs before MonotonicMs() >= t + d.
  int64_t MonotonicMs() const override;
  // Runs `fn` on the loop once `delay_ms` (clamped to >= 0) has passed. Timers
  // fire in deadline order, ties in the order they were set. A timer set from
  // inside a timer callback runs at the earliest 1 ms later, on a later loop
  // iteration, so a callback re-arming itself cannot starve the loop.
  // All timers share one uv_timer handle, so After and Cancel are cheap.
  uint64_t After(int64_t delay_ms, std::function<void()> fn) override;
  // Forgets a pending timer; a no-op for a timer that already ran, was
  // cancelled, or an unknown id.
  void Cancel(uint64_t timer_id) override;

  // Drops every pending timer (their functions never run) and closes the
  // handle. After/Cancel afterwards are no-ops. Idempotent.
  void Close();

  // Timers set and not yet run or cancelled.
  size_t pending() const { return ids_.size(); }

 private:
  using Key = std::pair<int64_t, uint64_t>;  // deadline (loop time), id

  static void OnTimer(uv_timer_t* handle);
  void Fire();
  // Points the handle at the earliest deadline but at least `min_delay` ms
  // away, or stops it when none is left so that an idle clock does not keep
  // the loop alive. Fire re-arms with min_delay 1: libuv (before 1.45) runs a
  // 0 ms timer started inside a timer callback again in the same pass.
  void Arm(int64_t min_delay);

  uv_loop_t* loop_;
  uv_timer_t* timer_;  // heap-allocated: its close completes after we are gone
  std::map<Key, std::function<void()>> timers_;
  std::unordered_map<uint64_t, int64_t> ids_;  // id -> deadline
  uint64_t next_id_ = 1;
  bool closed_ = false;
};

}  // namespace ringkv::net
