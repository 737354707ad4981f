// Multi-process cluster tests: real ringkv-server processes forming a ring on
// loopback (N=3, W=2, R=2), driven through hiredis. kill -9, restarts, read
// repair, siblings, NOQUORUM and the separation of client and cluster ports.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/cluster_process/cluster_process.h"

namespace ringkv::testing {
namespace {

using namespace std::chrono_literals;

// N=3, W=2, R=2; short peer timeouts keep failure cases fast.
const std::vector<std::string> kQuorumArgs = {
    "--replicas", "3", "--write-quorum", "2", "--read-quorum", "2", "--cluster-request-timeout",
    "500"};

// The elements of an array reply as strings ("<nil>" for a nil element).
std::vector<std::string> Elements(const redisReply* r) {
  std::vector<std::string> out;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    out.push_back(e->type == REDIS_REPLY_NIL ? "<nil>" : std::string(e->str, e->len));
  }
  return out;
}
std::vector<std::string> Elements(const Reply& r) { return Elements(r.get()); }

std::map<std::string, std::string> AsMap(const Reply& r) {
  std::map<std::string, std::string> out;
  const std::vector<std::string> flat = Elements(r);
  for (size_t i = 0; i + 1 < flat.size(); i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

// RING.GET's reply: the context token and the sibling values, sorted.
struct Versions {
  bool ok = false;
  std::string context;
  std::vector<std::string> siblings;
};
Versions ParseRingGet(const Reply& r) {
  Versions v;
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
      r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY) {
    return v;
  }
  v.ok = true;
  v.context.assign(r->element[0]->str, r->element[0]->len);
  v.siblings = Elements(r->element[1]);
  std::sort(v.siblings.begin(), v.siblings.end());
  return v;
}
std::string Describe(const Reply& r) {
  if (!r) return "<no reply>";
  if (r->type == REDIS_REPLY_ARRAY) {
    std::string out = "[";
    for (size_t i = 0; i < r->elements; ++i) {
      const redisReply* e = r->element[i];
      if (i) out += ", ";
      if (e->type == REDIS_REPLY_ARRAY) {
        out += "[";
        for (const std::string& s : Elements(e)) out += s + " ";
        out += "]";
      } else if (e->type == REDIS_REPLY_NIL) {
        out += "<nil>";
      } else {
        out += std::string(e->str, e->len);
      }
    }
    return out + "]";
  }
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  if (r->type == REDIS_REPLY_NIL) return "<nil>";
  return Str(r);
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Connections to every node of a started, converged cluster.
std::vector<Connection> ConnectAll(Cluster& cluster) {
  std::vector<Connection> out;
  for (size_t i = 0; i < cluster.size(); ++i) out.push_back(cluster.node(i).Connect());
  return out;
}

int64_t SumInfo(Cluster& cluster, const std::string& field) {
  int64_t sum = 0;
  for (size_t i = 0; i < cluster.size(); ++i) {
    if (!cluster.node(i).Alive()) continue;
    sum += std::max<int64_t>(0, InfoInt(cluster.node(i).Connect(), field));
  }
  return sum;
}

// 1. A write through one node is read through every other, and reaches every
// replica (the third one in the background: only W=2 acks are awaited).
TEST(ClusterTest, ThreeNodesWriteOnOneReadOnEvery) {
  Cluster cluster(3, kQuorumArgs);
  ASSERT_TRUE(cluster.Start());
  ASSERT_TRUE(cluster.WaitConverged()) << "ring did not converge to 3 members / 3 alive";
  std::vector<Connection> c = ConnectAll(cluster);
  for (const Connection& conn : c) ASSERT_TRUE(conn);
  auto local_is = [&](size_t node, const std::string& command, const std::string& expected) {
    return WaitFor([&] { return Describe(Command(c[node], command.c_str())) == expected; }, 5s);
  };

  // With N=3 on 3 nodes every node replicates every key.
  for (size_t i = 0; i < 3; ++i) {
    std::vector<std::string> preflist = Elements(Command(c[i], "RING.PREFLIST greeting"));
    std::sort(preflist.begin(), preflist.end());
    EXPECT_EQ(preflist, (std::vector<std::string>{"node1", "node2", "node3"}));
  }

  // Strings.
  EXPECT_EQ(Str(Command(c[0], "SET greeting hello")), "OK");
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(Str(Command(c[i], "GET greeting")), "hello") << "through node" << i + 1;
  }
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(local_is(i, "RING.LOCAL GET greeting", "hello")) << "replica node" << i + 1;
  }
  EXPECT_EQ(Str(Command(c[2], "SET greeting world")), "OK");
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(Str(Command(c[i], "GET greeting")), "world") << "through node" << i + 1;
  }
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(local_is(i, "RING.LOCAL GET greeting", "world")) << "replica node" << i + 1;
  }

  // A shopping cart: a hash written and updated through different nodes.
  EXPECT_EQ(Command(c[1], "HSET cart sku:1 2 sku:2 1 sku:3 5 sku:4 1")->integer, 4);
  const std::map<std::string, std::string> cart = {
      {"sku:1", "2"}, {"sku:2", "1"}, {"sku:3", "5"}, {"sku:4", "1"}};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(AsMap(Command(c[i], "HGETALL cart")), cart) << "through node" << i + 1;
    EXPECT_EQ(Command(c[i], "HLEN cart")->integer, 4);
  }
  EXPECT_EQ(Command(c[2], "HINCRBY cart sku:1 3")->integer, 5);
  EXPECT_EQ(Command(c[0], "HDEL cart sku:2")->integer, 1);
  EXPECT_EQ(Command(c[1], "HSET cart sku:5 7")->integer, 1);
  const std::map<std::string, std::string> cart2 = {
      {"sku:1", "5"}, {"sku:3", "5"}, {"sku:4", "1"}, {"sku:5", "7"}};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(AsMap(Command(c[i], "HGETALL cart")), cart2) << "through node" << i + 1;
    EXPECT_EQ(Str(Command(c[i], "HGET cart sku:1")), "5");
    EXPECT_TRUE(IsNil(Command(c[i], "HGET cart sku:2")));
  }
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(
        WaitFor([&] { return AsMap(Command(c[i], "RING.LOCAL HGETALL cart")) == cart2; }, 5s))
        << "replica node" << i + 1 << " holds "
        << Describe(Command(c[i], "RING.LOCAL HGETALL cart"));
  }

  // INCR reads before it writes: with W+R > N each increment sees the last,
  // whichever node coordinates it.
  for (int i = 0; i < 9; ++i) {
    Reply r = Command(c[i % 3], "INCR counter");
    ASSERT_TRUE(r && r->type == REDIS_REPLY_INTEGER) << Describe(r);
    EXPECT_EQ(r->integer, i + 1) << "INCR through node" << i % 3 + 1;
  }
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(Str(Command(c[i], "GET counter")), "9");
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(local_is(i, "RING.LOCAL GET counter", "9"));

  // DEL through one node hides the key everywhere.
  EXPECT_EQ(Command(c[1], "DEL greeting")->integer, 1);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(IsNil(Command(c[i], "GET greeting"))) << "through node" << i + 1;
    EXPECT_EQ(Command(c[i], "EXISTS greeting")->integer, 0);
  }
  EXPECT_EQ(Command(c[2], "DEL greeting")->integer, 0);
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(local_is(i, "RING.LOCAL GET greeting", "<nil>"));

  // EXPIRE / TTL / PERSIST through different nodes.
  EXPECT_EQ(Str(Command(c[0], "SET session s1")), "OK");
  EXPECT_EQ(Command(c[2], "EXPIRE session 100")->integer, 1);
  for (size_t i = 0; i < 3; ++i) {
    const int64_t ttl = Command(c[i], "TTL session")->integer;
    EXPECT_GE(ttl, 95) << "through node" << i + 1;
    EXPECT_LE(ttl, 100) << "through node" << i + 1;
  }
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(WaitFor(
        [&] {
          Reply r = Command(c[i], "RING.LOCAL TTL session");
          return r && r->type == REDIS_REPLY_INTEGER && r->integer >= 95 && r->integer <= 100;
        },
        5s))
        << "replica node" << i + 1;
  }
  EXPECT_EQ(Command(c[1], "PERSIST session")->integer, 1);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(Command(c[i], "TTL session")->integer, -1);
  EXPECT_EQ(Str(Command(c[2], "GET session")), "s1");

  // A short expiry set through one node expires on every node.
  EXPECT_EQ(Str(Command(c[1], "SET temp x")), "OK");
  EXPECT_EQ(Command(c[0], "PEXPIRE temp 800")->integer, 1);
  const int64_t pttl = Command(c[2], "PTTL temp")->integer;
  EXPECT_GT(pttl, 0);
  EXPECT_LE(pttl, 800);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(WaitFor([&] { return IsNil(Command(c[i], "GET temp")); }, 5s));
    EXPECT_EQ(Command(c[i], "EXISTS temp")->integer, 0);
  }
}

