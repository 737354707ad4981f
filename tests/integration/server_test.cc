// End-to-end tests against the real ringkv-server binary.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>

#include "tests/integration/server_process.h"

namespace ringkv::testing {
namespace {

std::string Str(const Reply& r) { return r && r->str ? std::string(r->str, r->len) : "<null>"; }

TEST(ServerIntegrationTest, DataSurvivesCleanRestart) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  {
    Connection c = server.Connect();
    ASSERT_TRUE(c);
    EXPECT_EQ(Str(Command(c, "SET %s %s", "k", "v")), "OK");
    EXPECT_EQ(Command(c, "HSET cart item:1 2 item:2 5")->integer, 2);
  }
  ASSERT_TRUE(WIFEXITED(server.Kill(SIGTERM)));
  ASSERT_TRUE(server.Start());
  Connection c = server.Connect();
  EXPECT_EQ(Str(Command(c, "GET k")), "v");
  EXPECT_EQ(Command(c, "DBSIZE")->integer, 2);
}

// Every acknowledged write is in LevelDB's log before its reply leaves, so a
// kill -9 right after the replies loses nothing, in every appendfsync mode.
class KillNineTest : public ::testing::TestWithParam<const char*> {};

TEST_P(KillNineTest, AcknowledgedWritesSurviveKill9) {
  ServerProcess server({"--appendfsync", GetParam()});
  ASSERT_TRUE(server.Start());
  constexpr int kKeys = 2000;
  {
    Connection c = server.Connect();
    EXPECT_EQ(Command(c, "INCRBY counter 7")->integer, 7);
    // Pipelined: many commands per read, one group commit per loop iteration,
    // large batches written by the writer thread while the loop goes on. The
    // kill follows the replies at once (INFO's reply, too, waits for every
    // earlier write): no reply may leave before the writes it follows are in
    // the log.
    for (int i = 0; i < kKeys; ++i) {
      redisAppendCommand(c.get(), "SET key:%d value:%d", i, i);
    }
    for (int i = 0; i < kKeys; ++i) {
      redisReply* r = nullptr;
      ASSERT_EQ(redisGetReply(c.get(), reinterpret_cast<void**>(&r)), REDIS_OK);
      Reply owned(r);
      ASSERT_EQ(Str(owned), "OK");
    }
    // The large batches really went through the writer thread.
    const std::string info = Str(Command(c, "INFO persistence"));
    const size_t at = info.find("leveldb_pipelined_commits:");
    ASSERT_NE(at, std::string::npos);
    EXPECT_GT(std::stoll(info.substr(at + 26)), 0);
  }
  server.Kill(SIGKILL);
  ASSERT_TRUE(server.Start());
  Connection c = server.Connect();
  EXPECT_EQ(Command(c, "DBSIZE")->integer, kKeys + 1);
  for (int i = 0; i < kKeys; i += 97) {
    EXPECT_EQ(Str(Command(c, "GET key:%d", i)), "value:" + std::to_string(i));
  }
  EXPECT_EQ(Str(Command(c, "GET counter")), "7");
}

INSTANTIATE_TEST_SUITE_P(AppendFsync, KillNineTest, ::testing::Values("always", "everysec", "no"));

int64_t InfoField(Connection& c, const std::string& name) {
  const std::string info = Str(Command(c, "INFO persistence"));
  const size_t at = info.find(name + ":");
  return at == std::string::npos ? -1 : std::stoll(info.substr(at + name.size() + 1));
}

// Rows reach their own LevelDB keys a materialization cycle after the commit
// journal has them (Keyspace::Commit). A kill -9 between the two must still
// bring back the newest acknowledged value of every row, including rows whose
// older value a cycle already wrote under their own key.
TEST(ServerIntegrationTest, Kill9BetweenJournalAndMaterializationLosesNothing) {
  ServerProcess server({"--enable-debug-command", "local"});
  ASSERT_TRUE(server.Start());
  constexpr int kKeys = 500;
  {
    Connection c = server.Connect();
    for (int i = 0; i < kKeys; ++i) Command(c, "SET key:%d old", i);
    Command(c, "HSET cart sku:1 1 sku:2 1");
    // A cycle runs within about a second and writes the rows.
    ASSERT_TRUE(
        WaitFor([&] { return InfoField(c, "journal_cycles") >= 1; }, std::chrono::seconds(20)));
    ASSERT_TRUE(WaitFor([&] { return InfoField(c, "journal_pending_rows") == 0; },
                        std::chrono::seconds(20)));
    // No further cycle: what follows stays only in the journal until the kill.
    EXPECT_EQ(Str(Command(c, "DEBUG SET-JOURNAL-CYCLE-MS 100000000")), "OK");
    for (int i = 0; i < kKeys; i += 2) Command(c, "SET key:%d new", i);
    Command(c, "DEL key:1");
    Command(c, "HINCRBY cart sku:1 4");
    EXPECT_EQ(InfoField(c, "journal_pending_rows"), kKeys / 2 + 3);  // only in the journal
  }
  server.Kill(SIGKILL);
  ASSERT_TRUE(server.Start());
  Connection c = server.Connect();
  EXPECT_EQ(InfoField(c, "journal_rows_replayed"), kKeys / 2 + 3);
  EXPECT_EQ(Command(c, "DBSIZE")->integer, kKeys);  // kKeys - 1 strings and the cart
  EXPECT_EQ(Command(c, "EXISTS key:1")->integer, 0);
  for (int i = 2; i < kKeys; ++i) {
    ASSERT_EQ(Str(Command(c, "GET key:%d", i)), i % 2 == 0 ? "new" : "old") << i;
  }
  EXPECT_EQ(Str(Command(c, "HGET cart sku:1")), "5");
  EXPECT_EQ(Str(Command(c, "HGET cart sku:2")), "1");
}

// Values over a megabyte make journal records over a megabyte, and with cycles back to
// back every commit also hands over or reaps a materialization chunk. Such a
// record once went out empty, and the restart after a kill -9 failed on it.
TEST(ServerIntegrationTest, Kill9AfterRecordsOverAMegabyteLosesNothing) {
  ServerProcess server({"--enable-debug-command", "local"});
  ASSERT_TRUE(server.Start());
  constexpr int kRounds = 10;
  constexpr int kKeysPerRound = 4;
  auto value_of = [](int round, int key) {
    return std::string(1200 << 10, static_cast<char>('a' + (round + key) % 26)) +
           std::to_string(round);
  };
  {
    Connection c = server.Connect();
    EXPECT_EQ(Str(Command(c, "DEBUG SET-JOURNAL-CYCLE-MS 0")), "OK");
    for (int round = 0; round < kRounds; ++round) {
      for (int key = 0; key < kKeysPerRound; ++key) {
        const std::string value = value_of(round, key);
        redisAppendCommand(c.get(), "SET big:%d %b", key, value.data(), value.size());
      }
      for (int key = 0; key < kKeysPerRound; ++key) {
        redisReply* r = nullptr;
        ASSERT_EQ(redisGetReply(c.get(), reinterpret_cast<void**>(&r)), REDIS_OK);
        Reply owned(r);
        ASSERT_EQ(Str(owned), "OK");
      }
    }
    EXPECT_GE(InfoField(c, "journal_cycles"), 1);
  }
  server.Kill(SIGKILL);
  ASSERT_TRUE(server.Start());
  Connection c = server.Connect();
  EXPECT_EQ(Command(c, "DBSIZE")->integer, kKeysPerRound);
  for (int key = 0; key < kKeysPerRound; ++key) {
    ASSERT_EQ(Str(Command(c, "GET big:%d", key)), value_of(kRounds - 1, key)) << key;
  }
}

TEST(ServerIntegrationTest, ShutdownCommandExitsCleanly) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  Connection c = server.Connect();
  Command(c, "SET before-shutdown 1");
  Reply r = Command(c, "SHUTDOWN");
  EXPECT_EQ(r, nullptr);  // Redis closes the connection instead of replying.
  int status = server.Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ASSERT_TRUE(server.Start());
  Connection again = server.Connect();
  EXPECT_EQ(Str(Command(again, "GET before-shutdown")), "1");
}

