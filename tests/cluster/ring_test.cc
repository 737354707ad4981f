#include "cluster/ring.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/record.h"

namespace ringkv::cluster {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
constexpr long double kHashSpace = 18446744073709551616.0L;  // 2^64
constexpr size_t kSampleKeys = 300000;

// Hashes of "key:0" .. "key:299999", computed once.
const std::vector<uint64_t>& SampleHashes() {
  static const std::vector<uint64_t>* hashes = [] {
    auto* v = new std::vector<uint64_t>();
    v->reserve(kSampleKeys);
    for (size_t i = 0; i < kSampleKeys; ++i)
      v->push_back(Ring::HashKey("key:" + std::to_string(i)));
    return v;
  }();
  return *hashes;
}

Ring MakeRing(const std::vector<NodeId>& ids, size_t vnodes = Ring::kDefaultVnodes) {
  Ring ring(vnodes);
  for (const NodeId& id : ids) ring.AddNode(id);
  return ring;
}

// The ring's definition, implemented by brute force: every (token, node id)
// pair sorted, and a linear scan for the first token >= hash.
class ReferenceRing {
 public:
  ReferenceRing(const std::vector<NodeId>& ids, size_t vnodes) {
    for (const NodeId& id : ids) {
      for (uint64_t token : Ring::NodeTokens(id, vnodes)) tokens_.emplace_back(token, id);
    }
    std::sort(tokens_.begin(), tokens_.end());
    num_members_ = ids.size();
  }

  std::vector<NodeId> PreferenceList(uint64_t hash, size_t n) const {
    size_t start = 0;
    while (start < tokens_.size() && tokens_[start].first < hash) ++start;
    std::vector<NodeId> out;
    for (size_t step = 0; step < tokens_.size() && out.size() < std::min(n, num_members_); ++step) {
      const NodeId& id = tokens_[(start + step) % tokens_.size()].second;
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    }
    return out;
  }

  const std::vector<std::pair<uint64_t, NodeId>>& tokens() const { return tokens_; }

 private:
  std::vector<std::pair<uint64_t, NodeId>> tokens_;
  size_t num_members_ = 0;
};

std::vector<NodeId> FullWalk(const Ring& ring, uint64_t hash) {
  std::vector<NodeId> out;
  ring.WalkFrom(hash, [&](const NodeId& id) {
    out.push_back(id);
    return true;
  });
  return out;
}

bool InRanges(const std::vector<TokenRange>& ranges, uint64_t hash) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), hash,
                             [](uint64_t h, const TokenRange& r) { return h < r.first; });
  return it != ranges.begin() && std::prev(it)->Contains(hash);
}

using uint128 = unsigned __int128;

// Number of hashes in `ranges`, exactly.
uint128 SpanOf(const std::vector<TokenRange>& ranges) {
  uint128 total = 0;
  for (const TokenRange& r : ranges) total += uint128{r.last - r.first} + 1;
  return total;
}

TEST(RingTest, HashKeyIsStorageKeyHash) {
  const std::string keys[] = {
      "", "foo", "key:1", "user:1000:cart", std::string("bin\0ary\r\n", 9), std::string(300, 'x')};
  for (const std::string& key : keys) {
    EXPECT_EQ(Ring::HashKey(key), storage::KeyHash(key)) << key;
    EXPECT_EQ(Ring::HashKey(key), XXH3_64bits(key.data(), key.size())) << key;
  }
}

TEST(RingTest, EmptyRingHasNoOwners) {
  Ring ring;
  EXPECT_EQ(ring.NumMembers(), 0u);
  EXPECT_EQ(ring.NumTokens(), 0u);
  EXPECT_TRUE(ring.PreferenceList(Ring::HashKey("foo"), 3).empty());
  EXPECT_TRUE(FullWalk(ring, 0).empty());
  EXPECT_EQ(ring.Ownership("node1"), 0.0);
  EXPECT_TRUE(ring.RangesOf("node1", 3).empty());
}

TEST(RingTest, MembershipIsSortedAndIdempotent) {
  Ring ring(16);
  ring.AddNode("node3");
  ring.AddNode("node1");
  ring.AddNode("node2");
  ring.AddNode("node1");
  EXPECT_EQ(ring.Members(), (std::vector<NodeId>{"node1", "node2", "node3"}));
  EXPECT_EQ(ring.NumMembers(), 3u);
  EXPECT_EQ(ring.NumTokens(), 48u);
  EXPECT_TRUE(ring.Contains("node2"));
  EXPECT_FALSE(ring.Contains("node4"));
  ring.RemoveNode("node4");
  ring.RemoveNode("node2");
  EXPECT_EQ(ring.Members(), (std::vector<NodeId>{"node1", "node3"}));
  EXPECT_EQ(ring.NumTokens(), 32u);
  EXPECT_FALSE(ring.Contains("node2"));
  EXPECT_EQ(ring.Ownership("node2"), 0.0);
}