// 2. Five nodes: keys live on exactly their 3 preference-list nodes, and are
// readable through every node (non-replicas forward).
TEST(ClusterTest, FiveNodesPlacementAndRouting) {
  Cluster cluster(5, kQuorumArgs);
  ASSERT_TRUE(cluster.Start());
  ASSERT_TRUE(cluster.WaitConverged()) << "ring did not converge to 5 members / 5 alive";
  std::vector<Connection> c = ConnectAll(cluster);
  for (const Connection& conn : c) ASSERT_TRUE(conn);

  constexpr int kKeys = 200;
  std::mt19937 rng(20240611);
  std::vector<std::string> keys, values;
  for (int i = 0; i < kKeys; ++i) {
    keys.push_back("user:" + std::to_string(i));
    values.push_back("value-" + std::to_string(i) + "-" + std::to_string(rng()));
    const size_t through = rng() % 5;
    Reply r = CommandArgv(c[through], {"SET", keys[i], values[i]});
    ASSERT_EQ(Str(r), "OK") << keys[i] << " through node" << through + 1;
  }
  for (int i = 0; i < kKeys; ++i) {
    for (size_t n = 0; n < 5; ++n) {
      EXPECT_EQ(Str(CommandArgv(c[n], {"GET", keys[i]})), values[i])
          << keys[i] << " through node" << n + 1;
    }
  }
  EXPECT_GT(SumInfo(cluster, "ring_forwarded"), 0) << "no write went through a non-replica";

  // Preference lists agree on every node: 3 distinct known nodes.
  std::vector<std::vector<std::string>> preflists(kKeys);
  std::map<std::string, int> replica_of;
  for (int i = 0; i < kKeys; ++i) {
    preflists[i] = Elements(CommandArgv(c[0], {"RING.PREFLIST", keys[i]}));
    ASSERT_EQ(preflists[i].size(), 3u) << keys[i];
    std::set<std::string> distinct(preflists[i].begin(), preflists[i].end());
    EXPECT_EQ(distinct.size(), 3u) << keys[i];
    for (const std::string& id : preflists[i]) {
      EXPECT_LT(cluster.IndexOf(id), 5u) << "unknown node " << id;
      ++replica_of[id];
    }
    for (size_t n = 1; n < 5; ++n) {
      EXPECT_EQ(Elements(CommandArgv(c[n], {"RING.PREFLIST", keys[i]})), preflists[i])
          << keys[i] << " on node" << n + 1;
    }
  }
  EXPECT_EQ(replica_of.size(), 5u) << "some node replicates none of 200 keys";

  auto check_placement = [&](const std::vector<std::string>& ks, const std::vector<std::string>& vs,
                             const std::string& what) {
    for (size_t i = 0; i < ks.size(); ++i) {
      const std::vector<std::string> preflist =
          Elements(CommandArgv(c[0], {"RING.PREFLIST", ks[i]}));
      for (size_t n = 0; n < 5; ++n) {
        const bool replica = std::count(preflist.begin(), preflist.end(), cluster.node(n).id());
        if (replica) {
          EXPECT_TRUE(WaitFor(
              [&] {
                return Str(CommandArgv(c[n], {"RING.LOCAL", "GET", ks[i]})) == vs[i];
              },
              5s))
              << what << ": replica node" << n + 1 << " lacks " << ks[i];
        } else {
          EXPECT_TRUE(IsNil(CommandArgv(c[n], {"RING.LOCAL", "GET", ks[i]})))
              << what << ": non-replica node" << n + 1 << " holds " << ks[i];
        }
      }
    }
  };
  check_placement(keys, values, "SET");

  // MSET / MGET / EXISTS / DEL over many keys through one node: split per key.
  const int64_t split_before = InfoInt(c[0], "ring_split_commands");
  std::vector<std::string> mkeys, mvalues;
  std::vector<std::string> mset = {"MSET"};
  for (int i = 0; i < 60; ++i) {
    mkeys.push_back("multi:" + std::to_string(i));
    mvalues.push_back("m" + std::to_string(i * 7));
    mset.push_back(mkeys.back());
    mset.push_back(mvalues.back());
  }
  EXPECT_EQ(Str(CommandArgv(c[0], mset)), "OK");
  EXPECT_GT(InfoInt(c[0], "ring_split_commands"), split_before);
  std::vector<std::string> mget = {"MGET"};
  mget.insert(mget.end(), mkeys.begin(), mkeys.end());
  mget.push_back("multi:missing");
  std::vector<std::string> expected = mvalues;
  expected.push_back("<nil>");
  for (size_t n = 0; n < 5; ++n) {
    EXPECT_EQ(Elements(CommandArgv(c[n], mget)), expected) << "MGET through node" << n + 1;
  }
  check_placement(mkeys, mvalues, "MSET");
  std::vector<std::string> exists = {"EXISTS"};
  exists.insert(exists.end(), mkeys.begin(), mkeys.end());
  EXPECT_EQ(CommandArgv(c[3], exists)->integer, 60);

  std::vector<std::string> del = {"DEL"};
  del.insert(del.end(), mkeys.begin(), mkeys.end());
  del.push_back("multi:missing");
  Reply deleted = CommandArgv(c[0], del);
  ASSERT_TRUE(deleted && deleted->type == REDIS_REPLY_INTEGER) << Describe(deleted);
  EXPECT_EQ(deleted->integer, 60);
  const std::vector<std::string> all_nil(61, "<nil>");
  for (size_t n = 0; n < 5; ++n) {
    EXPECT_EQ(Elements(CommandArgv(c[n], mget)), all_nil) << "MGET through node" << n + 1;
  }
  EXPECT_EQ(CommandArgv(c[4], exists)->integer, 0);
  // Deleted: nil on every replica too (Str() of a nil reply is "<null>").
  check_placement(mkeys, std::vector<std::string>(60, "<null>"), "DEL");
}

