// Server group: INFO, CONFIG, DBSIZE/FLUSH*/SWAPDB, COMMAND, CLIENT, TIME,
// LASTSAVE, SHUTDOWN. Expected bytes are Redis 7.0.15's replies.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "commands/command.h"
#include "storage/record.h"
#include "tests/commands/harness.h"

namespace ringkv::testing {
namespace {

// Stands in for the net layer's registry: a fixed set of clients.
class FakeRegistry : public commands::ClientRegistry {
 public:
  void ForEachClient(const std::function<void(const commands::ClientState&)>& visit) override {
    for (commands::ClientState* client : clients) visit(*client);
  }
  void RefreshClient(uint64_t) override {}
  bool KillClient(uint64_t id) override {
    for (commands::ClientState* client : clients) {
      if (client->id == id) {
        client->close_after_reply = true;
        killed.push_back(id);
        return true;
      }
    }
    return false;
  }
  size_t NumClients() const override { return clients.size(); }
  void DeliverReply(uint64_t, uint64_t, std::string_view) override {}
  void SetMonitor(uint64_t id, bool on) override {
    for (commands::ClientState* client : clients) {
      if (client->id == id && client->monitor != on) {
        client->monitor = on;
        on ? ++server->monitors : --server->monitors;
      }
    }
  }
  void FeedMonitors(std::string_view line) override { monitor_lines.emplace_back(line); }

  commands::ServerContext* server = nullptr;
  std::vector<commands::ClientState*> clients;
  std::vector<uint64_t> killed;
  std::vector<std::string> monitor_lines;
};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The text of a RESP2 bulk reply.
std::string BulkBody(const std::string& reply) {
  const size_t start = reply.find("\r\n");
  if (reply.empty() || reply[0] != '$' || start == std::string::npos) return "";
  return reply.substr(start + 2, reply.size() - start - 4);
}

void PutString(CommandHarness& h, int db, const std::string& key, int64_t expire_ms) {
  storage::KeyRecord record;
  record.type = storage::ValueType::kString;
  record.value = "v";
  record.expire_ms = expire_ms;
  h.keyspace().Write(db, key, record, nullptr);
  ASSERT_TRUE(h.keyspace().Commit().ok());
}

// --- INFO ---------------------------------------------------------------------

TEST(ServerInfoTest, DefaultSectionsInRedisOrder) {
  CommandHarness h;
  const std::string info = BulkBody(h.Run({"INFO"}));
  const std::vector<std::string> titles = {
      "# Server\r\n",     "# Clients\r\n",     "# Memory\r\n",   "# Persistence\r\n",
      "# Stats\r\n",      "# Replication\r\n", "# CPU\r\n",      "# Modules\r\n",
      "# Errorstats\r\n", "# Cluster\r\n",     "# Keyspace\r\n", "# Ring\r\n"};
  size_t pos = 0;
  for (const auto& title : titles) {
    const size_t found = info.find(title, pos);
    ASSERT_NE(found, std::string::npos) << title;
    pos = found;
  }
  EXPECT_FALSE(Contains(info, "# Commandstats"));
  EXPECT_FALSE(Contains(info, "# Latencystats"));
  EXPECT_EQ(info.rfind("# Server\r\nredis_version:7.0.15\r\nringkv_version:", 0), 0u);
  EXPECT_TRUE(Contains(info, "\r\nredis_mode:standalone\r\n"));
  EXPECT_TRUE(Contains(info, "\r\nloading:0\r\n"));
  EXPECT_TRUE(Contains(info, "\r\naof_enabled:1\r\n"));
  EXPECT_TRUE(Contains(info, "\r\nconnected_clients:1\r\n"));
  EXPECT_TRUE(Contains(info, "\r\nblocked_clients:0\r\n"));
  EXPECT_TRUE(Contains(info, "\r\nrole:master\r\n"));
  EXPECT_TRUE(Contains(info, "\r\nmaxmemory:0\r\n"));
  // Every line ends with CRLF; a blank line separates sections.
  EXPECT_EQ(info.substr(info.size() - 24), "\r\nring_hints_pending:0\r\n");
  EXPECT_TRUE(Contains(info, "\r\n\r\n# Clients\r\n"));
  EXPECT_FALSE(Contains(info, "\n\n"));
}

TEST(ServerInfoTest, SectionSelection) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"INFO", "nosuch"}), "$0\r\n\r\n");
  EXPECT_EQ(h.Run({"INFO", "cluster"}), "$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n");
  EXPECT_EQ(h.Run({"INFO", "modules"}), "$11\r\n# Modules\r\n\r\n");
  const std::string two = BulkBody(h.Run({"INFO", "CLUSTER", "Server"}));
  EXPECT_EQ(two.rfind("# Server\r\n", 0), 0u);
  EXPECT_TRUE(Contains(two, "\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n"));
  const std::string all = BulkBody(h.Run({"INFO", "all"}));
  EXPECT_TRUE(Contains(all, "# Commandstats\r\n"));
  EXPECT_TRUE(Contains(all, "# Latencystats\r\n"));
  EXPECT_TRUE(Contains(all, "# Ring\r\n"));
  const std::string defaults_plus = BulkBody(h.Run({"INFO", "default", "commandstats"}));
  EXPECT_TRUE(Contains(defaults_plus, "# Commandstats\r\n"));
  EXPECT_TRUE(Contains(defaults_plus, "# Keyspace\r\n"));
  h.client().protocol = 3;
  EXPECT_EQ(h.Run({"INFO", "cluster"}), "=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n");
  EXPECT_EQ(h.Run({"INFO", "nosuch"}), "=4\r\ntxt:\r\n");
}

TEST(ServerInfoTest, KeyspaceLines) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"INFO", "keyspace"}), "$12\r\n# Keyspace\r\n\r\n");
  PutString(h, 0, "a", 0);
  PutString(h, 0, "b", h.now_ms() + 100000);
  PutString(h, 3, "c", 0);
  EXPECT_EQ(BulkBody(h.Run({"INFO", "keyspace"})),
            "# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n");
}

