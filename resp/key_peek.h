// A lookahead over buffered requests, for prefetching: finds the name and
// the second and third arguments (the key and, for hash commands, the field)
// of each complete, well-formed multibulk request at the start of a buffer,
// without parsing them for real.
// It is a hint only: it accepts nothing RequestParser would refuse and stops
// at the first byte it is unsure of (an inline command, a partial request,
// anything malformed), so a wrong or missing answer can only cost a wasted
// prefetch.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace ringkv::resp {

// One request as the peek saw it; the views point into the peeked data, and
// arguments the request does not have are empty.
struct PeekedRequest {
  std::string_view name;
  std::string_view key;    // second argument
  std::string_view field;  // third argument
};

// Appends to `requests` each complete multibulk request at the start of
// `data` that has at least two arguments, up to `max_requests` requests, and
// returns how many requests it walked over (those with fewer than two
// arguments included).
size_t PeekRequests(std::string_view data, size_t max_requests,
                    std::vector<PeekedRequest>* requests);

// Replaces `args` with every argument (views into `data`) of the request at
// the start of `data` and returns the request's length in bytes, if it is a
// complete multibulk request of at most `max_args` arguments; otherwise
// clears `args` and returns 0.
size_t PeekRequestArgs(std::string_view data, size_t max_args, std::vector<std::string_view>* args);

}  // namespace ringkv::resp