TEST(ServerIntegrationTest, MaxClientsRejectsWithRedisError) {
  ServerProcess server({"--maxclients", "2"});
  ASSERT_TRUE(server.Start());
  Connection a = server.Connect();
  ASSERT_EQ(Str(Command(a, "PING")), "PONG");
  // Start()'s probe connection must be gone before the slots are counted.
  ASSERT_TRUE(WaitFor([&] {
    Reply r = Command(a, "INFO clients");
    return r && std::string(r->str).find("connected_clients:1\r\n") != std::string::npos;
  }));
  Connection b = server.Connect();
  ASSERT_EQ(Str(Command(b, "PING")), "PONG");
  Connection third = server.Connect();
  ASSERT_TRUE(third);
  Reply r = Command(third, "PING");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(Str(r), "ERR max number of clients reached");
  EXPECT_EQ(Str(Command(a, "PING")), "PONG");
}

TEST(ServerIntegrationTest, IdleTimeoutClosesClients) {
  ServerProcess server({"--timeout", "1"});
  ASSERT_TRUE(server.Start());
  Connection c = server.Connect();
  ASSERT_EQ(Str(Command(c, "PING")), "PONG");
  Connection probe = server.Connect();
  // Wait until the server reports the idle client gone; the probe keeps talking.
  EXPECT_TRUE(WaitFor([&] {
    Reply r = Command(probe, "INFO clients");
    return r && std::string(r->str).find("connected_clients:1\r\n") != std::string::npos;
  }));
  EXPECT_EQ(Command(c, "PING"), nullptr);
}

