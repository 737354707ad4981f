// The quorum coordinator on the simulated network: each node is a real
// Keyspace on LevelDB plus a Coordinator talking through a SimNode, so
// replies, failures and convergence are those of production code under
// seeded drops, delays, duplicates, reordering and partitions.
#include "cluster/coordinator.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "cluster/sim_network.h"
#include "resp/reply_parser.h"
#include "storage/engine.h"
#include "storage/keyspace.h"

namespace ringkv::cluster {
namespace {

struct SimReplica {
  std::filesystem::path dir;
  std::unique_ptr<storage::Engine> engine;
  std::unique_ptr<storage::Keyspace> keyspace;
  server::Config config;
  commands::ServerContext ctx;
  std::unique_ptr<Coordinator> coordinator;
  SimNode* node = nullptr;
};

class SimCluster {
 public:
  SimCluster(uint64_t seed, int nodes, size_t n, size_t w, size_t r) : network_(seed) {
    std::random_device rd;
    const std::string tag = std::to_string(rd());
    for (int i = 1; i <= nodes; ++i) ring_.AddNode("node" + std::to_string(i));
    for (int i = 1; i <= nodes; ++i) {
      auto replica = std::make_unique<SimReplica>();
      const std::string id = "node" + std::to_string(i);
      replica->dir = std::filesystem::temp_directory_path() / ("ringkv-coord-" + tag + "-" + id);
      storage::EngineOptions options;
      options.dir = replica->dir.string();
      options.sync_mode = storage::SyncMode::kNo;
      EXPECT_TRUE(storage::Engine::Open(options, &replica->engine).ok());
      replica->keyspace = std::make_unique<storage::Keyspace>(replica->engine.get(), 16, 1 << 20);
      EXPECT_TRUE(replica->keyspace->Open().ok());
      replica->keyspace->set_actor({id, 1});
      replica->keyspace->set_keep_tombstones(true);
      replica->config.node_id = id;
      replica->ctx.config = &replica->config;
      replica->ctx.keyspace = replica->keyspace.get();
      replica->node = network_.AddNode(id);
      Coordinator::Options coordinator_options;
      coordinator_options.self = id;
      coordinator_options.replicas = n;
      coordinator_options.write_quorum = w;
      coordinator_options.read_quorum = r;
      coordinator_options.request_timeout_ms = 200;
      storage::Keyspace* keyspace = replica->keyspace.get();
      replica->coordinator =
          std::make_unique<Coordinator>(coordinator_options, &ring_, replica->node, replica->node,
                                        &replica->ctx, [keyspace](std::function<void()> fn) {
                                          EXPECT_TRUE(keyspace->Commit().ok());
                                          fn();
                                        });
      InstallHandler(replica.get());
      replicas_.push_back(std::move(replica));
    }
  }

  ~SimCluster() {
    for (auto& replica : replicas_) {
      replica->coordinator.reset();
      replica->keyspace.reset();
      replica->engine.reset();
      std::filesystem::remove_all(replica->dir);
    }
  }

  SimNetwork& network() { return network_; }
  const Ring& ring() const { return ring_; }
  SimReplica& replica(int i) { return *replicas_[i - 1]; }
  size_t size() const { return replicas_.size(); }

  // Starts a command at node `i` for client `client` (0: a new client); the
  // reply lands in *out when it comes.
  void Start(int i, std::vector<std::string> args, std::optional<std::string>* out,
             uint64_t client = 0) {
    std::vector<std::string_view> views(args.begin(), args.end());
    replica(i).coordinator->Route(client != 0 ? client : 1000 + next_client_++, 0, 2, views,
                                  [out](std::string reply) { *out = reply; });
  }

