// PeerTransport and UvClock over real loopback sockets, all on one uv loop in
// this process. Waits run the loop until a condition holds or a deadline
// passes; nothing sleeps.
#include "net/peer_transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "net/peer_auth.h"
#include "net/uv_clock.h"

namespace ringkv::net {
namespace {

using cluster::DeliveryStatus;
using cluster::NodeId;
using cluster::PeerReply;
using cluster::PeerRequest;

// Owns a loop; every test leaves it with no handle open (checked on teardown).
class LoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The failures these tests provoke are logged on purpose.
    saved_level_ = spdlog::get_level();
    spdlog::set_level(spdlog::level::off);
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    uv_timer_init(&loop_, &tick_);
  }

  void TearDown() override {
    BeforeDrain();
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    // Close callbacks, cancelled requests and the like need a few iterations.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (uv_run(&loop_, UV_RUN_NOWAIT) != 0 && std::chrono::steady_clock::now() < deadline) {
    }
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void*) {
          ADD_FAILURE() << "handle left open: " << uv_handle_type_name(uv_handle_get_type(h));
        },
        nullptr);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
    spdlog::set_level(saved_level_);
  }

  // Closes what the test owns; the loop then drains.
  virtual void BeforeDrain() {}

  // Runs the loop until `done()` or `timeout_ms` passed; returns done().
  bool RunUntil(const std::function<bool()>& done, int64_t timeout_ms = 5000) {
    // A ticking timer makes each UV_RUN_ONCE return even when nothing happens.
    uv_timer_start(
        &tick_, [](uv_timer_t*) {}, 2, 2);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    bool ok = done();
    while (!ok && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop_, UV_RUN_ONCE);
      ok = done();
    }
    uv_timer_stop(&tick_);
    return ok;
  }

  void RunFor(int64_t ms) {
    RunUntil([] { return false; }, ms);
  }

  uv_loop_t loop_;
  uv_timer_t tick_;
  spdlog::level::level_enum saved_level_ = spdlog::level::info;
};

// ---------------------------------------------------------------------------
// UvClock

class UvClockTest : public LoopTest {};

TEST_F(UvClockTest, TimersFireInDeadlineOrder) {
  UvClock clock(&loop_);
  std::vector<std::string> fired;
  clock.After(30, [&] { fired.push_back("30"); });
  clock.After(10, [&] { fired.push_back("10a"); });
  clock.After(20, [&] { fired.push_back("20"); });
  clock.After(10, [&] { fired.push_back("10b"); });
  clock.After(0, [&] { fired.push_back("0"); });
  const int64_t start = clock.MonotonicMs();
  ASSERT_TRUE(RunUntil([&] { return fired.size() == 5; }));
  EXPECT_EQ(fired, (std::vector<std::string>{"0", "10a", "10b", "20", "30"}));
  EXPECT_GE(clock.MonotonicMs() - start, 30);
  EXPECT_EQ(clock.pending(), 0u);
}

TEST_F(UvClockTest, CancelPreventsRunAndIsANoOpAfterwards) {
  UvClock clock(&loop_);
  int a = 0, b = 0;
  const uint64_t id_a = clock.After(5, [&] { ++a; });
  const uint64_t id_b = clock.After(10, [&] { ++b; });
  clock.Cancel(id_b);
  ASSERT_TRUE(RunUntil([&] { return a == 1; }));
  clock.Cancel(id_a);   // already ran
  clock.Cancel(12345);  // never existed
  RunFor(30);
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 0);
  EXPECT_EQ(clock.pending(), 0u);
}

TEST_F(UvClockTest, TimerSetFromACallbackRunsOnALaterPass) {
  UvClock clock(&loop_);
  int runs = 0;
  std::function<void()> again = [&] {
    if (++runs < 5) clock.After(0, again);
  };
  clock.After(0, again);
  ASSERT_TRUE(RunUntil([&] { return runs == 5; }));
}

TEST_F(UvClockTest, CancelFromInsideACallback) {
  UvClock clock(&loop_);
  int later = 0;
  uint64_t id = 0;
  clock.After(1, [&] { clock.Cancel(id); });
  id = clock.After(20, [&] { ++later; });
  RunFor(50);
  EXPECT_EQ(later, 0);
}

