#include "cluster/coordinator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <optional>
#include <utility>

#include "commands/dispatcher.h"
#include "resp/reply_builder.h"
#include "resp/reply_parser.h"

namespace ringkv::cluster {

namespace {

bool ParseInt(std::string_view s, int64_t* out) {
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Why a request to a replica brought no usable answer, as error texts show it.
std::string FailureReason(DeliveryStatus status, const PeerReply& reply) {
  if (status != DeliveryStatus::kOk) return DeliveryStatusName(status);
  if (reply.kind == PeerReply::Kind::kError) return reply.str;
  return "unexpected reply";
}

}  // namespace

// A replica's answer to a read of one key: an array is its state; anything
// else is a failure, an unexpected kind of reply a malformed state.
Coordinator::FetchAnswer Coordinator::AnswerOf(DeliveryStatus status, const PeerReply& reply) {
  FetchAnswer answer;
  answer.ok = status == DeliveryStatus::kOk && reply.kind == PeerReply::Kind::kArray;
  if (answer.ok) {
    answer.state = reply.elements;
  } else if (status == DeliveryStatus::kOk && reply.kind != PeerReply::Kind::kError) {
    answer.failure = "malformed state";
  } else {
    answer.failure = FailureReason(status, reply);
  }
  return answer;
}

namespace {

void AppendFailure(std::string* failures, const NodeId& peer, std::string_view reason) {
  if (!failures->empty()) *failures += ", ";
  *failures += peer;
  *failures += ": ";
  failures->append(reason);
}

// Commands whose result does not depend on what the key held: they skip the
// read phase. SET only without the options that read the old value.
bool IsBlindWrite(std::string_view name, const std::vector<std::string>& args) {
  if (name == "setex" || name == "psetex" || name == "mset") return true;
  if (name != "set") return false;
  for (size_t i = 3; i < args.size(); ++i) {
    const std::string& option = args[i];
    if (EqualsIgnoreCase(option, "nx") || EqualsIgnoreCase(option, "xx") ||
        EqualsIgnoreCase(option, "get") || EqualsIgnoreCase(option, "keepttl")) {
      return false;
    }
  }
  return true;
}

// Multi-key commands that mean the same run one key at a time, and how their
// per-key replies combine.
enum class Gather { kNone, kArray, kSum, kOk };

Gather GatherOf(std::string_view name) {
  if (name == "mget") return Gather::kArray;
  if (name == "del" || name == "unlink" || name == "exists" || name == "touch") return Gather::kSum;
  if (name == "mset") return Gather::kOk;
  return Gather::kNone;
}

std::vector<std::string> ToWire(const storage::Keyspace::KeyState& state) {
  std::vector<std::string> wire;
  wire.reserve(1 + 2 * state.fields.size());
  wire.push_back(state.key_object);
  for (const auto& [field, object] : state.fields) {
    wire.push_back(field);
    wire.push_back(object);
  }
  return wire;
}

bool FromWire(std::span<const std::string> wire, storage::Keyspace::KeyState* state) {
  if (wire.empty() || wire.size() % 2 != 1) return false;
  state->key_object = wire[0];
  state->fields.clear();
  for (size_t i = 1; i + 1 < wire.size(); i += 2) state->fields.emplace_back(wire[i], wire[i + 1]);
  return true;
}

// True if two wire states hold the same objects (fields may come in any
// order: each replica lists them in its own insertion order).
bool SameState(std::span<const std::string> a, std::span<const std::string> b) {
  if (a.size() != b.size()) return false;
  if (std::equal(a.begin(), a.end(), b.begin())) return true;
  if (a.empty() || a[0] != b[0]) return false;
  auto pairs = [](std::span<const std::string> wire) {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    for (size_t i = 1; i + 1 < wire.size(); i += 2) out.emplace_back(wire[i], wire[i + 1]);
    std::sort(out.begin(), out.end());
    return out;
  };
  return pairs(a) == pairs(b);
}

// True if a well-formed COPY names an existing destination database other
// than the client's (this ring does not replicate across databases). A
// malformed one is left to COPY itself, so it gets Redis's error.
bool CopiesToAnotherDb(int db, const std::vector<std::string>& args, int num_databases) {
  int64_t target = db;
  for (size_t i = 3; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "replace")) continue;
    if (EqualsIgnoreCase(args[i], "db") && i + 1 < args.size() && ParseInt(args[i + 1], &target)) {
      ++i;
      continue;
    }
    return false;
  }
  return target != db && target >= 0 && target < num_databases;
}

}  // namespace

// One command coordinated here: its keys, the replicas of each and the
// progress of the current phase.
struct Coordinator::Op {
  enum class Phase { kRead, kWrite, kDone };
  struct Key {
    std::string key;
    std::shared_ptr<const Placement> placement;
    // The key's replicas other than this node.
    const std::vector<NodeId>& others() const { return placement->others; }
    size_t needed = 0;  // answers wanted from others() in this phase
    size_t answered = 0;
    size_t failed = 0;
    std::vector<std::pair<NodeId, std::string>> failures;  // (replica, why)
    // "node2: timeout, node3: unreachable", in preference-list order.
    std::string FailureList() const {
      std::string out;
      for (const NodeId& node : others()) {
        for (const auto& [peer, reason] : failures) {
          if (peer == node) AppendFailure(&out, peer, reason);
        }
      }
      return out;
    }
    bool met = false;
    bool replicated = false;  // the command changed it: its write phase sends it
    // This replica's state of the key, as LocalState last exported it while
    // the keyspace's rows_staged() was local_version (see CurrentState).
    SharedState local;
    uint64_t local_version = UINT64_MAX;
    // The states replicas answered with in the read phase (for read repair).
    std::vector<std::pair<NodeId, SharedState>> answers;
  };
  Command command;
  const commands::CommandSpec* spec = nullptr;
  Done done;
  // The command's own reply once it ran here; Finish sends it, or the error
  // it is given instead.
  std::string reply;
  std::vector<Key> keys;
  // The hash fields the command names when it has one key and names them
  // (HSET, HGET, ...): only these travel. Null: the whole key.
  std::optional<std::vector<std::string>> fields;
  const std::vector<std::string>* scope() const { return fields ? &*fields : nullptr; }
  size_t unmet = 0;  // keys whose phase quorum is not met yet
  Phase phase = Phase::kRead;
  bool read_done = false;  // may run locally once earlier commands of its origin have
};