// As in Redis, a client idle for a few seconds gives back its empty query
// buffer, and the next request allocates it again.
TEST(ServerIntegrationTest, IdleClientsReleaseTheirQueryBuffer) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  Connection idle = server.Connect();
  ASSERT_EQ(Str(Command(idle, "CLIENT SETNAME sleeper")), "OK");
  Connection probe = server.Connect();
  auto sleeper_line = [&] {
    Reply r = Command(probe, "CLIENT LIST");
    const std::string list = r ? std::string(r->str, r->len) : "";
    const size_t at = list.find("name=sleeper ");
    return at == std::string::npos ? "" : list.substr(at, list.find('\n', at) - at);
  };
  EXPECT_NE(sleeper_line().find("qbuf-free=16"), std::string::npos) << sleeper_line();
  EXPECT_TRUE(WaitFor([&] {
    return sleeper_line().find(" qbuf=0 qbuf-free=0 ") != std::string::npos;
  })) << sleeper_line();
  EXPECT_EQ(Str(Command(idle, "PING")), "PONG");
  // Its own CLIENT INFO counts the request being run, as Redis's qbuf does.
  Reply info = Command(idle, "CLIENT INFO");
  ASSERT_TRUE(info);
  EXPECT_NE(std::string(info->str, info->len).find(" qbuf=26 "), std::string::npos);
}

TEST(ServerIntegrationTest, ActiveExpiryRemovesUntouchedKeys) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  Connection c = server.Connect();
  for (int i = 0; i < 50; ++i) Command(c, "SET tmp:%d x PX 50", i);
  Command(c, "SET keep x");
  // No command touches the volatile keys: only the background sweep can remove them.
  EXPECT_TRUE(WaitFor([&] { return Command(c, "DBSIZE")->integer == 1; }));
  // Each counted once (the sweep deletes through the lazy path, which counts).
  const std::string stats = Str(Command(c, "INFO stats"));
  EXPECT_NE(stats.find("\r\nexpired_keys:50\r\n"), std::string::npos) << stats;
}

TEST(ServerIntegrationTest, UnauthenticatedClientsAreLimited) {
  ServerProcess server({"--requirepass", "secret"});
  ASSERT_TRUE(server.Start());
  Connection c = server.Connect();
  EXPECT_EQ(Str(Command(c, "GET k")), "NOAUTH Authentication required.");
  // More than 10 arguments before AUTH is a protocol error that closes the connection.
  Reply r = Command(c, "MSET a 1 b 2 c 3 d 4 e 5 f");
  ASSERT_TRUE(r);
  EXPECT_EQ(Str(r), "ERR Protocol error: unauthenticated multibulk length");
  EXPECT_EQ(Command(c, "PING"), nullptr);
  Connection ok = server.Connect();
  EXPECT_EQ(Str(Command(ok, "AUTH secret")), "OK");
  EXPECT_EQ(Str(Command(ok, "MSET a 1 b 2 c 3 d 4 e 5 f 6")), "OK");
}

