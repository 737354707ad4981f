// The quorum coordinator: runs keyed client commands on the N replicas of
// their keys, Dynamo style (DESIGN.md section 1).
//
// A command whose keys all have this node among their replicas is coordinated
// here, in three steps:
//   1. Read phase. RING.FETCH asks each key's other replicas for their causal
//      state, and every answer is merged into this replica as it arrives. The
//      phase ends once R replicas (this one included) have answered for every
//      key. Blind writes (a plain SET, SETEX, PSETEX, MSET) skip it: their
//      result does not depend on the old value, and writing with this
//      replica's context is what a Dynamo coordinator does; a concurrent
//      version another replica holds becomes a sibling, never a loss.
//   2. The command runs on this replica (commands::Execute), so it sees the
//      merged state, and a write supersedes everything the quorum had seen.
//   3. Write phase. For each key the command changed, RING.MERGE sends the
//      key's new state to its other replicas. The reply leaves once W
//      replicas (this one included) hold it for every key and this node's own
//      write is in its log; the remaining replicas finish in the background.
// Read repair: after a read, every replica that answered with less than the
// merged state is sent the merged state, including one that answers after the
// client has had its reply.
//
// Routing. A command whose keys this node does not replicate is forwarded with
// RING.FORWARD to the first reachable replica, which coordinates it: one hop,
// since a forwarded command is never forwarded again. MGET, MSET, DEL, EXISTS,
// UNLINK and TOUCH over keys of different replica sets are split into one
// command per key and their replies gathered; any other command over keys that
// no single node replicates is refused with an error that says so.
//
// Failures are reported, never hidden: a phase that cannot reach its quorum
// answers NOQUORUM, naming each replica that failed and why, and a failed
// write says it may be applied on the replicas that answered.
//
// Internal commands, all idempotent (merging a state twice is merging it once):
//   RING.FETCH db key [field ...]                    -> [key-object, field, object, ...]
//       (with fields: only those fields; HSET and HGET need no more, and a
//       replica then answers with point reads instead of scanning the hash)
//   RING.FETCHMANY db count [size key [field ...]] ...
//       -> [size key-object [field object ...]] ... : several keys' states in
//       one message (a request's size counts its fields, 0 for the whole
//       key; a reply's counts the elements that follow it). The read phases
//       of the commands run in one event-loop turn share one per peer.
//   RING.MERGE db key key-object [field object ...]  -> +OK once in the log
//   RING.MERGEMANY db count [size key key-object [field object ...]] ...
//       -> +OK once in the log: several keys in one message (size counts the
//       key-object and field/object elements). The write phases of all the
//       commands run in one event-loop turn share one such message per peer
//       (see FlushMerges), so a pipelining client costs each replica one
//       request and one ack per turn, not one per command.
//   RING.FORWARD db protocol origin command [arg ...] -> the encoded reply, as a bulk
//   RING.LOCALEXEC db command [arg ...]              -> the RESP2 reply of a
//       cluster-wide command (KEYS, SCAN, ...) run on that node's data alone
//
// Cluster-wide commands. When every node replicates every key (N >= members)
// KEYS, SCAN, DBSIZE and RANDOMKEY run on this node's replica, exactly as on
// a single node. Otherwise KEYS and DBSIZE gather every reachable node's keys
// and count each key once; RANDOMKEY asks this node, then the others; SCAN
// pages through the hash space in ring order, asking for each stretch of it
// one node that replicates the whole stretch (this one when it can), so its
// cursor, a key hash, covers the cluster and returns each key once. FLUSHDB
// and FLUSHALL run on every node and fail, naming the nodes, unless all do.
// A key-object is "" when the replica never saw the key.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cluster/ring.h"
#include "cluster/transport.h"
#include "commands/context.h"

namespace ringkv::cluster {

class Coordinator : public commands::KeyRouter {
 public:
  struct Options {
    NodeId self;
    size_t replicas = 3;      // N
    size_t write_quorum = 2;  // W
    size_t read_quorum = 2;   // R
    // Deadline of one request to one replica. A forwarded command gets twice
    // this plus a margin, since its coordinator waits on replicas too.
    int64_t request_timeout_ms = 1000;
  };

