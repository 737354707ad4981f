#include "cluster/sim_network.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

namespace ringkv::cluster {
namespace {

// How one Send ended, as seen by its `done`.
struct Outcome {
  int calls = 0;
  DeliveryStatus status = DeliveryStatus::kOk;
  PeerReply reply;
  int64_t at_ms = -1;
};

ReplyCallback Record(SimNetwork* net, Outcome* out) {
  return [net, out](DeliveryStatus status, const PeerReply& reply) {
    out->calls++;
    out->status = status;
    out->reply = reply;
    out->at_ms = net->now_ms();
  };
}

// Answers every request with its first argument, counting deliveries.
void InstallEcho(SimNode* node, int* delivered = nullptr) {
  node->SetRequestHandler([delivered](const NodeId&, const PeerRequest& request,
                                      std::function<void(PeerReply)> respond) {
    if (delivered != nullptr) ++*delivered;
    respond(PeerReply::Bulk(request.empty() ? "" : request[0]));
  });
}

class SimNetworkTest : public ::testing::Test {
 protected:
  SimNetworkTest() : net_(42) {
    a_ = net_.AddNode("a");
    b_ = net_.AddNode("b");
    c_ = net_.AddNode("c");
    InstallEcho(a_);
    InstallEcho(b_, &b_delivered_);
    InstallEcho(c_);
  }

