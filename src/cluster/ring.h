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
// Placement (NodeTokens): the hash space is cut into `vnodes` equal slices and
// every node has one token in each. Let p be the smallest prime > vnodes
// (151 for 150) and a a primitive root of p. A node hashes its id to a phase
// f in [0, 1) and a multiplier m in [1, p-1]; its token in slice i sits at
// offset f + (a^i * m mod p) / p (mod 1) of the slice.
//
// Why that balances: with one token per node per slice, a node's share is
// the average over slices of the gap in front of its token, and that gap
// depends mostly on where the other nodes' tokens sit relative to it in the
// same slice. For two nodes with multipliers m1 != m2 the relative offset
// in slice i is (f1 - f2) + a^i (m1 - m2) / p, and as i runs over the p - 1
// slices, a^i (m1 - m2) runs over every nonzero residue exactly once: each
// pair of nodes meets at every relative offset of a 1/p grid once, a rank-1
// lattice rather than independent draws, so the pairwise terms that make
// random tokens uneven (most of their 1.9-point spread) cancel exactly. The
// slices visit the lattice in the order a^i rather than i, so neighbouring
// slices (whose tokens share the arc across the slice boundary) hold
// unrelated lattice points instead of points one lattice step apart, which
// would bias the boundary arcs. Measured over 10,000 random sets of 3 ids at
// 150 vnodes (ring_test.cc prints a smaller run): the median set's largest
// share deviation is 1.1 points (2.2 with one random token per slice), p90
// 2.2, and 86% of sets have every share within 33.3% +- 2 points (44%
// before); 4 and 5 nodes: 85% and 86%, medians 1.2.
//
// Where the rest goes: if each slice were its own circle (a token's gap
// measured within its slice, wrapping inside it), the same tokens would put
// 95% of 3-node sets (90% of 4, 89% of 5) within +-2 points, median 0.5:
// what remains there is multiplier collisions (below) and triples whose
// three multipliers form a poor 2-D lattice. The other 9% of sets are lost
// to the arc across each slice boundary, which belongs to the next slice's
// first token and depends on where the two slices' tokens sit absolutely,
// not relatively; it adds about 1 point rms per node, as much as with random
// tokens, and no slice order removes it (every primitive root, random
// orders, slices paired with mirrored lattice points, and shifts common to
// all nodes per slice measured the same or worse). Only a rigid relation
// between neighbouring slices (the same relative layout, shifted) removes
// it, and that repeats lattice points, so fewer of them and more collisions.
//
// Limits: two nodes whose multipliers collide (probability 1/(p-1) per pair,
// about 2% of 3-node clusters) keep a fixed relative offset in every slice,
// and one of them can own far less than its share (down to near 0 if the
// phases also nearly coincide; one random token per slice never went beyond
// about +-7 points). Such a cluster shows in Ownership(). Within the
// one-circle-per-slice picture above, no placement with one token per
// slice derived from each id alone does better: for nodes drawn
// independently, the mean over pairs of |c|^2, with c the average over the
// V slices of exp(2 pi i (x_A - x_B)) for the two nodes' offsets, is at
// least 1/V (with v the vector of exp(2 pi i x) over the slices, the mean of
// |c|^2 is the squared Frobenius norm of E[v v*] over V^2, and a V x V
// matrix of trace V has that norm squared at least V). The lattice
// meets the bound with c = 0 for every pair but the 1/V that collide;
// anything with more distinct sequences spreads that mass over every pair,
// whose shares then vary as with random tokens (measured: p near 1,000 or
// 2^20, 48% and 45% of 3-node sets within +-2 points; offsets f + i * alpha
// with a per-node real alpha, 40%). More vnodes shrink both limits (2048:
// over 99%). Adding a node never moves existing tokens, so it moves exactly
// the share it ends up owning.
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
  // ascending: token i lies in the i-th of `vnodes` equal slices of the hash
  // space, at the lattice offset described at the top of this file.
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
  // The position on the ring a key hash starts its walk from, in
  // [0, NumTokens()) (0 on an empty ring). Hashes with the same position have
  // the same preference lists, so callers may cache per position.
  size_t TokenPosition(uint64_t key_hash) const { return FirstTokenAtOrAfter(key_hash); }
  // The preference list of the hashes at `position` (see TokenPosition).
  std::vector<NodeId> PreferenceListAt(size_t position, size_t n) const;
  // Changes whenever a member or a token does: what callers derived from the
  // ring (such as preference lists per position) holds while it is the same.
  uint64_t version() const { return version_; }

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
  void ForEachDistinct(uint64_t key_hash, size_t limit, Emit&& emit) const {
    ForEachDistinctFrom(FirstTokenAtOrAfter(key_hash), limit, emit);
  }
  // The same walk from token position `pos`.
  template <typename Emit>
  void ForEachDistinctFrom(size_t pos, size_t limit, Emit&& emit) const;

  size_t vnodes_;
  std::vector<Member> members_;         // sorted by id
  std::vector<uint64_t> token_hashes_;  // every token, ascending
  std::vector<uint32_t> token_owners_;  // members_ index of each token; ties by id
  uint64_t version_ = 0;                // bumped by Rebuild
};

template <typename Emit>
void Ring::ForEachDistinctFrom(size_t pos, size_t limit, Emit&& emit) const {
  limit = limit < members_.size() ? limit : members_.size();
  if (limit == 0) return;
  const size_t num_tokens = token_hashes_.size();
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