  // Counters for INFO; they only grow.
  struct Stats {
    uint64_t coordinated = 0;      // commands coordinated here
    uint64_t forwarded = 0;        // commands sent to another replica
    uint64_t forwarded_in = 0;     // commands peers forwarded here
    uint64_t split = 0;            // multi-key commands split per key
    uint64_t read_repairs = 0;     // stale replicas sent the merged state
    uint64_t noquorum_reads = 0;   // read phases that missed R
    uint64_t noquorum_writes = 0;  // write phases that missed W
    uint64_t fetches_served = 0;   // RING.FETCH answered
    uint64_t merges_served = 0;    // RING.MERGE applied
    uint64_t merge_rejected = 0;   // RING.MERGE with a corrupt state
  };

  // Runs `fn` once every write staged so far is durable in this node's log
  // (the server runs it after its next commit). Acks and replies wait on it.
  using AfterCommit = std::function<void(std::function<void()> fn)>;

  // Every pointer must outlive the coordinator; the ring is read, never
  // changed, by it. The server context supplies the keyspace and the command
  // table's execution.
  Coordinator(Options options, const Ring* ring, Transport* transport, Clock* clock,
              commands::ServerContext* server, AfterCommit after_commit);
  ~Coordinator() override;

  // commands::KeyRouter.
  void Route(uint64_t client_id, int db, int protocol, std::span<const std::string_view> args,
             std::function<void(std::string reply)> done) override;
  std::vector<std::string> PreferenceList(std::string_view key) const override;
  size_t NumMembers() const override { return ring_->NumMembers(); }
  size_t NumAlive() const override;
  void AppendInfo(std::string* out) const override;

  // Serves RING.FETCH, RING.MERGE and RING.FORWARD from peers (install it as
  // the transport's request handler).
  void HandlePeerRequest(const NodeId& from, const PeerRequest& request,
                         std::function<void(PeerReply)> respond);

  // N, W and R capped at the member count.
  size_t effective_replicas() const;
  size_t effective_write_quorum() const;
  size_t effective_read_quorum() const;

  const Stats& stats() const { return stats_; }

 private:
  struct Command {
    int db = 0;
    int protocol = 2;
    std::vector<std::string> args;
    bool forwarded = false;  // arrived with RING.FORWARD: coordinate here, whatever the ring says
    // The client the command came from ("c<id>", or "<node>/c<id>" when
    // forwarded): one origin's commands run on this replica in arrival order.
    std::string origin;
  };
  using Done = std::function<void(std::string reply)>;
  struct Op;
  // Where the ring places a key: its replicas in preference-list order, and
  // those other than this node. One is shared by every key whose hash starts
  // at the same token position (see PlacementOf).
  struct Placement {
    std::vector<NodeId> replicas;
    std::vector<NodeId> others;
    bool local = false;  // this node is among the replicas
  };
  // A replica's wire state of a key (see LocalState); shared, so an answer
  // equal to this replica's export is kept without copying it.
  using SharedState = std::shared_ptr<const std::vector<std::string>>;
  // One replica's answer for one key of a read phase: its state, or why
  // there is none.
  struct FetchAnswer {
    bool ok = false;
    std::span<const std::string> state;  // when ok
    std::string failure;                 // when not ok
  };
  static FetchAnswer AnswerOf(DeliveryStatus status, const PeerReply& reply);

  void Run(Command command, Done done);
  void Coordinate(std::shared_ptr<Op> op);
  void OnFetchReply(const std::shared_ptr<Op>& op, size_t key_index, const NodeId& peer,
                    const FetchAnswer& answer);
  // Runs the commands of `origin` whose read phase is over, in arrival order,
  // up to the first still reading.
  void ExecuteInOrder(const std::string& origin);
  void ExecuteLocally(const std::shared_ptr<Op>& op);
  void OnMergeReply(const std::shared_ptr<Op>& op, size_t key_index, const NodeId& peer,
                    DeliveryStatus status, const PeerReply& reply);
  // Replies to the client once this node's writes are in its log: with
  // `reply`, or with the command's own reply (op->reply) if `reply` is empty.
  void Finish(const std::shared_ptr<Op>& op, std::string reply);
  void Forward(Command command, std::vector<NodeId> candidates, size_t next, std::string failures,
               Done done);
  void Split(Command command, const std::vector<int>& key_positions, Done done);
  void RunClusterWide(Command command, const commands::CommandSpec* spec, Done done);
  void ScanPage(Command command, Done done);
  // Runs a command on this node's data alone and returns its encoded reply.
  std::string ExecuteHere(int db, int protocol, const std::vector<std::string>& args,
                          const commands::CommandSpec& spec);
  // Runs `args` (RESP2) on `node`'s data alone: here, or with RING.LOCALEXEC.
  void ExecuteOn(const NodeId& node, int db, std::vector<std::string> args,
                 std::function<void(bool ok, std::string reply, std::string failure)> done);