TEST_F(UvClockTest, DestructionDropsPendingTimersAndClosesItsHandle) {
  int ran = 0;
  {
    UvClock clock(&loop_);
    clock.After(10, [&] { ++ran; });
    clock.After(1000000, [&] { ++ran; });
    EXPECT_EQ(clock.pending(), 2u);
  }
  RunFor(30);
  EXPECT_EQ(ran, 0);
  // TearDown checks that the loop closes with no handle left.
}

TEST_F(UvClockTest, WallClockIsUnixMilliseconds) {
  UvClock clock(&loop_);
  // 2020-01-01 .. 2100-01-01.
  EXPECT_GT(clock.NowMs(), 1577836800000LL);
  EXPECT_LT(clock.NowMs(), 4102444800000LL);
}

// ---------------------------------------------------------------------------
// PeerTransport

TEST(PeerTransportAuthTest, HmacMatchesRfc4231) {
  // RFC 4231, test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(AcceptorProof("s", "n", "a", "b"), HmacSha256Hex("s", "ringkv-acceptor|n|a|b"));
  EXPECT_EQ(ConnectorProof("s", "n", "a", "b"), HmacSha256Hex("s", "ringkv-connector|n|a|b"));
  EXPECT_EQ(AcceptorProof("", "n", "a", "b"), "");
  EXPECT_TRUE(ProofMatches("abc", "abc"));
  EXPECT_FALSE(ProofMatches("abc", "abd"));
  EXPECT_FALSE(ProofMatches("abc", "ab"));
  const std::string nonce = RandomNonceHex();
  EXPECT_EQ(nonce.size(), 32u);
  EXPECT_NE(nonce, RandomNonceHex());
}

