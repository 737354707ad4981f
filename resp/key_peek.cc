#include "resp/key_peek.h"

#include <algorithm>
#include <cstdint>

namespace ringkv::resp {

namespace {

// Bounds past which the peek gives up (the real parser decides what to do).
constexpr int64_t kMaxPeekArguments = 1024;
constexpr int64_t kMaxPeekBulk = int64_t{1} << 30;

// Reads "<prefix><decimal>\r\n" at *pos; false (and *pos unchanged) unless it
// is complete and the number is in [0, limit].
bool ReadHeader(std::string_view data, size_t* pos, char prefix, int64_t limit, int64_t* value) {
  size_t p = *pos;
  if (p >= data.size() || data[p] != prefix) return false;
  ++p;
  int64_t n = 0;
  size_t digits = 0;
  while (p < data.size() && data[p] >= '0' && data[p] <= '9') {
    n = n * 10 + (data[p] - '0');
    if (n > limit) return false;
    ++p;
    ++digits;
  }
  if (digits == 0 || p + 1 >= data.size() || data[p] != '\r' || data[p + 1] != '\n') return false;
  *pos = p + 2;
  *value = n;
  return true;
}

}  // namespace

size_t PeekRequests(std::string_view data, size_t max_requests,
                    std::vector<PeekedRequest>* requests) {
  size_t pos = 0;
  size_t walked = 0;
  while (walked < max_requests && pos < data.size()) {
    size_t p = pos;
    int64_t count = 0;
    if (!ReadHeader(data, &p, '*', kMaxPeekArguments, &count) || count == 0) break;
    std::string_view args[3];
    bool complete = true;
    for (int64_t i = 0; i < count; ++i) {
      int64_t len = 0;
      if (!ReadHeader(data, &p, '$', kMaxPeekBulk, &len) ||
          data.size() - p < static_cast<size_t>(len) + 2) {
        complete = false;
        break;
      }
      if (i < 3) args[i] = data.substr(p, static_cast<size_t>(len));
      p += static_cast<size_t>(len) + 2;
    }
    if (!complete) break;
    if (count >= 2) requests->push_back({args[0], args[1], args[2]});
    pos = p;
    ++walked;
  }
  return walked;
}

size_t PeekRequestArgs(std::string_view data, size_t max_args,
                       std::vector<std::string_view>* args) {
  args->clear();
  size_t p = 0;
  int64_t count = 0;
  const int64_t limit = std::min(kMaxPeekArguments, static_cast<int64_t>(max_args));
  if (!ReadHeader(data, &p, '*', limit, &count) || count == 0) return 0;
  for (int64_t i = 0; i < count; ++i) {
    int64_t len = 0;
    if (!ReadHeader(data, &p, '$', kMaxPeekBulk, &len) ||
        data.size() - p < static_cast<size_t>(len) + 2) {
      args->clear();
      return 0;
    }
    args->push_back(data.substr(p, static_cast<size_t>(len)));
    p += static_cast<size_t>(len) + 2;
  }
  return p;
}

}  // namespace ringkv::resp