Coordinator::Coordinator(Options options, const Ring* ring, Transport* transport, Clock* clock,
                         commands::ServerContext* server, AfterCommit after_commit)
    : options_(std::move(options)),
      ring_(ring),
      transport_(transport),
      clock_(clock),
      server_(server),
      after_commit_(std::move(after_commit)) {}

Coordinator::~Coordinator() {
  if (flush_timer_ != 0) clock_->Cancel(flush_timer_);
}

size_t Coordinator::effective_replicas() const {
  return std::max<size_t>(1, std::min(options_.replicas, ring_->NumMembers()));
}
size_t Coordinator::effective_write_quorum() const {
  return std::min(options_.write_quorum, effective_replicas());
}
size_t Coordinator::effective_read_quorum() const {
  return std::min(options_.read_quorum, effective_replicas());
}

std::vector<NodeId> Coordinator::ReplicasAt(size_t position) const {
  std::vector<NodeId> nodes = ring_->PreferenceListAt(position, effective_replicas());
  if (nodes.empty()) nodes.push_back(options_.self);  // an empty ring: only this node
  return nodes;
}

std::vector<std::string> Coordinator::PreferenceList(std::string_view key) const {
  return ReplicasAt(ring_->TokenPosition(Ring::HashKey(key)));
}

std::shared_ptr<const Coordinator::Placement> Coordinator::PlacementOf(std::string_view key) {
  const size_t positions = std::max<size_t>(1, ring_->NumTokens());
  if (placements_version_ != ring_->version() || placements_.size() != positions) {
    placements_.assign(positions, nullptr);
    placements_version_ = ring_->version();
  }
  // An empty ring has one position (0).
  const size_t position = ring_->TokenPosition(Ring::HashKey(key));
  std::shared_ptr<const Placement>& cached = placements_[position];
  if (cached == nullptr) {
    auto placement = std::make_shared<Placement>();
    placement->replicas = ReplicasAt(position);
    for (const NodeId& node : placement->replicas) {
      if (node == options_.self) {
        placement->local = true;
      } else {
        placement->others.push_back(node);
      }
    }
    cached = std::move(placement);
  }
  return cached;
}

size_t Coordinator::NumAlive() const {
  size_t alive = 0;
  for (const NodeId& node : ring_->Members()) {
    if (node == options_.self || transport_->IsConnected(node)) ++alive;
  }
  return alive;
}

void Coordinator::AppendInfo(std::string* out) const {
  auto field = [out](std::string_view name, uint64_t value) {
    out->append(name);
    *out += ':';
    *out += std::to_string(value);
    *out += "\r\n";
  };
  field("ring_request_timeout_ms", static_cast<uint64_t>(options_.request_timeout_ms));
  field("ring_coordinated", stats_.coordinated);
  field("ring_forwarded", stats_.forwarded);
  field("ring_forwarded_in", stats_.forwarded_in);
  field("ring_split_commands", stats_.split);
  field("ring_read_repairs", stats_.read_repairs);
  field("ring_noquorum_reads", stats_.noquorum_reads);
  field("ring_noquorum_writes", stats_.noquorum_writes);
  field("ring_fetches_served", stats_.fetches_served);
  field("ring_merges_served", stats_.merges_served);
  field("ring_merges_rejected", stats_.merge_rejected);
}

std::string Coordinator::ErrorReply(int protocol, std::string_view message) const {
  std::string out;
  resp::ReplyBuilder builder(&out);
  builder.set_protocol(protocol);
  builder.Error(message);
  return out;
}

void Coordinator::Route(uint64_t client_id, int db, int protocol,
                        std::span<const std::string_view> args,
                        std::function<void(std::string reply)> done) {
  Command command;
  command.origin = "c" + std::to_string(client_id);
  command.db = db;
  command.protocol = protocol;
  command.args.assign(args.begin(), args.end());
  Run(std::move(command), std::move(done));
}

void Coordinator::Run(Command command, Done done) {
  std::vector<std::string_view> views(command.args.begin(), command.args.end());
  std::string error;
  const commands::CommandSpec* spec = commands::Resolve(views, &error);
  if (spec == nullptr) {
    done(ErrorReply(command.protocol, error));
    return;
  }
  const std::vector<int> positions =
      commands::CommandTable::KeyPositions(*spec, static_cast<int>(views.size()));
  if (spec->flags & commands::kClusterWide) {
    RunClusterWide(std::move(command), spec, std::move(done));
    return;
  }
  if (spec->name == "copy" &&
      CopiesToAnotherDb(command.db, command.args, server_->keyspace->num_databases())) {
    done(ErrorReply(command.protocol,
                    "ERR COPY with DB is not supported in cluster mode (see the README's "
                    "cluster section)"));
    return;
  }

  auto op = std::make_shared<Op>();
  // Distinct keys, in argument order, with their replicas.
  bool all_local = true;
  op->keys.reserve(positions.size());
  for (int position : positions) {
    const std::string& key = command.args[position];
    if (std::any_of(op->keys.begin(), op->keys.end(),
                    [&](const Op::Key& k) { return k.key == key; })) {
      continue;
    }
    Op::Key& entry = op->keys.emplace_back();
    entry.key = key;
    entry.placement = PlacementOf(key);
    all_local = all_local && entry.placement->local;
  }

  if (all_local || command.forwarded || op->keys.empty()) {
    const std::vector<int> field_positions =
        commands::CommandTable::FieldPositions(*spec, static_cast<int>(command.args.size()));
    if (!field_positions.empty() && op->keys.size() == 1) {
      op->fields.emplace();
      for (int position : field_positions) op->fields->push_back(command.args[position]);
    }
    op->command = std::move(command);
    op->spec = spec;
    op->done = std::move(done);
    Coordinate(std::move(op));
    return;
  }
  if (op->keys.size() > 1 && GatherOf(spec->name) != Gather::kNone) {
    Split(std::move(command), positions, std::move(done));
    return;
  }
  // Forward to a node that replicates every key, reachable ones first, in the
  // first key's preference-list order.
  std::vector<NodeId> candidates;
  for (const NodeId& node : op->keys[0].placement->replicas) {
    const bool everywhere = std::all_of(op->keys.begin(), op->keys.end(), [&](const Op::Key& k) {
      const std::vector<NodeId>& replicas = k.placement->replicas;
      return std::find(replicas.begin(), replicas.end(), node) != replicas.end();
    });
    if (everywhere) candidates.push_back(node);
  }
  if (candidates.empty()) {
    done(ErrorReply(command.protocol,
                    "ERR the keys of this command live on different replica sets, so it cannot "
                    "run in cluster mode (see the README's cluster section)"));
    return;
  }
  std::stable_partition(candidates.begin(), candidates.end(),
                        [this](const NodeId& node) { return transport_->IsConnected(node); });
  Forward(std::move(command), std::move(candidates), 0, "", std::move(done));
}