TEST(ServerInfoTest, RingSection) {
  CommandHarness h;
  h.config().node_id = "node-a";
  h.config().replicas = 3;
  h.config().write_quorum = 2;
  h.config().read_quorum = 2;
  const std::string ring = BulkBody(h.Run({"INFO", "ring"}));
  EXPECT_EQ(ring.rfind("# Ring\r\nring_node_id:node-a\r\nring_members:1\r\nring_alive:1\r\n", 0),
            0u);
  EXPECT_TRUE(
      Contains(ring, "\r\nring_replicas:3\r\nring_write_quorum:2\r\nring_read_quorum:2\r\n"));
  EXPECT_TRUE(Contains(ring, "\r\nring_effective_replicas:1\r\n"));
  EXPECT_TRUE(Contains(ring, "\r\nring_vnodes:150\r\n"));
  EXPECT_TRUE(Contains(ring,
                       "\r\nring_node_epoch:1\r\nring_keys_with_siblings:0\r\nring_tombstone_"
                       "grace:86400\r\nring_tombstones_reaped:0\r\nring_hints_pending:0\r\n"));
  h.config().node_id.clear();
  h.server().run_id = "0123456789abcdef0123456789abcdef01234567";
  EXPECT_TRUE(Contains(BulkBody(h.Run({"INFO", "ring"})), "ring_node_id:01234567\r\n"));
}

TEST(ServerInfoTest, StatsCommandStatsErrorStatsAndResetStat) {
  CommandHarness h;
  h.Run({"DBSIZE"});
  h.Run({"DBSIZE"});
  h.Run({"SWAPDB", "x", "0"});
  h.Run({"NOSUCHCOMMAND"});
  const std::string stats = BulkBody(h.Run({"INFO", "commandstats", "errorstats", "stats"}));
  EXPECT_TRUE(Contains(stats, "\r\ncmdstat_dbsize:calls=2,usec="));
  EXPECT_TRUE(Contains(stats, ",rejected_calls=0,failed_calls=1\r\n"));  // swapdb
  EXPECT_TRUE(Contains(stats, "# Errorstats\r\nerrorstat_ERR:count=2\r\n"));
  EXPECT_TRUE(Contains(stats, "\r\ntotal_commands_processed:3\r\n"));
  EXPECT_EQ(h.Run({"CONFIG", "RESETSTAT"}), "+OK\r\n");
  const std::string after = BulkBody(h.Run({"INFO", "commandstats", "errorstats"}));
  EXPECT_FALSE(Contains(after, "cmdstat_dbsize"));
  EXPECT_TRUE(Contains(after, "cmdstat_config|resetstat:calls=1,"));
  EXPECT_EQ(after.find("errorstat_"), std::string::npos);
  // Counting goes on in the new tables, for repeated and alternating commands.
  h.Run({"DBSIZE"});
  h.Run({"DBSIZE"});
  h.Run({"TIME"});
  h.Run({"DBSIZE"});
  const std::string counted = BulkBody(h.Run({"INFO", "commandstats"}));
  EXPECT_TRUE(Contains(counted, "\r\ncmdstat_dbsize:calls=3,usec="));
  EXPECT_TRUE(Contains(counted, "\r\ncmdstat_time:calls=1,usec="));
  EXPECT_TRUE(Contains(counted, "\r\ncmdstat_info:calls=1,usec="));
}

TEST(ServerInfoTest, ExpiredKeysCountsLazyExpiry) {
  CommandHarness h;
  PutString(h, 0, "k", h.now_ms() + 10);
  h.advance_ms(20);
  storage::KeyRecord record;
  EXPECT_FALSE(h.keyspace().Find(0, "k", h.now_ms(), &record).ok());
  EXPECT_TRUE(Contains(BulkBody(h.Run({"INFO", "stats"})), "\r\nexpired_keys:1\r\n"));
  h.Run({"CONFIG", "RESETSTAT"});
  EXPECT_TRUE(Contains(BulkBody(h.Run({"INFO", "stats"})), "\r\nexpired_keys:0\r\n"));
}

// --- CONFIG -------------------------------------------------------------------

TEST(ServerConfigTest, GetExactGlobAndMultiple) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"CONFIG", "GET", "maxclients"}), "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
  // An exact name is answered as typed.
  EXPECT_EQ(h.Run({"CONFIG", "GET", "MAXCLIENTS"}), "*2\r\n$10\r\nMAXCLIENTS\r\n$5\r\n10000\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "GET", "maxc*", "MAXC*"}),
            "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "GET", "nosuch"}), "*0\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "GET", "timeout", "appendfsync"}),
            "*4\r\n$7\r\ntimeout\r\n$1\r\n0\r\n$11\r\nappendfsync\r\n$8\r\neverysec\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "GET", "maxclients", "maxc*"}),
            "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n");
  h.client().protocol = 3;
  EXPECT_EQ(h.Run({"CONFIG", "GET", "timeout"}), "%1\r\n$7\r\ntimeout\r\n$1\r\n0\r\n");
}

TEST(ServerConfigTest, SetRoundTripAndErrors) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"CONFIG", "SET", "timeout", "30", "maxclients", "50"}), "+OK\r\n");
  EXPECT_EQ(h.config().timeout, 30);
  EXPECT_EQ(h.Run({"CONFIG", "GET", "maxclients"}), "*2\r\n$10\r\nmaxclients\r\n$2\r\n50\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "foo", "bar"}),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "timeout", "x", "foo", "bar"}),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "foo", "bar", "baz"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "MAXCLIENTS", "abc"}),
            "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument "
            "couldn't be parsed into an integer\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "port", "7000"}),
            "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable "
            "config\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "daemonize", "yes"}),
            "-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set "
            "immutable config\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "daemonize", "yes", "foo", "bar"}),
            "-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set "
            "immutable config\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "dir", "/tmp"}),
            "-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected "
            "config\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "timeout", "1", "TIMEOUT", "2"}),
            "-ERR CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate "
            "parameter\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "appendfsync", "bad"}),
            "-ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) "
            "must be one of the following: everysec, always, no\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "timeout"}),
            "-ERR wrong number of arguments for 'config|set' command\r\n");
}