TEST(RingTest, NodeTokensDependOnNodeIdOnly) {
  const std::vector<uint64_t> tokens = Ring::NodeTokens("node1", 150);
  ASSERT_EQ(tokens.size(), 150u);
  EXPECT_EQ(Ring::NodeTokens("node1", 150), tokens);
  EXPECT_NE(Ring::NodeTokens("node2", 150), tokens);
  // One token in each of the 150 equal slices of the hash space.
  for (size_t i = 0; i < tokens.size(); ++i) {
    const uint128 begin = (uint128{i} << 64) / 150;
    const uint128 end = (uint128{i + 1} << 64) / 150;
    EXPECT_TRUE(begin <= tokens[i] && tokens[i] < end) << i;
  }
  // A single node owns everything whatever its tokens; vnodes 0 means 1.
  Ring one(0);
  one.AddNode("solo");
  EXPECT_EQ(one.NumTokens(), 1u);
  EXPECT_EQ(one.Ownership("solo"), 1.0);
  EXPECT_EQ(one.RangesOf("solo", 3), (std::vector<TokenRange>{{0, kMax}}));
}

// Offset of each token of NodeTokens(node, vnodes) within its slice, in
// [0, 1): token i lies in [i * 2^64 / vnodes, (i + 1) * 2^64 / vnodes).
std::vector<long double> SliceOffsets(const NodeId& node, size_t vnodes) {
  const std::vector<uint64_t> tokens = Ring::NodeTokens(node, vnodes);
  std::vector<long double> offsets;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const uint128 begin = (uint128{i} << 64) / vnodes;
    const uint128 end = (uint128{i + 1} << 64) / vnodes;
    offsets.push_back(static_cast<long double>(tokens[i] - begin) /
                      static_cast<long double>(end - begin));
  }
  return offsets;
}

TEST(RingTest, NodePairsMeetAtEveryLatticeOffset) {
  // The property the placement rests on (ring.h): over the 150 slices, the
  // offset of one node's token relative to another's takes each value of a
  // shifted 1/151 grid once (all but one of the 151, so the sorted offsets
  // are 1/151 apart with one gap of 2/151), unless the two ids share a
  // multiplier and the relative offset is the same in every slice.
  const std::vector<NodeId> ids = {"node1", "node2", "node3", "node4", "node5", "node6"};
  constexpr long double kStep = 1.0L / 151;
  int collisions = 0;
  for (size_t a = 0; a < ids.size(); ++a) {
    for (size_t b = a + 1; b < ids.size(); ++b) {
      const std::vector<long double> x = SliceOffsets(ids[a], 150);
      const std::vector<long double> y = SliceOffsets(ids[b], 150);
      std::vector<long double> relative;
      for (size_t i = 0; i < x.size(); ++i) {
        const long double d = y[i] - x[i];
        relative.push_back(d < 0 ? d + 1 : d);
      }
      std::sort(relative.begin(), relative.end());
      if (relative.back() - relative.front() < 1e-9L) {
        ++collisions;
        continue;
      }
      int double_steps = 0;
      for (size_t i = 0; i < relative.size(); ++i) {
        const long double gap =
            i + 1 < relative.size() ? relative[i + 1] - relative[i] : relative[0] + 1 - relative[i];
        if (std::fabs(gap - 2 * kStep) < 1e-9L) {
          ++double_steps;
        } else {
          ASSERT_NEAR(static_cast<double>(gap), static_cast<double>(kStep), 1e-9)
              << ids[a] << " " << ids[b] << " slice gap " << i;
        }
      }
      EXPECT_EQ(double_steps, 1) << ids[a] << " " << ids[b];
    }
  }
  EXPECT_LE(collisions, 1);
}

TEST(RingTest, SameMembershipSameRingInAnyOrder) {
  const std::vector<NodeId> ids = {"node1", "node2", "node3", "node4", "node5"};
  Ring forward = MakeRing(ids);
  Ring backward(Ring::kDefaultVnodes);
  backward.AddNode("node9");  // churn that must leave no trace
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) backward.AddNode(*it);
  backward.RemoveNode("node9");

  for (size_t i = 0; i < 10000; ++i) {
    const uint64_t h = SampleHashes()[i];
    ASSERT_EQ(forward.PreferenceList(h, 3), backward.PreferenceList(h, 3)) << i;
    ASSERT_EQ(FullWalk(forward, h), FullWalk(backward, h)) << i;
  }
  for (const NodeId& id : ids) {
    EXPECT_EQ(forward.Ownership(id), backward.Ownership(id)) << id;
    EXPECT_EQ(forward.RangesOf(id, 3), backward.RangesOf(id, 3)) << id;
  }
}