void Coordinator::Forward(Command command, std::vector<NodeId> candidates, size_t next,
                          std::string failures, Done done) {
  if (next >= candidates.size()) {
    done(ErrorReply(command.protocol,
                    "NOQUORUM no replica of this key is reachable (" + failures + ")"));
    return;
  }
  ++stats_.forwarded;
  PeerRequest request;
  request.reserve(command.args.size() + 3);
  request.push_back("RING.FORWARD");
  request.push_back(std::to_string(command.db));
  request.push_back(std::to_string(command.protocol));
  request.push_back(command.origin);
  for (const std::string& arg : command.args) request.push_back(arg);
  const NodeId peer = candidates[next];
  transport_->Send(
      peer, std::move(request), 2 * options_.request_timeout_ms + 500,
      [this, command = std::move(command), candidates = std::move(candidates), next,
       failures = std::move(failures), done = std::move(done),
       peer](DeliveryStatus status, const PeerReply& reply) mutable {
        if (status == DeliveryStatus::kOk && reply.kind == PeerReply::Kind::kBulk) {
          done(reply.str);
          return;
        }
        if (status == DeliveryStatus::kUnreachable) {
          // Never sent: another replica may take it.
          AppendFailure(&failures, peer, "unreachable");
          Forward(std::move(command), std::move(candidates), next + 1, std::move(failures),
                  std::move(done));
          return;
        }
        if (status == DeliveryStatus::kTimeout) {
          done(ErrorReply(command.protocol,
                          "NOQUORUM the command was forwarded to replica " + peer +
                              ", which did not answer in time; it may have been applied"));
          return;
        }
        done(ErrorReply(command.protocol, "NOQUORUM replica " + peer + " refused the command (" +
                                              FailureReason(status, reply) + ")"));
      });
}

void Coordinator::Split(Command command, const std::vector<int>& key_positions, Done done) {
  ++stats_.split;
  std::vector<std::string_view> views(command.args.begin(), command.args.end());
  std::string error;
  const Gather gather = GatherOf(commands::Resolve(views, &error)->name);
  struct Gathered {
    std::vector<std::string> replies;
    size_t pending = 0;
    int protocol = 2;
    Gather gather = Gather::kNone;
    Done done;
  };
  auto state = std::make_shared<Gathered>();
  state->replies.resize(key_positions.size());
  state->pending = key_positions.size();
  state->protocol = command.protocol;
  state->gather = gather;
  state->done = std::move(done);
  auto finish = [this](Gathered& g) {
    // Sub-commands ran with RESP2 so their replies parse the same way.
    std::vector<resp::Reply> parsed(g.replies.size());
    for (size_t i = 0; i < g.replies.size(); ++i) {
      resp::ReplyParser parser;
      parser.Feed(g.replies[i]);
      if (parser.Next(&parsed[i]) != resp::ReplyParser::Result::kReply) {
        g.done(ErrorReply(g.protocol, "ERR malformed reply from a replica"));
        return;
      }
      if (parsed[i].type == resp::Reply::Type::kError) {
        g.done(ErrorReply(g.protocol, parsed[i].str));
        return;
      }
    }
    std::string out;
    resp::ReplyBuilder builder(&out);
    builder.set_protocol(g.protocol);
    if (g.gather == Gather::kArray) {
      builder.ArrayHeader(parsed.size());
      for (const resp::Reply& reply : parsed) {
        if (reply.type == resp::Reply::Type::kArray && !reply.elements.empty() &&
            reply.elements[0].type == resp::Reply::Type::kBulk) {
          builder.Bulk(reply.elements[0].str);
        } else {
          builder.Null();
        }
      }
    } else if (g.gather == Gather::kSum) {
      int64_t sum = 0;
      for (const resp::Reply& reply : parsed) sum += reply.integer;
      builder.Integer(sum);
    } else {
      builder.Ok();
    }
    g.done(std::move(out));
  };
  for (size_t i = 0; i < key_positions.size(); ++i) {
    Command sub;
    sub.db = command.db;
    sub.protocol = 2;
    sub.origin = command.origin;
    sub.args.push_back(command.args[0]);
    sub.args.push_back(command.args[key_positions[i]]);
    if (gather == Gather::kOk) sub.args.push_back(command.args[key_positions[i] + 1]);
    Run(std::move(sub), [state, i, finish](std::string reply) {
      state->replies[i] = std::move(reply);
      if (--state->pending == 0) finish(*state);
    });
  }
}

std::string Coordinator::ExecuteHere(int db, int protocol, const std::vector<std::string>& args,
                                     const commands::CommandSpec& spec) {
  commands::ClientState client;
  client.db = db;
  client.protocol = protocol;
  client.authenticated = true;
  std::string out;
  resp::ReplyBuilder builder(&out);
  builder.set_protocol(protocol);
  const int64_t now_ms = clock_->NowMs();
  server_->keyspace->set_now_ms(now_ms);
  std::vector<std::string_view> views(args.begin(), args.end());
  commands::ExecContext ctx(*server_, client, views, builder, now_ms);
  commands::Execute(ctx, spec);
  return out;
}

void Coordinator::ExecuteOn(
    const NodeId& node, int db, std::vector<std::string> args,
    std::function<void(bool ok, std::string reply, std::string failure)> done) {
  if (node == options_.self) {
    std::vector<std::string_view> views(args.begin(), args.end());
    std::string error;
    const commands::CommandSpec* spec = commands::Resolve(views, &error);
    if (spec == nullptr) {
      done(false, "", error);
      return;
    }
    done(true, ExecuteHere(db, 2, args, *spec), "");
    return;
  }
  PeerRequest request{"RING.LOCALEXEC", std::to_string(db)};
  request.insert(request.end(), args.begin(), args.end());
  transport_->Send(node, std::move(request), options_.request_timeout_ms,
                   [done = std::move(done)](DeliveryStatus status, const PeerReply& reply) {
                     if (status == DeliveryStatus::kOk && reply.kind == PeerReply::Kind::kBulk) {
                       done(true, reply.str, "");
                     } else {
                       done(false, "", FailureReason(status, reply));
                     }
                   });
}