// Port and bind are fixed at startup in ringkv but not in Redis: writing back
// the value CONFIG GET gave (as test suites do for every directive) is a no-op.
TEST(ServerConfigTest, StartupDirectivesAcceptTheirCurrentValue) {
  CommandHarness h;
  const std::string port = std::to_string(h.config().port);
  EXPECT_EQ(h.Run({"CONFIG", "SET", "port", port}), "+OK\r\n");
  EXPECT_EQ(
      h.Run({"CONFIG", "SET", "leveldb-bloom-bits", std::to_string(h.config().leveldb_bloom_bits)}),
      "+OK\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "leveldb-bloom-bits", "3"}),
            "-ERR CONFIG SET failed (possibly related to argument 'leveldb-bloom-bits') - can't "
            "set immutable config\r\n");
  // Redis refuses its immutable directives even when the value is unchanged.
  EXPECT_EQ(h.Run({"CONFIG", "SET", "daemonize", "no"}),
            "-ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set "
            "immutable config\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "databases", std::to_string(h.config().databases)}),
            "-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set "
            "immutable config\r\n");
}

// Directives ringkv only remembers are still checked and normalized as Redis
// does, and a second name reaches the same value.
TEST(ServerConfigTest, PassthroughDirectivesCheckTheirValues) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"CONFIG", "SET", "slave-read-only", "NO"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "GET", "replica-read-only"}),
            "*2\r\n$17\r\nreplica-read-only\r\n$2\r\nno\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "replica-read-only", "maybe"}),
            "-ERR CONFIG SET failed (possibly related to argument 'replica-read-only') - argument "
            "must be 'yes' or 'no'\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "maxmemory", "2kb"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "GET", "maxmemory"}), "*2\r\n$9\r\nmaxmemory\r\n$4\r\n2048\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "maxmemory", "-1"}),
            "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must "
            "be a memory value\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "maxmemory-clients", "50%"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "maxmemory", "1", "maxmemory-clients", "200%"}),
            "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - "
            "percentage argument must be less or equal to 100\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "GET", "maxmemory"}), "*2\r\n$9\r\nmaxmemory\r\n$4\r\n2048\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "SET", "repl-backlog-size", "1k"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "GET", "repl-backlog-size"}),
            "*2\r\n$17\r\nrepl-backlog-size\r\n$5\r\n16384\r\n");
  // A pattern matching both names of a directive lists both, as Redis does.
  EXPECT_EQ(h.Run({"CONFIG", "GET", "*aveof"}), "*2\r\n$7\r\nslaveof\r\n$0\r\n\r\n");
  EXPECT_EQ(h.Run({"CONFIG", "GET", "repl*-period"}),
            "*4\r\n$24\r\nrepl-ping-replica-period\r\n$2\r\n10\r\n"
            "$22\r\nrepl-ping-slave-period\r\n$2\r\n10\r\n");
  // No TLS listener exists to configure.
  EXPECT_EQ(h.Run({"CONFIG", "SET", "tls-port", "6380"}),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'tls-port'\r\n");
}

TEST(ServerConfigTest, SetIsAllOrNothing) {
  CommandHarness h;
  EXPECT_TRUE(StartsWith(h.Run({"CONFIG", "SET", "timeout", "5", "maxclients", "abc"}),
                         "-ERR CONFIG SET fail"));
  EXPECT_EQ(h.config().timeout, 0);
  EXPECT_EQ(h.config().maxclients, 10000);
}

TEST(ServerConfigTest, HzClampsAndAppendfsyncReachesEngine) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"CONFIG", "SET", "hz", "0"}), "+OK\r\n");
  EXPECT_EQ(h.config().hz, 1);
  EXPECT_EQ(h.Run({"CONFIG", "SET", "hz", "100000"}), "+OK\r\n");
  EXPECT_EQ(h.config().hz, 500);
  EXPECT_EQ(h.Run({"CONFIG", "SET", "appendfsync", "always"}), "+OK\r\n");
  EXPECT_EQ(h.keyspace().engine()->sync_mode(), storage::SyncMode::kAlways);
  EXPECT_EQ(h.Run({"CONFIG", "GET", "appendfsync"}),
            "*2\r\n$11\r\nappendfsync\r\n$6\r\nalways\r\n");
}

TEST(ServerConfigTest, RewriteWithoutFileAndHelp) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"CONFIG", "REWRITE"}), "-ERR The server is running without a config file\r\n");
  EXPECT_TRUE(
      StartsWith(h.Run({"CONFIG", "HELP"}),
                 "*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"));
  EXPECT_EQ(h.Run({"CONFIG", "nope"}), "-ERR unknown subcommand 'nope'. Try CONFIG HELP.\r\n");
}

TEST(ServerConfigTest, RewriteUpdatesFile) {
  CommandHarness h;
  const std::string path = ::testing::TempDir() + "ringkv-server-test.conf";
  {
    std::ofstream out(path);
    out << "# my config\nport 6379\ntimeout 0\ntimeout 7\n";
  }
  h.server().config_file = path;
  h.Run({"CONFIG", "SET", "timeout", "12", "maxclients", "77"});
  EXPECT_EQ(h.Run({"CONFIG", "REWRITE"}), "+OK\r\n");
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.rfind("# my config\nport 6379\ntimeout 12\n# Generated by CONFIG REWRITE\n", 0),
            0u);
  EXPECT_TRUE(Contains(text, "\nmaxclients 77\n"));
  std::remove(path.c_str());
}

// --- DBSIZE, FLUSHDB, FLUSHALL, SWAPDB --------------------------------------------