TEST(RingTest, PreferenceListIsClockwiseWalkOfDistinctNodes) {
  const std::vector<NodeId> ids = {"10.0.0.1:7379", "10.0.0.2:7379", "10.0.0.3:7379",
                                   "10.0.0.4:7379", "10.0.0.5:7379"};
  const Ring ring = MakeRing(ids, 32);
  const ReferenceRing reference(ids, 32);

  std::vector<uint64_t> hashes(SampleHashes().begin(), SampleHashes().begin() + 2000);
  for (const auto& [token, id] : reference.tokens()) {
    hashes.push_back(token);
    hashes.push_back(token + 1);
    hashes.push_back(token - 1);
  }
  for (uint64_t h : hashes) {
    for (size_t n : {0, 1, 2, 3, 5, 7}) {
      const std::vector<NodeId> list = ring.PreferenceList(h, n);
      ASSERT_EQ(list.size(), std::min<size_t>(n, ids.size()));
      ASSERT_EQ(list, reference.PreferenceList(h, n)) << h << " n=" << n;
      std::vector<NodeId> sorted = list;
      std::sort(sorted.begin(), sorted.end());
      ASSERT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << h;
    }
    ASSERT_EQ(FullWalk(ring, h), reference.PreferenceList(h, ids.size())) << h;
  }

  // The primary is the owner of the first token >= hash.
  const auto& tokens = reference.tokens();
  for (size_t k = 1; k < tokens.size(); ++k) {
    if (tokens[k].first == tokens[k - 1].first) continue;
    EXPECT_EQ(ring.PreferenceList(tokens[k].first, 1)[0], tokens[k].second);
    EXPECT_EQ(ring.PreferenceList(tokens[k - 1].first + 1, 1)[0], tokens[k].second);
  }

  // The walk stops when the visitor says so.
  size_t visited = 0;
  ring.WalkFrom(hashes[0], [&](const NodeId&) { return ++visited < 2; });
  EXPECT_EQ(visited, 2u);
}

TEST(RingTest, PreferenceListWithManyMembers) {
  // Over 64 members the walk tracks visited nodes in a bitmap, not a word.
  std::vector<NodeId> ids;
  for (int i = 0; i < 100; ++i) ids.push_back("node" + std::to_string(i));
  const Ring ring = MakeRing(ids, 8);
  const ReferenceRing reference(ids, 8);
  for (size_t i = 0; i < 300; ++i) {
    const uint64_t h = SampleHashes()[i];
    ASSERT_EQ(ring.PreferenceList(h, 3), reference.PreferenceList(h, 3)) << h;
    const std::vector<NodeId> walk = FullWalk(ring, h);
    ASSERT_EQ(walk, reference.PreferenceList(h, ids.size())) << h;
    ASSERT_EQ(walk.size(), ids.size());
  }
}

TEST(RingTest, WrapsAroundTopOfHashSpace) {
  // Explicit layout: a at 100 and 2^64-11, b at 1000, c at 2^64-1.
  Ring ring;
  ring.AddNodeWithTokens("c", {kMax});
  ring.AddNodeWithTokens("a", {kMax - 10, 100});
  ring.AddNodeWithTokens("b", {1000});
  using L = std::vector<NodeId>;
  EXPECT_EQ(ring.PreferenceList(0, 3), (L{"a", "b", "c"}));
  EXPECT_EQ(ring.PreferenceList(100, 3), (L{"a", "b", "c"}));
  EXPECT_EQ(ring.PreferenceList(101, 3), (L{"b", "a", "c"}));
  EXPECT_EQ(ring.PreferenceList(kMax - 10, 3), (L{"a", "c", "b"}));
  EXPECT_EQ(ring.PreferenceList(kMax - 9, 3), (L{"c", "a", "b"}));
  EXPECT_EQ(ring.PreferenceList(kMax, 3), (L{"c", "a", "b"}));
  EXPECT_EQ(ring.PreferenceList(kMax, 2), (L{"c", "a"}));

  // Without a token at the very top, hashes above the highest token belong to
  // the lowest one, exactly like hash 0.
  const Ring derived = MakeRing({"node1", "node2", "node3"});
  const ReferenceRing reference({"node1", "node2", "node3"}, Ring::kDefaultVnodes);
  const uint64_t lowest = reference.tokens().front().first;
  const uint64_t highest = reference.tokens().back().first;
  ASSERT_LT(highest, kMax);
  for (uint64_t h : {highest + 1, kMax - 1, kMax, uint64_t{0}, uint64_t{1}, lowest}) {
    EXPECT_EQ(derived.PreferenceList(h, 3), derived.PreferenceList(lowest, 3)) << h;
    EXPECT_EQ(derived.PreferenceList(h, 1)[0], reference.tokens().front().second) << h;
  }
  EXPECT_EQ(derived.PreferenceList(highest, 1)[0], reference.tokens().back().second);
}