TEST(PeerTransportAddressTest, SplitHostPort) {
  std::string host;
  int port = 0;
  ASSERT_TRUE(SplitHostPort("node2:16379", &host, &port));
  EXPECT_EQ(host, "node2");
  EXPECT_EQ(port, 16379);
  ASSERT_TRUE(SplitHostPort("[::1]:7000", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 7000);
  EXPECT_FALSE(SplitHostPort("node2", &host, &port));
  EXPECT_FALSE(SplitHostPort("node2:", &host, &port));
  EXPECT_FALSE(SplitHostPort(":7000", &host, &port));
  EXPECT_FALSE(SplitHostPort("node2:70000", &host, &port));
  EXPECT_FALSE(SplitHostPort("::1:7000", &host, &port));
}

// One transport and what its callbacks saw.
struct Node {
  std::unique_ptr<PeerTransport> transport;
  std::vector<std::pair<NodeId, std::string>> ups;
  std::vector<NodeId> downs;
  PeerTransport* operator->() { return transport.get(); }
};

// The outcome of one Send.
struct Outcome {
  bool done = false;
  DeliveryStatus status = DeliveryStatus::kOk;
  PeerReply reply;
};

class PeerTransportTest : public LoopTest {
 protected:
  // The fixture owns the node; it is closed on teardown.
  Node* MakeNode(const std::string& id, const std::string& secret, int port = 0,
                 const std::function<void(PeerTransport::Options*)>& tweak = {}) {
    PeerTransport::Options options;
    options.self_id = id;
    options.secret = secret;
    options.connect_timeout_ms = 1000;
    options.reconnect_initial_ms = 20;
    options.reconnect_max_ms = 100;
    if (tweak) tweak(&options);
    auto node = std::make_unique<Node>();
    node->transport = std::make_unique<PeerTransport>(&loop_, options);
    Status s = node->transport->Listen("127.0.0.1", port);
    EXPECT_TRUE(s.ok()) << s.ToString();
    Node* raw = node.get();
    node->transport->SetPeerCallbacks(
        [raw](const NodeId& peer, const std::string& address) {
          raw->ups.emplace_back(peer, address);
        },
        [raw](const NodeId& peer) { raw->downs.push_back(peer); });
    nodes_.push_back(std::move(node));
    return raw;
  }

  void BeforeDrain() override {
    for (auto& node : nodes_) {
      if (node->transport) node->transport->Close();
    }
    clock_.reset();
  }

  // A's outbound connection to B is up and B has seen it.
  void Connect(Node& a, Node& b) {
    const size_t a_ups = a.ups.size(), b_ups = b.ups.size();
    a->AddSeed("127.0.0.1", b->port());
    ASSERT_TRUE(RunUntil([&] { return a.ups.size() > a_ups && b.ups.size() > b_ups; }));
  }

  std::shared_ptr<Outcome> Send(Node& from, const NodeId& to, PeerRequest request,
                                int64_t timeout_ms = 5000) {
    auto outcome = std::make_shared<Outcome>();
    from->Send(to, std::move(request), timeout_ms,
               [outcome](DeliveryStatus status, const PeerReply& reply) {
                 EXPECT_FALSE(outcome->done) << "done called twice";
                 outcome->done = true;
                 outcome->status = status;
                 outcome->reply = reply;
               });
    return outcome;
  }

  // Sends and waits for the outcome.
  Outcome Call(Node& from, const NodeId& to, PeerRequest request, int64_t timeout_ms = 5000) {
    auto outcome = Send(from, to, std::move(request), timeout_ms);
    EXPECT_TRUE(RunUntil([&] { return outcome->done; }, timeout_ms + 5000));
    return *outcome;
  }

  // Replies with the request's arguments.
  static void Echo(Node& node) {
    node->SetRequestHandler(
        [](const NodeId&, const PeerRequest& request, std::function<void(PeerReply)> respond) {
          respond(PeerReply::Array(request));
        });
  }

  std::vector<std::unique_ptr<Node>> nodes_;
  std::unique_ptr<UvClock> clock_;
};

TEST_F(PeerTransportTest, HandshakeReportsPeersUpOnBothSides) {
  auto a = MakeNode("node-a", "s3cret");
  auto b = MakeNode("node-b", "s3cret");
  Connect(*a, *b);
  ASSERT_EQ(a->ups.size(), 1u);
  EXPECT_EQ(a->ups[0].first, "node-b");
  EXPECT_EQ(a->ups[0].second, "127.0.0.1:" + std::to_string((*b)->port()));
  ASSERT_EQ(b->ups.size(), 1u);
  EXPECT_EQ(b->ups[0].first, "node-a");
  EXPECT_EQ(b->ups[0].second, "127.0.0.1:" + std::to_string((*a)->port()));
  EXPECT_TRUE((*a)->IsConnected("node-b"));
  EXPECT_FALSE((*b)->IsConnected("node-a"));  // B has no outbound connection to A
  EXPECT_EQ((*a)->stats().outbound_up, 1u);
  EXPECT_EQ((*b)->stats().inbound_up, 1u);
  EXPECT_EQ((*a)->stats().auth_failures + (*b)->stats().auth_failures, 0u);
  // B connects back to the address A advertised.
  std::string host;
  int port = 0;
  ASSERT_TRUE(SplitHostPort(b->ups[0].second, &host, &port));
  (*b)->AddSeed(host, port);
  ASSERT_TRUE(RunUntil([&] { return (*b)->IsConnected("node-a") && a->ups.size() == 2; }));
  EXPECT_EQ(b->ups.size(), 2u);
  EXPECT_EQ((*a)->stats().connections_up, 2u);
}

TEST_F(PeerTransportTest, NoSecretOnEitherSideConnects) {
  auto a = MakeNode("node-a", "");
  auto b = MakeNode("node-b", "");
  Connect(*a, *b);
  Echo(*b);
  const Outcome out = Call(*a, "node-b", {"PING"});
  EXPECT_EQ(out.status, DeliveryStatus::kOk);
}

TEST_F(PeerTransportTest, RequestRoundTripEveryReplyKind) {
  auto a = MakeNode("node-a", "s3cret");
  auto b = MakeNode("node-b", "s3cret");
  std::vector<NodeId> senders;
  (*b)->SetRequestHandler(
      [&](const NodeId& from, const PeerRequest& request, std::function<void(PeerReply)> respond) {
        senders.push_back(from);
        const std::string& cmd = request[0];
        if (cmd == "STATUS") return respond(PeerReply::Status("OK"));
        if (cmd == "ERROR") return respond(PeerReply::Error("ERR boom"));
        if (cmd == "NIL") return respond(PeerReply::Nil());
        if (cmd == "INT") return respond(PeerReply::Integer(-42));
        if (cmd == "BULK") return respond(PeerReply::Bulk(request[1]));
        respond(PeerReply::Array(request));
      });
  Connect(*a, *b);

  const std::string binary("a\r\nb\0c", 6);
  Outcome out = Call(*a, "node-b", {"ECHO", binary, ""});
  ASSERT_EQ(out.status, DeliveryStatus::kOk);
  EXPECT_EQ(out.reply.kind, PeerReply::Kind::kArray);
  EXPECT_EQ(out.reply.elements, (std::vector<std::string>{"ECHO", binary, ""}));

  out = Call(*a, "node-b", {"STATUS"});
  EXPECT_EQ(out.reply.kind, PeerReply::Kind::kStatus);
  EXPECT_EQ(out.reply.str, "OK");
  out = Call(*a, "node-b", {"ERROR"});
  EXPECT_EQ(out.status, DeliveryStatus::kOk);
  EXPECT_EQ(out.reply.kind, PeerReply::Kind::kError);
  EXPECT_EQ(out.reply.str, "ERR boom");
  out = Call(*a, "node-b", {"NIL"});
  EXPECT_EQ(out.reply.kind, PeerReply::Kind::kNil);
  out = Call(*a, "node-b", {"INT"});
  EXPECT_EQ(out.reply.kind, PeerReply::Kind::kInteger);
  EXPECT_EQ(out.reply.integer, -42);
  out = Call(*a, "node-b", {"BULK", binary});
  EXPECT_EQ(out.reply.kind, PeerReply::Kind::kBulk);
  EXPECT_EQ(out.reply.str, binary);

  EXPECT_EQ(senders, std::vector<NodeId>(6, "node-a"));
  EXPECT_EQ((*a)->stats().requests_sent, 6u);
  EXPECT_EQ((*a)->stats().replies_received, 6u);
  EXPECT_EQ((*b)->stats().requests_received, 6u);
  EXPECT_GT((*a)->stats().bytes_out, 0u);
  EXPECT_EQ((*a)->stats().bytes_out, (*b)->stats().bytes_in);
  EXPECT_EQ((*a)->stats().bytes_in, (*b)->stats().bytes_out);
}

TEST_F(PeerTransportTest, PipelinesAThousandRequestsInOrder) {
  auto a = MakeNode("node-a", "s3cret");
  auto b = MakeNode("node-b", "s3cret");
  std::vector<int> seen;
  (*b)->SetRequestHandler(
      [&](const NodeId&, const PeerRequest& request, std::function<void(PeerReply)> respond) {
        seen.push_back(std::stoi(request[1]));
        respond(PeerReply::Bulk("reply-" + request[1]));
      });
  Connect(*a, *b);
  const uint64_t bytes_before = (*a)->stats().bytes_out;
  std::vector<int> order;
  int wrong = 0;
  uint64_t bytes_after_ten = 0;
  for (int i = 0; i < 1000; ++i) {
    (*a)->Send("node-b", {"SEQ", std::to_string(i)}, 5000,
               [&, i](DeliveryStatus status, const PeerReply& reply) {
                 if (status != DeliveryStatus::kOk || reply.str != "reply-" + std::to_string(i)) {
                   ++wrong;
                 }
                 order.push_back(i);
               });
    if (i == 9) bytes_after_ten = (*a)->stats().bytes_out;
  }
  // A few small requests wait for the end of the loop turn, to leave in one
  // write; once 4 KB are queued they are written ahead, so at most that much
  // is still unwritten when the sender's turn ends.
  EXPECT_EQ(bytes_after_ten, bytes_before);
  const uint64_t written_ahead = (*a)->stats().bytes_out - bytes_before;
  EXPECT_GT((*a)->stats().requests_sent, 0u);
  EXPECT_LT((*a)->stats().requests_sent, 1000u);
  ASSERT_TRUE(RunUntil([&] { return order.size() == 1000; }));
  const uint64_t total = (*a)->stats().bytes_out - bytes_before;
  EXPECT_GT(written_ahead, 0u);
  EXPECT_LT(total - written_ahead, 4096u);
  EXPECT_EQ(wrong, 0);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(order[i], i);
    ASSERT_EQ(seen[i], i);
  }
  EXPECT_EQ((*a)->stats().requests_sent, 1000u);
}