// 3. kill -9 one replica while a client writes: quorum holds, nothing
// acknowledged is lost, and the restarted replica learns what it missed
// through reads (its own coordination, and read repair from its peers).
TEST(ClusterTest, KillNineReplicaDuringWritesThenRecover) {
  Cluster cluster(3, kQuorumArgs);
  ASSERT_TRUE(cluster.Start());
  ASSERT_TRUE(cluster.WaitConverged());

  constexpr int kWrites = 2000;
  constexpr int kKillAfter = 500;
  std::atomic<int> started{0};
  std::atomic<int> completed{0};
  std::mutex mu;
  std::vector<std::string> failures;
  auto key_of = [](int i) { return "k:" + std::to_string(i); };
  auto value_of = [](int i) { return "v:" + std::to_string(i * 31); };
  // The client writes through the two nodes that survive, in turn.
  Connection w0 = cluster.node(0).Connect();
  Connection w1 = cluster.node(1).Connect();
  ASSERT_TRUE(w0 && w1);
  // Keys node3 is known to hold before the kill (it must still hold them after
  // the restart). During the write loop below it may lag behind the two acks
  // the coordinator waits for, so what it holds at the kill is not exact.
  constexpr int kPre = 100;
  Connection n3 = cluster.node(2).Connect();
  ASSERT_TRUE(n3);
  for (int i = 0; i < kPre; ++i) {
    ASSERT_EQ(Str(CommandArgv(w0, {"SET", "pre:" + std::to_string(i), value_of(i)})), "OK");
  }
  for (int i = 0; i < kPre; ++i) {
    ASSERT_TRUE(WaitFor(
        [&] {
          return Str(CommandArgv(n3, {"RING.LOCAL", "GET", "pre:" + std::to_string(i)})) ==
                 value_of(i);
        },
        5s))
        << "node3 never got pre:" << i;
  }
  n3.reset();
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      started.store(i + 1);
      Reply r = CommandArgv(i % 2 ? w1 : w0, {"SET", key_of(i), value_of(i)});
      if (Str(r) != "OK") {
        std::lock_guard<std::mutex> lock(mu);
        failures.push_back(key_of(i) + ": " + Describe(r));
      }
      completed.store(i + 1);
    }
  });
  const bool reached = WaitFor([&] { return completed.load() >= kKillAfter; }, 30s);
  cluster.node(2).Kill(SIGKILL);
  // Every write started from here on began after node3 was gone.
  const int first_after_kill = started.load();
  writer.join();
  ASSERT_TRUE(reached);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_TRUE(failures.empty()) << failures.size() << " writes failed, first: " << failures[0];
  }
  ASSERT_LT(first_after_kill, kWrites - 500) << "the writer finished before the kill";

  // Every acknowledged write is readable through the survivors (R=2 of the 2 alive).
  ASSERT_TRUE(cluster.WaitConverged(2)) << "survivors did not notice node3 is gone";
  Connection s0 = cluster.node(0).Connect();
  Connection s1 = cluster.node(1).Connect();
  int unreadable = 0;
  for (int i = 0; i < kWrites; ++i) {
    Reply r = CommandArgv(i % 2 ? s0 : s1, {"GET", key_of(i)});
    if (Str(r) != value_of(i)) {
      if (++unreadable <= 5) ADD_FAILURE() << key_of(i) << " reads " << Describe(r);
    }
  }
  EXPECT_EQ(unreadable, 0);

  // node3 comes back on its directory as the same node.
  ASSERT_TRUE(cluster.Restart(2));
  ASSERT_TRUE(cluster.WaitConverged()) << "node3 did not rejoin";
  Connection r3 = cluster.node(2).Connect();
  ASSERT_TRUE(r3);
  // What it held before the kill survived it, and it holds nothing written
  // after.
  for (int i = 0; i < kPre; ++i) {
    EXPECT_EQ(Str(CommandArgv(r3, {"RING.LOCAL", "GET", "pre:" + std::to_string(i)})), value_of(i))
        << "node3 lost pre:" << i << " across kill -9";
  }
  std::vector<int> missed;
  int held = 0;
  for (int i = first_after_kill; i < kWrites; ++i) {
    Reply r = CommandArgv(r3, {"RING.LOCAL", "GET", key_of(i)});
    if (!IsNil(r) && ++held <= 5) {
      ADD_FAILURE() << key_of(i) << " was written while node3 was down, yet it holds "
                    << Describe(r);
    }
    missed.push_back(i);
  }
  EXPECT_EQ(held, 0);

  // Half of the missed keys are read through node3 itself: it coordinates,
  // fetches from a peer and merges what it learns into its own replica.
  for (size_t j = 0; j < missed.size(); j += 2) {
    const int i = missed[j];
    EXPECT_EQ(Str(CommandArgv(r3, {"GET", key_of(i)})), value_of(i)) << key_of(i);
    EXPECT_EQ(Str(CommandArgv(r3, {"RING.LOCAL", "GET", key_of(i)})), value_of(i))
        << "node3 did not keep what its own read fetched for " << key_of(i);
  }
  // The other half through the survivors: node3 answers their fetch with
  // nothing and gets read-repaired.
  const int64_t repairs_before =
      InfoInt(s0, "ring_read_repairs") + InfoInt(s1, "ring_read_repairs");
  for (size_t j = 1; j < missed.size(); j += 2) {
    const int i = missed[j];
    EXPECT_EQ(Str(CommandArgv(j % 4 == 1 ? s0 : s1, {"GET", key_of(i)})), value_of(i)) << key_of(i);
  }
  for (size_t j = 1; j < missed.size(); j += 2) {
    const int i = missed[j];
    EXPECT_TRUE(WaitFor(
        [&] {
          return Str(CommandArgv(r3, {"RING.LOCAL", "GET", key_of(i)})) == value_of(i);
        },
        5s))
        << "read repair did not bring " << key_of(i) << " to node3";
  }
  const int64_t repairs_after = InfoInt(s0, "ring_read_repairs") + InfoInt(s1, "ring_read_repairs");
  EXPECT_GE(repairs_after - repairs_before, static_cast<int64_t>(missed.size() / 2))
      << "ring_read_repairs on the survivors did not count the repairs of node3";
}