TEST(RingTest, TokenPositionKeysThePreferenceList) {
  // Explicit layout (a at 100 and 2^64-11, b at 1000, c at 2^64-1): hashes
  // that start at one position share its list, whatever their value.
  Ring ring;
  ring.AddNodeWithTokens("c", {kMax});
  ring.AddNodeWithTokens("a", {kMax - 10, 100});
  ring.AddNodeWithTokens("b", {1000});
  EXPECT_EQ(ring.TokenPosition(0), 0u);
  EXPECT_EQ(ring.TokenPosition(100), 0u);
  EXPECT_EQ(ring.TokenPosition(101), 1u);
  EXPECT_EQ(ring.TokenPosition(kMax - 9), 3u);
  using L = std::vector<NodeId>;
  EXPECT_EQ(ring.PreferenceListAt(1, 3), (L{"b", "a", "c"}));
  EXPECT_EQ(ring.PreferenceListAt(3, 2), (L{"c", "a"}));

  const Ring derived = MakeRing({"node1", "node2", "node3", "node4"});
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const uint64_t h = rng();
    const size_t position = derived.TokenPosition(h);
    ASSERT_LT(position, derived.NumTokens());
    EXPECT_EQ(derived.PreferenceListAt(position, 3), derived.PreferenceList(h, 3)) << h;
  }
}

TEST(RingTest, VersionChangesWithTheLayout) {
  Ring ring;
  const uint64_t empty = ring.version();
  ring.AddNode("node1");
  const uint64_t one = ring.version();
  EXPECT_NE(one, empty);
  ring.AddNode("node1");  // already a member: nothing changes
  EXPECT_EQ(ring.version(), one);
  ring.AddNodeWithTokens("node1", {5});  // new tokens
  EXPECT_NE(ring.version(), one);
  const uint64_t retokened = ring.version();
  ring.RemoveNode("node2");  // not a member
  EXPECT_EQ(ring.version(), retokened);
  ring.RemoveNode("node1");
  EXPECT_NE(ring.version(), retokened);
  EXPECT_EQ(ring.TokenPosition(42), 0u);  // an empty ring has the one position
  EXPECT_TRUE(ring.PreferenceListAt(0, 3).empty());
}

TEST(RingTest, TokenCollisionsTieBreakByNodeId) {
  // a and b share token 500: a (smaller id) owns its arc, b comes next.
  Ring ring;
  ring.AddNodeWithTokens("b", {500});
  ring.AddNodeWithTokens("c", {1000});
  ring.AddNodeWithTokens("a", {2000, 500});
  Ring reversed;
  reversed.AddNodeWithTokens("a", {500, 2000});
  reversed.AddNodeWithTokens("c", {1000});
  reversed.AddNodeWithTokens("b", {500});
  using L = std::vector<NodeId>;
  for (uint64_t h : {uint64_t{0}, uint64_t{499}, uint64_t{500}, uint64_t{2001}, kMax}) {
    EXPECT_EQ(ring.PreferenceList(h, 3), (L{"a", "b", "c"})) << h;
    EXPECT_EQ(reversed.PreferenceList(h, 3), (L{"a", "b", "c"})) << h;
  }
  EXPECT_EQ(ring.PreferenceList(501, 3), (L{"c", "a", "b"}));
  EXPECT_EQ(ring.Ownership("b"), 0.0);
  EXPECT_TRUE(ring.RangesOf("b", 1).empty());
  EXPECT_EQ(ring.RangesOf("b", 2), (std::vector<TokenRange>{{0, 500}, {1001, kMax}}));
  EXPECT_EQ(ring.RangesOf("a", 1), (std::vector<TokenRange>{{0, 500}, {1001, kMax}}));
  EXPECT_DOUBLE_EQ(ring.Ownership("a") + ring.Ownership("c"), 1.0);
}

TEST(RingTest, OwnershipAndRangesOfExplicitLayout) {
  Ring ring;
  ring.AddNodeWithTokens("a", {100, kMax - 10});
  ring.AddNodeWithTokens("b", {1000});
  ring.AddNodeWithTokens("c", {kMax});
  using R = std::vector<TokenRange>;
  // Arcs: a [0,100], b [101,1000], a [1001,2^64-11], c [2^64-10,2^64-1].
  EXPECT_EQ(ring.RangesOf("a", 1), (R{{0, 100}, {1001, kMax - 10}}));
  EXPECT_EQ(ring.RangesOf("b", 1), (R{{101, 1000}}));
  EXPECT_EQ(ring.RangesOf("c", 1), (R{{kMax - 9, kMax}}));
  EXPECT_EQ(ring.RangesOf("b", 2), (R{{0, 1000}}));
  EXPECT_EQ(ring.RangesOf("c", 2), (R{{1001, kMax}}));
  EXPECT_EQ(ring.RangesOf("a", 2), (R{{0, kMax}}));
  for (const char* id : {"a", "b", "c"}) EXPECT_EQ(ring.RangesOf(id, 3), (R{{0, kMax}})) << id;
  EXPECT_TRUE(ring.RangesOf("a", 0).empty());
  EXPECT_TRUE(ring.RangesOf("z", 1).empty());
  EXPECT_DOUBLE_EQ(ring.Ownership("b"), static_cast<double>(900 / kHashSpace));
  EXPECT_DOUBLE_EQ(ring.Ownership("c"), static_cast<double>(10 / kHashSpace));
  EXPECT_DOUBLE_EQ(ring.Ownership("a"), 1.0);

  // The wrap-around arc of the lowest token is two ranges when it is not next
  // to another range of the same node.
  Ring two;
  two.AddNodeWithTokens("a", {100});
  two.AddNodeWithTokens("b", {kMax - 100});
  EXPECT_EQ(two.RangesOf("a", 1), (R{{0, 100}, {kMax - 99, kMax}}));
  EXPECT_EQ(two.RangesOf("b", 1), (R{{101, kMax - 100}}));
  EXPECT_DOUBLE_EQ(two.Ownership("a"), static_cast<double>(201 / kHashSpace));
}