void Coordinator::RunClusterWide(Command command, const commands::CommandSpec* spec, Done done) {
  const std::string_view name = spec->name;
  const bool everywhere = effective_replicas() >= ring_->NumMembers();
  const bool flush = name == "flushdb" || name == "flushall";
  if (name == "scan") {
    ScanPage(std::move(command), std::move(done));
    return;
  }
  if (everywhere && !flush) {
    done(ExecuteHere(command.db, command.protocol, command.args, *spec));
    return;
  }
  // Ask every member; KEYS and DBSIZE gather keys, so each counts once.
  std::vector<std::string> args = command.args;
  if (name == "dbsize") args = {"KEYS", "*"};
  struct Gathered {
    size_t pending = 0;
    size_t answered = 0;
    std::vector<std::pair<NodeId, std::string>> replies;
    std::vector<std::pair<NodeId, std::string>> failures;
  };
  auto gathered = std::make_shared<Gathered>();
  const std::vector<NodeId> members = ring_->Members();
  gathered->pending = members.size();
  auto finish = [this, gathered, command, name = std::string(name), flush, done,
                 members_count = members.size()]() {
    std::string failures;
    for (const auto& [peer, why] : gathered->failures) AppendFailure(&failures, peer, why);
    std::string out;
    resp::ReplyBuilder builder(&out);
    builder.set_protocol(command.protocol);
    if (flush) {
      // Every node checks the arguments the same way: a malformed FLUSHDB is
      // refused by all of them, with Redis's error.
      for (const auto& [peer, bytes] : gathered->replies) {
        if (!bytes.empty() && bytes[0] == '-') {
          done(ErrorReply(command.protocol, std::string_view(bytes).substr(1, bytes.size() - 3)));
          return;
        }
      }
      if (gathered->failures.empty()) {
        builder.Ok();
      } else {
        builder.Error("NOQUORUM flush reached " + std::to_string(gathered->answered) + " of " +
                      std::to_string(members_count) + " nodes (" + failures +
                      "); the nodes that answered were flushed");
      }
      done(std::move(out));
      return;
    }
    // A node's reply that is an error (a bad pattern, say) is the answer.
    std::vector<resp::Reply> parsed;
    for (const auto& [peer, bytes] : gathered->replies) {
      resp::ReplyParser parser;
      parser.Feed(bytes);
      resp::Reply reply;
      if (parser.Next(&reply) != resp::ReplyParser::Result::kReply) continue;
      if (reply.type == resp::Reply::Type::kError) {
        done(ErrorReply(command.protocol, reply.str));
        return;
      }
      parsed.push_back(std::move(reply));
    }
    if (name == "randomkey") {
      for (const resp::Reply& reply : parsed) {
        if (reply.type == resp::Reply::Type::kBulk) {
          builder.Bulk(reply.str);
          done(std::move(out));
          return;
        }
      }
      builder.Null();
      done(std::move(out));
      return;
    }
    std::vector<std::string> keys;
    for (const resp::Reply& reply : parsed) {
      for (const resp::Reply& key : reply.elements) keys.push_back(key.str);
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    if (name == "dbsize") {
      builder.Integer(static_cast<int64_t>(keys.size()));
    } else {
      builder.ArrayHeader(keys.size());
      for (const std::string& key : keys) builder.Bulk(key);
    }
    done(std::move(out));
  };
  // This node first, so RANDOMKEY prefers a local key.
  std::vector<NodeId> order{options_.self};
  for (const NodeId& member : members) {
    if (member != options_.self) order.push_back(member);
  }
  gathered->replies.reserve(order.size());
  for (const NodeId& member : order) {
    ExecuteOn(member, command.db, args,
              [gathered, member, finish](bool ok, std::string reply, std::string failure) {
                if (ok) {
                  ++gathered->answered;
                  gathered->replies.emplace_back(member, std::move(reply));
                } else {
                  gathered->failures.emplace_back(member, std::move(failure));
                }
                if (--gathered->pending == 0) finish();
              });
  }
}

void Coordinator::ScanPage(Command command, Done done) {
  uint64_t cursor = 0;
  const std::string& text = command.args[1];
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), cursor);
  const bool everywhere = effective_replicas() >= ring_->NumMembers();
  if (everywhere || ec != std::errc() || ptr != text.data() + text.size()) {
    // One node holds the whole keyspace (or the cursor is invalid, which the
    // local SCAN reports with Redis's error).
    std::vector<std::string_view> views(command.args.begin(), command.args.end());
    std::string error;
    done(
        ExecuteHere(command.db, command.protocol, command.args, *commands::Resolve(views, &error)));
    return;
  }
  // The node to ask: this one if it replicates the cursor's hash, else the
  // first reachable replica; and the stretch of hashes around the cursor that
  // node replicates without a break.
  const std::vector<NodeId> replicas = ring_->PreferenceList(cursor, effective_replicas());
  NodeId target = replicas.empty() ? options_.self : replicas[0];
  if (std::find(replicas.begin(), replicas.end(), options_.self) != replicas.end()) {
    target = options_.self;
  } else {
    for (const NodeId& node : replicas) {
      if (transport_->IsConnected(node)) {
        target = node;
        break;
      }
    }
  }
  TokenRange stretch{cursor, cursor};
  for (const TokenRange& range : ring_->RangesOf(target, effective_replicas())) {
    if (range.Contains(cursor)) stretch = range;
  }
  ExecuteOn(target, command.db, command.args,
            [this, stretch, protocol = command.protocol, done = std::move(done), target](
                bool ok, std::string reply, std::string failure) {
              if (!ok) {
                done(ErrorReply(protocol, "NOQUORUM scan could not reach replica " + target + " (" +
                                              failure + ")"));
                return;
              }
              resp::ReplyParser parser;
              parser.Feed(reply);
              resp::Reply page;
              if (parser.Next(&page) != resp::ReplyParser::Result::kReply ||
                  page.type == resp::Reply::Type::kError) {
                done(ErrorReply(protocol, page.type == resp::Reply::Type::kError
                                              ? page.str
                                              : "ERR malformed reply from a replica"));
                return;
              }
              if (page.type != resp::Reply::Type::kArray || page.elements.size() != 2) {
                done(ErrorReply(protocol, "ERR malformed reply from a replica"));
                return;
              }
              uint64_t next = 0;
              std::from_chars(page.elements[0].str.data(),
                              page.elements[0].str.data() + page.elements[0].str.size(), next);
              // Keys past the stretch belong to other nodes' pages.
              if (next == 0 || next > stretch.last) {
                next = stretch.last == UINT64_MAX ? 0 : stretch.last + 1;
              }
              std::string out;
              resp::ReplyBuilder builder(&out);
              builder.set_protocol(protocol);
              std::vector<const std::string*> keys;
              for (const resp::Reply& key : page.elements[1].elements) {
                if (stretch.Contains(Ring::HashKey(key.str))) keys.push_back(&key.str);
              }
              builder.ArrayHeader(2);
              builder.Bulk(std::to_string(next));
              builder.ArrayHeader(keys.size());
              for (const std::string* key : keys) builder.Bulk(*key);
              done(std::move(out));
            });
}