TEST_F(PeerTransportTest, DeferredRespondKeepsReplyOrder) {
  auto a = MakeNode("node-a", "s3cret");
  auto b = MakeNode("node-b", "s3cret");
  clock_ = std::make_unique<UvClock>(&loop_);
  // Later requests are answered sooner; replies must still leave in order.
  (*b)->SetRequestHandler(
      [&](const NodeId&, const PeerRequest& request, std::function<void(PeerReply)> respond) {
        const int i = std::stoi(request[1]);
        clock_->After(20 - i % 10 * 2, [respond, i] { respond(PeerReply::Integer(i)); });
      });
  Connect(*a, *b);
  std::vector<int64_t> replies;
  for (int i = 0; i < 50; ++i) {
    (*a)->Send("node-b", {"SLOW", std::to_string(i)}, 5000,
               [&](DeliveryStatus status, const PeerReply& reply) {
                 EXPECT_EQ(status, DeliveryStatus::kOk);
                 replies.push_back(reply.integer);
               });
  }
  ASSERT_TRUE(RunUntil([&] { return replies.size() == 50; }));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(replies[i], i);
}

TEST_F(PeerTransportTest, InboundBackpressureStillAnswersEverything) {
  auto a = MakeNode("node-a", "s3cret");
  auto b = MakeNode("node-b", "s3cret", 0,
                    [](PeerTransport::Options* o) { o->max_pending_requests = 3; });
  clock_ = std::make_unique<UvClock>(&loop_);
  (*b)->SetRequestHandler(
      [&](const NodeId&, const PeerRequest& request, std::function<void(PeerReply)> respond) {
        clock_->After(1, [respond, request] { respond(PeerReply::Bulk(request[1])); });
      });
  Connect(*a, *b);
  std::vector<std::string> replies;
  for (int i = 0; i < 200; ++i) {
    (*a)->Send("node-b", {"X", std::to_string(i)}, 10000,
               [&](DeliveryStatus, const PeerReply& reply) { replies.push_back(reply.str); });
  }
  ASSERT_TRUE(RunUntil([&] { return replies.size() == 200; }, 10000));
  for (int i = 0; i < 200; ++i) EXPECT_EQ(replies[i], std::to_string(i));
}