TEST(RingTest, RangesOfAgreeWithPreferenceList) {
  const std::vector<NodeId> ids = {"node1", "node2", "node3", "node4", "node5"};
  const Ring ring = MakeRing(ids);
  const ReferenceRing reference(ids, Ring::kDefaultVnodes);
  std::vector<uint64_t> hashes(SampleHashes().begin(), SampleHashes().begin() + 20000);
  for (const auto& [token, id] : reference.tokens()) {
    hashes.push_back(token);
    hashes.push_back(token + 1);
  }
  hashes.push_back(0);
  hashes.push_back(kMax);
  for (size_t n = 1; n <= 3; ++n) {
    uint128 total = 0;
    std::map<NodeId, std::vector<TokenRange>> ranges;
    for (const NodeId& id : ids) {
      ranges[id] = ring.RangesOf(id, n);
      const std::vector<TokenRange>& r = ranges[id];
      for (size_t k = 1; k < r.size(); ++k) {
        ASSERT_LT(r[k - 1].last, r[k].first);      // sorted, disjoint
        ASSERT_NE(r[k - 1].last + 1, r[k].first);  // and merged
      }
      total += SpanOf(r);
      if (n == 1) {
        EXPECT_NEAR(ring.Ownership(id),
                    static_cast<double>(static_cast<long double>(SpanOf(r)) / kHashSpace), 1e-12);
      }
    }
    // Every hash is covered by exactly n nodes' ranges.
    EXPECT_TRUE(total == (uint128{n} << 64)) << "n=" << n;
    for (uint64_t h : hashes) {
      const std::vector<NodeId> list = ring.PreferenceList(h, n);
      for (const NodeId& id : ids) {
        const bool listed = std::find(list.begin(), list.end(), id) != list.end();
        ASSERT_EQ(InRanges(ranges[id], h), listed) << id << " hash " << h << " n=" << n;
      }
    }
  }
}

// Hashes of "bal:0" .. "bal:999999", computed once: the keys the balance
// tests count primaries of.
const std::vector<uint64_t>& MillionHashes() {
  static const std::vector<uint64_t>* hashes = [] {
    auto* v = new std::vector<uint64_t>();
    v->reserve(1000000);
    char key[32];
    for (size_t i = 0; i < 1000000; ++i) {
      const int len = std::snprintf(key, sizeof(key), "bal:%zu", i);
      v->push_back(Ring::HashKey(std::string_view(key, static_cast<size_t>(len))));
    }
    return v;
  }();
  return *hashes;
}

struct Share {
  double analytic = 0;
  double sampled = 0;
};

// Analytic (Ownership) and sampled (primary owner of each of `hashes`) shares
// of each member.
std::map<NodeId, Share> Shares(const Ring& ring, const std::vector<uint64_t>& hashes) {
  std::map<NodeId, Share> shares;
  for (const NodeId& id : ring.Members()) shares[id].analytic = ring.Ownership(id);
  // WalkFrom passes references to the ring's own ids, so count by address.
  std::vector<std::pair<const NodeId*, size_t>> counts;
  for (uint64_t h : hashes) {
    ring.WalkFrom(h, [&](const NodeId& id) {
      auto it =
          std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == &id; });
      if (it == counts.end()) {
        counts.emplace_back(&id, 1);
      } else {
        ++it->second;
      }
      return false;
    });
  }
  for (const auto& [id, count] : counts) {
    shares[*id].sampled = static_cast<double>(count) / hashes.size();
  }
  return shares;
}

// The id sets the acceptance bound is asserted for, and two more that are
// printed and checked the same way.
const std::vector<std::vector<NodeId>>& BalanceIdSets() {
  static const std::vector<std::vector<NodeId>> sets = {
      {"node1", "node2", "node3"},
      {"ringkv-0", "ringkv-1", "ringkv-2"},
      {"a", "b", "c"},
      {"10.0.0.1:7379", "10.0.0.2:7379", "10.0.0.3:7379"},
      {"127.0.0.1:7379", "127.0.0.1:7380", "127.0.0.1:7381"},
  };
  return sets;
}