TEST(ServerIntegrationTest, ClientThatNeverReadsIsDisconnected) {
  ServerProcess server({"--client-output-buffer-limit", "normal 4mb 1mb 1"});
  ASSERT_TRUE(server.Start());
  Connection c = server.Connect();
  std::string big(512 * 1024, 'x');
  ASSERT_EQ(Str(Command(c, "SET big %b", big.data(), big.size())), "OK");
  // Ask for far more than the limit without reading a byte.
  Connection hog = server.Connect();
  for (int i = 0; i < 200; ++i) redisAppendCommand(hog.get(), "GET big");
  int done = 0;
  while (!done) ASSERT_EQ(redisBufferWrite(hog.get(), &done), REDIS_OK);
  EXPECT_TRUE(WaitFor([&] {
    Reply r = Command(c, "INFO stats");
    return r && std::string(r->str).find("client_output_buffer_limit_disconnections:1") !=
                    std::string::npos;
  }));
  EXPECT_EQ(Str(Command(c, "PING")), "PONG");
}

// MONITOR over real sockets: the monitor reads a line per command another
// client runs; one that stops reading is dropped at its output limit while
// the server keeps serving.
TEST(ServerIntegrationTest, MonitorStreamsCommandsAndIsBoundedByItsOutputLimit) {
  ServerProcess server({"--client-output-buffer-limit", "normal 1mb 256kb 1"});
  ASSERT_TRUE(server.Start());
  Connection monitor = server.Connect();
  ASSERT_EQ(Str(Command(monitor, "MONITOR")), "OK");
  Connection c = server.Connect();
  ASSERT_EQ(Str(Command(c, "SET k %s", "a b")), "OK");
  ASSERT_EQ(Str(Command(c, "GET k")), "a b");
  for (const char* expected : {"] \"SET\" \"k\" \"a b\"", "] \"GET\" \"k\""}) {
    void* raw = nullptr;
    ASSERT_EQ(redisGetReply(monitor.get(), &raw), REDIS_OK);
    Reply line(static_cast<redisReply*>(raw));
    ASSERT_EQ(line->type, REDIS_REPLY_STATUS);
    EXPECT_NE(Str(line).find(expected), std::string::npos) << Str(line);
  }
  EXPECT_EQ(Str(Command(monitor, "GET k")), "ERR Replica can't interact with the keyspace");

  // The monitor stops reading; 24 MB of monitored commands go past its limit
  // and what the kernel's socket buffers take.
  std::string value(512 * 1024, 'v');
  for (int i = 0; i < 48; ++i) {
    ASSERT_EQ(Str(Command(c, "SET big %b", value.data(), value.size())), "OK");
  }
  EXPECT_TRUE(WaitFor([&] {
    Reply r = Command(c, "INFO stats");
    return r && std::string(r->str).find("client_output_buffer_limit_disconnections:1") !=
                    std::string::npos;
  }));
  EXPECT_EQ(Str(Command(c, "PING")), "PONG");
}