  // Runs a command at node `i` until its reply arrives (or 10 virtual s pass).
  std::string Call(int i, std::vector<std::string> args) {
    std::optional<std::string> reply;
    Start(i, std::move(args), &reply);
    network_.RunUntil([&] { return reply.has_value(); }, 10'000);
    return reply.value_or("(no reply)");
  }

  void Crash(int i) { network_.Crash(replica(i).node->id()); }
  void Restart(int i) {
    network_.Restart(replica(i).node->id());
    InstallHandler(&replica(i));
  }

  // What node `i` holds for `key`, as a plain GET there would see it.
  std::optional<std::string> Local(int i, std::string_view key) {
    storage::KeyRecord record;
    if (!replica(i).keyspace->Find(0, key, network_.node("node1")->NowMs(), &record).ok()) {
      return std::nullopt;
    }
    return record.value;
  }

 private:
  void InstallHandler(SimReplica* replica) {
    Coordinator* coordinator = replica->coordinator.get();
    replica->node->SetRequestHandler([coordinator](const NodeId& from, const PeerRequest& request,
                                                   std::function<void(PeerReply)> respond) {
      coordinator->HandlePeerRequest(from, request, std::move(respond));
    });
  }

  SimNetwork network_;
  Ring ring_;
  uint64_t next_client_ = 1;
  std::vector<std::unique_ptr<SimReplica>> replicas_;
};

std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

resp::Reply Parse(const std::string& bytes) {
  resp::ReplyParser parser;
  parser.Feed(bytes);
  resp::Reply reply;
  EXPECT_EQ(parser.Next(&reply), resp::ReplyParser::Result::kReply) << bytes;
  return reply;
}

// A key whose preference list (N of `n`) leaves out node `outsider`.
std::string KeyNotOn(const Ring& ring, size_t n, const NodeId& outsider) {
  for (int i = 0;; ++i) {
    std::string key = "key" + std::to_string(i);
    auto nodes = ring.PreferenceList(Ring::HashKey(key), n);
    if (std::find(nodes.begin(), nodes.end(), outsider) == nodes.end()) return key;
  }
}

TEST(CoordinatorTest, WriteOnOneNodeIsReadOnEveryOther) {
  SimCluster cluster(1, 3, 3, 2, 2);
  EXPECT_EQ(cluster.Call(1, {"SET", "cart:1", "apples"}), "+OK\r\n");
  EXPECT_EQ(cluster.Call(2, {"GET", "cart:1"}), Bulk("apples"));
  EXPECT_EQ(cluster.Call(3, {"GET", "cart:1"}), Bulk("apples"));
  EXPECT_EQ(cluster.Call(3, {"INCR", "n"}), ":1\r\n");
  EXPECT_EQ(cluster.Call(2, {"INCR", "n"}), ":2\r\n");
  EXPECT_EQ(cluster.Call(1, {"HSET", "h", "a", "1", "b", "2"}), ":2\r\n");
  EXPECT_EQ(cluster.Call(3, {"HSET", "h", "b", "3", "c", "4"}), ":1\r\n");
  EXPECT_EQ(cluster.Call(2, {"HGETALL", "h"}),
            "*6\r\n" + Bulk("a") + Bulk("1") + Bulk("b") + Bulk("3") + Bulk("c") + Bulk("4"));
  // Several keys of one command travel in one message per peer.
  EXPECT_EQ(cluster.Call(2, {"MSET", "m1", "a", "m2", "b", "m3", "c"}), "+OK\r\n");
  EXPECT_EQ(cluster.Call(1, {"DEL", "cart:1"}), ":1\r\n");
  EXPECT_EQ(cluster.Call(3, {"GET", "cart:1"}), "$-1\r\n");
  // The background replication reaches every replica.
  cluster.network().RunUntilIdle(10'000);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(cluster.Local(i, "n"), "2") << i;
    EXPECT_EQ(cluster.Local(i, "cart:1"), std::nullopt) << i;
    EXPECT_EQ(cluster.Local(i, "m1"), "a") << i;
    EXPECT_EQ(cluster.Local(i, "m3"), "c") << i;
  }
}

// The write phases of commands started in one turn share one message per
// peer: 20 SETs from 20 clients cost each of the other two replicas one
// request, and every client still gets its own acknowledgement.
TEST(CoordinatorTest, WritesOfOneTurnShareOneMergePerPeer) {
  SimCluster cluster(7, 3, 3, 2, 2);
  const uint64_t sent_before = cluster.network().stats().sent;
  std::vector<std::optional<std::string>> replies(20);
  for (size_t i = 0; i < replies.size(); ++i) {
    cluster.Start(1, {"SET", "batch:" + std::to_string(i), "v" + std::to_string(i)}, &replies[i]);
  }
  ASSERT_TRUE(cluster.network().RunUntil(
      [&] { return std::all_of(replies.begin(), replies.end(), [](const auto& r) { return r; }); },
      10'000));
  for (const auto& reply : replies) EXPECT_EQ(reply, "+OK\r\n");
  EXPECT_EQ(cluster.network().stats().sent - sent_before, 2u);
  cluster.network().RunUntilIdle(10'000);
  for (int node = 1; node <= 3; ++node) {
    for (size_t i = 0; i < replies.size(); ++i) {
      EXPECT_EQ(cluster.Local(node, "batch:" + std::to_string(i)), "v" + std::to_string(i))
          << node << " " << i;
    }
  }
}

// Likewise reads: 20 GETs and an HGET started in one turn ask each other
// replica once (RING.FETCHMANY), and each gets its own key's answer.
TEST(CoordinatorTest, ReadsOfOneTurnShareOneFetchPerPeer) {
  SimCluster cluster(8, 3, 3, 2, 2);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(cluster.Call(2, {"SET", "r:" + std::to_string(i), "v" + std::to_string(i)}),
              "+OK\r\n");
  }
  ASSERT_EQ(cluster.Call(3, {"HSET", "cart", "apples", "3", "pears", "5"}), ":2\r\n");
  cluster.network().RunUntilIdle(10'000);
  const uint64_t sent_before = cluster.network().stats().sent;
  std::vector<std::optional<std::string>> replies(21);
  for (int i = 0; i < 20; ++i) cluster.Start(1, {"GET", "r:" + std::to_string(i)}, &replies[i]);
  cluster.Start(1, {"HGET", "cart", "pears"}, &replies[20]);
  ASSERT_TRUE(cluster.network().RunUntil(
      [&] { return std::all_of(replies.begin(), replies.end(), [](const auto& r) { return r; }); },
      10'000));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(replies[i], Bulk("v" + std::to_string(i))) << i;
  EXPECT_EQ(replies[20], Bulk("5"));
  EXPECT_EQ(cluster.network().stats().sent - sent_before, 2u);
}

// A write that changes nothing (HSETNX of a field that exists) costs its
// read phase only; one that changes the key also sends it to both replicas,
// and a late read answer is not "repaired" with a second message.
TEST(CoordinatorTest, OnlyWritesThatChangeTheKeyAreReplicated) {
  SimCluster cluster(10, 3, 3, 2, 2);
  ASSERT_EQ(cluster.Call(1, {"HSET", "cart", "apples", "3"}), ":1\r\n");
  cluster.network().RunUntilIdle(10'000);
  uint64_t sent = cluster.network().stats().sent;
  EXPECT_EQ(cluster.Call(1, {"HSETNX", "cart", "apples", "9"}), ":0\r\n");
  cluster.network().RunUntilIdle(10'000);
  EXPECT_EQ(cluster.network().stats().sent - sent, 2u);  // one fetch per other replica
  sent = cluster.network().stats().sent;
  EXPECT_EQ(cluster.Call(1, {"HSETNX", "cart", "pears", "1"}), ":1\r\n");
  cluster.network().RunUntilIdle(10'000);
  EXPECT_EQ(cluster.network().stats().sent - sent, 4u);  // fetch and merge per replica
  EXPECT_EQ(cluster.Call(3, {"HGET", "cart", "pears"}), Bulk("1"));
  EXPECT_EQ(cluster.Call(2, {"HGET", "cart", "apples"}), Bulk("3"));
}

TEST(CoordinatorTest, NonReplicaForwardsToAReplica) {
  SimCluster cluster(2, 5, 3, 2, 2);
  const std::string key = KeyNotOn(cluster.ring(), 3, "node1");
  EXPECT_EQ(cluster.Call(1, {"SET", key, "v"}), "+OK\r\n");
  EXPECT_EQ(cluster.Call(1, {"GET", key}), Bulk("v"));
  EXPECT_EQ(cluster.replica(1).coordinator->stats().forwarded, 2u);
  EXPECT_EQ(cluster.replica(1).coordinator->stats().coordinated, 0u);
  cluster.network().RunUntilIdle(10'000);
  EXPECT_EQ(cluster.Local(1, key), std::nullopt);  // never stored off its replicas
  int holders = 0;
  for (int i = 1; i <= 5; ++i) holders += cluster.Local(i, key).has_value();
  EXPECT_EQ(holders, 3);
}

TEST(CoordinatorTest, MultiKeyCommandsSplitAcrossReplicaSets) {
  SimCluster cluster(3, 5, 3, 2, 2);
  std::vector<std::string> mset{"MSET"};
  std::vector<std::string> mget{"MGET"};
  for (int i = 0; i < 20; ++i) {
    mset.push_back("k" + std::to_string(i));
    mset.push_back("v" + std::to_string(i));
    mget.push_back("k" + std::to_string(i));
  }
  mget.push_back("missing");
  EXPECT_EQ(cluster.Call(2, mset), "+OK\r\n");
  std::string expected = "*21\r\n";
  for (int i = 0; i < 20; ++i) expected += Bulk("v" + std::to_string(i));
  expected += "$-1\r\n";
  EXPECT_EQ(cluster.Call(4, mget), expected);
  EXPECT_EQ(cluster.Call(5, {"EXISTS", "k1", "k2", "k1", "missing"}), ":3\r\n");
  EXPECT_EQ(cluster.Call(3, {"DEL", "k1", "k2", "missing"}), ":2\r\n");
  EXPECT_EQ(cluster.Call(1, {"EXISTS", "k1", "k2", "k3"}), ":1\r\n");
}

TEST(CoordinatorTest, NoQuorumNamesEachFailedReplica) {
  SimCluster cluster(4, 3, 3, 2, 2);
  // Failures are listed in preference-list order.
  const std::string key = KeyNotOn(cluster.ring(), 1, "node1");
  std::vector<NodeId> others;
  for (const NodeId& node : cluster.ring().PreferenceList(Ring::HashKey(key), 3)) {
    if (node != "node1") others.push_back(node);
  }
  auto failures = [&](std::string_view why) {
    return others[0] + ": " + std::string(why) + ", " + others[1] + ": " + std::string(why);
  };
  cluster.Crash(2);
  cluster.Crash(3);
  EXPECT_EQ(cluster.Call(1, {"SET", key, "v"}),
            "-NOQUORUM write reached 1 of 2 required replicas (" + failures("unreachable") +
                "); it may be applied on the replicas that answered\r\n");
  EXPECT_EQ(cluster.Call(1, {"GET", key}), "-NOQUORUM read reached 1 of 2 required replicas (" +
                                               failures("unreachable") + ")\r\n");
  EXPECT_EQ(cluster.replica(1).coordinator->stats().noquorum_writes, 1u);
  EXPECT_EQ(cluster.replica(1).coordinator->stats().noquorum_reads, 1u);
  // A partition shows as timeouts (the requests may have arrived).
  cluster.Restart(2);
  cluster.Restart(3);
  cluster.network().Partition({"node1"}, {"node2", "node3"});
  EXPECT_EQ(cluster.Call(1, {"INCR", key}),
            "-NOQUORUM read reached 1 of 2 required replicas (" + failures("timeout") + ")\r\n");
  cluster.network().Heal();
  EXPECT_EQ(cluster.Call(1, {"SET", key, "v2"}), "+OK\r\n");
  EXPECT_EQ(cluster.Call(2, {"GET", key}), Bulk("v2"));
}

TEST(CoordinatorTest, OneReplicaDownLeavesQuorum) {
  SimCluster cluster(5, 3, 3, 2, 2);
  cluster.Crash(3);
  for (int i = 0; i < 50; ++i) {
    const std::string key = "k" + std::to_string(i);
    ASSERT_EQ(cluster.Call(1 + i % 2, {"SET", key, "v"}), "+OK\r\n");
    ASSERT_EQ(cluster.Call(2 - i % 2, {"GET", key}), Bulk("v"));
  }
  // Back up: its reads repair it, key by key.
  cluster.Restart(3);
  EXPECT_EQ(cluster.Local(3, "k7"), std::nullopt);
  EXPECT_EQ(cluster.Call(3, {"GET", "k7"}), Bulk("v"));
  EXPECT_EQ(cluster.Local(3, "k7"), "v");
}

TEST(CoordinatorTest, ReadRepairReachesStaleReplicasIncludingLateOnes) {
  SimCluster cluster(6, 3, 3, 2, 2);
  cluster.network().Partition({"node3"}, {"node1", "node2"});
  EXPECT_EQ(cluster.Call(1, {"SET", "k", "v"}), "+OK\r\n");
  cluster.network().RunUntilIdle(10'000);
  cluster.network().Heal();
  EXPECT_EQ(cluster.Local(3, "k"), std::nullopt);
  // node1 asks node2 and node3 and answers after the first; whichever is
  // second, node3 ends up repaired.
  EXPECT_EQ(cluster.Call(1, {"GET", "k"}), Bulk("v"));
  cluster.network().RunUntilIdle(10'000);
  EXPECT_EQ(cluster.Local(3, "k"), "v");
  EXPECT_GE(cluster.replica(1).coordinator->stats().read_repairs, 1u);
}

TEST(CoordinatorTest, ConcurrentWritesBecomeSiblingsAndCartsMergeFieldByField) {
  // W=1, R=1: both sides of a partition accept writes. A read answers from
  // the coordinator at once and merges the other replicas' late answers, so
  // after the network settles a second read sees everything.
  SimCluster cluster(7, 3, 3, 1, 1);
  cluster.network().Partition({"node1"}, {"node2", "node3"});
  EXPECT_EQ(cluster.Call(1, {"SET", "k", "left"}), "+OK\r\n");
  EXPECT_EQ(cluster.Call(2, {"SET", "k", "right"}), "+OK\r\n");
  EXPECT_EQ(cluster.Call(1, {"HSET", "cart", "apples", "1"}), ":1\r\n");
  EXPECT_EQ(cluster.Call(2, {"HSET", "cart", "pears", "2"}), ":1\r\n");
  cluster.network().RunUntilIdle(10'000);
  cluster.network().Heal();
  cluster.Call(3, {"RING.GET", "k"});
  cluster.Call(3, {"HGETALL", "cart"});
  cluster.network().RunUntilIdle(10'000);
  resp::Reply siblings = Parse(cluster.Call(3, {"RING.GET", "k"}));
  ASSERT_EQ(siblings.type, resp::Reply::Type::kArray);
  ASSERT_EQ(siblings.elements.size(), 2u);
  std::vector<std::string> values;
  for (const resp::Reply& v : siblings.elements[1].elements) values.push_back(v.str);
  std::sort(values.begin(), values.end());
  EXPECT_EQ(values, (std::vector<std::string>{"left", "right"}));
  resp::Reply cart = Parse(cluster.Call(3, {"HGETALL", "cart"}));
  ASSERT_EQ(cart.elements.size(), 4u);
  std::map<std::string, std::string> items;
  for (size_t i = 0; i + 1 < cart.elements.size(); i += 2) {
    items[cart.elements[i].str] = cart.elements[i + 1].str;
  }
  EXPECT_EQ(items, (std::map<std::string, std::string>{{"apples", "1"}, {"pears", "2"}}));
  // Resolving with the context read supersedes both siblings everywhere.
  const std::string context = siblings.elements[0].str;
  EXPECT_EQ(cluster.Call(3, {"RING.PUT", "k", context, "both"}), "+OK\r\n");
  cluster.network().RunUntilIdle(10'000);
  for (int i = 1; i <= 3; ++i) {
    resp::Reply resolved = Parse(cluster.Call(i, {"RING.GET", "k"}));
    ASSERT_EQ(resolved.elements[1].elements.size(), 1u) << i;
    EXPECT_EQ(resolved.elements[1].elements[0].str, "both") << i;
  }
}

TEST(CoordinatorTest, KeysScanDbsizeAndFlushCoverTheCluster) {
  for (int nodes : {3, 5}) {
    SimCluster cluster(8, nodes, 3, 2, 2);
    std::set<std::string> written;
    for (int i = 0; i < 60; ++i) {
      const std::string key = "key:" + std::to_string(i);
      ASSERT_EQ(cluster.Call(1 + i % nodes, {"SET", key, "v"}), "+OK\r\n");
      written.insert(key);
    }
    cluster.network().RunUntilIdle(10'000);
    for (int at = 1; at <= nodes; ++at) {
      EXPECT_EQ(cluster.Call(at, {"DBSIZE"}), ":60\r\n") << nodes << " nodes, at " << at;
      resp::Reply keys = Parse(cluster.Call(at, {"KEYS", "key:*"}));
      std::set<std::string> listed;
      for (const resp::Reply& key : keys.elements) listed.insert(key.str);
      EXPECT_EQ(listed, written);
      EXPECT_EQ(keys.elements.size(), 60u);
      // A full SCAN returns every key exactly once.
      std::multiset<std::string> scanned;
      std::string cursor = "0";
      int pages = 0;
      do {
        resp::Reply page = Parse(cluster.Call(at, {"SCAN", cursor, "COUNT", "7"}));
        ASSERT_EQ(page.elements.size(), 2u);
        cursor = page.elements[0].str;
        for (const resp::Reply& key : page.elements[1].elements) scanned.insert(key.str);
        ASSERT_LT(++pages, 5000);
      } while (cursor != "0");
      EXPECT_EQ(scanned, std::multiset<std::string>(written.begin(), written.end()));
      resp::Reply random = Parse(cluster.Call(at, {"RANDOMKEY"}));
      EXPECT_EQ(written.count(random.str), 1u);
    }
    EXPECT_EQ(cluster.Call(2, {"FLUSHDB", "FOO"}), "-ERR syntax error\r\n");
    EXPECT_EQ(cluster.Call(1, {"DBSIZE"}), ":60\r\n");
    EXPECT_EQ(cluster.Call(2, {"FLUSHDB"}), "+OK\r\n");
    EXPECT_EQ(cluster.Call(1, {"DBSIZE"}), ":0\r\n");
    EXPECT_EQ(cluster.Call(3, {"GET", "key:1"}), "$-1\r\n");
    cluster.Crash(nodes);
    const std::string flush = cluster.Call(1, {"FLUSHALL"});
    EXPECT_EQ(flush.rfind("-NOQUORUM flush reached " + std::to_string(nodes - 1) + " of " +
                              std::to_string(nodes) + " nodes (node" + std::to_string(nodes) +
                              ": unreachable)",
                          0),
              0u)
        << flush;
  }
}

// A peer that sends garbage gets an error and changes nothing.
TEST(CoordinatorTest, MalformedPeerRequestsAreRefusedAndChangeNothing) {
  SimCluster cluster(9, 3, 3, 2, 2);
  ASSERT_EQ(cluster.Call(1, {"SET", "k", "v"}), "+OK\r\n");
  cluster.network().RunUntilIdle(10'000);
  Coordinator& coordinator = *cluster.replica(2).coordinator;
  std::vector<PeerReply> replies;
  auto send = [&](PeerRequest request) {
    coordinator.HandlePeerRequest("node1", request,
                                  [&](PeerReply reply) { replies.push_back(std::move(reply)); });
  };
  send({"RING.MERGE", "0", "k", "not an object"});
  send({"RING.MERGE", "0", "k", "", "field-without-object"});
  send({"RING.MERGE", "99", "k", ""});
  send({"RING.FETCH", "-1", "k"});
  send({"RING.FETCHMANY", "0", "2", "0", "k"});
  send({"RING.FETCHMANY", "0", "1", "5", "k"});
  send({"RING.FETCHMANY", "0", "0"});
  send({"RING.FORWARD", "0", "4", "c1", "GET", "k"});
  send({"RING.LOCALEXEC", "0", "GET", "k"});
  send({"RING.MERGEMANY", "0", "2", "1", "k", ""});
  send({"RING.MERGEMANY", "0", "1", "5", "k", ""});
  send({"RING.NOPE"});
  send({});
  ASSERT_EQ(replies.size(), 13u);
  for (const PeerReply& reply : replies) {
    EXPECT_EQ(reply.kind, PeerReply::Kind::kError) << reply.str;
  }
  EXPECT_EQ(coordinator.stats().merge_rejected, 4u);
  EXPECT_EQ(cluster.Local(2, "k"), "v");
  EXPECT_EQ(cluster.Call(2, {"GET", "k"}), Bulk("v"));
}

// A command is forwarded to a reachable replica when the first one is down.
TEST(CoordinatorTest, ForwardingPrefersReachableReplicas) {
  SimCluster cluster(10, 5, 3, 2, 2);
  const std::string key = KeyNotOn(cluster.ring(), 3, "node1");
  const auto replicas = cluster.ring().PreferenceList(Ring::HashKey(key), 3);
  cluster.Crash(std::stoi(replicas[0].substr(4)));
  EXPECT_EQ(cluster.Call(1, {"SET", key, "v"}), "+OK\r\n");
  EXPECT_EQ(cluster.Call(1, {"GET", key}), Bulk("v"));
  EXPECT_GE(cluster.replica(1).coordinator->stats().forwarded, 2u);
}

// A client may pipeline: its commands still apply in the order it sent them,
// whatever order the replicas answer in.
TEST(CoordinatorTest, PipelinedCommandsOfOneClientApplyInOrder) {
  for (uint64_t seed = 30; seed < 36; ++seed) {
    SimCluster cluster(seed, 3, 3, 2, 2);
    cluster.network().set_latency_range(1, 50);
    constexpr int kCommands = 40;
    std::vector<std::optional<std::string>> replies(kCommands);
    for (int i = 0; i < kCommands; ++i) {
      if (i % 4 == 3) {
        cluster.Start(1, {"GET", "n"}, &replies[i], /*client=*/7);
      } else if (i % 4 == 2) {
        cluster.Start(1, {"SET", "s", std::to_string(i)}, &replies[i], /*client=*/7);
      } else {
        cluster.Start(1, {"INCR", "n"}, &replies[i], /*client=*/7);
      }
    }
    ASSERT_TRUE(cluster.network().RunUntil(
        [&] {
          return std::all_of(replies.begin(), replies.end(),
                             [](const auto& r) { return r.has_value(); });
        },
        60'000));
    int counter = 0;
    for (int i = 0; i < kCommands; ++i) {
      if (i % 4 == 3) {
        EXPECT_EQ(*replies[i], Bulk(std::to_string(counter))) << "seed " << seed << " #" << i;
      } else if (i % 4 == 2) {
        EXPECT_EQ(*replies[i], "+OK\r\n");
      } else {
        EXPECT_EQ(*replies[i], ":" + std::to_string(++counter) + "\r\n")
            << "seed " << seed << " #" << i;
      }
    }
  }
}

// Seeded fault runs: drops, duplicates, reordering (random latency) and a
// partition that comes and goes while clients write through every node. Every
// acknowledged write must be in the merged state of all replicas afterwards
// (what a read with R = N returns).
TEST(CoordinatorTest, NoAcknowledgedWriteIsLostUnderFaults) {
  for (uint64_t seed = 100; seed < 112; ++seed) {
    SimCluster cluster(seed, 3, 3, 2, 2);
    SimNetwork& net = cluster.network();
    net.set_latency_range(1, 40);
    net.set_drop_probability(0.05);
    net.set_duplicate_probability(0.05);
    constexpr int kWrites = 120;
    std::vector<std::optional<std::string>> replies(kWrites);
    for (int i = 0; i < kWrites; ++i) {
      if (i == 40) {
        const std::string isolated = "node" + std::to_string(1 + seed % 3);
        for (int j = 1; j <= 3; ++j) {
          if ("node" + std::to_string(j) != isolated) {
            net.Partition({isolated}, {"node" + std::to_string(j)});
          }
        }
      }
      if (i == 80) net.Heal();
      cluster.Start(1 + static_cast<int>(net.Uniform(0, 2)),
                    {"SET", "key" + std::to_string(i), "value" + std::to_string(i)}, &replies[i]);
      net.RunFor(static_cast<int64_t>(net.Uniform(0, 10)));
    }
    net.Heal();
    net.set_drop_probability(0);
    ASSERT_TRUE(net.RunUntil(
        [&] {
          return std::all_of(replies.begin(), replies.end(),
                             [](const auto& r) { return r.has_value(); });
        },
        60'000))
        << "seed " << seed;
    net.RunUntilIdle(60'000);
    // Merge every replica's state into node1 (an R = N read) and check.
    int acked = 0;
    for (int i = 0; i < kWrites; ++i) {
      const std::string key = "key" + std::to_string(i);
      for (int j = 2; j <= 3; ++j) {
        storage::Keyspace::KeyState state;
        ASSERT_TRUE(cluster.replica(j).keyspace->ExportKey(0, key, &state).ok());
        bool changed;
        ASSERT_TRUE(cluster.replica(1).keyspace->MergeKey(0, key, state, &changed).ok());
      }
      if (*replies[i] == "+OK\r\n") {
        ++acked;
        EXPECT_EQ(cluster.Local(1, key), "value" + std::to_string(i))
            << "seed " << seed << " lost acknowledged " << key;
      } else {
        EXPECT_EQ(replies[i]->rfind("-NOQUORUM", 0), 0u) << *replies[i];
      }
    }
    EXPECT_GT(acked, kWrites / 2) << "seed " << seed;
  }
}

}  // namespace
}  // namespace ringkv::cluster