  // This replica's state of `key` in the wire form of RING.FETCH's reply: the
  // whole key, or the key object and only `fields` when the command names its
  // hash fields (non-null `fields`).
  std::vector<std::string> LocalState(int db, std::string_view key,
                                      const std::vector<std::string>* fields = nullptr);
  // LocalState of op->keys[key_index], reusing the last export while no row of
  // this replica has changed since.
  const SharedState& CurrentState(const std::shared_ptr<Op>& op, size_t key_index);
  // Merges a peer's wire state into this replica; false if it is malformed.
  bool MergeState(int db, std::string_view key, std::span<const std::string> wire);
  // Sends this replica's state of `key` to `peer` if `peer_state` lacks any of it.
  void RepairIfStale(int db, const std::string& key, const std::vector<std::string>* fields,
                     const NodeId& peer, std::span<const std::string> peer_state);
  void SendMerge(const NodeId& peer, int db, const std::string& key,
                 const std::vector<std::string>& state, ReplyCallback done);
  // Queues `key`'s new `state` (from op->keys[key_index]) for `peer` in this
  // turn's merge batch; its ack or failure reaches OnMergeReply.
  void QueueMerge(const NodeId& peer, const std::shared_ptr<Op>& op, size_t key_index,
                  const std::vector<std::string>& state);
  // Queues a read of op->keys[key_index] (its op->fields, if any) from
  // `peer` in this turn's fetch batch; the answer reaches OnFetchReply.
  void QueueFetch(const NodeId& peer, const std::shared_ptr<Op>& op, size_t key_index);
  // Sends every queued batch: one RING.MERGE(MANY) and one RING.FETCH(MANY)
  // per (peer, db).
  void FlushBatches();
  // Schedules FlushBatches for the start of the next loop turn (once).
  void ScheduleFlush();
  // The replicas of the hashes at ring token position `position` (see
  // Ring::TokenPosition), in preference-list order; this node alone on an
  // empty ring.
  std::vector<NodeId> ReplicasAt(size_t position) const;
  // The placement of `key`, from a cache per token position that is rebuilt
  // when the ring changes: the hot path neither walks the ring nor copies
  // node ids.
  std::shared_ptr<const Placement> PlacementOf(std::string_view key);
  std::string ErrorReply(int protocol, std::string_view message) const;

  Options options_;
  const Ring* ring_;
  Transport* transport_;
  Clock* clock_;
  commands::ServerContext* server_;
  AfterCommit after_commit_;
  Stats stats_;
  // Per origin, the commands coordinated here that have not run locally yet.
  // An origin's queue stays when it empties (a client's next command reuses
  // it rather than allocating anew); empty ones are dropped in a sweep once
  // the map has doubled since the last (see ExecuteInOrder).
  std::unordered_map<std::string, std::deque<std::shared_ptr<Op>>> order_;
  size_t order_sweep_at_ = 1024;
  // PlacementOf's cache: one entry per token position, filled on first use,
  // for the ring as it was at placements_version_.
  std::vector<std::shared_ptr<const Placement>> placements_;
  uint64_t placements_version_ = 0;
  // Read-phase fetches and write-phase merges queued this turn, one batch per
  // (peer, db) of each kind, sent by FlushBatches from a zero-delay timer (or
  // sooner when a batch is full).
  struct Batch {
    NodeId peer;
    int db = 0;
    size_t keys = 0;
    size_t bytes = 0;
    PeerRequest request;  // starts with 3 slots for name, db and count
    std::vector<std::pair<std::shared_ptr<Op>, size_t>> waiters;  // (op, key index)
  };
  // The batch of `batches` for (peer, db), created if needed.
  static Batch& BatchFor(std::vector<Batch>* batches, const NodeId& peer, int db);
  // Records that op->keys[key_index] waits on `batch` (whose request already
  // carries it); true if the batch is now full and must be sent.
  static bool AddWaiter(Batch* batch, const std::shared_ptr<Op>& op, size_t key_index);
  // Fills a batch's three leading request slots: `single` db ... for one
  // key (dropping the count and size slots), else `many` db count ....
  static void SealBatch(Batch* batch, const char* single, const char* many);
  void SendMerges(std::vector<Batch> batches);
  void SendFetches(std::vector<Batch> batches);
  std::vector<Batch> merge_batches_;
  std::vector<Batch> fetch_batches_;
  uint64_t flush_timer_ = 0;  // the pending FlushBatches timer, 0 if none
};

}  // namespace ringkv::cluster