// 4. Concurrent writes become siblings; a write with the merged context
// resolves them everywhere.
TEST(ClusterTest, SiblingsAndResolution) {
  Cluster cluster(3, kQuorumArgs);
  ASSERT_TRUE(cluster.Start());
  ASSERT_TRUE(cluster.WaitConverged());
  std::vector<Connection> c = ConnectAll(cluster);
  for (const Connection& conn : c) ASSERT_TRUE(conn);

  EXPECT_EQ(Str(Command(c[0], "SET k v1")), "OK");
  const Versions first = ParseRingGet(Command(c[0], "RING.GET k"));
  ASSERT_TRUE(first.ok);
  EXPECT_EQ(first.siblings, std::vector<std::string>{"v1"});
  EXPECT_EQ(Str(CommandArgv(c[0], {"RING.PUT", "k", first.context, "v2"})), "OK");
  // Sibling order for plain reads is by timestamp (ms): keep v3 strictly later.
  std::this_thread::sleep_for(5ms);
  // An empty context is an old one: v3 is concurrent with v2.
  EXPECT_EQ(Str(CommandArgv(c[1], {"RING.PUT", "k", "", "v3"})), "OK");

  Versions merged;
  for (size_t n : {2, 0, 1}) {
    Reply r = Command(c[n], "RING.GET k");
    Versions v = ParseRingGet(r);
    ASSERT_TRUE(v.ok) << Describe(r);
    EXPECT_EQ(v.siblings, (std::vector<std::string>{"v2", "v3"}))
        << "RING.GET through node" << n + 1 << ": " << Describe(r);
    if (n == 2) merged = v;
  }
  for (size_t n = 0; n < 3; ++n) {
    EXPECT_TRUE(WaitFor([&] { return InfoInt(c[n], "ring_keys_with_siblings") >= 1; }, 5s))
        << "replica node" << n + 1;
    // A plain read shows one value: the latest by timestamp.
    EXPECT_EQ(Str(Command(c[n], "GET k")), "v3") << "through node" << n + 1;
  }

  // Writing with the context that covers both siblings resolves them.
  EXPECT_EQ(Str(CommandArgv(c[1], {"RING.PUT", "k", merged.context, "v4"})), "OK");
  for (size_t n = 0; n < 3; ++n) {
    Reply r = Command(c[n], "RING.GET k");
    EXPECT_EQ(ParseRingGet(r).siblings, std::vector<std::string>{"v4"})
        << "through node" << n + 1 << ": " << Describe(r);
    EXPECT_EQ(Str(Command(c[n], "GET k")), "v4");
  }
  for (size_t n = 0; n < 3; ++n) {
    EXPECT_TRUE(WaitFor(
        [&] {
          return ParseRingGet(Command(c[n], "RING.LOCAL RING.GET k")).siblings ==
                 std::vector<std::string>{"v4"};
        },
        5s))
        << "replica node" << n + 1 << " holds " << Describe(Command(c[n], "RING.LOCAL RING.GET k"));
  }

  // The first context covers only v1: a write with it is concurrent with v4.
  EXPECT_EQ(Str(CommandArgv(c[2], {"RING.PUT", "k", first.context, "v5"})), "OK");
  Versions again = ParseRingGet(Command(c[0], "RING.GET k"));
  EXPECT_EQ(again.siblings, (std::vector<std::string>{"v4", "v5"}));
  // A delete with the merged context removes both.
  EXPECT_EQ(Str(CommandArgv(c[0], {"RING.DEL", "k", again.context})), "OK");
  for (size_t n = 0; n < 3; ++n) {
    EXPECT_TRUE(IsNil(Command(c[n], "GET k"))) << "through node" << n + 1;
    EXPECT_EQ(Command(c[n], "EXISTS k")->integer, 0);
  }
}