TEST_F(PeerTransportTest, UnansweredRequestTimesOutAndLaterRequestsWork) {
  auto a = MakeNode("node-a", "s3cret");
  auto b = MakeNode("node-b", "s3cret");
  std::vector<std::function<void(PeerReply)>> hung;
  (*b)->SetRequestHandler(
      [&](const NodeId&, const PeerRequest& request, std::function<void(PeerReply)> respond) {
        if (request[0] == "HANG") {
          hung.push_back(std::move(respond));
        } else {
          respond(PeerReply::Bulk(request[1]));
        }
      });
  Connect(*a, *b);
  const Outcome timed_out = Call(*a, "node-b", {"HANG"}, 50);
  EXPECT_EQ(timed_out.status, DeliveryStatus::kTimeout);
  EXPECT_EQ((*a)->stats().timeouts, 1u);
  ASSERT_EQ(hung.size(), 1u);
  // The late reply is read and discarded; the next reply goes to the next request.
  hung[0](PeerReply::Bulk("late"));
  hung[0](PeerReply::Bulk("twice"));  // a second respond is ignored
  const Outcome out = Call(*a, "node-b", {"ECHO", "fresh"});
  EXPECT_EQ(out.status, DeliveryStatus::kOk);
  EXPECT_EQ(out.reply.str, "fresh");
  EXPECT_EQ((*a)->stats().replies_received, 2u);
  EXPECT_TRUE((*a)->IsConnected("node-b"));
}

TEST_F(PeerTransportTest, UnknownPeerFailsUnreachableOutsideSend) {
  auto a = MakeNode("node-a", "s3cret");
  bool in_send = true;
  bool reentrant = false;
  auto outcome = std::make_shared<Outcome>();
  (*a)->Send("nobody", {"PING"}, 1000, [&](DeliveryStatus status, const PeerReply&) {
    reentrant = in_send;
    outcome->done = true;
    outcome->status = status;
  });
  in_send = false;
  EXPECT_FALSE(outcome->done);
  ASSERT_TRUE(RunUntil([&] { return outcome->done; }));
  EXPECT_FALSE(reentrant);
  EXPECT_EQ(outcome->status, DeliveryStatus::kUnreachable);
  EXPECT_EQ((*a)->stats().unreachable, 1u);
}

TEST_F(PeerTransportTest, PendingBoundFailsNewRequestsFast) {
  auto a = MakeNode("node-a", "s3cret", 0,
                    [](PeerTransport::Options* o) { o->max_pending_requests = 8; });
  auto b = MakeNode("node-b", "s3cret");
  (*b)->SetRequestHandler([](const NodeId&, const PeerRequest&, std::function<void(PeerReply)>) {});
  Connect(*a, *b);
  std::vector<std::shared_ptr<Outcome>> outcomes;
  for (int i = 0; i < 20; ++i) outcomes.push_back(Send(*a, "node-b", {"HANG"}, 200));
  ASSERT_TRUE(RunUntil([&] {
    for (const auto& o : outcomes) {
      if (!o->done) return false;
    }
    return true;
  }));
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(outcomes[i]->status, i < 8 ? DeliveryStatus::kTimeout : DeliveryStatus::kUnreachable)
        << i;
  }
}

