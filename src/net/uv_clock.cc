#include "net/uv_clock.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace ringkv::net {

UvClock::UvClock(uv_loop_t* loop) : loop_(loop), timer_(new uv_timer_t) {
  uv_timer_init(loop_, timer_);
  timer_->data = this;
}

UvClock::~UvClock() { Close(); }

void UvClock::Close() {
  if (closed_) return;
  closed_ = true;
  timers_.clear();
  ids_.clear();
  timer_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  timer_ = nullptr;
}

int64_t UvClock::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t UvClock::MonotonicMs() const { return static_cast<int64_t>(uv_now(loop_)); }

uint64_t UvClock::After(int64_t delay_ms, std::function<void()> fn) {
  const uint64_t id = next_id_++;
  if (closed_) return id;
  const int64_t deadline = MonotonicMs() + std::max<int64_t>(0, delay_ms);
  const bool earliest = timers_.empty() || Key{deadline, id} < timers_.begin()->first;
  timers_.emplace(Key{deadline, id}, std::move(fn));
  ids_.emplace(id, deadline);
  if (earliest) Arm(0);
  return id;
}

void UvClock::Cancel(uint64_t timer_id) {
  auto it = ids_.find(timer_id);
  if (it == ids_.end()) return;
  timers_.erase(Key{it->second, timer_id});
  ids_.erase(it);
  // A stale earlier deadline would only cause a spurious wakeup, but an armed
  // handle with nothing pending would keep the loop alive.
  if (timers_.empty()) uv_timer_stop(timer_);
}

void UvClock::OnTimer(uv_timer_t* handle) {
  if (handle->data != nullptr) static_cast<UvClock*>(handle->data)->Fire();
}

void UvClock::Fire() {
  const int64_t now = MonotonicMs();
  // Timers set by the callbacks below get ids >= last_id and wait for the
  // next iteration, so a callback that re-arms itself with delay 0 cannot
  // starve the loop. Such a timer is due at `now` at the earliest and sorts
  // after every older timer due at `now`, so meeting one ends this pass.
  const uint64_t last_id = next_id_;
  while (!closed_ && !timers_.empty()) {
    auto it = timers_.begin();
    if (it->first.first > now || it->first.second >= last_id) break;
    std::function<void()> fn = std::move(it->second);
    ids_.erase(it->first.second);
    timers_.erase(it);
    fn();
  }
  if (!closed_) Arm(/*min_delay=*/1);
}

void UvClock::Arm(int64_t min_delay) {
  if (timers_.empty()) {
    uv_timer_stop(timer_);
    return;
  }
  const int64_t delay = std::max(min_delay, timers_.begin()->first.first - MonotonicMs());
  uv_timer_start(timer_, &UvClock::OnTimer, static_cast<uint64_t>(delay), 0);
}

}  // namespace ringkv::net