TEST(ServerKeyspaceTest, DbSizeAndFlush) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"DBSIZE"}), ":0\r\n");
  PutString(h, 0, "a", 0);
  PutString(h, 0, "b", 0);
  PutString(h, 1, "c", 0);
  EXPECT_EQ(h.Run({"DBSIZE"}), ":2\r\n");
  EXPECT_EQ(h.Run({"FLUSHDB", "x"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"FLUSHDB", "async", "sync"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"FLUSHDB", "ASYNC"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"DBSIZE"}), ":0\r\n");
  EXPECT_EQ(h.keyspace().Stats(1).keys, 1u);
  PutString(h, 0, "a", 0);
  EXPECT_EQ(h.Run({"FLUSHALL", "sync"}), "+OK\r\n");
  EXPECT_EQ(h.keyspace().Stats(0).keys, 0u);
  EXPECT_EQ(h.keyspace().Stats(1).keys, 0u);
  EXPECT_EQ(h.Run({"FLUSHALL"}), "+OK\r\n");
}

TEST(ServerKeyspaceTest, FlushDirtiesWatchers) {
  CommandHarness h;
  PutString(h, 0, "k", 0);
  EXPECT_EQ(h.Run({"WATCH", "k"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"FLUSHDB"}), "+OK\r\n");
  h.Run({"MULTI"});
  h.Run({"DBSIZE"});
  EXPECT_EQ(h.Run({"EXEC"}), "*-1\r\n");
  // Flushing an empty database changes no watched key.
  EXPECT_EQ(h.Run({"WATCH", "k"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"FLUSHALL"}), "+OK\r\n");
  h.Run({"MULTI"});
  h.Run({"DBSIZE"});
  EXPECT_EQ(h.Run({"EXEC"}), "*1\r\n:0\r\n");
}

TEST(ServerKeyspaceTest, SwapDb) {
  CommandHarness h;
  PutString(h, 1, "a", 0);
  EXPECT_EQ(h.Run({"SWAPDB", "a", "1"}), "-ERR invalid first DB index\r\n");
  EXPECT_EQ(h.Run({"SWAPDB", "0", "b"}), "-ERR invalid second DB index\r\n");
  EXPECT_EQ(h.Run({"SWAPDB", "99999999999", "0"}), "-ERR invalid first DB index\r\n");
  EXPECT_EQ(h.Run({"SWAPDB", "0", "16"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(h.Run({"SWAPDB", "-1", "0"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(h.Run({"SWAPDB", "0", "0"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"WATCH", "a"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"SWAPDB", "0", "1"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"DBSIZE"}), ":1\r\n");
  EXPECT_EQ(h.keyspace().Stats(1).keys, 0u);
  h.Run({"MULTI"});
  h.Run({"DBSIZE"});
  EXPECT_EQ(h.Run({"EXEC"}), "*-1\r\n");
}

// --- COMMAND ------------------------------------------------------------------

TEST(ServerCommandDocsTest, CountAndInfo) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"COMMAND", "COUNT"}),
            ":" + std::to_string(commands::Commands().commands().size()) + "\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "INFO", "dbsize", "nosuch"}),
            "*2\r\n*10\r\n$6\r\ndbsize\r\n:1\r\n*2\r\n+readonly\r\n+fast\r\n:0\r\n:0\r\n:0\r\n"
            "*3\r\n+@keyspace\r\n+@read\r\n+@fast\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n"
            "$23\r\nresponse_policy:agg_sum\r\n*0\r\n*0\r\n$-1\r\n");
  h.client().protocol = 3;
  EXPECT_EQ(h.Run({"COMMAND", "INFO", "CONFIG|RESETSTAT"}),
            "*1\r\n*10\r\n$16\r\nconfig|resetstat\r\n:2\r\n~4\r\n+admin\r\n+noscript\r\n"
            "+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n~3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n"
            "~0\r\n~0\r\n~0\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "INFO", "nosuch"}), "*1\r\n_\r\n");
}

TEST(ServerCommandDocsTest, InfoKeySpecs) {
  CommandHarness h;
  const std::string get = h.Run({"COMMAND", "INFO", "get"});
  EXPECT_TRUE(
      Contains(get,
               "*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n"
               "*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n"
               "$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n"
               "$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"))
      << get;
  // A container lists its subcommands as an array.
  const std::string config = h.Run({"COMMAND", "INFO", "config"});
  EXPECT_EQ(
      config.rfind("*1\r\n*10\r\n$6\r\nconfig\r\n:-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*1\r\n"
                   "+@slow\r\n*0\r\n*0\r\n*" +
                       std::to_string(commands::Commands().Subcommands("config").size()) + "\r\n",
                   0),
      0u);
}

TEST(ServerCommandDocsTest, Docs) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"COMMAND", "DOCS", "dbsize", "nosuch"}),
            "*2\r\n$6\r\ndbsize\r\n*8\r\n$7\r\nsummary\r\n$50\r\nReturn the number of keys in the "
            "selected database\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nserver\r\n"
            "$10\r\ncomplexity\r\n$4\r\nO(1)\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "DOCS", "nosuch"}), "*0\r\n");
  h.client().protocol = 3;
  const std::string info = h.Run({"COMMAND", "DOCS", "info"});
  EXPECT_TRUE(
      Contains(info,
               "$9\r\narguments\r\n*1\r\n%3\r\n$4\r\nname\r\n$7\r\nsection\r\n$4\r\ntype\r\n"
               "$6\r\nstring\r\n$5\r\nflags\r\n~2\r\n+optional\r\n+multiple\r\n"))
      << info;
  const std::string client = h.Run({"COMMAND", "DOCS", "client"});
  EXPECT_TRUE(Contains(client, "$11\r\nsubcommands\r\n%"));
  EXPECT_TRUE(Contains(client, "$9\r\nclient|id\r\n%4\r\n$7\r\nsummary\r\n"));
}