void Coordinator::Coordinate(std::shared_ptr<Op> op) {
  ++stats_.coordinated;
  const bool blind = IsBlindWrite(op->spec->name, op->command.args);
  const size_t read_needed = blind ? 0 : effective_read_quorum() - 1;
  op->unmet = 0;
  for (Op::Key& key : op->keys) {
    key.needed = std::min(read_needed, key.others().size());
    key.met = key.needed == 0;
    if (!key.met) ++op->unmet;
  }
  op->phase = Op::Phase::kRead;
  auto queued = order_.find(op->command.origin);
  if (op->unmet == 0 && blind && (queued == order_.end() || queued->second.empty())) {
    // Nothing to wait for and nothing of its origin ahead of it: run it now
    // (the common case, a blind write, skips the per-origin queue).
    op->read_done = true;
    ExecuteLocally(op);
    return;
  }
  if (queued == order_.end()) {
    if (order_.size() >= order_sweep_at_) {
      std::erase_if(order_, [](const auto& entry) { return entry.second.empty(); });
      order_sweep_at_ = std::max<size_t>(1024, 2 * order_.size());
    }
    queued = order_.try_emplace(op->command.origin).first;
  }
  queued->second.push_back(op);
  if (op->unmet == 0 && !blind) {
    // R = 1: nothing to wait for, but the other replicas still get asked so
    // that read repair can bring them (or us) up to date in the background.
    op->phase = Op::Phase::kWrite;
  }
  if (!blind) {
    for (size_t i = 0; i < op->keys.size(); ++i) {
      for (const NodeId& peer : op->keys[i].others()) QueueFetch(peer, op, i);
    }
  }
  if (op->unmet == 0) {
    op->read_done = true;
    ExecuteInOrder(op->command.origin);
  }
}

void Coordinator::ExecuteInOrder(const std::string& origin) {
  auto it = order_.find(origin);
  if (it == order_.end()) return;
  std::deque<std::shared_ptr<Op>>& queue = it->second;
  while (!queue.empty()) {
    std::shared_ptr<Op> head = queue.front();
    if (head->phase == Op::Phase::kDone) {
      queue.pop_front();  // failed its read phase: nothing to run
      continue;
    }
    if (!head->read_done) break;
    queue.pop_front();
    ExecuteLocally(head);
  }
}

void Coordinator::OnFetchReply(const std::shared_ptr<Op>& op, size_t key_index, const NodeId& peer,
                               const FetchAnswer& answer) {
  Op::Key& key = op->keys[key_index];
  bool ok = false;
  bool same = false;  // the replica holds exactly what this one does
  if (answer.ok) {
    // Replicas mostly agree on what is only read: comparing the encoded
    // states is much cheaper than merging, and equal states have nothing to
    // merge or repair. (A write's replicas mostly differ: it is changing them.)
    same = (op->spec->flags & commands::kWrite) == 0 &&
           SameState(*CurrentState(op, key_index), answer.state);
    ok = same || MergeState(op->command.db, key.key, answer.state);
  }
  if (op->phase != Op::Phase::kRead) {
    // A late answer: what it taught us is merged; now teach it what it lacks,
    // unless this command's own write phase is already sending it the key.
    if (ok && !same && !key.replicated) {
      RepairIfStale(op->command.db, key.key, op->scope(), peer, answer.state);
    }
    return;
  }
  if (!ok) {
    ++key.failed;
    key.failures.emplace_back(peer, answer.ok ? "malformed state" : answer.failure);
    if (!key.met && key.others().size() - key.failed < key.needed) {
      ++stats_.noquorum_reads;
      op->phase = Op::Phase::kDone;
      ExecuteInOrder(op->command.origin);
      Finish(op, ErrorReply(op->command.protocol,
                            "NOQUORUM read reached " + std::to_string(1 + key.answered) + " of " +
                                std::to_string(1 + key.needed) + " required replicas (" +
                                key.FailureList() + ")"));
    }
    return;
  }
  ++key.answered;
  // An answer equal to this replica's export shares it instead of a copy.
  key.answers.emplace_back(peer, same ? key.local
                                      : std::make_shared<const std::vector<std::string>>(
                                            answer.state.begin(), answer.state.end()));
  if (!key.met && key.answered >= key.needed) {
    key.met = true;
    if (--op->unmet == 0) {
      op->read_done = true;
      ExecuteInOrder(op->command.origin);
    }
  }
}

