// The consistent-hash ring: which nodes hold a key.
//
// A key's position is the 64-bit xxh3 hash of its bytes (HashKey), the same
// hash storage orders keys by (storage::KeyHash), so the hashes a node holds
// form a few contiguous LevelDB ranges. Each node has `vnodes` tokens on the
// ring; a token owns the hashes from the previous token (exclusive) up to
// itself (inclusive), and a key's preference list is the first N distinct
// nodes met walking clockwise from the first token >= its hash, wrapping from
// the top of the hash space to 0.
//
// Tokens are derived from the node id alone, so every node that knows the same
// membership builds the same ring whatever order it learned it in, and a node
// joining or leaving moves only the hashes next to its own tokens.
//
// Balance: with tokens placed independently per node, a node's share of the
// ring varies around 1/members with a standard deviation of about
// 0.23/sqrt(vnodes) for 3 nodes (1.9 points at 150 vnodes, 0.5 at 2048). The
// spread comes from how independently placed tokens interleave; placements
// that depend on the node id alone (stratified, permuted, mirrored and
// lattice offsets were measured) only shave it, so evenness needs more vnodes.
//
// Not thread-safe: one owner mutates it; const methods may run concurrently
// with each other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "cluster/transport.h"

namespace ringkv::cluster {

// An inclusive range of key hashes [first, last]; first <= last always (the
// range that wraps past the top of the hash space is reported as two ranges).
struct TokenRange {
  uint64_t first = 0;
  uint64_t last = 0;

  bool Contains(uint64_t hash) const { return first <= hash && hash <= last; }
  bool operator==(const TokenRange&) const = default;
};

class Ring {
 public:
  static constexpr size_t kDefaultVnodes = 150;

  // `vnodes` tokens per node (at least 1). Every node of a cluster must use
  // the same value, or they disagree about who owns what.
  explicit Ring(size_t vnodes = kDefaultVnodes);

  size_t vnodes() const { return vnodes_; }

  // The tokens a node with this id has on a ring of `vnodes` tokens per node,
  // ascending. Token i lies in the i-th of `vnodes` equal slices of the hash
  // space, at an offset given by xxh3 of the node id seeded with i: each node
  // then has one token per slice, which spreads its ranges evenly and makes
  // shares a little more even than unconstrained random tokens.
  static std::vector<uint64_t> NodeTokens(std::string_view node, size_t vnodes);

  // Adds `node` with its derived tokens. No-op if it is already a member.
  void AddNode(const NodeId& node);

  // Adds `node` with explicit tokens instead of derived ones (duplicates are
  // dropped; none at all means the derived ones); replaces its tokens if it is already a member.
  // Every node of the cluster must be given the same tokens. Lets tests build exact layouts.
  void AddNodeWithTokens(const NodeId& node, std::vector<uint64_t> tokens);

  // Removes `node` and its tokens. No-op if it is not a member.
  void RemoveNode(const NodeId& node);

  bool Contains(const NodeId& node) const;
  std::vector<NodeId> Members() const;  // sorted
  size_t NumMembers() const { return members_.size(); }
  size_t NumTokens() const { return token_hashes_.size(); }

  // The ring position of a Redis key: xxh3-64 of its bytes, equal to
  // storage::KeyHash(key).
  static uint64_t HashKey(std::string_view key);

  // The first min(n, NumMembers()) distinct nodes clockwise from the first
  // token >= key_hash (wrapping to the lowest token). The first is the key's
  // primary owner. Two nodes with the same token are met in node id order.
  // Allocates only the result (and a bitmap when there are over 64 members).
  std::vector<NodeId> PreferenceList(uint64_t key_hash, size_t n) const;

  // Calls visit(node) for each member once, in preference-list order for
  // key_hash, until visit returns false. The nodes after the first N are the
  // fallbacks a sloppy quorum uses in place of unreachable replicas.
  template <typename Visit>
  void WalkFrom(uint64_t key_hash, Visit&& visit) const {
    ForEachDistinct(key_hash, members_.size(),
                    [&](uint32_t index) { return visit(members_[index].id); });
  }

  // Fraction of the hash space whose primary owner is `node` (0 if it is not
  // a member).
  double Ownership(const NodeId& node) const;

  // The hash ranges for which `node` is among the first n nodes of the
  // preference list, sorted and with adjacent ranges merged. A single-member
  // ring with n >= 1 yields [0, UINT64_MAX]. Empty if node is not a member or
  // n is 0. Costs O(tokens * n); for anti-entropy and SCAN, not per request.
  std::vector<TokenRange> RangesOf(const NodeId& node, size_t n) const;

 private:
  struct Member {
    NodeId id;
    std::vector<uint64_t> tokens;  // ascending, distinct
  };

  // Position of `node` in members_, or members_.size().
  size_t IndexOf(const NodeId& node) const;
  // Index into token_hashes_ of the first token >= hash, wrapping to 0.
  size_t FirstTokenAtOrAfter(uint64_t hash) const;
  void Rebuild();

  // Calls emit(member index) for up to `limit` distinct members in clockwise
  // order from the first token >= key_hash; stops early if emit returns false.
  template <typename Emit>
  void ForEachDistinct(uint64_t key_hash, size_t limit, Emit&& emit) const;

  size_t vnodes_;
  std::vector<Member> members_;         // sorted by id
  std::vector<uint64_t> token_hashes_;  // every token, ascending
  std::vector<uint32_t> token_owners_;  // members_ index of each token; ties by id
};

template <typename Emit>
void Ring::ForEachDistinct(uint64_t key_hash, size_t limit, Emit&& emit) const {
  limit = limit < members_.size() ? limit : members_.size();
  if (limit == 0) return;
  const size_t num_tokens = token_hashes_.size();
  size_t pos = FirstTokenAtOrAfter(key_hash);
  // Which members were already emitted: a word for small rings, else a bitmap.
  uint64_t seen_small = 0;
  std::vector<bool> seen_large;
  const bool small = members_.size() <= 64;
  if (!small) seen_large.resize(members_.size());
  size_t emitted = 0;
  for (size_t step = 0; step < num_tokens && emitted < limit; ++step, ++pos) {
    if (pos == num_tokens) pos = 0;
    const uint32_t owner = token_owners_[pos];
    if (small) {
      const uint64_t bit = uint64_t{1} << owner;
      if (seen_small & bit) continue;
      seen_small |= bit;
    } else {
      if (seen_large[owner]) continue;
      seen_large[owner] = true;
    }
    ++emitted;
    if (!emit(owner)) return;
  }
}

}  // namespace ringkv::cluster