TEST(ServerCommandDocsTest, GetKeys) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "get", "a"}), "*1\r\n$1\r\na\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "GET", "a"}), "*1\r\n$1\r\na\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "nosuch", "a"}), "-ERR Invalid command specified\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "config", "nosuch", "a"}),
            "-ERR Invalid command specified\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "dbsize", "a"}),
            "-ERR The command has no key arguments\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "client", "list"}),
            "-ERR The command has no key arguments\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "get", "a", "b"}),
            "-ERR Invalid number of arguments specified for command\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYS", "get"}),
            "-ERR wrong number of arguments for 'command|getkeys' command\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "GETKEYSANDFLAGS", "get", "a"}),
            "*1\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n");
}

TEST(ServerCommandDocsTest, ListAndHelp) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"COMMAND", "LIST", "FILTERBY", "pattern", "CONFIG|RE*"}),
            "*2\r\n$16\r\nconfig|resetstat\r\n$14\r\nconfig|rewrite\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "LIST", "FILTERBY", "aclcat", "nosuch"}), "*0\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "LIST", "FILTERBY", "module", "x"}), "*0\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "LIST", "FILTERBY"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "LIST", "FILTERBY", "foo", "x"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"COMMAND", "LIST", "foo"}), "-ERR syntax error\r\n");
  // The container has only @slow; its subcommands are filtered on their own.
  const std::string admin = h.Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "Admin"});
  EXPECT_TRUE(Contains(admin, "$10\r\nconfig|get\r\n"));
  EXPECT_FALSE(Contains(admin, "$6\r\nconfig\r\n"));
  size_t total = 0;
  for (const auto* spec : commands::Commands().commands())
    total += 1 + commands::Commands().Subcommands(spec->name).size();
  EXPECT_EQ(h.Run({"COMMAND", "LIST"}).rfind("*" + std::to_string(total) + "\r\n", 0), 0u);
  EXPECT_TRUE(
      StartsWith(h.Run({"COMMAND", "HELP"}),
                 "*21\r\n+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"));
  EXPECT_EQ(h.Run({"COMMAND", "nosuch"}),
            "-ERR unknown subcommand 'nosuch'. Try COMMAND HELP.\r\n");
}

// --- CLIENT -------------------------------------------------------------------

TEST(ServerClientTest, IdNameAndSetInfo) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"CLIENT", "ID"}), ":1\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "GETNAME"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "SETNAME", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "SETNAME", "caf\xc3\xa9"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "SETNAME", "worker-1"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "GETNAME"}), "$8\r\nworker-1\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "SETNAME", ""}), "+OK\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "GETNAME"}), "$-1\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "SETNAME"}),
            "-ERR wrong number of arguments for 'client|setname' command\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "SETINFO", "LIB-NAME", "node-redis"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "SETINFO", "lib-ver", "4.6.0"}), "+OK\r\n");
  EXPECT_EQ(h.client().lib_name, "node-redis");
  EXPECT_EQ(h.client().lib_ver, "4.6.0");
  EXPECT_EQ(h.Run({"CLIENT", "SETINFO", "x", "y"}), "-ERR Unrecognized option 'x'\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "SETINFO", "lib-name", "a b"}),
            "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "NO-EVICT", "on"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "NO-EVICT", "x"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "NO-TOUCH", "on"}),
            "-ERR unknown subcommand 'NO-TOUCH'. Try CLIENT HELP.\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "GETREDIR"}), ":-1\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "UNBLOCK", "5"}), ":0\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "UNBLOCK", "5", "foo"}),
            "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n");
  EXPECT_TRUE(
      StartsWith(h.Run({"CLIENT", "HELP"}),
                 "*48\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"));
  h.client().protocol = 3;
  EXPECT_EQ(h.Run({"CLIENT", "TRACKINGINFO"}),
            "%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n"
            "*0\r\n");
}

TEST(ServerClientTest, InfoAndListWithoutRegistry) {
  CommandHarness h;
  h.client().addr = "127.0.0.1:5000";
  h.client().laddr = "127.0.0.1:6379";
  h.client().fd = 8;
  h.client().created_ms = h.now_ms() - 3000;
  h.client().last_interaction_ms = h.now_ms();
  h.Run({"CLIENT", "SETNAME", "me"});
  const std::string expected =
      "id=1 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=8 name=me age=3 idle=0 flags=N db=0 "
      "sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=10 multi-mem=0 rbs=0 rbp=0 obl=0 "
      "oll=0 omem=0 tot-mem=10 events=r cmd=client|info user=default redir=-1 resp=2\n";
  EXPECT_EQ(h.Run({"CLIENT", "INFO"}),
            "$" + std::to_string(expected.size()) + "\r\n" + expected + "\r\n");
  EXPECT_TRUE(Contains(h.Run({"CLIENT", "LIST"}), "id=1 addr=127.0.0.1:5000 "));
  EXPECT_EQ(h.Run({"CLIENT", "LIST", "TYPE", "pubsub"}), "$0\r\n\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "LIST", "TYPE", "foo"}), "-ERR Unknown client type 'foo'\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "LIST", "ID", "1", "x"}), "-ERR Invalid client ID\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "LIST", "ID", "7"}), "$0\r\n\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "LIST", "foo"}), "-ERR syntax error\r\n");
  h.client().protocol = 3;
  EXPECT_EQ(h.Run({"CLIENT", "LIST", "ID", "7"}), "=4\r\ntxt:\r\n");
}