void Coordinator::ExecuteLocally(const std::shared_ptr<Op>& op) {
  const bool is_write = (op->spec->flags & commands::kWrite) != 0;
  // A blind write always issues a new version, so it need not look first.
  const bool blind = IsBlindWrite(op->spec->name, op->command.args);
  const int db = op->command.db;
  // Whether the command changed a key: for one key, whether it wrote any row
  // at all; for several, by comparing each key's state before and after.
  const uint64_t rows_before = server_->keyspace->rows_staged();
  const bool compare_states = is_write && !blind && op->keys.size() > 1;
  std::vector<std::vector<std::string>> before;
  if (compare_states) {
    for (const Op::Key& key : op->keys) before.push_back(LocalState(db, key.key, op->scope()));
  }

  commands::ClientState client;
  client.db = db;
  client.protocol = op->command.protocol;
  client.authenticated = true;
  std::string out;
  resp::ReplyBuilder builder(&out);
  builder.set_protocol(op->command.protocol);
  const int64_t now_ms = clock_->NowMs();
  server_->keyspace->set_now_ms(now_ms);
  std::vector<std::string_view> views(op->command.args.begin(), op->command.args.end());
  commands::ExecContext ctx(*server_, client, views, builder, now_ms);
  commands::Execute(ctx, *op->spec);
  const bool refused = !out.empty() && out[0] == '-';  // e.g. a syntax error: nothing written

  // Keys the command changed go to their replicas; the others only get read
  // repair.
  const size_t write_needed = effective_write_quorum() - 1;
  op->unmet = 0;
  op->phase = Op::Phase::kWrite;
  std::vector<std::pair<size_t, SharedState>> to_replicate;
  for (size_t i = 0; i < op->keys.size(); ++i) {
    Op::Key& key = op->keys[i];
    const SharedState after =
        is_write
            ? std::make_shared<const std::vector<std::string>>(LocalState(db, key.key, op->scope()))
            : CurrentState(op, i);
    const bool changed = blind            ? !refused
                         : compare_states ? !SameState(*after, before[i])
                                          : server_->keyspace->rows_staged() != rows_before;
    if (is_write && changed) {
      key.replicated = true;
      key.needed = std::min(write_needed, key.others().size());
      key.answered = key.failed = 0;
      key.failures.clear();
      key.met = key.needed == 0;
      if (!key.met) ++op->unmet;
      to_replicate.emplace_back(i, after);
      continue;
    }
    for (const auto& [peer, state] : key.answers) {
      if (state != after && !SameState(*state, *after)) {
        ++stats_.read_repairs;
        SendMerge(peer, db, key.key, *after, [](DeliveryStatus, const PeerReply&) {});
      }
    }
  }
  for (const auto& [index, state] : to_replicate) {
    for (const NodeId& peer : op->keys[index].others()) QueueMerge(peer, op, index, *state);
  }
  op->reply = std::move(out);
  if (op->unmet == 0) {
    op->phase = Op::Phase::kDone;
    Finish(op, "");
  }
}

void Coordinator::OnMergeReply(const std::shared_ptr<Op>& op, size_t key_index, const NodeId& peer,
                               DeliveryStatus status, const PeerReply& reply) {
  if (op->phase != Op::Phase::kWrite) return;
  Op::Key& key = op->keys[key_index];
  if (key.met) return;
  if (status == DeliveryStatus::kOk && reply.kind == PeerReply::Kind::kStatus) {
    if (++key.answered >= key.needed) {
      key.met = true;
      if (--op->unmet == 0) {
        op->phase = Op::Phase::kDone;
        Finish(op, "");
      }
    }
    return;
  }
  ++key.failed;
  key.failures.emplace_back(peer, FailureReason(status, reply));
  if (key.others().size() - key.failed < key.needed) {
    ++stats_.noquorum_writes;
    op->phase = Op::Phase::kDone;
    Finish(op, ErrorReply(op->command.protocol,
                          "NOQUORUM write reached " + std::to_string(1 + key.answered) + " of " +
                              std::to_string(1 + key.needed) + " required replicas (" +
                              key.FailureList() +
                              "); it may be applied on the replicas that answered"));
  }
}

void Coordinator::Finish(const std::shared_ptr<Op>& op, std::string reply) {
  if (!reply.empty()) op->reply = std::move(reply);
  // The reply acknowledges this replica's part only once it is in the log.
  // (Capturing the op alone keeps the closure small enough to need no heap.)
  after_commit_([op] { op->done(std::move(op->reply)); });
}

const Coordinator::SharedState& Coordinator::CurrentState(const std::shared_ptr<Op>& op,
                                                          size_t key_index) {
  Op::Key& key = op->keys[key_index];
  // Reads compare every replica's answer with this replica's state; while no
  // row changed here in between, one export serves them all.
  const uint64_t version = server_->keyspace->rows_staged();
  if (key.local_version != version) {
    key.local = std::make_shared<const std::vector<std::string>>(
        LocalState(op->command.db, key.key, op->scope()));
    key.local_version = version;
  }
  return key.local;
}

std::vector<std::string> Coordinator::LocalState(int db, std::string_view key,
                                                 const std::vector<std::string>* fields) {
  storage::Keyspace::KeyState state;
  Status s = fields != nullptr ? server_->keyspace->ExportKeyFields(db, key, *fields, &state)
                               : server_->keyspace->ExportKey(db, key, &state);
  if (!s.ok() && !s.IsNotFound()) {
    spdlog::error("Cannot read the state of a key for replication: {}", s.ToString());
  }
  return ToWire(state);
}

bool Coordinator::MergeState(int db, std::string_view key, std::span<const std::string> wire) {
  storage::Keyspace::KeyState state;
  if (!FromWire(wire, &state)) return false;
  bool changed = false;
  return server_->keyspace->MergeKey(db, key, state, &changed).ok();
}

void Coordinator::RepairIfStale(int db, const std::string& key,
                                const std::vector<std::string>* fields, const NodeId& peer,
                                std::span<const std::string> peer_state) {
  std::vector<std::string> local = LocalState(db, key, fields);
  if (SameState(local, peer_state)) return;
  ++stats_.read_repairs;
  SendMerge(peer, db, key, local, [](DeliveryStatus, const PeerReply&) {});
}

void Coordinator::SendMerge(const NodeId& peer, int db, const std::string& key,
                            const std::vector<std::string>& state, ReplyCallback done) {
  PeerRequest request;
  request.reserve(3 + state.size());
  request.push_back("RING.MERGE");
  request.push_back(std::to_string(db));
  request.push_back(key);
  request.insert(request.end(), state.begin(), state.end());
  transport_->Send(peer, std::move(request), options_.request_timeout_ms, std::move(done));
}

namespace {
// A batch is capped so that one message stays well under the peer's request
// limits and one slow batch holds few replies back. The key cap is also what
// lets the replicas work in parallel with the coordinator: a full batch is
// sent (and, being a few KB, written; see PeerTransport's kWriteAheadBytes)
// while the coordinator still reads the rest of the turn's commands. 64 keys
// measured best on the 3-node benchmark: 512 left the nodes in lock-step,
// 16 and 32 spent the gain on per-message costs.
constexpr size_t kMaxBatchKeys = 64;
constexpr size_t kMaxBatchBytes = 4 << 20;
}  // namespace

Coordinator::Batch& Coordinator::BatchFor(std::vector<Batch>* batches, const NodeId& peer, int db) {
  auto it = std::find_if(batches->begin(), batches->end(),
                         [&](const Batch& b) { return b.peer == peer && b.db == db; });
  if (it != batches->end()) return *it;
  Batch& batch = batches->emplace_back();
  batch.peer = peer;
  batch.db = db;
  batch.request.resize(3);
  return batch;
}