// Checks that Ownership() agrees with the sample keys and that every member's
// share of a 3-node ring is within `tolerance` of 1/3 by both measures.
void ExpectBalanced(size_t vnodes, double tolerance, const std::vector<uint64_t>& hashes) {
  for (const std::vector<NodeId>& ids : BalanceIdSets()) {
    const Ring ring = MakeRing(ids, vnodes);
    double total = 0;
    std::string line;
    for (const auto& [id, share] : Shares(ring, hashes)) {
      total += share.analytic;
      char buf[128];
      std::snprintf(buf, sizeof(buf), "  %s %.2f%% (%zuk keys %.2f%%)", id.c_str(),
                    100 * share.analytic, hashes.size() / 1000, 100 * share.sampled);
      line += buf;
      // The sampled share's standard error is 0.05 points for 1M keys, 0.09
      // for 300k.
      EXPECT_NEAR(share.sampled, share.analytic, 0.004) << id << " vnodes=" << vnodes;
      EXPECT_NEAR(share.analytic, 1.0 / 3, tolerance) << id << " vnodes=" << vnodes;
      EXPECT_NEAR(share.sampled, 1.0 / 3, tolerance) << id << " vnodes=" << vnodes;
    }
    EXPECT_NEAR(total, 1.0, 1e-9);
    std::cout << "vnodes=" << vnodes << ":" << line << "\n";
  }
}

// The acceptance bound: each of 3 nodes owns 33.3% +- 2 points.
TEST(RingBalanceTest, ThreeNodesWithinTwoPointsDefaultVnodes) {
  ExpectBalanced(Ring::kDefaultVnodes, 0.02, MillionHashes());
}

TEST(RingBalanceTest, ThreeNodesWithinTwoPointsAt2048Vnodes) {
  ExpectBalanced(2048, 0.02, SampleHashes());
}

// A random node id, from a seeded generator, in one of a few common shapes.
NodeId RandomId(std::mt19937_64& rng) {
  const uint64_t r = rng();
  switch (r % 4) {
    case 0:
      return "node" + std::to_string(rng() % 100000);
    case 1:
      return "10." + std::to_string(rng() % 256) + "." + std::to_string(rng() % 256) + "." +
             std::to_string(rng() % 256) + ":7379";
    case 2:
      return "ringkv-" + std::to_string(rng() % 1000) + ".svc";
    default:
      return std::to_string(rng());
  }
}

struct Spread {
  int sets = 0;
  int within_two = 0;  // id sets with every share within 1/k +- 2 points
  double median = 0;   // of each set's largest deviation from 1/k, points
  double p90 = 0;
  double worst = 0;
};

// Exact shares (Ownership) of `sets` rings of k random ids.
Spread SpreadOverRandomIdSets(size_t k, int sets, size_t vnodes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> deviations;
  Spread spread;
  spread.sets = sets;
  for (int set = 0; set < sets; ++set) {
    Ring ring(vnodes);
    while (ring.NumMembers() < k) ring.AddNode(RandomId(rng));
    double worst = 0;
    for (const NodeId& id : ring.Members()) {
      worst = std::max(worst, std::fabs(ring.Ownership(id) - 1.0 / k));
    }
    if (worst <= 0.02) ++spread.within_two;
    deviations.push_back(100 * worst);
  }
  std::sort(deviations.begin(), deviations.end());
  spread.median = deviations[deviations.size() / 2];
  spread.p90 = deviations[deviations.size() * 9 / 10];
  spread.worst = deviations.back();
  std::printf(
      "vnodes=%zu, %d random sets of %zu ids: all shares within 1/%zu +- 2 points in %d; "
      "largest deviation per set: median %.2f, p90 %.2f, worst %.2f points\n",
      vnodes, sets, k, k, spread.within_two, spread.median, spread.p90, spread.worst);
  return spread;
}

TEST(RingBalanceTest, RandomIdSets) {
  // Independent random tokens (and the previous one-random-token-per-slice
  // placement) measured 43% of 3-node sets within +-2 points, median 2.2
  // points. Most failures here are near misses; about 2% of sets have two
  // nodes with the same lattice multiplier and are far off (see ring.h).
  const Spread three = SpreadOverRandomIdSets(3, 400, Ring::kDefaultVnodes, 1);
  EXPECT_GE(three.within_two, 0.8 * three.sets);
  EXPECT_LT(three.median, 1.4);
  EXPECT_LT(three.p90, 2.6);
  for (size_t k : {4, 5}) {
    const Spread spread = SpreadOverRandomIdSets(k, 200, Ring::kDefaultVnodes, k);
    EXPECT_GE(spread.within_two, 0.75 * spread.sets) << k;
    EXPECT_LT(spread.median, 1.5) << k;
  }
  const Spread many = SpreadOverRandomIdSets(3, 200, 2048, 2048);
  EXPECT_GE(many.within_two, 0.98 * many.sets);
  EXPECT_LT(many.median, 0.5);
}