TEST(ServerClientTest, ListAndKillThroughRegistry) {
  CommandHarness h;
  FakeRegistry registry;
  commands::ClientState other;
  other.id = 7;
  other.addr = "10.0.0.2:4000";
  other.in_multi = true;
  other.queued.push_back({"SET", "k", "v"});
  h.client().addr = "10.0.0.1:3000";
  registry.clients = {&other, &h.client()};
  h.server().clients = &registry;
  const std::string list = BulkBody(h.Run({"CLIENT", "LIST"}));
  ASSERT_LT(list.find("id=1 "), list.find("id=7 "));  // listed in id order
  EXPECT_TRUE(Contains(list, "id=7 addr=10.0.0.2:4000 "));
  EXPECT_TRUE(Contains(list, " flags=x db=0 sub=0 psub=0 ssub=0 multi=1 "));
  EXPECT_TRUE(Contains(list, " multi-mem=5 "));
  EXPECT_TRUE(Contains(list, " cmd=NULL "));
  const std::string by_id = BulkBody(h.Run({"CLIENT", "LIST", "ID", "7", "1", "7"}));
  EXPECT_EQ(std::count(by_id.begin(), by_id.end(), '\n'), 3);
  EXPECT_EQ(by_id.rfind("id=7 ", 0), 0u);
  EXPECT_TRUE(Contains(BulkBody(h.Run({"INFO", "clients"})), "connected_clients:2\r\n"));

  EXPECT_EQ(h.Run({"CLIENT", "KILL", "ID", "x"}), "-ERR client-id should be greater than 0\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "ID", "0"}), "-ERR client-id should be greater than 0\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "TYPE", "foo"}), "-ERR Unknown client type 'foo'\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "SKIPME", "maybe"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "foo", "bar"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "ID", "7", "SKIPME"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "USER", "nobody"}), "-ERR No such user 'nobody'\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "1.2.3.4:5"}), "-ERR No such client\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "ID", "99"}), ":0\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "TYPE", "pubsub"}), ":0\r\n");
  // SKIPME defaults to yes in the new form.
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "TYPE", "normal"}), ":1\r\n");
  EXPECT_EQ(registry.killed, std::vector<uint64_t>{7});
  EXPECT_FALSE(h.client().close_after_reply);
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "ADDR", "10.0.0.1:3000", "SKIPME", "no"}), ":1\r\n");
  EXPECT_TRUE(h.client().close_after_reply);
  h.client().close_after_reply = false;
  // The old form may kill the caller; the reply still comes first.
  EXPECT_EQ(h.Run({"CLIENT", "KILL", "10.0.0.1:3000"}), "+OK\r\n");
  EXPECT_TRUE(h.client().close_after_reply);
}

// --- TIME, LASTSAVE, SHUTDOWN -----------------------------------------------------

// SLOWLOG keeps the newest entries first, trims arguments as Redis does and
// never shows a password.
TEST(ServerSlowlogTest, LogsTrimsAndRedacts) {
  CommandHarness h;
  h.config().slowlog_log_slower_than = 0;  // log everything
  h.client().addr = "127.0.0.1:5000";
  h.client().name = "cart";
  h.Run({"AUTH", "user", "secret"});
  h.Run({"CONFIG", "SET", "requirepass", "hunter2", "timeout", "7"});
  h.Run({"CONFIG", "SET", "requirepass", ""});
  std::vector<std::string> mset = {"MSET"};
  for (int i = 0; i < 20; ++i) {
    mset.push_back("k" + std::to_string(i));
    mset.push_back(i == 0 ? std::string(200, 'x') : "v");
  }
  h.Run(mset);
  const auto& entries = h.server().slowlog.entries;
  ASSERT_EQ(entries.size(), 4u);
  const auto& last = entries.front();  // MSET: 41 arguments, the first value 200 bytes
  ASSERT_EQ(last.args.size(), 32u);
  EXPECT_EQ(last.args[2], std::string(128, 'x') + "... (72 more bytes)");
  EXPECT_EQ(last.args[31], "... (10 more arguments)");
  EXPECT_EQ(last.client_addr, "127.0.0.1:5000");
  EXPECT_EQ(last.client_name, "cart");
  EXPECT_EQ(entries[2].args, (std::vector<std::string>{"CONFIG", "SET", "requirepass", "(redacted)",
                                                       "timeout", "7"}));
  EXPECT_EQ(entries[3].args, (std::vector<std::string>{"AUTH", "(redacted)", "(redacted)"}));
  EXPECT_GT(last.id, entries[1].id);
  // SLOWLOG GET 1 is the newest entry; the log holds slowlog-max-len entries.
  EXPECT_EQ(h.Run({"SLOWLOG", "GET", "1"}).substr(0, 8), "*1\r\n*6\r\n");
  h.config().slowlog_max_len = 2;
  h.Run({"PING"});
  EXPECT_EQ(h.Run({"SLOWLOG", "LEN"}), ":2\r\n");
  // EXEC is not logged itself; the commands it runs are.
  h.Run({"SLOWLOG", "RESET"});
  h.Run({"MULTI"});
  h.Run({"SET", "a", "1"});
  h.Run({"EXEC"});
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].args[0], "SET");
  EXPECT_EQ(entries[1].args[0], "MULTI");
  h.config().slowlog_log_slower_than = -1;
  h.Run({"SLOWLOG", "RESET"});
  h.Run({"PING"});
  EXPECT_EQ(h.Run({"SLOWLOG", "LEN"}), ":0\r\n");
}