void Coordinator::ScheduleFlush() {
  if (flush_timer_ != 0) return;
  // A zero-delay timer runs at the start of the next loop turn, after every
  // command this turn read has run: the whole turn shares the batches.
  flush_timer_ = clock_->After(0, [this] {
    flush_timer_ = 0;
    FlushBatches();
  });
}

bool Coordinator::AddWaiter(Batch* batch, const std::shared_ptr<Op>& op, size_t key_index) {
  ++batch->keys;
  batch->waiters.emplace_back(op, key_index);
  return batch->keys >= kMaxBatchKeys || batch->bytes >= kMaxBatchBytes;
}

void Coordinator::QueueMerge(const NodeId& peer, const std::shared_ptr<Op>& op, size_t key_index,
                             const std::vector<std::string>& state) {
  Batch& batch = BatchFor(&merge_batches_, peer, op->command.db);
  const std::string& key = op->keys[key_index].key;
  batch.request.push_back(std::to_string(state.size()));
  batch.request.push_back(key);
  batch.request.insert(batch.request.end(), state.begin(), state.end());
  batch.bytes += key.size();
  for (const std::string& part : state) batch.bytes += part.size();
  if (AddWaiter(&batch, op, key_index)) {
    SendMerges(std::exchange(merge_batches_, {}));
  } else {
    ScheduleFlush();
  }
}

void Coordinator::QueueFetch(const NodeId& peer, const std::shared_ptr<Op>& op, size_t key_index) {
  Batch& batch = BatchFor(&fetch_batches_, peer, op->command.db);
  const std::string& key = op->keys[key_index].key;
  const std::vector<std::string>* fields = op->scope();
  batch.request.push_back(std::to_string(fields != nullptr ? fields->size() : 0));
  batch.request.push_back(key);
  batch.bytes += key.size();
  if (fields != nullptr) {
    batch.request.insert(batch.request.end(), fields->begin(), fields->end());
    for (const std::string& field : *fields) batch.bytes += field.size();
  }
  if (AddWaiter(&batch, op, key_index)) {
    SendFetches(std::exchange(fetch_batches_, {}));
  } else {
    ScheduleFlush();
  }
}

void Coordinator::FlushBatches() {
  SendFetches(std::exchange(fetch_batches_, {}));
  SendMerges(std::exchange(merge_batches_, {}));
}

void Coordinator::SealBatch(Batch* batch, const char* single, const char* many) {
  PeerRequest& request = batch->request;
  if (batch->keys == 1) {
    // `single` db key ...: drop the count and size slots.
    request.erase(request.begin() + 2, request.begin() + 4);
    request[0] = single;
  } else {
    request[0] = many;
    request[2] = std::to_string(batch->keys);
  }
  request[1] = std::to_string(batch->db);
}

void Coordinator::SendMerges(std::vector<Batch> batches) {
  for (Batch& batch : batches) {
    SealBatch(&batch, "RING.MERGE", "RING.MERGEMANY");
    transport_->Send(batch.peer, std::move(batch.request), options_.request_timeout_ms,
                     [this, waiters = std::move(batch.waiters), peer = batch.peer](
                         DeliveryStatus status, const PeerReply& reply) {
                       for (const auto& [op, index] : waiters) {
                         OnMergeReply(op, index, peer, status, reply);
                       }
                     });
  }
}

void Coordinator::SendFetches(std::vector<Batch> batches) {
  for (Batch& batch : batches) {
    SealBatch(&batch, "RING.FETCH", "RING.FETCHMANY");
    if (batch.keys == 1) {
      transport_->Send(batch.peer, std::move(batch.request), options_.request_timeout_ms,
                       [this, op = batch.waiters[0].first, index = batch.waiters[0].second,
                        peer = batch.peer](DeliveryStatus status, const PeerReply& reply) {
                         OnFetchReply(op, index, peer, AnswerOf(status, reply));
                       });
      continue;
    }
    transport_->Send(batch.peer, std::move(batch.request), options_.request_timeout_ms,
                     [this, waiters = std::move(batch.waiters), peer = batch.peer](
                         DeliveryStatus status, const PeerReply& reply) {
                       // Split the answer into one state per key (views into the reply);
                       // a reply that does not split into exactly one per key fails them
                       // all as malformed.
                       std::vector<FetchAnswer> parts;
                       if (status == DeliveryStatus::kOk && reply.kind == PeerReply::Kind::kArray) {
                         const std::span<const std::string> elements = reply.elements;
                         size_t pos = 0;
                         int64_t size = 0;
                         parts.reserve(waiters.size());
                         while (pos < elements.size() && parts.size() < waiters.size() &&
                                ParseInt(elements[pos], &size) && size >= 0 &&
                                static_cast<uint64_t>(size) < elements.size() - pos) {
                           FetchAnswer& part = parts.emplace_back();
                           part.ok = true;
                           part.state = elements.subspan(pos + 1, static_cast<size_t>(size));
                           pos += 1 + static_cast<size_t>(size);
                         }
                         if (pos != elements.size() || parts.size() != waiters.size()) {
                           parts.assign(waiters.size(), AnswerOf(status, PeerReply::Integer(0)));
                         }
                       } else {
                         parts.assign(waiters.size(), AnswerOf(status, reply));
                       }
                       // Each answer is compared with this replica's row of the key, long
                       // out of the CPU cache by now: fetch those rows together.
                       std::vector<std::string_view> names;
                       names.reserve(waiters.size());
                       for (const auto& [op, index] : waiters) names.push_back(op->keys[index].key);
                       storage::Keyspace::RowPrefetcher prefetch(
                           server_->keyspace, waiters.front().first->command.db, names);
                       for (size_t i = 0; i < waiters.size(); ++i) {
                         prefetch.Before(i);
                         OnFetchReply(waiters[i].first, waiters[i].second, peer, parts[i]);
                       }
                     });
  }
}