// CLIENT PAUSE WRITE over real sockets: a write waits (INFO counts it as a
// blocked client) while reads are served, and runs on CLIENT UNPAUSE; a
// pause that runs out releases its clients by itself.
TEST(ServerIntegrationTest, ClientPauseHoldsWritesUntilUnpause) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  Connection admin = server.Connect();
  Connection writer = server.Connect();
  ASSERT_EQ(Str(Command(admin, "CLIENT PAUSE 100000 WRITE")), "OK");
  ASSERT_EQ(redisAppendCommand(writer.get(), "SET k paused"), REDIS_OK);
  int done = 0;
  while (!done) ASSERT_EQ(redisBufferWrite(writer.get(), &done), REDIS_OK);
  EXPECT_TRUE(WaitFor([&] {
    Reply r = Command(admin, "INFO clients");
    return r && std::string(r->str).find("blocked_clients:1\r\n") != std::string::npos;
  }));
  EXPECT_EQ(Str(Command(admin, "GET k")), "<null>");  // reads go on; the SET has not run
  ASSERT_EQ(Str(Command(admin, "CLIENT UNPAUSE")), "OK");
  void* raw = nullptr;
  ASSERT_EQ(redisGetReply(writer.get(), &raw), REDIS_OK);
  EXPECT_EQ(Str(Reply(static_cast<redisReply*>(raw))), "OK");
  EXPECT_EQ(Str(Command(admin, "GET k")), "paused");

  ASSERT_EQ(Str(Command(admin, "CLIENT PAUSE 300 ALL")), "OK");
  EXPECT_EQ(Str(Command(writer, "PING")), "PONG");  // answered when the pause ends
  EXPECT_TRUE(WaitFor([&] {
    Reply r = Command(admin, "INFO clients");
    return r && std::string(r->str).find("blocked_clients:0\r\n") != std::string::npos;
  }));

  // A key that expires during a pause is deleted by the background sweep once
  // the pause is over, with no command touching it.
  ASSERT_EQ(Str(Command(admin, "SET short v PX 100")), "OK");
  ASSERT_EQ(Str(Command(admin, "CLIENT PAUSE 300 WRITE")), "OK");
  ASSERT_EQ(Str(Command(admin, "GET nothing")), "<null>");  // a read during the pause
  EXPECT_TRUE(WaitFor([&] {
    Reply r = Command(admin, "INFO keyspace");
    return r && std::string(r->str).find("db0:keys=1,") != std::string::npos;
  }));
}

// MIGRATE between two servers: a string with its TTL and a hash move (the
// source loses them), COPY keeps the source, the target's errors come back
// prefixed, and an unreachable target is an IOERR.
TEST(ServerIntegrationTest, MigrateMovesKeysToAnotherServer) {
  ServerProcess source;
  ServerProcess target;
  ASSERT_TRUE(source.Start());
  ASSERT_TRUE(target.Start());
  Connection src = source.Connect();
  Connection dst = target.Connect();
  const std::string port = std::to_string(target.port());
  ASSERT_EQ(Str(Command(src, "SET s hello PX 100000")), "OK");
  ASSERT_EQ(Command(src, "HSET h a 1 b 2")->integer, 2);
  ASSERT_EQ(Str(Command(src, "SET kept v")), "OK");

  EXPECT_EQ(Str(Command(src, "MIGRATE 127.0.0.1 %s s 3 5000", port.c_str())), "OK");
  EXPECT_EQ(Command(src, "EXISTS s")->integer, 0);
  ASSERT_EQ(Str(Command(dst, "SELECT 3")), "OK");
  EXPECT_EQ(Str(Command(dst, "GET s")), "hello");
  const int64_t pttl = Command(dst, "PTTL s")->integer;
  EXPECT_GT(pttl, 90000);
  EXPECT_LE(pttl, 100000);

  EXPECT_EQ(Str(Command(src, "MIGRATE 127.0.0.1 %s %s 3 5000 COPY KEYS h kept missing",
                        port.c_str(), "")),
            "OK");
  EXPECT_EQ(Command(src, "EXISTS h kept")->integer, 2);
  EXPECT_EQ(Command(dst, "HLEN h")->integer, 2);
  EXPECT_EQ(Str(Command(dst, "HGET h b")), "2");
  // The target has them now: RESTORE answers BUSYKEY, unless REPLACE.
  EXPECT_EQ(Str(Command(src, "MIGRATE 127.0.0.1 %s kept 3 5000", port.c_str())),
            "ERR Target instance replied with error: BUSYKEY Target key name already exists.");
  EXPECT_EQ(Command(src, "EXISTS kept")->integer, 1);
  EXPECT_EQ(Str(Command(src, "MIGRATE 127.0.0.1 %s kept 3 5000 REPLACE", port.c_str())), "OK");
  EXPECT_EQ(Command(src, "EXISTS kept")->integer, 0);

  EXPECT_EQ(Str(Command(src, "MIGRATE 127.0.0.1 %s missing 3 5000", port.c_str())), "NOKEY");
  EXPECT_EQ(Str(Command(src, "MIGRATE 127.0.0.1 %s h 0 5000 KEYS h", port.c_str())),
            "ERR When using MIGRATE KEYS option, the key argument must be set to the empty "
            "string");
  target.Kill(SIGKILL);
  EXPECT_EQ(Str(Command(src, "MIGRATE 127.0.0.1 %s h 0 500", port.c_str())),
            "IOERR error or timeout connecting to the client");
  EXPECT_EQ(Command(src, "EXISTS h")->integer, 1);
}