// 5. Without W reachable replicas a write fails, naming each failed replica;
// a read without R fails too; the survivor keeps serving.
TEST(ClusterTest, NoQuorumNamesDeadReplicas) {
  Cluster cluster(3, kQuorumArgs);
  ASSERT_TRUE(cluster.Start());
  ASSERT_TRUE(cluster.WaitConverged());
  Connection c = cluster.node(0).Connect();
  ASSERT_TRUE(c);
  EXPECT_EQ(Str(Command(c, "SET before ok")), "OK");

  cluster.node(1).Kill(SIGKILL);
  cluster.node(2).Kill(SIGKILL);

  Reply w = Command(c, "SET lonely value");
  ASSERT_TRUE(IsError(w)) << Describe(w);
  const std::string werr = Str(w);
  EXPECT_TRUE(StartsWith(werr, "NOQUORUM write reached 1 of 2 required replicas (")) << werr;
  EXPECT_TRUE(Contains(werr, "node2: ")) << werr;
  EXPECT_TRUE(Contains(werr, "node3: ")) << werr;
  EXPECT_TRUE(Contains(werr, "; it may be applied on the replicas that answered")) << werr;
  // ... and it was applied on the one that answered: this coordinator.
  EXPECT_EQ(Str(Command(c, "RING.LOCAL GET lonely")), "value");

  Reply r = Command(c, "GET before");
  ASSERT_TRUE(IsError(r)) << Describe(r);
  const std::string rerr = Str(r);
  EXPECT_TRUE(StartsWith(rerr, "NOQUORUM read reached 1 of 2 required replicas (")) << rerr;
  EXPECT_TRUE(Contains(rerr, "node2: ")) << rerr;
  EXPECT_TRUE(Contains(rerr, "node3: ")) << rerr;

  EXPECT_EQ(Str(Command(c, "PING")), "PONG");
  EXPECT_TRUE(cluster.node(0).Alive());
  EXPECT_GE(InfoInt(c, "ring_noquorum_writes"), 1);
  EXPECT_GE(InfoInt(c, "ring_noquorum_reads"), 1);

  // One replica back: the quorum is met again.
  ASSERT_TRUE(cluster.Restart(1));
  ASSERT_TRUE(cluster.WaitConverged(2));
  EXPECT_EQ(Str(Command(c, "SET lonely again")), "OK");
  EXPECT_EQ(Str(Command(c, "GET before")), "ok");
  Connection c2 = cluster.node(1).Connect();
  EXPECT_EQ(Str(Command(c2, "GET lonely")), "again");
}

