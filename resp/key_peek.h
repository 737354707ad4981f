// A lookahead over buffered requests, for prefetching: finds the second
// argument (the key, for most commands) of each complete, well-formed
// multibulk request at the start of a buffer, without parsing them for real.
// It is a hint only: it accepts nothing RequestParser would refuse and stops
// at the first byte it is unsure of (an inline command, a partial request,
// anything malformed), so a wrong or missing answer can only cost a wasted
// prefetch.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace ringkv::resp {

// Appends to `keys` the second argument of each complete multibulk request
// at the start of `data` that has at least two arguments, up to
// `max_requests` requests, and returns how many requests it walked over
// (those with fewer than two arguments included). The views point into
// `data`.
size_t PeekSecondArguments(std::string_view data, size_t max_requests,
                           std::vector<std::string_view>* keys);

}  // namespace ringkv::resp