TEST_F(PeerTransportTest, PeerRestartFailsRequestsAndReconnects) {
  auto a = MakeNode("node-a", "s3cret");
  auto b = MakeNode("node-b", "s3cret");
  int handled = 0;
  (*b)->SetRequestHandler(
      [&](const NodeId&, const PeerRequest&, std::function<void(PeerReply)>) { ++handled; });
  Connect(*a, *b);
  const int port = (*b)->port();

  // Written and unanswered when B goes away: it may have been applied.
  auto written = Send(*a, "node-b", {"HANG"}, 10000);
  ASSERT_TRUE(RunUntil([&] { return handled == 1; }));
  (*b)->Close();
  ASSERT_TRUE(RunUntil([&] { return written->done; }));
  EXPECT_EQ(written->status, DeliveryStatus::kTimeout);
  EXPECT_EQ(a->downs, std::vector<NodeId>{"node-b"});
  EXPECT_FALSE((*a)->IsConnected("node-b"));

  // While B is down, requests fail fast.
  const Outcome down = Call(*a, "node-b", {"PING"});
  EXPECT_EQ(down.status, DeliveryStatus::kUnreachable);

  // A keeps retrying with backoff and reconnects once B listens again.
  RunFor(150);
  EXPECT_GE((*a)->stats().connect_attempts, 3u);
  auto b2 = MakeNode("node-b", "s3cret", port);
  Echo(*b2);
  ASSERT_TRUE(RunUntil([&] { return a->ups.size() == 2; }));
  EXPECT_EQ(a->ups[1].first, "node-b");
  const Outcome out = Call(*a, "node-b", {"ECHO", "again"});
  EXPECT_EQ(out.status, DeliveryStatus::kOk);
  EXPECT_EQ(out.reply.elements, (std::vector<std::string>{"ECHO", "again"}));
}

TEST_F(PeerTransportTest, RequestsQueuedWhileReconnectingAreSentOnceUp) {
  auto a = MakeNode("node-a", "s3cret", 0, [](PeerTransport::Options* o) {
    o->reconnect_initial_ms = 0;  // retry on the next loop iteration
  });
  auto b = MakeNode("node-b", "s3cret");
  Echo(*b);
  Connect(*a, *b);
  const int port = (*b)->port();
  // B restarts at once: A's next attempt reaches the new instance.
  (*b)->Close();
  auto b2 = MakeNode("node-b", "s3cret", port);
  Echo(*b2);
  // The drop starts a 0 ms reconnect timer; a 0 ms timer started after it
  // fires after it in the same loop pass, when the attempt is under way (its
  // handshake takes more passes).
  clock_ = std::make_unique<UvClock>(&loop_);
  std::shared_ptr<Outcome> queued;
  bool connected_when_sent = true;
  (*a)->SetPeerCallbacks(
      [a](const NodeId& id, const std::string& address) { a->ups.emplace_back(id, address); },
      [&](const NodeId& id) {
        a->downs.push_back(id);
        clock_->After(0, [&] {
          connected_when_sent = (*a)->IsConnected("node-b");
          queued = Send(*a, "node-b", {"ECHO", "queued"});
        });
      });
  ASSERT_TRUE(RunUntil([&] { return queued != nullptr; }));
  EXPECT_FALSE(connected_when_sent);
  ASSERT_TRUE(RunUntil([&] { return queued->done; }));
  EXPECT_EQ(queued->status, DeliveryStatus::kOk);
  EXPECT_EQ(queued->reply.elements, (std::vector<std::string>{"ECHO", "queued"}));
  EXPECT_EQ(a->ups.size(), 2u);
}

// A listening socket that accepts TCP connections but never answers.
class SilentListener {
 public:
  explicit SilentListener(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    const int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
  }
  ~SilentListener() {
    for (int fd : accepted_) close(fd);
    close(fd_);
  }
  // Accepts pending connections; returns how many were accepted so far.
  size_t Accept() {
    for (int fd; (fd = accept(fd_, nullptr, nullptr)) >= 0;) accepted_.push_back(fd);
    return accepted_.size();
  }

 private:
  int fd_ = -1;
  std::vector<int> accepted_;
};