void Coordinator::HandlePeerRequest(const NodeId& from, const PeerRequest& request,
                                    std::function<void(PeerReply)> respond) {
  if (request.empty()) {
    respond(PeerReply::Error("ERR empty request"));
    return;
  }
  const std::string& name = request[0];
  int64_t db = -1;
  if (request.size() >= 3) ParseInt(request[1], &db);
  const bool db_ok = db >= 0 && db < server_->keyspace->num_databases();
  if (EqualsIgnoreCase(name, "RING.FETCH") && request.size() >= 3 && db_ok) {
    ++stats_.fetches_served;
    std::vector<std::string> fields(request.begin() + 3, request.end());
    respond(PeerReply::Array(
        LocalState(static_cast<int>(db), request[2], request.size() > 3 ? &fields : nullptr)));
    return;
  }
  int64_t count = 0;
  if (EqualsIgnoreCase(name, "RING.FETCHMANY") && request.size() >= 3 && db_ok &&
      ParseInt(request[2], &count) && count > 0) {
    // [count] then per key: [field count, 0 = whole key] [key] [field ...].
    // Parsed whole before anything is read.
    std::vector<std::pair<size_t, size_t>> keys;  // (position of the key, field count)
    size_t pos = 3;
    bool ok = true;
    for (int64_t i = 0; i < count && ok; ++i) {
      int64_t fields = 0;
      ok = pos + 1 < request.size() && ParseInt(request[pos], &fields) && fields >= 0 &&
           static_cast<uint64_t>(fields) <= request.size() - pos - 2;
      if (!ok) break;
      keys.emplace_back(pos + 1, static_cast<size_t>(fields));
      pos += 2 + static_cast<size_t>(fields);
    }
    if (!ok || pos != request.size()) {
      respond(PeerReply::Error("ERR malformed RING.FETCHMANY"));
      return;
    }
    stats_.fetches_served += keys.size();
    std::vector<std::string_view> names;
    names.reserve(keys.size());
    for (const auto& [at, fields] : keys) names.push_back(request[at]);
    storage::Keyspace::RowPrefetcher prefetch(server_->keyspace, static_cast<int>(db), names);
    std::vector<std::string> out;
    std::vector<std::string> fields;
    for (size_t i = 0; i < keys.size(); ++i) {
      prefetch.Before(i);
      const auto& [at, nfields] = keys[i];
      fields.assign(request.begin() + static_cast<std::ptrdiff_t>(at + 1),
                    request.begin() + static_cast<std::ptrdiff_t>(at + 1 + nfields));
      std::vector<std::string> state =
          LocalState(static_cast<int>(db), request[at], nfields > 0 ? &fields : nullptr);
      out.push_back(std::to_string(state.size()));
      std::move(state.begin(), state.end(), std::back_inserter(out));
    }
    respond(PeerReply::Array(std::move(out)));
    return;
  }
  if (EqualsIgnoreCase(name, "RING.MERGE") && request.size() >= 4 && db_ok) {
    storage::Keyspace::KeyState state;
    bool changed = false;
    if (!FromWire(std::span(request).subspan(3), &state) ||
        !server_->keyspace->MergeKey(static_cast<int>(db), request[2], state, &changed).ok()) {
      ++stats_.merge_rejected;
      respond(PeerReply::Error("ERR corrupt key state"));
      return;
    }
    ++stats_.merges_served;
    after_commit_([respond = std::move(respond)] { respond(PeerReply::Status("OK")); });
    return;
  }
  if (EqualsIgnoreCase(name, "RING.MERGEMANY") && request.size() >= 3 && db_ok &&
      ParseInt(request[2], &count) && count > 0) {
    // [count] then per key: [wire size] [key] [wire...]. Parsed whole before
    // anything is merged.
    std::vector<std::pair<std::string_view, storage::Keyspace::KeyState>> keys;
    size_t pos = 3;
    bool ok = true;
    for (int64_t i = 0; i < count && ok; ++i) {
      int64_t size = 0;
      ok = pos + 1 < request.size() && ParseInt(request[pos], &size) && size > 0 &&
           static_cast<uint64_t>(size) <= request.size() - pos - 2;
      if (!ok) break;
      storage::Keyspace::KeyState state;
      ok = FromWire(std::span(request).subspan(pos + 2, static_cast<size_t>(size)), &state);
      keys.emplace_back(request[pos + 1], std::move(state));
      pos += 2 + static_cast<size_t>(size);
    }
    ok = ok && pos == request.size();
    // A batch's keys are unrelated rows: their cache lines come in ahead of
    // use rather than each lookup waiting on its misses in turn.
    std::vector<std::string_view> names;
    names.reserve(keys.size());
    for (const auto& [name, state] : keys) names.push_back(name);
    storage::Keyspace::RowPrefetcher prefetch(server_->keyspace, static_cast<int>(db), names);
    for (size_t i = 0; ok && i < keys.size(); ++i) {
      prefetch.Before(i);
      bool changed = false;
      ok =
          server_->keyspace->MergeKey(static_cast<int>(db), keys[i].first, keys[i].second, &changed)
              .ok();
    }
    if (!ok) {
      ++stats_.merge_rejected;
      respond(PeerReply::Error("ERR corrupt key state"));
      return;
    }
    stats_.merges_served += keys.size();
    after_commit_([respond = std::move(respond)] { respond(PeerReply::Status("OK")); });
    return;
  }
  int64_t protocol = 0;
  if (EqualsIgnoreCase(name, "RING.FORWARD") && request.size() >= 5 && db_ok &&
      ParseInt(request[2], &protocol) && (protocol == 2 || protocol == 3)) {
    ++stats_.forwarded_in;
    Command command;
    command.db = static_cast<int>(db);
    command.protocol = static_cast<int>(protocol);
    command.origin = from + "/" + request[3];
    command.args.assign(request.begin() + 4, request.end());
    command.forwarded = true;
    Run(std::move(command),
        [respond = std::move(respond)](std::string reply) { respond(PeerReply::Bulk(reply)); });
    return;
  }
  if (EqualsIgnoreCase(name, "RING.LOCALEXEC") && request.size() >= 3 && db_ok) {
    std::vector<std::string> args(request.begin() + 2, request.end());
    std::vector<std::string_view> views(args.begin(), args.end());
    std::string error;
    const commands::CommandSpec* spec = commands::Resolve(views, &error);
    if (spec == nullptr || !(spec->flags & commands::kClusterWide)) {
      respond(PeerReply::Error(spec == nullptr ? error : "ERR not a cluster-wide command"));
      return;
    }
    std::string reply = ExecuteHere(static_cast<int>(db), 2, args, *spec);
    after_commit_([respond = std::move(respond), reply = std::move(reply)] {
      respond(PeerReply::Bulk(reply));
    });
    return;
  }
  respond(PeerReply::Error("ERR unknown or malformed internal command '" + name + "'"));
}

}  // namespace ringkv::cluster