// SAVE and BGSAVE checkpoint the commit journal into LevelDB and count as saves.
TEST(ServerLifecycleTest, SaveAndBgsaveCheckpointAndCount) {
  CommandHarness h;
  h.keyspace().set_cycle_interval_ms(1000000);  // rows stay in the journal until saved
  EXPECT_EQ(h.Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_GT(h.keyspace().pending_rows(), 0u);
  h.set_now_ms(1800000000000);
  EXPECT_EQ(h.Run({"SAVE"}), "+OK\r\n");
  EXPECT_EQ(h.keyspace().pending_rows(), 0u);
  EXPECT_EQ(h.Run({"LASTSAVE"}), ":1800000000\r\n");
  EXPECT_EQ(h.Run({"SET", "k", "w"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"BGSAVE", "schedule"}), "+Background saving started\r\n");
  EXPECT_EQ(h.keyspace().pending_rows(), 0u);
  EXPECT_EQ(h.Run({"BGSAVE", "now"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"SAVE", "x"}), "-ERR wrong number of arguments for 'save' command\r\n");
  EXPECT_NE(h.Run({"INFO", "persistence"}).find("rdb_saves:2\r\n"), std::string::npos);
  EXPECT_EQ(h.Run({"SET", "k", "w"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"BGREWRITEAOF"}), "+Background append only file rewriting started\r\n");
  EXPECT_EQ(h.keyspace().pending_rows(), 0u);
  EXPECT_NE(h.Run({"INFO", "persistence"}).find("aof_rewrites:1\r\n"), std::string::npos);
  EXPECT_EQ(h.Run({"GET", "k"}), "$1\r\nw\r\n");
}

TEST(ServerLifecycleTest, TimeLastSaveShutdown) {
  CommandHarness h;
  const std::string time = h.Run({"TIME"});
  EXPECT_EQ(time.rfind("*2\r\n$10\r\n", 0), 0u) << time;
  h.server().last_save_ms = 1700000000123;
  EXPECT_EQ(h.Run({"LASTSAVE"}), ":1700000000\r\n");
  EXPECT_EQ(h.Run({"SHUTDOWN", "foo"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"SHUTDOWN", "SAVE", "NOSAVE"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"SHUTDOWN", "ABORT", "NOW"}), "-ERR syntax error\r\n");
  EXPECT_EQ(h.Run({"SHUTDOWN", "ABORT"}), "-ERR No shutdown in progress.\r\n");
  h.Run({"MULTI"});
  EXPECT_EQ(h.Run({"SHUTDOWN"}), "-ERR Command not allowed inside a transaction\r\n");
  h.Run({"DISCARD"});
  EXPECT_FALSE(h.server().shutdown_requested);
  EXPECT_EQ(h.Run({"SHUTDOWN", "NOSAVE", "NOW"}), "");
  EXPECT_TRUE(h.server().shutdown_requested);
}

// MONITOR through the registry: Redis's line format, redaction, MULTI/EXEC
// order, the keyspace refused to the monitor, and RESET ending it.
TEST(ServerClientTest, MonitorFeedsEveryCommand) {
  CommandHarness h;
  FakeRegistry registry;
  registry.server = &h.server();
  commands::ClientState mon;
  mon.id = 5;
  mon.authenticated = true;
  h.client().addr = "10.0.0.1:3000";
  registry.clients = {&mon, &h.client()};
  h.server().clients = &registry;

  h.Run({"SET", "before", "x"});
  EXPECT_TRUE(registry.monitor_lines.empty());
  EXPECT_EQ(h.RunAs(mon, {"MONITOR"}), "+OK\r\n");
  EXPECT_EQ(h.server().monitors, 1u);
  EXPECT_EQ(h.RunAs(mon, {"MONITOR"}), "");  // already monitoring: no reply
  EXPECT_EQ(h.RunAs(mon, {"GET", "before"}), "-ERR Replica can't interact with the keyspace\r\n");
  EXPECT_EQ(h.RunAs(mon, {"PING"}), "+PONG\r\n");
  registry.monitor_lines.clear();

  h.Run({"SET", "k", "a \"b\"\n\x01\xff"});
  h.Run({"SELECT", "3"});
  h.Run({"AUTH", "secret"});
  h.Run({"CONFIG", "GET", "maxclients"});  // administrative: not shown
  h.Run({"NOSUCHCOMMAND"});                // never ran: not shown
  ASSERT_EQ(registry.monitor_lines.size(), 3u);
  const std::string& first = registry.monitor_lines[0];
  ASSERT_EQ(first[0], '+');
  EXPECT_EQ(first.find('.'), 11u);  // seconds, then six digits of microseconds
  EXPECT_EQ(first.substr(19), "[0 10.0.0.1:3000] \"SET\" \"k\" \"a \\\"b\\\"\\n\\x01\\xff\"\r\n");
  // After SELECT runs, in the database it selected, as Redis shows it.
  EXPECT_NE(registry.monitor_lines[1].find(" [3 10.0.0.1:3000] \"SELECT\" \"3\"\r\n"),
            std::string::npos);
  EXPECT_NE(registry.monitor_lines[2].find("] \"AUTH\" \"(redacted)\"\r\n"), std::string::npos);
  registry.monitor_lines.clear();

  // Queued commands show when EXEC runs them, before the EXEC itself.
  h.Run({"MULTI"});
  h.Run({"INCR", "n"});
  h.Run({"EXEC"});
  ASSERT_EQ(registry.monitor_lines.size(), 3u);
  EXPECT_NE(registry.monitor_lines[0].find("\"MULTI\""), std::string::npos);
  EXPECT_NE(registry.monitor_lines[1].find("\"INCR\" \"n\""), std::string::npos);
  EXPECT_NE(registry.monitor_lines[2].find("\"EXEC\""), std::string::npos);
  // MONITOR inside a transaction is refused when EXEC runs it.
  h.Run({"MULTI"});
  h.Run({"MONITOR"});
  EXPECT_EQ(h.Run({"EXEC"}), "*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n");

  const std::string list = BulkBody(h.Run({"CLIENT", "LIST", "ID", "5"}));
  EXPECT_TRUE(Contains(list, " flags=O ")) << list;
  EXPECT_EQ(h.RunAs(mon, {"RESET"}), "+RESET\r\n");
  EXPECT_FALSE(mon.monitor);
  EXPECT_EQ(h.server().monitors, 0u);
  EXPECT_EQ(h.RunAs(mon, {"GET", "before"}), Bulk("x"));
}

// What Dispatch decides under CLIENT PAUSE: the net layer holds postponed
// commands (tests/integration covers the waiting itself).
commands::DispatchResult DispatchOnly(CommandHarness& h, const std::vector<std::string>& args,
                                      std::string* out) {
  resp::ReplyBuilder reply(out);
  std::vector<std::string_view> views(args.begin(), args.end());
  return commands::Dispatch(h.server(), h.client(), views, reply, h.now_ms());
}

TEST(ServerClientTest, ClientPauseHoldsWritesOrEverything) {
  using commands::DispatchResult;
  CommandHarness h;
  EXPECT_EQ(h.Run({"CLIENT", "PAUSE", "x"}), "-ERR timeout is not an integer or out of range\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "PAUSE", "-1"}), "-ERR timeout is negative\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "PAUSE", "10", "READ"}),
            "-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n");
  EXPECT_EQ(
      h.Run({"CLIENT", "PAUSE", "10", "WRITE", "x"}),
      "-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.\r\n");
  h.Run({"SET", "short", "v", "PX", "500"});
  EXPECT_EQ(h.Run({"CLIENT", "PAUSE", "1000", "WRITE"}), "+OK\r\n");

  std::string out;
  EXPECT_EQ(DispatchOnly(h, {"SET", "k", "v"}, &out), DispatchResult::kPostponed);
  EXPECT_EQ(out, "");
  EXPECT_EQ(DispatchOnly(h, {"GET", "k"}, &out), DispatchResult::kDone);
  EXPECT_EQ(DispatchOnly(h, {"SET", "k"}, &out), DispatchResult::kDone);  // errors answer at once
  EXPECT_EQ(out, "$-1\r\n-ERR wrong number of arguments for 'set' command\r\n");
  // An EXEC holding a write waits; a read-only one runs.
  h.Run({"MULTI"});
  h.Run({"GET", "k"});
  EXPECT_EQ(DispatchOnly(h, {"EXEC"}, &out), DispatchResult::kDone);
  h.client().in_multi = true;
  h.client().queued = {{"INCR", "n"}};
  EXPECT_EQ(DispatchOnly(h, {"EXEC"}, &out), DispatchResult::kPostponed);
  h.Run({"DISCARD"});

  // Keys expire without being deleted while paused.
  h.advance_ms(600);
  EXPECT_EQ(h.Run({"GET", "short"}), "$-1\r\n");
  EXPECT_EQ(h.keyspace().expired_keys(), 0u);

  // ALL holds every command, a longer or wider pause extends the current one.
  EXPECT_EQ(h.Run({"CLIENT", "PAUSE", "200", "ALL"}), "+OK\r\n");
  EXPECT_EQ(DispatchOnly(h, {"PING"}, &out), DispatchResult::kPostponed);
  h.advance_ms(300);  // the ALL pause's own end passed; the first pause's did not
  EXPECT_EQ(DispatchOnly(h, {"PING"}, &out), DispatchResult::kPostponed);
  h.advance_ms(200);  // 1100 ms: over
  EXPECT_EQ(DispatchOnly(h, {"SET", "k", "v"}, &out), DispatchResult::kDone);
  EXPECT_EQ(h.Run({"GET", "short"}), "$-1\r\n");
  EXPECT_EQ(h.keyspace().expired_keys(), 1u);

  EXPECT_EQ(h.Run({"CLIENT", "PAUSE", "100000", "WRITE"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"CLIENT", "UNPAUSE"}), "+OK\r\n");
  EXPECT_EQ(DispatchOnly(h, {"SET", "k", "v"}, &out), DispatchResult::kDone);
}

}  // namespace
}  // namespace ringkv::testing