  SimNetwork net_;
  SimNode* a_;
  SimNode* b_;
  SimNode* c_;
  int b_delivered_ = 0;
};

TEST_F(SimNetworkTest, RoundTrip) {
  std::vector<std::string> seen;
  b_->SetRequestHandler(
      [&](const NodeId& from, const PeerRequest& request, std::function<void(PeerReply)> respond) {
        seen.push_back(from);
        seen.insert(seen.end(), request.begin(), request.end());
        respond(PeerReply::Status("PONG"));
      });
  Outcome out;
  a_->Send("b", {"PING", "x"}, 1000, Record(&net_, &out));
  EXPECT_EQ(out.calls, 0) << "done must not run inside Send";
  ASSERT_TRUE(net_.RunUntil([&] { return out.calls == 1; }, 10'000));
  EXPECT_EQ(net_.pending_events(), 0u) << "the reply removes the timeout event";
  EXPECT_TRUE(net_.RunUntilIdle(10'000));
  EXPECT_EQ(out.calls, 1);
  EXPECT_EQ(out.status, DeliveryStatus::kOk);
  EXPECT_EQ(out.reply.kind, PeerReply::Kind::kStatus);
  EXPECT_EQ(out.reply.str, "PONG");
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "PING", "x"}));
  // Two one-way trips of 1..5 ms each.
  EXPECT_GE(out.at_ms, 2);
  EXPECT_LE(out.at_ms, 10);
  EXPECT_EQ(net_.stats().sent, 1u);
  EXPECT_EQ(net_.stats().delivered, 1u);
  EXPECT_EQ(net_.stats().replies, 1u);
  EXPECT_EQ(net_.stats().dropped, 0u);
}

TEST_F(SimNetworkTest, DropEverythingTimesOut) {
  net_.set_drop_probability(1.0);
  Outcome out;
  a_->Send("b", {"GET", "k"}, 100, Record(&net_, &out));
  net_.RunUntilIdle(10'000);
  ASSERT_EQ(out.calls, 1);
  EXPECT_EQ(out.status, DeliveryStatus::kTimeout);
  EXPECT_EQ(out.at_ms, 100);
  EXPECT_EQ(b_delivered_, 0);
  EXPECT_EQ(net_.stats().dropped, 1u);
  EXPECT_EQ(net_.stats().timeouts, 1u);
}

TEST_F(SimNetworkTest, LateReplyIsIgnored) {
  // b answers 500 ms after the request arrives; a gives up after 100.
  b_->SetRequestHandler(
      [this](const NodeId&, const PeerRequest&, std::function<void(PeerReply)> respond) {
        b_->After(500, [respond] { respond(PeerReply::Status("LATE")); });
      });
  Outcome out;
  a_->Send("b", {"GET", "k"}, 100, Record(&net_, &out));
  EXPECT_TRUE(net_.RunUntilIdle(10'000));
  ASSERT_EQ(out.calls, 1);
  EXPECT_EQ(out.status, DeliveryStatus::kTimeout);
  EXPECT_EQ(out.at_ms, 100);
  EXPECT_GE(net_.now_ms(), 500) << "the deferred respond ran";
  EXPECT_EQ(net_.stats().replies, 0u);
}

TEST_F(SimNetworkTest, DeferredRespondStillWorks) {
  std::function<void(PeerReply)> saved;
  b_->SetRequestHandler(
      [&](const NodeId&, const PeerRequest&, std::function<void(PeerReply)> respond) {
        saved = std::move(respond);
      });
  Outcome out;
  a_->Send("b", {"SET", "k", "v"}, 1000, Record(&net_, &out));
  ASSERT_TRUE(net_.RunUntil([&] { return saved != nullptr; }, 100));
  b_->After(50, [&] { saved(PeerReply::Status("OK")); });
  net_.RunUntilIdle(10'000);
  ASSERT_EQ(out.calls, 1);
  EXPECT_EQ(out.status, DeliveryStatus::kOk);
  EXPECT_EQ(out.reply.str, "OK");
  EXPECT_GE(out.at_ms, 52);
  // A second respond is a no-op.
  saved(PeerReply::Status("AGAIN"));
  net_.RunUntilIdle(10'000);
  EXPECT_EQ(out.calls, 1);
}

TEST_F(SimNetworkTest, PartitionThenHeal) {
  net_.Partition({"a"}, {"b", "c"});
  EXPECT_FALSE(a_->IsConnected("b"));
  EXPECT_FALSE(b_->IsConnected("a"));
  EXPECT_TRUE(b_->IsConnected("c"));

  Outcome ab, ba, bc;
  a_->Send("b", {"PING"}, 50, Record(&net_, &ab));
  b_->Send("a", {"PING"}, 50, Record(&net_, &ba));
  b_->Send("c", {"PING"}, 50, Record(&net_, &bc));
  net_.RunUntilIdle(10'000);
  EXPECT_EQ(ab.status, DeliveryStatus::kTimeout);
  EXPECT_EQ(ba.status, DeliveryStatus::kTimeout);
  EXPECT_EQ(bc.status, DeliveryStatus::kOk);
  EXPECT_EQ(b_delivered_, 0);

  net_.Heal();
  EXPECT_TRUE(a_->IsConnected("b"));
  Outcome healed;
  a_->Send("b", {"PING"}, 50, Record(&net_, &healed));
  net_.RunUntilIdle(10'000);
  EXPECT_EQ(healed.status, DeliveryStatus::kOk);
  EXPECT_EQ(b_delivered_, 1);
}

TEST_F(SimNetworkTest, PartitionLosesMessagesAlreadyInFlight) {
  Outcome out;
  a_->Send("b", {"PING"}, 50, Record(&net_, &out));
  net_.Partition({"a"}, {"b"});
  net_.RunUntilIdle(10'000);
  EXPECT_EQ(out.status, DeliveryStatus::kTimeout);
  EXPECT_EQ(b_delivered_, 0);
}

TEST_F(SimNetworkTest, OneWayBlock) {
  net_.BlockLink("a", "b");
  EXPECT_FALSE(a_->IsConnected("b"));
  EXPECT_FALSE(b_->IsConnected("a"));
  // a -> b: the request is lost.
  Outcome ab;
  a_->Send("b", {"PING"}, 50, Record(&net_, &ab));
  net_.RunUntilIdle(10'000);
  EXPECT_EQ(ab.status, DeliveryStatus::kTimeout);
  EXPECT_EQ(b_delivered_, 0);
  // b -> a: the request arrives and is applied, but the reply is lost.
  int a_delivered = 0;
  InstallEcho(a_, &a_delivered);
  Outcome ba;
  b_->Send("a", {"PING"}, 50, Record(&net_, &ba));
  net_.RunUntilIdle(10'000);
  EXPECT_EQ(ba.status, DeliveryStatus::kTimeout);
  EXPECT_EQ(a_delivered, 1);

  net_.UnblockLink("a", "b");
  Outcome again;
  a_->Send("b", {"PING"}, 50, Record(&net_, &again));
  net_.RunUntilIdle(10'000);
  EXPECT_EQ(again.status, DeliveryStatus::kOk);
}

TEST_F(SimNetworkTest, UnknownPeerIsUnreachableAsynchronously) {
  Outcome out;
  a_->Send("nobody", {"PING"}, 1000, Record(&net_, &out));
  EXPECT_EQ(out.calls, 0);
  EXPECT_FALSE(a_->IsConnected("nobody"));
  net_.RunUntilIdle(10'000);
  ASSERT_EQ(out.calls, 1);
  EXPECT_EQ(out.status, DeliveryStatus::kUnreachable);
  EXPECT_LE(out.at_ms, 1);
}

TEST_F(SimNetworkTest, CrashIsUnreachableAndRestartRecovers) {
  // A request in flight when b crashes is lost: a times out.
  Outcome in_flight;
  a_->Send("b", {"PING"}, 100, Record(&net_, &in_flight));
  // b's pending timers and its own pending Sends die with it.
  bool b_timer_fired = false;
  b_->After(10, [&] { b_timer_fired = true; });
  Outcome b_pending;
  b_->Send("c", {"PING"}, 100, Record(&net_, &b_pending));
  net_.Crash("b");
  EXPECT_FALSE(net_.IsUp("b"));
  EXPECT_FALSE(a_->IsConnected("b"));

  Outcome to_down, from_down;
  a_->Send("b", {"PING"}, 100, Record(&net_, &to_down));
  b_->Send("a", {"PING"}, 100, Record(&net_, &from_down));
  b_->After(5, [&] { b_timer_fired = true; });
  net_.RunUntilIdle(10'000);
  EXPECT_EQ(in_flight.status, DeliveryStatus::kTimeout);
  EXPECT_EQ(to_down.status, DeliveryStatus::kUnreachable);
  EXPECT_LE(to_down.at_ms, 1);
  EXPECT_EQ(from_down.status, DeliveryStatus::kUnreachable);
  EXPECT_EQ(b_pending.calls, 0) << "a dead node's callbacks never run";
  EXPECT_FALSE(b_timer_fired);
  EXPECT_EQ(b_delivered_, 0);

  // The restarted node has no handler until the test installs one.
  net_.Restart("b");
  EXPECT_TRUE(net_.IsUp("b"));
  EXPECT_TRUE(a_->IsConnected("b"));
  Outcome no_handler;
  a_->Send("b", {"PING"}, 100, Record(&net_, &no_handler));
  net_.RunUntilIdle(10'000);
  EXPECT_EQ(no_handler.status, DeliveryStatus::kUnreachable);

  int delivered = 0;
  InstallEcho(b_, &delivered);
  Outcome after;
  a_->Send("b", {"PING"}, 100, Record(&net_, &after));
  net_.RunUntilIdle(10'000);
  EXPECT_EQ(after.status, DeliveryStatus::kOk);
  EXPECT_EQ(delivered, 1);
}

TEST_F(SimNetworkTest, RespondFromEarlierLifeIsIgnored) {
  std::function<void(PeerReply)> saved;
  b_->SetRequestHandler(
      [&](const NodeId&, const PeerRequest&, std::function<void(PeerReply)> respond) {
        saved = std::move(respond);
      });
  Outcome out;
  a_->Send("b", {"PING"}, 100, Record(&net_, &out));
  ASSERT_TRUE(net_.RunUntil([&] { return saved != nullptr; }, 50));
  net_.Restart("b");
  saved(PeerReply::Status("STALE"));
  net_.RunUntilIdle(10'000);
  EXPECT_EQ(out.status, DeliveryStatus::kTimeout);
}

TEST_F(SimNetworkTest, DuplicatesReachHandlerTwiceDoneOnce) {
  net_.set_duplicate_probability(1.0);
  Outcome out;
  a_->Send("b", {"INCR", "k"}, 1000, Record(&net_, &out));
  net_.RunUntilIdle(10'000);
  EXPECT_EQ(b_delivered_, 2);
  EXPECT_EQ(out.calls, 1);
  EXPECT_EQ(out.status, DeliveryStatus::kOk);
  EXPECT_EQ(net_.stats().duplicated, 1u);
  EXPECT_EQ(net_.stats().delivered, 2u);
  EXPECT_EQ(net_.stats().replies, 1u);
}

TEST_F(SimNetworkTest, HandlersMaySendAndScheduleReentrantly) {
  // b forwards to c and answers a with c's answer.
  b_->SetRequestHandler(
      [this](const NodeId&, const PeerRequest& request, std::function<void(PeerReply)> respond) {
        b_->Send("c", {"FWD", request[0]}, 100,
                 [respond](DeliveryStatus status, const PeerReply& reply) {
                   respond(status == DeliveryStatus::kOk ? reply : PeerReply::Error("ERR"));
                 });
      });
  Outcome out;
  a_->Send("b", {"hello"}, 1000, Record(&net_, &out));
  net_.RunUntilIdle(10'000);
  EXPECT_EQ(out.status, DeliveryStatus::kOk);
  EXPECT_EQ(out.reply.str, "FWD");
  EXPECT_GE(out.at_ms, 4);
}

TEST_F(SimNetworkTest, TimersFireInOrderAtVirtualTimes) {
  std::vector<std::pair<std::string, int64_t>> fired;
  auto note = [&](std::string name) {
    return [&, name] { fired.emplace_back(name, a_->MonotonicMs()); };
  };
  a_->After(30, note("t30"));
  a_->After(10, note("t10a"));
  uint64_t cancelled = a_->After(20, note("t20"));
  a_->After(10, note("t10b"));
  a_->After(-5, note("t0"));
  a_->Cancel(cancelled);
  b_->Cancel(cancelled + 1);  // t10b is a's timer, not b's: no effect
  // A zero-delay timer set from a callback runs after it, not inside it.
  a_->After(15, [&] {
    a_->After(0, note("nested"));
    fired.emplace_back("outer", a_->MonotonicMs());
  });
  net_.RunUntilIdle(10'000);
  std::vector<std::pair<std::string, int64_t>> want = {{"t0", 0},     {"t10a", 10},   {"t10b", 10},
                                                       {"outer", 15}, {"nested", 15}, {"t30", 30}};
  EXPECT_EQ(fired, want);
  EXPECT_EQ(net_.now_ms(), 30);
  a_->Cancel(cancelled);  // already gone: no effect
}

TEST_F(SimNetworkTest, RunForAdvancesTimeAndStopsAtBudget) {
  int ticks = 0;
  std::function<void()> tick = [&] {
    ticks++;
    a_->After(10, tick);
  };
  a_->After(10, tick);
  net_.RunFor(35);
  EXPECT_EQ(ticks, 3);
  EXPECT_EQ(net_.now_ms(), 35);
  EXPECT_FALSE(net_.RunUntilIdle(100)) << "a periodic timer is never idle";
  EXPECT_EQ(net_.now_ms(), 135);
  EXPECT_TRUE(net_.RunUntil([&] { return ticks >= 20; }, 1000));
  EXPECT_EQ(net_.now_ms(), 200);
  EXPECT_FALSE(net_.RunUntil([] { return false; }, 50));
  EXPECT_EQ(net_.now_ms(), 250);
}

TEST_F(SimNetworkTest, ClockSkewAffectsNowMsOnly) {
  net_.RunFor(1234);
  EXPECT_EQ(a_->NowMs(), SimNetwork::kEpochMs + 1234);
  net_.SetClockSkew("b", -5000);
  EXPECT_EQ(b_->NowMs(), a_->NowMs() - 5000);
  EXPECT_EQ(b_->MonotonicMs(), a_->MonotonicMs());
  int64_t fired_at = -1;
  b_->After(100, [&] { fired_at = b_->MonotonicMs(); });
  net_.RunUntilIdle(1000);
  EXPECT_EQ(fired_at, 1334);
}

// Random traffic among five nodes with every fault on; returns what each
// handler saw, when.
std::vector<std::tuple<int64_t, NodeId, NodeId, PeerRequest>> RandomTraffic(uint64_t seed,
                                                                            SimStats* stats) {
  SimNetwork net(seed);
  net.set_latency_range(1, 20);
  net.set_drop_probability(0.1);
  net.set_duplicate_probability(0.1);
  std::vector<NodeId> ids = {"n1", "n2", "n3", "n4", "n5"};
  std::vector<SimNode*> nodes;
  for (const NodeId& id : ids) nodes.push_back(net.AddNode(id));

  std::vector<std::tuple<int64_t, NodeId, NodeId, PeerRequest>> trace;
  for (SimNode* n : nodes) {
    n->SetRequestHandler([&net, &trace, n](const NodeId& from, const PeerRequest& request,
                                           std::function<void(PeerReply)> respond) {
      trace.emplace_back(n->MonotonicMs(), from, n->id(), request);
      n->After(net.Uniform(0, 30), [respond] { respond(PeerReply::Status("OK")); });
    });
  }
  int sends = 0;
  std::function<void(SimNode*)> tick = [&](SimNode* n) {
    if (sends >= 400) return;  // about 440 ms of traffic
    const NodeId& peer = ids[net.Uniform(0, ids.size() - 1)];
    n->Send(peer, {"OP", std::to_string(sends++)}, 50, [](DeliveryStatus, const PeerReply&) {});
    n->After(net.Uniform(1, 10), [&tick, n] { tick(n); });
  };
  for (SimNode* n : nodes) n->After(0, [&tick, n] { tick(n); });
  net.RunFor(300);
  net.Partition({"n1", "n2"}, {"n3", "n4", "n5"});
  net.Crash("n5");
  net.RunFor(300);
  EXPECT_TRUE(net.RunUntilIdle(10'000));
  *stats = net.stats();
  return trace;
}

TEST(SimNetworkDeterminismTest, SameSeedSameTraceDifferentSeedDifferent) {
  SimStats s1, s2, s3;
  auto t1 = RandomTraffic(7, &s1);
  auto t2 = RandomTraffic(7, &s2);
  auto t3 = RandomTraffic(8, &s3);
  EXPECT_GT(t1.size(), 100u);
  EXPECT_EQ(t1, t2);
  EXPECT_NE(t1, t3);
  EXPECT_EQ(s1.sent, s2.sent);
  EXPECT_EQ(s1.delivered, s2.delivered);
  EXPECT_EQ(s1.dropped, s2.dropped);
  EXPECT_EQ(s1.duplicated, s2.duplicated);
  EXPECT_EQ(s1.timeouts, s2.timeouts);
  EXPECT_GT(s1.dropped, 0u);
  EXPECT_GT(s1.duplicated, 0u);
  EXPECT_GT(s1.timeouts, 0u);
  EXPECT_GT(s1.unreachable, 0u);
}

TEST(SimNetworkTracerTest, ReportsEachStep) {
  SimNetwork net(1);
  SimNode* a = net.AddNode("a");
  SimNode* b = net.AddNode("b");
  InstallEcho(b);
  std::vector<std::string> steps;
  net.set_tracer([&](const SimTraceEvent& e) {
    steps.push_back(std::string(SimTraceKindName(e.kind)) + " " + e.from + "->" + e.to + " " +
                    e.request[0]);
  });
  a->Send("b", {"PING"}, 100, [](DeliveryStatus, const PeerReply&) {});
  net.RunUntilIdle(1000);
  EXPECT_EQ(steps,
            (std::vector<std::string>{"send a->b PING", "deliver a->b PING", "reply a->b PING"}));
}

}  // namespace
}  // namespace ringkv::cluster