// The server runs on jemalloc, and INFO and MEMORY report its figures.
TEST(ServerIntegrationTest, MemoryFiguresComeFromJemalloc) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  Connection c = server.Connect();
  const std::string info = Str(Command(c, "INFO memory"));
  EXPECT_NE(info.find("\r\nmem_allocator:jemalloc-"), std::string::npos) << info;
  auto field = [&](const std::string& name) {
    const size_t at = info.find("\r\n" + name + ":");
    return at == std::string::npos ? -1 : std::stoll(info.substr(at + name.size() + 3));
  };
  EXPECT_GT(field("used_memory"), 1 << 20);  // the row cache's slot table alone
  EXPECT_EQ(field("used_memory"), field("allocator_allocated"));
  EXPECT_GE(field("allocator_resident"), field("allocator_active"));
  EXPECT_EQ(Str(Command(c, "MEMORY MALLOC-STATS")).rfind("___ Begin jemalloc statistics ___", 0),
            0u);
  EXPECT_EQ(Str(Command(c, "MEMORY PURGE")), "OK");
}

TEST(ServerIntegrationTest, CommandsSentJustBeforeTheClientHangsUpStillRun) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  // Commands and the end of the stream arrive together: the server reads
  // both in one loop iteration, before it runs the commands.
  Connection leaving = server.Connect();
  for (int i = 0; i < 100; ++i) redisAppendCommand(leaving.get(), "INCR last-words");
  int done = 0;
  while (!done) ASSERT_EQ(redisBufferWrite(leaving.get(), &done), REDIS_OK);
  ASSERT_EQ(shutdown(leaving->fd, SHUT_WR), 0);
  Connection c = server.Connect();
  EXPECT_TRUE(WaitFor([&] { return Str(Command(c, "GET last-words")) == "100"; }));
  // It got its replies before the server closed the connection.
  for (int i = 1; i <= 100; ++i) {
    void* raw = nullptr;
    ASSERT_EQ(redisGetReply(leaving.get(), &raw), REDIS_OK) << i;
    Reply r(static_cast<redisReply*>(raw));
    EXPECT_EQ(r->integer, i);
  }
}

// The first IPv4 address of this machine that is not loopback, or "".
std::string NonLoopbackAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* i = list; i != nullptr && found.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    found = text;
  }
  freeifaddrs(list);
  return found;
}

Reply CommandVia(const std::string& host, int port, const char* command) {
  timeval tv{5, 0};
  Connection c(redisConnectWithTimeout(host.c_str(), port, tv));
  if (!c || c->err) return nullptr;
  return Command(c, command);
}

TEST(ServerIntegrationTest, ProtectedModeRefusesNonLoopbackClients) {
  const std::string address = NonLoopbackAddress();
  if (address.empty()) GTEST_SKIP() << "no non-loopback IPv4 address on this machine";
  {
    ServerProcess server({"--bind", "127.0.0.1", address});
    ASSERT_TRUE(server.Start());
    Reply r = CommandVia(address, server.port(), "PING");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->type, REDIS_REPLY_ERROR);
    EXPECT_EQ(Str(r).rfind("DENIED Redis is running in protected mode", 0), 0u) << Str(r);
    // Loopback clients are still served.
    EXPECT_EQ(Str(Command(server.Connect(), "PING")), "PONG");
  }
  {
    // A password lifts protected mode, as in Redis.
    ServerProcess server({"--bind", "127.0.0.1", address, "--requirepass", "pw"});
    ASSERT_TRUE(server.Start());
    EXPECT_EQ(Str(CommandVia(address, server.port(), "PING")), "NOAUTH Authentication required.");
  }
}

}  // namespace
}  // namespace ringkv::testing