TEST(RingBalanceTest, SliceLocalSharesOfRandomIdSets) {
  // Each slice measured as its own circle: a token's gap runs back to the
  // previous token of the same slice, wrapping inside it. This isolates what
  // the lattice controls from the arcs across slice boundaries (which the
  // real ring gives to the next slice's first token): 95% of random 3-node
  // sets are within +-2 points this way, against 86% on the real ring
  // (RandomIdSets). The failures left here are mostly multiplier collisions
  // (about 2% of sets, far off) and triples forming a poor 2-D lattice.
  std::mt19937_64 rng(1);
  constexpr int kSets = 400;
  constexpr size_t kVnodes = Ring::kDefaultVnodes;
  int within = 0;
  std::vector<double> deviations;
  for (int set = 0; set < kSets; ++set) {
    std::vector<NodeId> ids;
    while (ids.size() < 3) {
      NodeId id = RandomId(rng);
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
    }
    std::vector<std::vector<long double>> offsets;
    for (const NodeId& id : ids) offsets.push_back(SliceOffsets(id, kVnodes));
    double worst = 0;
    for (size_t j = 0; j < ids.size(); ++j) {
      long double share = 0;
      for (size_t i = 0; i < kVnodes; ++i) {
        long double gap = 1;
        for (size_t l = 0; l < ids.size(); ++l) {
          if (l == j) continue;
          long double d = offsets[j][i] - offsets[l][i];
          if (d <= 0) d += 1;
          gap = std::min(gap, d);
        }
        share += gap;
      }
      worst = std::max(worst, std::fabs(static_cast<double>(share / kVnodes) - 1.0 / 3));
    }
    if (worst <= 0.02) ++within;
    deviations.push_back(100 * worst);
  }
  std::sort(deviations.begin(), deviations.end());
  std::printf(
      "vnodes=%zu, %d random sets of 3 ids, each slice its own circle: within 1/3 +- 2 points "
      "in %d; largest deviation per set: median %.2f, p90 %.2f points\n",
      kVnodes, kSets, within, deviations[kSets / 2], deviations[kSets * 9 / 10]);
  EXPECT_GE(within, 0.92 * kSets);
  EXPECT_LT(deviations[kSets / 2], 0.7);
}

TEST(RingMovementTest, AddingFourthNodeMovesOnlyItsShare) {
  const std::vector<NodeId> ids = {"node1", "node2", "node3"};
  const Ring before = MakeRing(ids);
  Ring after = before;
  after.AddNode("node4");
  const auto& hashes = SampleHashes();

  size_t primary_moved = 0;
  size_t replicas_changed = 0;
  size_t mod_n_moved = 0;
  size_t mod_n_replicas_changed = 0;
  for (uint64_t h : hashes) {
    const std::vector<NodeId> old_list = before.PreferenceList(h, 3);
    const std::vector<NodeId> new_list = after.PreferenceList(h, 3);
    if (old_list[0] != new_list[0]) {
      ++primary_moved;
      ASSERT_EQ(new_list[0], "node4") << "a key moved between old nodes";
    }
    std::vector<NodeId> old_set = old_list, new_set = new_list;
    std::sort(old_set.begin(), old_set.end());
    std::sort(new_set.begin(), new_set.end());
    if (old_set != new_set) {
      ++replicas_changed;
      // Exactly one old replica is replaced, and by the new node.
      std::vector<NodeId> gained;
      std::set_difference(new_set.begin(), new_set.end(), old_set.begin(), old_set.end(),
                          std::back_inserter(gained));
      ASSERT_EQ(gained, std::vector<NodeId>{"node4"});
    }
    if (h % 3 != h % 4) ++mod_n_moved;
    // Hash mod N with the next two nodes as replicas: all of nodes 0-2 before,
    // so the set changes unless it is {0, 1, 2} again.
    if (h % 4 != 0) ++mod_n_replicas_changed;
  }
  const double n = static_cast<double>(hashes.size());
  std::cout << "3 -> 4 nodes, " << hashes.size() << " keys: primary moved "
            << 100 * primary_moved / n << "% (node4 owns " << 100 * after.Ownership("node4")
            << "%), N=3 replica set changed " << 100 * replicas_changed / n
            << "%; hash mod N: primary " << 100 * mod_n_moved / n << "%, replica set "
            << 100 * mod_n_replicas_changed / n << "%\n";
  EXPECT_LE(primary_moved, 1.1 * n / 4);
  EXPECT_NEAR(primary_moved / n, after.Ownership("node4"), 0.005);
  EXPECT_GT(mod_n_moved / n, 0.6);
}