namespace ringkv::testing {
namespace {

// MEMORY STATS has Redis 7.0's fields in its order, a db.N map per database
// with keys, and figures that add up; MEMORY DOCTOR answers one of Redis's
// reports.
TEST(ServerMemoryTest, StatsAndDoctor) {
  CommandHarness h;
  h.Run({"SET", "a", "b"});
  h.Run({"SELECT", "3"});
  h.Run({"SET", "c", "d"});
  h.Run({"SET", "e", "f"});
  const std::string stats = h.Run({"MEMORY", "STATS"});
  ASSERT_EQ(stats.rfind("*58\r\n$14\r\npeak.allocated\r\n:", 0), 0u) << stats;  // 27 + 2 dbs
  const std::vector<std::string> names = {"total.allocated",
                                          "startup.allocated",
                                          "replication.backlog",
                                          "clients.slaves",
                                          "clients.normal",
                                          "cluster.links",
                                          "aof.buffer",
                                          "lua.caches",
                                          "functions.caches",
                                          "db.0",
                                          "db.3",
                                          "overhead.total",
                                          "keys.count",
                                          "keys.bytes-per-key",
                                          "dataset.bytes",
                                          "dataset.percentage",
                                          "peak.percentage",
                                          "allocator.allocated",
                                          "allocator.active",
                                          "allocator.resident",
                                          "allocator-fragmentation.ratio",
                                          "allocator-fragmentation.bytes",
                                          "allocator-rss.ratio",
                                          "allocator-rss.bytes",
                                          "rss-overhead.ratio",
                                          "rss-overhead.bytes",
                                          "fragmentation",
                                          "fragmentation.bytes"};
  size_t at = 0;
  for (const std::string& name : names) {
    const size_t found = stats.find("\r\n" + name + "\r\n", at);
    ASSERT_NE(found, std::string::npos) << name;
    at = found + 1;
  }
  EXPECT_NE(stats.find("$10\r\nkeys.count\r\n:3\r\n"), std::string::npos);
  EXPECT_EQ(stats.find("$4\r\ndb.1\r\n"), std::string::npos);
  const std::string doctor = h.Run({"MEMORY", "DOCTOR"});
  EXPECT_TRUE(doctor.find("$") == 0 && (doctor.find("Hi Sam") != std::string::npos ||
                                        doctor.find("Sam, I detected") != std::string::npos))
      << doctor;
  EXPECT_EQ(h.Run({"MEMORY", "STATS", "x"}),
            "-ERR wrong number of arguments for 'memory|stats' command\r\n");
}

}  // namespace
}  // namespace ringkv::testing