// 6. Internal commands exist only on the cluster port, and the cluster port
// serves only peers that complete the handshake.
TEST(ClusterTest, InternalCommandsRefusedOnClientPort) {
  Cluster cluster(3, kQuorumArgs);
  ASSERT_TRUE(cluster.Start());
  ASSERT_TRUE(cluster.WaitConverged());
  std::vector<Connection> c = ConnectAll(cluster);
  for (const Connection& conn : c) ASSERT_TRUE(conn);
  EXPECT_EQ(Str(Command(c[0], "SET secret s3cr3t")), "OK");

  EXPECT_EQ(Str(CommandArgv(c[0], {"RING.FETCH", "0", "secret"})),
            "ERR unknown command 'RING.FETCH', with args beginning with: '0' 'secret' ");
  EXPECT_EQ(Str(CommandArgv(c[1], {"ring.fetch", "0", "secret"})),
            "ERR unknown command 'ring.fetch', with args beginning with: '0' 'secret' ");
  EXPECT_EQ(Str(CommandArgv(c[1], {"RING.MERGE", "0", "secret", ""})),
            "ERR unknown command 'RING.MERGE', with args beginning with: '0' 'secret' '' ");
  EXPECT_EQ(Str(CommandArgv(c[2], {"RING.FORWARD", "0", "2", "SET", "forwarded", "x"})),
            "ERR unknown command 'RING.FORWARD', with args beginning with: '0' '2' 'SET' "
            "'forwarded' 'x' ");
  EXPECT_EQ(Str(CommandArgv(c[0], {"RING.HELLO", "1", "intruder", "127.0.0.1:1", "00"})),
            "ERR unknown command 'RING.HELLO', with args beginning with: '1' 'intruder' "
            "'127.0.0.1:1' '00' ");
  EXPECT_EQ(Str(CommandArgv(c[0], {"RING.AUTH", ""})),
            "ERR unknown command 'RING.AUTH', with args beginning with: '' ");
  for (size_t n = 0; n < 3; ++n) {
    EXPECT_TRUE(IsNil(Command(c[n], "GET forwarded")));
    EXPECT_EQ(Str(Command(c[n], "GET secret")), "s3cr3t");
  }

  // A client command on the cluster port: an error, then the connection closes.
  auto refused = [&](const std::vector<std::string>& first, const std::string& what) {
    Connection p = ClusterNode::ConnectTo(cluster.node(0).cluster_port(), 2s);
    ASSERT_TRUE(p) << what;
    Reply r = CommandArgv(p, first);
    EXPECT_TRUE(r == nullptr || IsError(r)) << what << ": " << Describe(r);
    if (r) {
      EXPECT_TRUE(StartsWith(Str(r), "ERR this is a ringkv cluster port")) << Str(r);
    }
    // The server closes the connection: the next command gets no reply.
    Reply next = r ? Command(p, "PING") : nullptr;
    EXPECT_EQ(next, nullptr) << what << ": connection still open, PING answered " << Describe(next);
  };
  refused({"SET", "via-cluster-port", "x"}, "SET on the cluster port");
  refused({"GET", "secret"}, "GET on the cluster port");
  refused({"RING.FETCH", "0", "secret"}, "RING.FETCH before the handshake");
  refused({"RING.MERGE", "0", "secret", ""}, "RING.MERGE before the handshake");
  refused({"PING"}, "PING on the cluster port");

  // RING.HELLO, then anything but RING.AUTH: refused and closed.
  {
    Connection p = ClusterNode::ConnectTo(cluster.node(1).cluster_port(), 2s);
    ASSERT_TRUE(p);
    Reply hello =
        CommandArgv(p, {"RING.HELLO", "1", "intruder", "127.0.0.1:1", "0123456789abcdef"});
    ASSERT_TRUE(hello && hello->type == REDIS_REPLY_ARRAY) << Describe(hello);
    Reply fetch = CommandArgv(p, {"RING.FETCH", "0", "secret"});
    EXPECT_TRUE(fetch == nullptr || IsError(fetch)) << Describe(fetch);
    if (fetch) {
      EXPECT_EQ(Command(p, "PING"), nullptr) << "connection still open";
    }
  }

  for (size_t n = 0; n < 3; ++n) {
    EXPECT_TRUE(IsNil(Command(c[n], "GET via-cluster-port")));
    EXPECT_EQ(Str(Command(c[n], "GET secret")), "s3cr3t");
  }
  // The intruder never joined; the cluster is intact.
  EXPECT_TRUE(cluster.WaitConverged(3, 5s));
  for (size_t n = 0; n < 3; ++n) {
    std::vector<std::string> preflist = Elements(Command(c[n], "RING.PREFLIST secret"));
    EXPECT_EQ(std::count(preflist.begin(), preflist.end(), "intruder"), 0);
    EXPECT_EQ(InfoInt(c[n], "ring_members"), 3);
  }
}

}  // namespace
}  // namespace ringkv::testing