TEST(RingMovementTest, AddingFourthNodeToRandomSets) {
  // Existing tokens never move, so adding a node moves exactly the hashes it
  // comes to own: its Ownership() after the join.
  std::mt19937_64 rng(4);
  constexpr int kSets = 200;
  int within = 0;
  std::vector<double> moved;
  for (int set = 0; set < kSets; ++set) {
    Ring ring;
    while (ring.NumMembers() < 3) ring.AddNode(RandomId(rng));
    NodeId added = RandomId(rng);
    while (ring.Contains(added)) added = RandomId(rng);
    ring.AddNode(added);
    moved.push_back(ring.Ownership(added));
    if (moved.back() <= 1.1 / 4) ++within;
  }
  std::sort(moved.begin(), moved.end());
  std::printf(
      "3 -> 4 nodes, %d random sets: moved <= 1.1 x 1/4 in %d; moved fraction median %.2f%%, "
      "worst %.2f%%\n",
      kSets, within, 100 * moved[kSets / 2], 100 * moved.back());
  EXPECT_GE(within, 0.95 * kSets);
}

TEST(RingMovementTest, AddingTenthNodeChangesFewReplicaSets) {
  // On 3 -> 4 nodes with N=3 the new node must take 3/4 of all replica sets,
  // so this larger ring is where consistent hashing's advantage shows.
  std::vector<NodeId> ids;
  for (int i = 1; i <= 9; ++i) ids.push_back("node" + std::to_string(i));
  const Ring before = MakeRing(ids);
  Ring after = before;
  after.AddNode("node10");
  size_t primary_moved = 0, replicas_changed = 0, mod_n_moved = 0, mod_n_replicas_changed = 0;
  for (uint64_t h : SampleHashes()) {
    std::vector<NodeId> old_list = before.PreferenceList(h, 3);
    std::vector<NodeId> new_list = after.PreferenceList(h, 3);
    if (old_list[0] != new_list[0]) ++primary_moved;
    std::sort(old_list.begin(), old_list.end());
    std::sort(new_list.begin(), new_list.end());
    if (old_list != new_list) ++replicas_changed;
    // Hash mod N with the next two nodes as replicas.
    if (h % 9 != h % 10) ++mod_n_moved;
    std::vector<uint64_t> old_mod = {h % 9, (h + 1) % 9, (h + 2) % 9};
    std::vector<uint64_t> new_mod = {h % 10, (h + 1) % 10, (h + 2) % 10};
    std::sort(old_mod.begin(), old_mod.end());
    std::sort(new_mod.begin(), new_mod.end());
    if (old_mod != new_mod) ++mod_n_replicas_changed;
  }
  const double n = static_cast<double>(SampleHashes().size());
  std::cout << "9 -> 10 nodes: primary moved " << 100 * primary_moved / n
            << "%, N=3 replica set changed " << 100 * replicas_changed / n
            << "%; hash mod N: primary " << 100 * mod_n_moved / n << "%, replica set "
            << 100 * mod_n_replicas_changed / n << "%\n";
  EXPECT_LE(primary_moved, 1.5 * n / 10);
  EXPECT_LE(replicas_changed, 1.5 * 3 * n / 10);
  EXPECT_GT(mod_n_replicas_changed / n, 0.6);
}

TEST(RingMovementTest, RemovingNodeRestoresAssignments) {
  const std::vector<NodeId> ids = {"node1", "node2", "node3"};
  const Ring before = MakeRing(ids);
  Ring ring = before;
  ring.AddNode("node4");
  ring.RemoveNode("node4");
  EXPECT_EQ(ring.Members(), before.Members());
  for (uint64_t h : SampleHashes()) {
    ASSERT_EQ(ring.PreferenceList(h, 3), before.PreferenceList(h, 3)) << h;
  }
  for (const NodeId& id : ids) {
    EXPECT_EQ(ring.Ownership(id), before.Ownership(id)) << id;
    EXPECT_EQ(ring.RangesOf(id, 3), before.RangesOf(id, 3)) << id;
  }
}

TEST(RingTest, PreferenceListThroughput) {
  // For information only: no timing assertion.
  std::vector<NodeId> ids;
  for (int i = 1; i <= 10; ++i) ids.push_back("10.0.0." + std::to_string(i) + ":7379");
  const Ring ring = MakeRing(ids);
  const auto& hashes = SampleHashes();
  size_t total = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 3; ++round) {
    for (uint64_t h : hashes) total += ring.PreferenceList(h, 3).size();
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  const double calls = 3.0 * hashes.size();
  std::cout << "PreferenceList(n=3), 10 nodes x 150 vnodes: " << calls / elapsed.count() / 1e6
            << "M calls/s\n";
  EXPECT_EQ(total, 3 * 3 * hashes.size());
}

}  // namespace
}  // namespace ringkv::cluster
