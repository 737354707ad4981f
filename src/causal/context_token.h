// The causal context as clients see it. RING.GET returns a token; RING.PUT and
// RING.DEL take one back, so the write supersedes exactly the siblings the client
// read. Clients must treat the token as opaque.
//
// Format: unpadded URL-safe base64 (RFC 4648 section 5) of a version byte (1)
// followed by VersionVector::Encode. The empty vector encodes as the empty
// string, so a client that never read the key can pass "" for a blind write.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "causal/dvv.h"
#include "util/status.h"

namespace ringkv::causal {

inline constexpr uint8_t kContextTokenVersion = 1;

// Counters above this are refused in client tokens. Update() advances the
// coordinator's counter past whatever the client context holds, so a forged
// token near UINT64_MAX could otherwise overflow it; real counters never get
// close.
inline constexpr uint64_t kMaxTokenCounter = uint64_t{1} << 62;

// Printable, canonical: equal vectors give equal tokens.
std::string EncodeContextToken(const VersionVector& vv);

// Parses a token made by EncodeContextToken. "" yields the empty vector. Returns
// InvalidArgument (leaving *vv unchanged) on anything else that is not exactly
// such a token: characters outside the URL-safe alphabet, padding, a
// non-canonical final character, an unknown version, a malformed vector,
// trailing bytes, or a counter above kMaxTokenCounter.
Status DecodeContextToken(std::string_view token, VersionVector* vv);

}  // namespace ringkv::causal