TEST_F(PeerTransportTest, QueuedRequestsEndAtTheirDeadlineOrWhenTheAttemptFails) {
  auto a = MakeNode("node-a", "s3cret", 0,
                    [](PeerTransport::Options* o) { o->connect_timeout_ms = 300; });
  auto b = MakeNode("node-b", "s3cret");
  Connect(*a, *b);
  const int port = (*b)->port();
  (*b)->Close();
  SilentListener silent(port);
  ASSERT_TRUE(RunUntil([&] { return !a->downs.empty() && silent.Accept() > 0; }));
  // A is connected at the TCP level and waits for the handshake reply.
  auto short_deadline = Send(*a, "node-b", {"PING"}, 50);
  auto long_deadline = Send(*a, "node-b", {"PING"}, 10000);
  ASSERT_TRUE(RunUntil([&] { return short_deadline->done; }));
  EXPECT_EQ(short_deadline->status, DeliveryStatus::kTimeout);
  EXPECT_FALSE(long_deadline->done);
  // The attempt times out; what still waited was never sent.
  ASSERT_TRUE(RunUntil([&] { return long_deadline->done; }));
  EXPECT_EQ(long_deadline->status, DeliveryStatus::kUnreachable);
}

TEST_F(PeerTransportTest, WrongSecretFailsBothWays) {
  auto a = MakeNode("node-a", "secret-one");
  auto b = MakeNode("node-b", "secret-two");
  Echo(*b);
  (*a)->AddSeed("127.0.0.1", (*b)->port());
  ASSERT_TRUE(RunUntil(
      [&] { return (*a)->stats().auth_failures >= 1 && (*b)->stats().auth_failures >= 1; }));
  RunFor(100);  // retries with backoff keep failing
  EXPECT_GE((*a)->stats().auth_failures, 2u);
  EXPECT_TRUE(a->ups.empty());
  EXPECT_TRUE(b->ups.empty());
  EXPECT_FALSE((*a)->IsConnected("node-b"));
  EXPECT_EQ((*a)->stats().connections_up + (*b)->stats().connections_up, 0u);
  const Outcome out = Call(*a, "node-b", {"PING"});
  EXPECT_EQ(out.status, DeliveryStatus::kUnreachable);
  EXPECT_EQ((*b)->stats().requests_received, 0u);
}

TEST_F(PeerTransportTest, SecretOnOneSideOnlyFailsBothWays) {
  for (const bool connector_has_secret : {true, false}) {
    SCOPED_TRACE(connector_has_secret ? "connector has the secret" : "acceptor has the secret");
    auto a = MakeNode("node-a", connector_has_secret ? "s3cret" : "");
    auto b = MakeNode("node-b", connector_has_secret ? "" : "s3cret");
    (*a)->AddSeed("127.0.0.1", (*b)->port());
    ASSERT_TRUE(RunUntil(
        [&] { return (*a)->stats().auth_failures >= 1 && (*b)->stats().auth_failures >= 1; }));
    RunFor(50);
    EXPECT_TRUE(a->ups.empty());
    EXPECT_TRUE(b->ups.empty());
    (*a)->Close();
    (*b)->Close();
  }
}

TEST_F(PeerTransportTest, SelfSeedIsDropped) {
  auto a = MakeNode("node-a", "s3cret");
  (*a)->AddSeed("127.0.0.1", (*a)->port());
  EXPECT_EQ((*a)->num_seeds(), 1u);
  ASSERT_TRUE(RunUntil([&] { return (*a)->num_seeds() == 0; }));
  (*a)->AddSeed("127.0.0.1", (*a)->port());  // ignored from now on
  EXPECT_EQ((*a)->num_seeds(), 0u);
  RunFor(50);
  EXPECT_TRUE(a->ups.empty());
  EXPECT_EQ((*a)->stats().connect_attempts, 1u);
  EXPECT_EQ((*a)->stats().auth_failures, 0u);
}

TEST_F(PeerTransportTest, DuplicateSeedForAConnectedNodeIsDropped) {
  auto a = MakeNode("node-a", "s3cret");
  auto b = MakeNode("node-b", "s3cret");
  Connect(*a, *b);
  (*a)->AddSeed("localhost", (*b)->port());
  ASSERT_TRUE(RunUntil([&] { return (*a)->num_seeds() == 1; }));
  EXPECT_TRUE((*a)->IsConnected("node-b"));
  EXPECT_EQ(a->ups.size(), 1u);
}

