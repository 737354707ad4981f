#include "cluster/ring.h"

#include <xxhash.h>

#include <algorithm>
#include <utility>

#include "storage/record.h"

namespace ringkv::cluster {

namespace {

using uint128 = unsigned __int128;

constexpr uint128 kHashSpace = uint128{1} << 64;
constexpr uint64_t kMaxHash = ~uint64_t{0};

// Seeds of the two per-node hashes of NodeTokens (arbitrary, fixed forever:
// changing them moves every token of every cluster).
constexpr uint64_t kPhaseSeed = 0x7068617365ull;     // "phase"
constexpr uint64_t kMultiplierSeed = 0x6d756c74ull;  // "mult"

bool IsPrime(uint64_t n) {
  if (n < 2) return false;
  for (uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

uint64_t PowMod(uint64_t base, uint64_t exp, uint64_t mod) {
  uint64_t result = 1 % mod;
  base %= mod;
  while (exp > 0) {
    if (exp & 1) result = static_cast<uint64_t>(uint128{result} * base % mod);
    base = static_cast<uint64_t>(uint128{base} * base % mod);
    exp >>= 1;
  }
  return result;
}

bool IsPrimitiveRoot(uint64_t a, uint64_t p) {
  if (a % p == 0) return false;
  uint64_t rest = p - 1;
  for (uint64_t q = 2; q * q <= rest; ++q) {
    if (rest % q != 0) continue;
    if (PowMod(a, (p - 1) / q, p) == 1) return false;
    while (rest % q == 0) rest /= q;
  }
  return rest == 1 || PowMod(a, (p - 1) / rest, p) != 1;
}

// The lattice NodeTokens places tokens on for `vnodes` slices: the smallest
// prime p > vnodes, and the primitive root a of p nearest to p / golden ratio
// (any primitive root measures the same; this picks one without tuning).
struct Lattice {
  uint64_t p;
  uint64_t a;
};

Lattice LatticeFor(size_t vnodes) {
  uint64_t p = vnodes + 1;
  while (!IsPrime(p)) ++p;
  if (p == 2) return {2, 1};
  const uint64_t target = static_cast<uint64_t>(0.6180339887498949 * static_cast<double>(p));
  for (uint64_t d = 0;; ++d) {
    if (target + d < p && IsPrimitiveRoot(target + d, p)) return {p, target + d};
    if (d < target && target - d >= 2 && IsPrimitiveRoot(target - d, p)) return {p, target - d};
  }
}

}  // namespace

Ring::Ring(size_t vnodes) : vnodes_(std::max<size_t>(vnodes, 1)) {}

std::vector<uint64_t> Ring::NodeTokens(std::string_view node, size_t vnodes) {
  vnodes = std::max<size_t>(vnodes, 1);
  const Lattice lattice = LatticeFor(vnodes);
  const uint64_t phase = XXH3_64bits_withSeed(node.data(), node.size(), kPhaseSeed);
  const uint64_t multiplier =
      1 + XXH3_64bits_withSeed(node.data(), node.size(), kMultiplierSeed) % (lattice.p - 1);
  std::vector<uint64_t> tokens(vnodes);
  // Slice i shows lattice point a^i * m mod p. The powers a^i are distinct for
  // i < p - 1, so slices never repeat a point; when vnodes < p - 1 (vnodes + 1
  // not prime) a few points are left out, which costs little.
  uint64_t power = 1;
  for (size_t i = 0; i < vnodes; ++i) {
    const uint64_t point = static_cast<uint64_t>(uint128{power} * multiplier % lattice.p);
    // Offset in the slice, as a 64-bit fraction: phase + point / p (mod 1).
    const uint64_t offset = phase + static_cast<uint64_t>((uint128{point} << 64) / lattice.p);
    // Slice i is [i * 2^64 / vnodes, (i + 1) * 2^64 / vnodes); fixed-point
    // scaling puts the offset inside it whatever the slice width.
    const uint128 begin = kHashSpace * i / vnodes;
    const uint128 width = kHashSpace * (i + 1) / vnodes - begin;
    tokens[i] = static_cast<uint64_t>(begin + ((uint128{offset} * width) >> 64));
    power = static_cast<uint64_t>(uint128{power} * lattice.a % lattice.p);
  }
  return tokens;
}

void Ring::AddNode(const NodeId& node) {
  if (Contains(node)) return;
  AddNodeWithTokens(node, NodeTokens(node, vnodes_));
}

void Ring::AddNodeWithTokens(const NodeId& node, std::vector<uint64_t> tokens) {
  if (tokens.empty()) tokens = NodeTokens(node, vnodes_);
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  const size_t index = IndexOf(node);
  if (index < members_.size()) {
    members_[index].tokens = std::move(tokens);
  } else {
    auto it = std::lower_bound(members_.begin(), members_.end(), node,
                               [](const Member& m, const NodeId& id) { return m.id < id; });
    members_.insert(it, Member{node, std::move(tokens)});
  }
  Rebuild();
}

void Ring::RemoveNode(const NodeId& node) {
  const size_t index = IndexOf(node);
  if (index == members_.size()) return;
  members_.erase(members_.begin() + index);
  Rebuild();
}

bool Ring::Contains(const NodeId& node) const { return IndexOf(node) < members_.size(); }

std::vector<NodeId> Ring::Members() const {
  std::vector<NodeId> ids;
  ids.reserve(members_.size());
  for (const Member& m : members_) ids.push_back(m.id);
  return ids;
}

uint64_t Ring::HashKey(std::string_view key) { return storage::KeyHash(key); }

std::vector<NodeId> Ring::PreferenceList(uint64_t key_hash, size_t n) const {
  return PreferenceListAt(FirstTokenAtOrAfter(key_hash), n);
}

std::vector<NodeId> Ring::PreferenceListAt(size_t position, size_t n) const {
  std::vector<NodeId> nodes;
  nodes.reserve(std::min(n, members_.size()));
  ForEachDistinctFrom(position, n, [&](uint32_t index) {
    nodes.push_back(members_[index].id);
    return true;
  });
  return nodes;
}

double Ring::Ownership(const NodeId& node) const {
  const size_t index = IndexOf(node);
  if (index == members_.size()) return 0.0;
  const size_t num_tokens = token_hashes_.size();
  uint128 owned = 0;
  for (size_t j = 0; j < num_tokens; ++j) {
    if (token_owners_[j] != index) continue;
    // Token j owns (previous token, token j]; token 0 owns the wrap-around
    // arc, which is the whole space when every token is equal.
    owned += j == 0 ? kHashSpace - token_hashes_[num_tokens - 1] + token_hashes_[0]
                    : uint128{token_hashes_[j] - token_hashes_[j - 1]};
  }
  return static_cast<double>(static_cast<long double>(owned) /
                             static_cast<long double>(kHashSpace));
}

std::vector<TokenRange> Ring::RangesOf(const NodeId& node, size_t n) const {
  std::vector<TokenRange> ranges;
  const size_t index = IndexOf(node);
  if (index == members_.size() || n == 0) return ranges;
  const size_t num_tokens = token_hashes_.size();
  for (size_t j = 0; j < num_tokens; ++j) {
    const uint64_t token = token_hashes_[j];
    if (j > 0 && token == token_hashes_[j - 1]) continue;  // a tie owns nothing
    bool replica = false;
    // Every hash of this token's arc starts its walk at the first token equal
    // to `token`, which is token j.
    ForEachDistinct(token, n, [&](uint32_t owner) {
      replica = owner == index;
      return !replica;
    });
    if (!replica) continue;
    if (j > 0) {
      ranges.push_back({token_hashes_[j - 1] + 1, token});
    } else {
      ranges.push_back({0, token});
      const uint64_t last = token_hashes_[num_tokens - 1];
      if (last != kMaxHash) ranges.push_back({last + 1, kMaxHash});
    }
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const TokenRange& a, const TokenRange& b) { return a.first < b.first; });
  std::vector<TokenRange> merged;
  for (const TokenRange& r : ranges) {
    if (!merged.empty() && merged.back().last != kMaxHash && merged.back().last + 1 == r.first) {
      merged.back().last = r.last;
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

size_t Ring::IndexOf(const NodeId& node) const {
  auto it = std::lower_bound(members_.begin(), members_.end(), node,
                             [](const Member& m, const NodeId& id) { return m.id < id; });
  if (it == members_.end() || it->id != node) return members_.size();
  return static_cast<size_t>(it - members_.begin());
}

size_t Ring::FirstTokenAtOrAfter(uint64_t hash) const {
  auto it = std::lower_bound(token_hashes_.begin(), token_hashes_.end(), hash);
  return it == token_hashes_.end() ? 0 : static_cast<size_t>(it - token_hashes_.begin());
}

void Ring::Rebuild() {
  ++version_;
  std::vector<std::pair<uint64_t, uint32_t>> all;
  size_t total = 0;
  for (const Member& m : members_) total += m.tokens.size();
  all.reserve(total);
  for (size_t i = 0; i < members_.size(); ++i) {
    for (uint64_t token : members_[i].tokens) all.emplace_back(token, static_cast<uint32_t>(i));
  }
  // members_ is sorted by id, so ordering equal tokens by member index orders
  // them by node id: the smaller id comes first and owns the arc.
  std::sort(all.begin(), all.end());
  token_hashes_.resize(total);
  token_owners_.resize(total);
  for (size_t k = 0; k < total; ++k) {
    token_hashes_[k] = all[k].first;
    token_owners_[k] = all[k].second;
  }
}

}  // namespace ringkv::cluster