TEST_F(PeerTransportTest, CloseEndsPendingRequests) {
  auto a = MakeNode("node-a", "s3cret");
  auto b = MakeNode("node-b", "s3cret");
  int handled = 0;
  (*b)->SetRequestHandler(
      [&](const NodeId&, const PeerRequest&, std::function<void(PeerReply)>) { ++handled; });
  Connect(*a, *b);
  auto written = Send(*a, "node-b", {"HANG"}, 10000);
  ASSERT_TRUE(RunUntil([&] { return handled == 1; }));
  auto unwritten = Send(*a, "node-b", {"HANG"}, 10000);
  (*a)->Close();
  ASSERT_TRUE(written->done);
  EXPECT_EQ(written->status, DeliveryStatus::kTimeout);
  ASSERT_TRUE(unwritten->done);
  EXPECT_EQ(unwritten->status, DeliveryStatus::kUnreachable);
  EXPECT_TRUE(a->downs.empty());  // on_down is not reported for Close
  const Outcome after = *Send(*a, "node-b", {"PING"});
  EXPECT_EQ(after.status, DeliveryStatus::kUnreachable);
}

// A plain socket client, not using the loop: what a port scanner or a
// misdirected redis-cli does.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // The kernel completes the connection from the listen backlog.
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~RawClient() { close(fd_); }

  void Write(const std::string& data) {
    EXPECT_EQ(write(fd_, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  }

  // Reads what is available; true once the server closed the connection.
  bool PollClosed() {
    char buf[4096];
    for (;;) {
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) {
        received_.append(buf, static_cast<size_t>(n));
        continue;
      }
      return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
  }

  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  std::string received_;
};

TEST_F(PeerTransportTest, NonHandshakeCommandGetsAnErrorAndIsDisconnected) {
  auto b = MakeNode("node-b", "s3cret");
  Echo(*b);
  const std::vector<std::string> payloads = {
      "GET k\r\n",
      "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
      "*2\r\n$9\r\nRING.AUTH\r\n$0\r\n\r\n",
      "*3\r\n$10\r\nRING.HELLO\r\n$1\r\n1\r\n$1\r\nx\r\n",                       // wrong arity
      "*5\r\n$10\r\nRING.HELLO\r\n$1\r\n9\r\n$1\r\nx\r\n$0\r\n\r\n$1\r\nn\r\n",  // version
  };
  for (const std::string& payload : payloads) {
    SCOPED_TRACE(payload);
    RawClient client((*b)->port());
    client.Write(payload);
    ASSERT_TRUE(RunUntil([&] { return client.PollClosed(); }));
    EXPECT_EQ(client.received().rfind("-ERR ", 0), 0u) << client.received();
    EXPECT_EQ(client.received().find("\r\n"), client.received().size() - 2);
  }
  // A valid RING.HELLO followed by anything but RING.AUTH.
  RawClient client((*b)->port());
  client.Write("*5\r\n$10\r\nRING.HELLO\r\n$1\r\n1\r\n$1\r\nx\r\n$0\r\n\r\n$1\r\nn\r\nGET k\r\n");
  ASSERT_TRUE(RunUntil([&] { return client.PollClosed(); }));
  EXPECT_EQ(client.received().rfind("*4\r\n$6\r\nnode-b\r\n", 0), 0u) << client.received();
  EXPECT_NE(client.received().find("-ERR "), std::string::npos) << client.received();
  EXPECT_TRUE(b->ups.empty());
  EXPECT_EQ((*b)->stats().requests_received, 0u);
}

TEST_F(PeerTransportTest, ForgedAuthProofIsRejected) {
  auto b = MakeNode("node-b", "s3cret");
  Echo(*b);
  RawClient client((*b)->port());
  client.Write("*5\r\n$10\r\nRING.HELLO\r\n$1\r\n1\r\n$1\r\nx\r\n$0\r\n\r\n$1\r\nn\r\n");
  client.Write("*2\r\n$9\r\nRING.AUTH\r\n$64\r\n" + std::string(64, '0') + "\r\n");
  client.Write("*1\r\n$4\r\nPING\r\n");
  ASSERT_TRUE(RunUntil([&] { return client.PollClosed(); }));
  EXPECT_NE(client.received().find("-ERR cluster-secret authentication failed\r\n"),
            std::string::npos)
      << client.received();
  EXPECT_EQ((*b)->stats().auth_failures, 1u);
  EXPECT_EQ((*b)->stats().requests_received, 0u);
  EXPECT_TRUE(b->ups.empty());
}

}  // namespace
}  // namespace ringkv::net
