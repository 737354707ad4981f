#include "net/peer_transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <deque>
#include <limits>

#include "net/peer_auth.h"
#include "resp/reply_builder.h"
#include "resp/reply_parser.h"
#include "resp/request_parser.h"

namespace ringkv::net {

using cluster::DeliveryStatus;
using cluster::NodeId;
using cluster::PeerReply;

namespace {

constexpr size_t kReadBufferSize = 64 * 1024;
constexpr int kListenBacklog = 511;
constexpr std::string_view kProtocolVersion = "1";
constexpr std::string_view kHelloCommand = "RING.HELLO";
constexpr std::string_view kAuthCommand = "RING.AUTH";
// The RING.AUTH proof of a connector that rejected the acceptor's proof:
// never valid (neither empty nor a hex digest), so the acceptor fails too.
constexpr std::string_view kRejectedProof = "rejected";
// Longest node id, address or nonce accepted in a handshake.
constexpr size_t kMaxHandshakeField = 256;
// Warnings a remote party can trigger at will are logged once per window
// (the rest at debug level), so a port scanner cannot flood the log.
constexpr int64_t kWarningWindowMs = 10000;
// Output buffers that grew past this are released once drained.
constexpr size_t kIdleBufferCapacity = 64 * 1024;
// Requests queued for a peer are written at the end of the loop turn, one
// write for all of them, unless this many bytes are waiting: those leave at
// once, so the peer works on them while this node still reads the rest of
// the turn's commands. Waiting for the turn's end kept the nodes in
// lock-step (on 2 cores a 3-node cluster under SET -P 16 was 30% idle).
constexpr size_t kWriteAheadBytes = 4096;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Text from a peer made safe for a log line: bounded, control bytes escaped.
std::string Printable(std::string_view s, size_t max = 64) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (std::isprint(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[5];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out.append(hex);
    }
  }
  if (s.size() > max) out.append("...");
  return out;
}

std::string FormatAddress(std::string_view host, int port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out.append("[").append(host).append("]");
  } else {
    out.append(host);
  }
  return out.append(":").append(std::to_string(port));
}

std::string RemoteAddress(const uv_tcp_t* tcp) {
  sockaddr_storage addr{};
  int len = sizeof(addr);
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
  char ip[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    uv_ip6_name(a, ip, sizeof(ip));
    return FormatAddress(ip, ntohs(a->sin6_port));
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
  uv_ip4_name(a, ip, sizeof(ip));
  return FormatAddress(ip, ntohs(a->sin_port));
}

template <typename T>
void CloseAndDelete(T* handle) {
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* h) { delete reinterpret_cast<T*>(h); });
}

// Requests travel as RESP arrays of bulk strings, like a client's commands.
void AppendRequest(std::string* out, const std::vector<std::string>& args) {
  resp::ReplyBuilder builder(out);
  builder.ArrayHeader(args.size());
  for (const std::string& arg : args) builder.Bulk(arg);
}

void AppendReply(std::string* out, const PeerReply& reply) {
  resp::ReplyBuilder builder(out);
  switch (reply.kind) {
    case PeerReply::Kind::kStatus: {
      // A CR or LF would end the line early and desynchronize the stream.
      std::string text = reply.str;
      std::replace_if(
          text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
      builder.SimpleString(text);
      break;
    }
    case PeerReply::Kind::kError:
      builder.Error(reply.str);
      break;
    case PeerReply::Kind::kBulk:
      builder.Bulk(reply.str);
      break;
    case PeerReply::Kind::kNil:
      builder.Null();
      break;
    case PeerReply::Kind::kInteger:
      builder.Integer(reply.integer);
      break;
    case PeerReply::Kind::kArray:
      builder.ArrayHeader(reply.elements.size());
      for (const std::string& element : reply.elements) builder.Bulk(element);
      break;
  }
}

// PeerReply holds a subset of RESP: array elements are flattened to strings
// (integers in decimal, nil as ""), and a nested array, which no internal
// command returns, becomes an error reply.
PeerReply ToPeerReply(resp::Reply& reply) {
  PeerReply out;
  switch (reply.type) {
    case resp::Reply::Type::kStatus:
      out.kind = PeerReply::Kind::kStatus;
      out.str = std::move(reply.str);
      break;
    case resp::Reply::Type::kError:
      out.kind = PeerReply::Kind::kError;
      out.str = std::move(reply.str);
      break;
    case resp::Reply::Type::kBulk:
      out.kind = PeerReply::Kind::kBulk;
      out.str = std::move(reply.str);
      break;
    case resp::Reply::Type::kNil:
      out.kind = PeerReply::Kind::kNil;
      break;
    case resp::Reply::Type::kInteger:
      out.kind = PeerReply::Kind::kInteger;
      out.integer = reply.integer;
      break;
    case resp::Reply::Type::kArray:
      out.kind = PeerReply::Kind::kArray;
      out.elements.reserve(reply.elements.size());
      for (resp::Reply& element : reply.elements) {
        switch (element.type) {
          case resp::Reply::Type::kInteger:
            out.elements.push_back(std::to_string(element.integer));
            break;
          case resp::Reply::Type::kNil:
            out.elements.emplace_back();
            break;
          case resp::Reply::Type::kArray:
            return PeerReply::Error("ERR peer reply contains a nested array");
          default:
            out.elements.push_back(std::move(element.str));
            break;
        }
      }
      break;
  }
  return out;
}

}  // namespace

bool SplitHostPort(std::string_view address, std::string* host, int* port) {
  std::string_view host_part, port_part;
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return false;
    }
    host_part = address.substr(1, close - 1);
    port_part = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) return false;
    host_part = address.substr(0, colon);
    port_part = address.substr(colon + 1);
    // An IPv6 address needs brackets: "::1:7000" is ambiguous.
    if (host_part.find(':') != std::string_view::npos) return false;
  }
  int value = 0;
  const char* end = port_part.data() + port_part.size();
  const auto [ptr, ec] = std::from_chars(port_part.data(), end, value);
  if (host_part.empty() || port_part.empty() || ec != std::errc() || ptr != end || value < 1 ||
      value > 65535) {
    return false;
  }
  host->assign(host_part);
  *port = value;
  return true;
}

struct PeerTransport::Connection {
  enum class State {
    kConnecting,  // outbound: TCP connect in progress
    kHelloSent,   // outbound: RING.HELLO sent, awaiting the acceptor's array
    kAuthSent,    // outbound: RING.AUTH sent, awaiting +OK
    kRejected,    // outbound: the acceptor failed authentication; closing
    kAwaitHello,  // inbound: awaiting RING.HELLO
    kAwaitAuth,   // inbound: awaiting RING.AUTH
    kUp,          // authenticated: requests and replies flow
  };
  // Respond callbacks outlive connections; they hold a weak_ptr to this,
  // which expires when the connection closes.
  struct Token {
    Connection* conn;
  };
  // A reply slot of an inbound request: replies may be produced out of order
  // but leave in request order.
  struct Slot {
    bool ready = false;
    std::string bytes;
  };

  Connection(PeerTransport* t, bool is_outbound) : transport(t), outbound(is_outbound) {}

  PeerTransport* const transport;
  const bool outbound;
  uint64_t id = 0;
  Link* link = nullptr;  // outbound only; null once closing
  State state = State::kConnecting;
  // Set when the close starts; all bookkeeping happens then. The object is
  // freed when the last handle's close callback runs (OnHandleClosed), and
  // libuv callbacks that still arrive meanwhile see this flag and return.
  bool closing = false;
  uv_tcp_t tcp;
  uv_timer_t timer;  // inbound only: handshake deadline
  uv_connect_t connect_req;
  uv_write_t write_req;
  int open_handles = 0;
  std::string remote;  // the other end, for log lines

  std::string out;      // bytes not yet handed to libuv
  std::string writing;  // bytes owned by the pending uv_write
  bool write_pending = false;
  bool queued_for_flush = false;
  bool close_after_flush = false;
  bool read_paused = false;

  std::string nonce;  // ours, for this handshake
  NodeId peer_id;
  std::string peer_address;  // as advertised by the peer

  // Outbound.
  resp::ReplyParser replies;
  std::deque<uint64_t> inflight;  // request ids in the order they were encoded
  size_t written = 0;             // prefix of `inflight` handed to the socket

  // Inbound.
  resp::RequestParser requests;
  std::deque<Slot> slots;
  uint64_t first_slot = 0;  // sequence number of slots.front()
  std::shared_ptr<Token> token;
};

struct PeerTransport::Link {
  enum class State {
    kResolving,   // looking up the host name
    kConnecting,  // `conn` is connecting or in the handshake
    kUp,          // `conn` is authenticated
    kBackoff,     // waiting to retry
    kDropped,     // given up for good (ourselves, a duplicate, or Close)
  };

  PeerTransport* transport = nullptr;
  std::string address;  // as passed to AddSeed
  std::string host;
  int port = 0;
  State state = State::kBackoff;
  NodeId node_id;  // learned in the last successful handshake
  Connection* conn = nullptr;
  Resolve* resolve = nullptr;
  uv_timer_t* timer = nullptr;  // connect deadline, or backoff; heap: closes asynchronously
  int64_t backoff_ms = 0;
  std::deque<uint64_t> waiting;  // requests queued while (re)connecting
  bool failure_logged = false;   // repeated failures are logged at debug level
};

// A name lookup in flight. `link` is cleared to cancel it; the callback frees it.
struct PeerTransport::Resolve {
  uv_getaddrinfo_t req;
  Link* link = nullptr;
};

PeerTransport::PeerTransport(uv_loop_t* loop, const Options& options)
    : loop_(loop),
      options_(options),
      advertised_address_(options.advertised_address),
      check_(new uv_check_t),
      idle_(new uv_idle_t),
      deadline_timer_(new uv_timer_t),
      read_buffer_(new char[kReadBufferSize]) {
  uv_check_init(loop_, check_);
  check_->data = this;
  uv_check_start(check_, &PeerTransport::OnCheck);
  // The check only serves work that something else keeps the loop alive for.
  uv_unref(reinterpret_cast<uv_handle_t*>(check_));
  uv_idle_init(loop_, idle_);
  idle_->data = this;
  uv_timer_init(loop_, deadline_timer_);
  deadline_timer_->data = this;
}

PeerTransport::~PeerTransport() { Close(); }

Status PeerTransport::Listen(const std::string& host, int port) {
  if (closed_) return Status::IOError("cluster transport is closed");
  sockaddr_storage addr{};
  unsigned flags = 0;
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0) {
    if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
      return Status::InvalidArgument("Invalid cluster bind address '" + host + "'");
    }
    flags = UV_TCP_IPV6ONLY;
  }
  auto* listener = new uv_tcp_t;
  uv_tcp_init(loop_, listener);
  listener->data = this;
  int rc = uv_tcp_bind(listener, reinterpret_cast<const sockaddr*>(&addr), flags);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener), kListenBacklog,
                   &PeerTransport::OnConnection);
  }
  if (rc != 0) {
    CloseAndDelete(listener);
    return Status::IOError("Could not listen on cluster port " + FormatAddress(host, port) + ": " +
                           uv_strerror(rc));
  }
  sockaddr_storage bound{};
  int len = sizeof(bound);
  uv_tcp_getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &len);
  const int bound_port = bound.ss_family == AF_INET6
                             ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                             : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  if (port_ == 0) port_ = bound_port;
  if (advertised_address_.empty()) advertised_address_ = FormatAddress(host, bound_port);
  listeners_.push_back(listener);
  spdlog::info("Cluster port listening on {}", FormatAddress(host, bound_port));
  return Status::OK();
}

void PeerTransport::AddSeed(const std::string& host, int port) {
  const std::string address = FormatAddress(host, port);
  if (closed_ || links_.count(address) != 0 || ignored_addresses_.count(address) != 0) return;
  auto link = std::make_unique<Link>();
  link->transport = this;
  link->address = address;
  link->host = host;
  link->port = port;
  link->backoff_ms = options_.reconnect_initial_ms;
  link->timer = new uv_timer_t;
  uv_timer_init(loop_, link->timer);
  link->timer->data = link.get();
  Link* raw = link.get();
  links_.emplace(address, std::move(link));
  StartConnect(raw);
}

void PeerTransport::SetPeerCallbacks(
    std::function<void(const NodeId&, const std::string& address)> on_up,
    std::function<void(const NodeId&)> on_down) {
  on_up_ = std::move(on_up);
  on_down_ = std::move(on_down);
}

void PeerTransport::SetRequestHandler(cluster::RequestHandler handler) {
  // Held by shared_ptr so that a handler replacing itself while it runs stays
  // alive until it returns.
  handler_ = std::make_shared<const cluster::RequestHandler>(std::move(handler));
}

bool PeerTransport::IsConnected(const NodeId& peer) const {
  auto it = by_node_.find(peer);
  return it != by_node_.end() && it->second->state == Link::State::kUp;
}

void PeerTransport::Close() {
  if (closed_) return;
  closed_ = true;
  for (uv_tcp_t* listener : listeners_) CloseAndDelete(listener);
  listeners_.clear();

  std::vector<Failure> failures;
  std::vector<Link*> links;
  for (auto& [address, link] : links_) {
    links.push_back(link.get());
    dropped_links_.push_back(std::move(link));
  }
  links_.clear();
  by_node_.clear();
  for (Link* link : links) {
    link->state = Link::State::kDropped;
    link->timer->data = nullptr;
    CloseAndDelete(link->timer);
    link->timer = nullptr;
    if (link->resolve != nullptr) {
      link->resolve->link = nullptr;
      uv_cancel(reinterpret_cast<uv_req_t*>(&link->resolve->req));
      link->resolve = nullptr;
    }
    TakeWaiting(link, &failures);
    if (link->conn != nullptr) CloseConnection(link->conn);
  }
  std::vector<Connection*> inbound;
  for (auto& [id, conn] : inbound_) inbound.push_back(conn);
  for (Connection* conn : inbound) CloseConnection(conn);

  // Nothing else should be left; whatever is ends now.
  for (auto& [id, request] : requests_) {
    failures.emplace_back(std::move(request.done), DeliveryStatus::kUnreachable);
  }
  requests_.clear();
  deadlines_.clear();
  std::vector<Deferred> deferred;
  deferred.swap(deferred_);
  for (Deferred& d : deferred) failures.emplace_back(std::move(d.done), d.status);
  dirty_.clear();

  check_->data = nullptr;
  CloseAndDelete(check_);
  check_ = nullptr;
  idle_->data = nullptr;
  CloseAndDelete(idle_);
  idle_ = nullptr;
  deadline_timer_->data = nullptr;
  CloseAndDelete(deadline_timer_);
  deadline_timer_ = nullptr;

  RunFailures(&failures);
}

// ---------------------------------------------------------------------------
// Sending requests.

void PeerTransport::Send(const NodeId& peer, cluster::PeerRequest request, int64_t timeout_ms,
                         cluster::ReplyCallback done) {
  if (closed_) {
    ++stats_.unreachable;
    done(DeliveryStatus::kUnreachable, PeerReply{});
    return;
  }
  auto it = by_node_.find(peer);
  Link* link = it == by_node_.end() ? nullptr : it->second;
  if (link == nullptr || link->state == Link::State::kBackoff ||
      link->state == Link::State::kDropped) {
    Defer(std::move(done), DeliveryStatus::kUnreachable);
    return;
  }
  Connection* conn = link->state == Link::State::kUp ? link->conn : nullptr;
  const size_t pending = link->waiting.size() + (conn != nullptr ? conn->inflight.size() : 0);
  const size_t unwritten = conn != nullptr ? conn->out.size() + conn->writing.size() : 0;
  if (pending >= options_.max_pending_requests || unwritten >= options_.max_output_bytes) {
    spdlog::debug("Request to peer {} refused: {} requests and {} bytes pending", peer, pending,
                  unwritten);
    Defer(std::move(done), DeliveryStatus::kUnreachable);
    return;
  }

  const uint64_t id = next_request_id_++;
  const int64_t now = Now();
  timeout_ms = std::max<int64_t>(0, timeout_ms);
  const int64_t deadline = timeout_ms >= std::numeric_limits<int64_t>::max() - now
                               ? std::numeric_limits<int64_t>::max()
                               : now + timeout_ms;
  PendingRequest& pending_request = requests_[id];
  pending_request.done = std::move(done);
  pending_request.deadline = deadline;
  deadlines_.emplace(deadline, id);
  if (deadline < armed_deadline_) ArmDeadlineTimer();
  if (conn != nullptr) {
    AppendRequest(&conn->out, request);
    conn->inflight.push_back(id);
    ScheduleFlush(conn);
    if (conn->out.size() >= kWriteAheadBytes) WriteAhead(conn);
  } else {
    pending_request.args = std::move(request);
    link->waiting.push_back(id);
  }
}

void PeerTransport::Defer(cluster::ReplyCallback done, DeliveryStatus status) {
  deferred_.push_back(Deferred{std::move(done), status});
  uv_idle_start(idle_, [](uv_idle_t*) {});
}

cluster::ReplyCallback PeerTransport::TakeRequest(uint64_t id) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return nullptr;
  cluster::ReplyCallback done = std::move(it->second.done);
  deadlines_.erase({it->second.deadline, id});
  requests_.erase(it);
  if (deadlines_.empty() && !closed_) {
    uv_timer_stop(deadline_timer_);
    armed_deadline_ = std::numeric_limits<int64_t>::max();
  }
  return done;
}

void PeerTransport::TakeWaiting(Link* link, std::vector<Failure>* failures) {
  for (uint64_t id : link->waiting) {
    cluster::ReplyCallback done = TakeRequest(id);
    if (done) failures->emplace_back(std::move(done), DeliveryStatus::kUnreachable);
  }
  link->waiting.clear();
}

void PeerTransport::RunFailures(std::vector<Failure>* failures) {
  for (auto& [done, status] : *failures) {
    if (status == DeliveryStatus::kTimeout) {
      ++stats_.timeouts;
    } else {
      ++stats_.unreachable;
    }
    done(status, PeerReply{});
  }
  failures->clear();
}

void PeerTransport::ArmDeadlineTimer() {
  if (deadlines_.empty()) {
    uv_timer_stop(deadline_timer_);
    armed_deadline_ = std::numeric_limits<int64_t>::max();
    return;
  }
  // Inside the deadline callback, re-arm at least 1 ms out: libuv before 1.45
  // runs a 0 ms timer started from a timer callback again in the same pass,
  // so callbacks that keep sending with timeout 0 could starve the loop.
  const int64_t min_delay = expiring_ ? 1 : 0;
  armed_deadline_ = deadlines_.begin()->first;
  const int64_t delay = std::max(min_delay, armed_deadline_ - Now());
  uv_timer_start(deadline_timer_, &PeerTransport::OnDeadlineTimer, static_cast<uint64_t>(delay), 0);
}

void PeerTransport::OnDeadlineTimer(uv_timer_t* handle) {
  if (handle->data != nullptr) static_cast<PeerTransport*>(handle->data)->ExpireRequests();
}

void PeerTransport::ExpireRequests() {
  armed_deadline_ = std::numeric_limits<int64_t>::max();
  const int64_t now = Now();
  std::vector<Failure> expired;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    // The request stays in its connection's FIFO: its reply, if it comes, is
    // matched to it and discarded.
    cluster::ReplyCallback done = TakeRequest(deadlines_.begin()->second);
    expired.emplace_back(std::move(done), DeliveryStatus::kTimeout);
  }
  expiring_ = true;
  if (!closed_) ArmDeadlineTimer();
  RunFailures(&expired);
  expiring_ = false;
}

// ---------------------------------------------------------------------------
// Outbound connections.

void PeerTransport::StartConnect(Link* link) {
  ++stats_.connect_attempts;
  link->state = Link::State::kResolving;
  uv_timer_start(link->timer, &PeerTransport::OnLinkTimer,
                 static_cast<uint64_t>(std::max<int64_t>(1, options_.connect_timeout_ms)), 0);
  sockaddr_storage addr{};
  if (uv_ip4_addr(link->host.c_str(), link->port, reinterpret_cast<sockaddr_in*>(&addr)) == 0 ||
      uv_ip6_addr(link->host.c_str(), link->port, reinterpret_cast<sockaddr_in6*>(&addr)) == 0) {
    ConnectTo(link, reinterpret_cast<const sockaddr*>(&addr));
    return;
  }
  auto* resolve = new Resolve;
  resolve->link = link;
  resolve->req.data = resolve;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  const std::string port = std::to_string(link->port);
  const int rc = uv_getaddrinfo(loop_, &resolve->req, &PeerTransport::OnResolved,
                                link->host.c_str(), port.c_str(), &hints);
  if (rc != 0) {
    delete resolve;
    spdlog::debug("Cannot resolve peer {}: {}", link->address, uv_strerror(rc));
    LinkDown(link, nullptr, false);
    return;
  }
  link->resolve = resolve;
}

void PeerTransport::OnResolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
  auto* resolve = static_cast<Resolve*>(req->data);
  Link* link = resolve->link;
  delete resolve;
  if (link == nullptr) {  // cancelled
    uv_freeaddrinfo(res);
    return;
  }
  link->resolve = nullptr;
  PeerTransport* self = link->transport;
  if (status < 0 || res == nullptr) {
    if (!link->failure_logged) {
      spdlog::info("Cannot resolve peer {}: {} (retrying with backoff)", link->address,
                   uv_strerror(status));
      link->failure_logged = true;
    }
    uv_freeaddrinfo(res);
    self->LinkDown(link, nullptr, false);
    return;
  }
  // Prefer IPv4: a name like "localhost" often lists ::1 first while peers
  // usually listen on IPv4 addresses.
  const addrinfo* chosen = res;
  for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      chosen = ai;
      break;
    }
  }
  self->ConnectTo(link, chosen->ai_addr);
  uv_freeaddrinfo(res);
}

void PeerTransport::ConnectTo(Link* link, const sockaddr* addr) {
  auto* conn = new Connection(this, /*is_outbound=*/true);
  conn->id = next_connection_id_++;
  conn->link = link;
  conn->remote = link->address;
  resp::ReplyParserLimits limits;
  limits.max_bulk_len = options_.max_reply_bytes;
  conn->replies = resp::ReplyParser(limits);
  uv_tcp_init(loop_, &conn->tcp);
  conn->tcp.data = conn;
  conn->open_handles = 1;
  conn->connect_req.data = conn;
  link->conn = conn;
  link->state = Link::State::kConnecting;
  const int rc = uv_tcp_connect(&conn->connect_req, &conn->tcp, addr, &PeerTransport::OnConnect);
  if (rc != 0) {
    spdlog::debug("Cannot connect to peer {}: {}", link->address, uv_strerror(rc));
    CloseConnection(conn);
  }
}

void PeerTransport::OnConnect(uv_connect_t* req, int status) {
  auto* conn = static_cast<Connection*>(req->data);
  if (conn->closing) return;
  PeerTransport* self = conn->transport;
  if (status < 0) {
    if (!conn->link->failure_logged) {
      spdlog::info("Cannot connect to peer {}: {} (retrying with backoff)", conn->remote,
                   uv_strerror(status));
      conn->link->failure_logged = true;
    } else {
      spdlog::debug("Cannot connect to peer {}: {}", conn->remote, uv_strerror(status));
    }
    self->CloseConnection(conn);
    return;
  }
  self->OnConnected(conn);
}

void PeerTransport::OnConnected(Connection* conn) {
  uv_tcp_nodelay(&conn->tcp, 1);
  if (options_.tcp_keepalive_s > 0) {
    uv_tcp_keepalive(&conn->tcp, 1, static_cast<unsigned>(options_.tcp_keepalive_s));
  }
  conn->nonce = RandomNonceHex();
  if (conn->nonce.empty()) {
    spdlog::error("Cannot generate a handshake nonce: the CSPRNG failed");
    CloseConnection(conn);
    return;
  }
  uv_read_start(reinterpret_cast<uv_stream_t*>(&conn->tcp), &PeerTransport::OnAlloc,
                &PeerTransport::OnRead);
  AppendRequest(&conn->out, {std::string(kHelloCommand), std::string(kProtocolVersion),
                             options_.self_id, advertised_address_, conn->nonce});
  conn->state = Connection::State::kHelloSent;
  ScheduleFlush(conn);
}

void PeerTransport::ProcessReplies(Connection* conn) {
  resp::Reply reply;
  while (!conn->closing) {
    const auto result = conn->replies.Next(&reply);
    if (result == resp::ReplyParser::Result::kNeedMore) return;
    if (result == resp::ReplyParser::Result::kError) {
      spdlog::warn("Closing connection to peer {}: {}", conn->remote, conn->replies.error());
      CloseConnection(conn);
      return;
    }
    switch (conn->state) {
      case Connection::State::kHelloSent:
        OnHelloReply(conn, reply);
        break;
      case Connection::State::kAuthSent:
        OnAuthReply(conn, reply);
        break;
      case Connection::State::kUp:
        OnRequestReply(conn, reply);
        break;
      default:  // kRejected: the connection closes once RING.AUTH is written
        break;
    }
  }
}

void PeerTransport::OnHelloReply(Connection* conn, resp::Reply& reply) {
  Link* link = conn->link;
  if (reply.type == resp::Reply::Type::kError) {
    spdlog::warn("Peer {} refused the cluster handshake: {}", link->address,
                 Printable(reply.str, 256));
    CloseConnection(conn);
    return;
  }
  bool valid = reply.type == resp::Reply::Type::kArray && reply.elements.size() == 4 &&
               !reply.elements[0].str.empty();
  for (size_t i = 0; valid && i < reply.elements.size(); ++i) {
    valid = reply.elements[i].type == resp::Reply::Type::kBulk &&
            reply.elements[i].str.size() <= kMaxHandshakeField;
  }
  if (!valid) {
    spdlog::warn("Peer {} sent an invalid handshake reply (is it a ringkv cluster port?)",
                 link->address);
    CloseConnection(conn);
    return;
  }
  const std::string& acceptor_id = reply.elements[0].str;
  const std::string& acceptor_address = reply.elements[1].str;
  const std::string& acceptor_nonce = reply.elements[2].str;
  const std::string& proof = reply.elements[3].str;
  if (acceptor_id == options_.self_id) {
    spdlog::warn(
        "Seed {} answered with this node's own node id '{}': it points at this node (or another "
        "node has the same node-id); dropping it",
        link->address, Printable(acceptor_id));
    DropLink(link);
    return;
  }
  const std::string expected =
      AcceptorProof(options_.secret, conn->nonce, acceptor_id, options_.self_id);
  if (!ProofMatches(expected, proof)) {
    ++stats_.auth_failures;
    if (!link->failure_logged) {
      spdlog::warn("peer {} at {} failed cluster-secret authentication", Printable(acceptor_id),
                   link->address);
      link->failure_logged = true;
    } else {
      spdlog::debug("peer {} at {} failed cluster-secret authentication", Printable(acceptor_id),
                    link->address);
    }
    // Tell the acceptor, so that it records the failure too, then close.
    AppendRequest(&conn->out, {std::string(kAuthCommand), std::string(kRejectedProof)});
    conn->state = Connection::State::kRejected;
    conn->close_after_flush = true;
    ScheduleFlush(conn);
    return;
  }
  auto existing = by_node_.find(acceptor_id);
  if (existing != by_node_.end() && existing->second != link &&
      existing->second->state == Link::State::kUp) {
    spdlog::info("Seed {} reaches node {}, already connected through {}; dropping the duplicate",
                 link->address, acceptor_id, existing->second->address);
    DropLink(link);
    return;
  }
  conn->peer_id = acceptor_id;
  conn->peer_address = acceptor_address.empty() ? link->address : acceptor_address;
  AppendRequest(&conn->out,
                {std::string(kAuthCommand),
                 ConnectorProof(options_.secret, acceptor_nonce, options_.self_id, acceptor_id)});
  conn->state = Connection::State::kAuthSent;
  ScheduleFlush(conn);
}

void PeerTransport::OnAuthReply(Connection* conn, const resp::Reply& reply) {
  if (reply.type == resp::Reply::Type::kStatus && reply.str == "OK") {
    LinkUp(conn->link, conn);
    return;
  }
  if (reply.type == resp::Reply::Type::kError) {
    ++stats_.auth_failures;
    Link* link = conn->link;
    if (!link->failure_logged) {
      spdlog::warn("peer {} at {} failed cluster-secret authentication (it rejected ours: {})",
                   Printable(conn->peer_id), link->address, Printable(reply.str, 256));
      link->failure_logged = true;
    }
  } else {
    spdlog::warn("Peer {} sent an invalid handshake reply (is it a ringkv cluster port?)",
                 conn->remote);
  }
  CloseConnection(conn);
}

void PeerTransport::LinkUp(Link* link, Connection* conn) {
  const NodeId id = conn->peer_id;
  auto it = by_node_.find(id);
  // Two seeds reaching one node may both be in the handshake at once.
  if (it != by_node_.end() && it->second != link && it->second->state == Link::State::kUp) {
    spdlog::info("Seed {} reaches node {}, already connected through {}; dropping the duplicate",
                 link->address, id, it->second->address);
    DropLink(link);
    return;
  }
  std::vector<Failure> failures;
  if (!link->node_id.empty() && link->node_id != id) {
    // Another node now answers at this address: what was queued for the old
    // one must not go to it.
    auto old = by_node_.find(link->node_id);
    if (old != by_node_.end() && old->second == link) by_node_.erase(old);
    TakeWaiting(link, &failures);
  }
  // Replaces a link that is still trying another address of the same node;
  // if that one connects later, it finds this one up and drops itself.
  by_node_[id] = link;
  link->node_id = id;
  link->state = Link::State::kUp;
  link->backoff_ms = options_.reconnect_initial_ms;
  link->failure_logged = false;
  uv_timer_stop(link->timer);
  conn->state = Connection::State::kUp;
  ++stats_.connections_up;
  ++stats_.outbound_up;
  spdlog::info("Connected to peer {} at {}", id, link->address);
  for (uint64_t request_id : link->waiting) {
    auto r = requests_.find(request_id);
    if (r == requests_.end()) continue;  // expired while waiting
    AppendRequest(&conn->out, r->second.args);
    r->second.args = {};
    conn->inflight.push_back(request_id);
  }
  link->waiting.clear();
  ScheduleFlush(conn);
  if (on_up_) {
    auto on_up = on_up_;
    on_up(id, conn->peer_address);
  }
  RunFailures(&failures);
}

void PeerTransport::OnRequestReply(Connection* conn, resp::Reply& reply) {
  if (conn->written == 0) {
    spdlog::warn("Closing connection to peer {}: it sent a reply to no request", conn->remote);
    CloseConnection(conn);
    return;
  }
  const uint64_t id = conn->inflight.front();
  conn->inflight.pop_front();
  --conn->written;
  ++stats_.replies_received;
  cluster::ReplyCallback done = TakeRequest(id);
  if (done) done(DeliveryStatus::kOk, ToPeerReply(reply));
}

void PeerTransport::LinkDown(Link* link, Connection* conn, bool was_up) {
  std::vector<Failure> failures;
  if (conn != nullptr) {
    // Requests handed to the socket may have been applied: kTimeout. The
    // rest certainly were not: kUnreachable.
    for (size_t i = 0; i < conn->inflight.size(); ++i) {
      cluster::ReplyCallback done = TakeRequest(conn->inflight[i]);
      if (!done) continue;
      failures.emplace_back(std::move(done), i < conn->written ? DeliveryStatus::kTimeout
                                                               : DeliveryStatus::kUnreachable);
    }
    conn->inflight.clear();
    conn->written = 0;
  }
  TakeWaiting(link, &failures);
  if (was_up) {
    --stats_.connections_up;
    --stats_.outbound_up;
  }
  const NodeId node_id = link->node_id;
  const bool notify = was_up && !closed_ && link->state != Link::State::kDropped;
  if (link->state != Link::State::kDropped) {
    if (was_up) spdlog::info("Lost connection to peer {} at {}", node_id, link->address);
    ScheduleReconnect(link);
  }
  if (notify && on_down_) {
    auto on_down = on_down_;
    on_down(node_id);
  }
  RunFailures(&failures);
}

void PeerTransport::ScheduleReconnect(Link* link) {
  link->state = Link::State::kBackoff;
  uv_timer_start(link->timer, &PeerTransport::OnLinkTimer,
                 static_cast<uint64_t>(std::max<int64_t>(0, link->backoff_ms)), 0);
  // At least 1 ms after the first retry, so reconnect_initial_ms = 0 cannot
  // turn a dead peer into a busy loop.
  link->backoff_ms =
      std::min(std::max<int64_t>(link->backoff_ms * 2, 1), options_.reconnect_max_ms);
}

void PeerTransport::OnLinkTimer(uv_timer_t* handle) {
  auto* link = static_cast<Link*>(handle->data);
  if (link == nullptr) return;
  PeerTransport* self = link->transport;
  switch (link->state) {
    case Link::State::kBackoff:
      self->StartConnect(link);
      break;
    case Link::State::kResolving:
      spdlog::debug("Resolving peer {} timed out", link->address);
      if (link->resolve != nullptr) {
        link->resolve->link = nullptr;
        uv_cancel(reinterpret_cast<uv_req_t*>(&link->resolve->req));
        link->resolve = nullptr;
      }
      self->LinkDown(link, nullptr, false);
      break;
    case Link::State::kConnecting:
      spdlog::debug("Connecting to peer {} timed out", link->address);
      self->CloseConnection(link->conn);
      break;
    default:
      break;
  }
}

void PeerTransport::DropLink(Link* link) {
  if (link->state == Link::State::kDropped) return;
  link->state = Link::State::kDropped;
  ignored_addresses_.insert(link->address);
  auto it = by_node_.find(link->node_id);
  if (it != by_node_.end() && it->second == link) by_node_.erase(it);
  link->timer->data = nullptr;
  CloseAndDelete(link->timer);
  link->timer = nullptr;
  if (link->resolve != nullptr) {
    link->resolve->link = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&link->resolve->req));
    link->resolve = nullptr;
  }
  std::vector<Failure> failures;
  TakeWaiting(link, &failures);
  if (link->conn != nullptr) CloseConnection(link->conn);
  // Kept until the transport goes: callers up the stack may still hold it.
  auto owned = links_.find(link->address);
  if (owned != links_.end()) {
    dropped_links_.push_back(std::move(owned->second));
    links_.erase(owned);
  }
  RunFailures(&failures);
}

// ---------------------------------------------------------------------------
// Inbound connections.

void PeerTransport::OnConnection(uv_stream_t* listener, int status) {
  auto* self = static_cast<PeerTransport*>(listener->data);
  if (status < 0) {
    spdlog::warn("Accepting cluster connection: {}", uv_strerror(status));
    return;
  }
  auto* conn = new Connection(self, /*is_outbound=*/false);
  uv_tcp_init(self->loop_, &conn->tcp);
  conn->tcp.data = conn;
  conn->open_handles = 1;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&conn->tcp)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&conn->tcp), &PeerTransport::OnHandleClosed);
    return;
  }
  uv_timer_init(self->loop_, &conn->timer);
  conn->timer.data = conn;
  ++conn->open_handles;
  conn->id = self->next_connection_id_++;
  conn->state = Connection::State::kAwaitHello;
  conn->remote = RemoteAddress(&conn->tcp);
  uv_tcp_nodelay(&conn->tcp, 1);
  if (self->options_.tcp_keepalive_s > 0) {
    uv_tcp_keepalive(&conn->tcp, 1, static_cast<unsigned>(self->options_.tcp_keepalive_s));
  }
  // Until authenticated, Redis's limits for unauthenticated clients apply.
  resp::ParserLimits limits;
  limits.max_bulk_len = self->options_.max_request_bytes;
  limits.unauthenticated = true;
  conn->requests.set_limits(limits);
  conn->token = std::make_shared<Connection::Token>(Connection::Token{conn});
  self->inbound_.emplace(conn->id, conn);
  uv_timer_start(&conn->timer, &PeerTransport::OnHandshakeTimer,
                 static_cast<uint64_t>(std::max<int64_t>(1, self->options_.connect_timeout_ms)), 0);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&conn->tcp), &PeerTransport::OnAlloc,
                &PeerTransport::OnRead);
}

void PeerTransport::OnHandshakeTimer(uv_timer_t* handle) {
  auto* conn = static_cast<Connection*>(handle->data);
  if (conn->closing) return;
  spdlog::debug("Closing cluster connection from {}: no handshake in time", conn->remote);
  conn->transport->CloseConnection(conn);
}

void PeerTransport::ProcessRequests(Connection* conn) {
  while (!conn->closing && !conn->close_after_flush) {
    if (conn->state == Connection::State::kUp && InboundBusy(conn)) {
      // Backpressure: leave the rest buffered until replies drain.
      if (!conn->read_paused) {
        conn->read_paused = true;
        uv_read_stop(reinterpret_cast<uv_stream_t*>(&conn->tcp));
      }
      return;
    }
    const auto result = conn->requests.Next();
    if (result == resp::RequestParser::Result::kNeedMore) break;
    if (result == resp::RequestParser::Result::kError) {
      if (ShouldWarn()) {
        spdlog::warn("Closing cluster connection from {}: {}", conn->remote,
                     conn->requests.error());
      } else {
        spdlog::debug("Closing cluster connection from {}: {}", conn->remote,
                      conn->requests.error());
      }
      resp::ReplyBuilder(&conn->out).Error(conn->requests.error());
      conn->close_after_flush = true;
      ScheduleFlush(conn);
      return;
    }
    const std::vector<std::string_view>& args = conn->requests.args();
    switch (conn->state) {
      case Connection::State::kAwaitHello:
        HandleHello(conn, args);
        break;
      case Connection::State::kAwaitAuth:
        HandleAuth(conn, args);
        break;
      case Connection::State::kUp:
        HandleRequest(conn, args);
        break;
      default:
        return;
    }
  }
  // Only a partial request is buffered here; the slack covers its framing.
  if (!conn->closing && !conn->close_after_flush &&
      conn->requests.buffered_bytes() >
          static_cast<size_t>(options_.max_request_bytes) + kReadBufferSize) {
    spdlog::warn("Closing cluster connection from {}: request larger than {} bytes", conn->remote,
                 options_.max_request_bytes);
    CloseConnection(conn);
  }
}

void PeerTransport::RejectHandshake(Connection* conn, std::string_view error,
                                    std::string_view why) {
  if (ShouldWarn()) {
    spdlog::warn("Closing cluster connection from {}: {}", conn->remote, why);
  } else {
    spdlog::debug("Closing cluster connection from {}: {}", conn->remote, why);
  }
  resp::ReplyBuilder(&conn->out).Error(error);
  conn->close_after_flush = true;
  ScheduleFlush(conn);
}

void PeerTransport::HandleHello(Connection* conn, const std::vector<std::string_view>& args) {
  if (args.empty() || !EqualsIgnoreCase(args[0], kHelloCommand)) {
    RejectHandshake(conn, "ERR this is a ringkv cluster port: send RING.HELLO first",
                    "'" + Printable(args.empty() ? "" : args[0]) + "' before the handshake");
    return;
  }
  if (args.size() != 5) {
    RejectHandshake(conn, "ERR wrong number of arguments for 'ring.hello' command",
                    "malformed RING.HELLO");
    return;
  }
  if (args[1] != kProtocolVersion) {
    RejectHandshake(conn,
                    "ERR unsupported cluster protocol version '" + Printable(args[1]) +
                        "' (this node speaks " + std::string(kProtocolVersion) + ")",
                    "unsupported cluster protocol version '" + Printable(args[1]) + "'");
    return;
  }
  if (args[2].empty() || args[2].size() > kMaxHandshakeField ||
      args[3].size() > kMaxHandshakeField || args[4].size() > kMaxHandshakeField) {
    RejectHandshake(conn, "ERR invalid RING.HELLO", "invalid RING.HELLO");
    return;
  }
  conn->peer_id.assign(args[2]);
  conn->peer_address.assign(args[3]);
  const std::string connector_nonce(args[4]);
  conn->nonce = RandomNonceHex();
  if (conn->nonce.empty()) {
    spdlog::error("Cannot generate a handshake nonce: the CSPRNG failed");
    CloseConnection(conn);
    return;
  }
  resp::ReplyBuilder reply(&conn->out);
  reply.ArrayHeader(4);
  reply.Bulk(options_.self_id);
  reply.Bulk(advertised_address_);
  reply.Bulk(conn->nonce);
  reply.Bulk(AcceptorProof(options_.secret, connector_nonce, options_.self_id, conn->peer_id));
  conn->state = Connection::State::kAwaitAuth;
  ScheduleFlush(conn);
}

void PeerTransport::HandleAuth(Connection* conn, const std::vector<std::string_view>& args) {
  if (args.size() != 2 || !EqualsIgnoreCase(args[0], kAuthCommand)) {
    RejectHandshake(conn, "ERR this is a ringkv cluster port: send RING.AUTH after RING.HELLO",
                    "'" + Printable(args.empty() ? "" : args[0]) + "' instead of RING.AUTH");
    return;
  }
  const std::string expected =
      ConnectorProof(options_.secret, conn->nonce, conn->peer_id, options_.self_id);
  if (!ProofMatches(expected, args[1])) {
    ++stats_.auth_failures;
    if (ShouldWarn()) {
      spdlog::warn("peer {} at {} failed cluster-secret authentication", Printable(conn->peer_id),
                   conn->remote);
    } else {
      spdlog::debug("peer {} at {} failed cluster-secret authentication", Printable(conn->peer_id),
                    conn->remote);
    }
    resp::ReplyBuilder(&conn->out).Error("ERR cluster-secret authentication failed");
    conn->close_after_flush = true;
    ScheduleFlush(conn);
    return;
  }
  if (conn->peer_id == options_.self_id) {
    RejectHandshake(conn, "ERR the connecting node claims this node's own node id",
                    "peer claims this node's own node id");
    return;
  }
  resp::ReplyBuilder(&conn->out).Ok();
  conn->state = Connection::State::kUp;
  uv_timer_stop(&conn->timer);
  resp::ParserLimits limits = conn->requests.limits();
  limits.unauthenticated = false;
  conn->requests.set_limits(limits);
  ++stats_.connections_up;
  ++stats_.inbound_up;
  spdlog::info("Accepted peer {} from {}", conn->peer_id, conn->remote);
  ScheduleFlush(conn);
  if (on_up_) {
    auto on_up = on_up_;
    const NodeId id = conn->peer_id;
    const std::string address = conn->peer_address;
    on_up(id, address);
  }
}

void PeerTransport::HandleRequest(Connection* conn, const std::vector<std::string_view>& args) {
  ++stats_.requests_received;
  const uint64_t seq = conn->first_slot + conn->slots.size();
  conn->slots.emplace_back();
  auto handler = handler_;
  if (!handler || !*handler) {
    FillSlot(conn, seq, PeerReply::Error("ERR no handler for cluster requests"));
    return;
  }
  const cluster::PeerRequest request(args.begin(), args.end());
  std::weak_ptr<Connection::Token> token = conn->token;
  (*handler)(conn->peer_id, request, [token, seq](PeerReply reply) {
    if (auto alive = token.lock()) alive->conn->transport->FillSlot(alive->conn, seq, reply);
  });
}

void PeerTransport::FillSlot(Connection* conn, uint64_t seq, const PeerReply& reply) {
  if (conn->closing || seq < conn->first_slot || seq - conn->first_slot >= conn->slots.size()) {
    return;
  }
  Connection::Slot& slot = conn->slots[seq - conn->first_slot];
  if (slot.ready) {
    spdlog::debug("A cluster request was answered twice; the second reply is dropped");
    return;
  }
  slot.ready = true;
  if (seq != conn->first_slot) {
    AppendReply(&slot.bytes, reply);  // waits for the replies before it
    return;
  }
  AppendReply(&conn->out, reply);
  conn->slots.pop_front();
  ++conn->first_slot;
  while (!conn->slots.empty() && conn->slots.front().ready) {
    conn->out.append(conn->slots.front().bytes);
    conn->slots.pop_front();
    ++conn->first_slot;
  }
  ScheduleFlush(conn);
}

bool PeerTransport::InboundBusy(const Connection* conn) const {
  return conn->slots.size() >= options_.max_pending_requests ||
         conn->out.size() + conn->writing.size() >= options_.max_output_bytes;
}

void PeerTransport::ResumeReading(Connection* conn) {
  conn->read_paused = false;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&conn->tcp), &PeerTransport::OnAlloc,
                &PeerTransport::OnRead);
  ProcessRequests(conn);
}

// ---------------------------------------------------------------------------
// I/O common to both directions.

void PeerTransport::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* conn = static_cast<Connection*>(handle->data);
  buf->base = conn->transport->read_buffer_.get();
  buf->len = kReadBufferSize;
}

void PeerTransport::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* conn = static_cast<Connection*>(stream->data);
  PeerTransport* self = conn->transport;
  if (nread < 0) {
    if (nread != UV_EOF) {
      spdlog::debug("Cluster connection {}: {}", conn->remote,
                    uv_strerror(static_cast<int>(nread)));
    }
    self->CloseConnection(conn);
    return;
  }
  if (nread == 0 || conn->closing) return;
  self->stats_.bytes_in += static_cast<uint64_t>(nread);
  const std::string_view data(buf->base, static_cast<size_t>(nread));
  if (conn->outbound) {
    conn->replies.Feed(data);
    self->ProcessReplies(conn);
  } else {
    conn->requests.Feed(data);
    self->ProcessRequests(conn);
  }
}

void PeerTransport::ScheduleFlush(Connection* conn) {
  if (conn->queued_for_flush || conn->closing) return;
  conn->queued_for_flush = true;
  dirty_.push_back(conn);
  uv_idle_start(idle_, [](uv_idle_t*) {});
}

void PeerTransport::OnCheck(uv_check_t* handle) {
  if (handle->data != nullptr) static_cast<PeerTransport*>(handle->data)->RunCheck();
}

void PeerTransport::RunCheck() {
  if (!deferred_.empty()) {
    std::vector<Deferred> batch;
    batch.swap(deferred_);
    std::vector<Failure> failures;
    for (Deferred& d : batch) failures.emplace_back(std::move(d.done), d.status);
    RunFailures(&failures);
  }
  // Everything queued this iteration, including by the callbacks above, goes
  // out now: one write per connection.
  std::vector<Connection*> batch;
  batch.swap(dirty_);
  for (Connection* conn : batch) {
    conn->queued_for_flush = false;
    Flush(conn);
  }
  if (!closed_ && deferred_.empty() && dirty_.empty()) uv_idle_stop(idle_);
}

void PeerTransport::Flush(Connection* conn) {
  if (conn->closing || conn->write_pending) return;  // OnWrite reschedules
  if (!conn->out.empty()) {
    CountWritten(conn);
    const int n = TryWrite(conn);
    if (n < 0) {
      spdlog::debug("Cluster connection {}: {}", conn->remote, uv_strerror(n));
      CloseConnection(conn);
      return;
    }
    if (!conn->out.empty()) {
      conn->writing.swap(conn->out);  // `writing` is empty while no write is pending
      conn->write_pending = true;
      conn->write_req.data = conn;
      uv_buf_t rest =
          uv_buf_init(conn->writing.data(), static_cast<unsigned>(conn->writing.size()));
      const int rc = uv_write(&conn->write_req, reinterpret_cast<uv_stream_t*>(&conn->tcp), &rest,
                              1, &PeerTransport::OnWrite);
      if (rc != 0) {
        conn->write_pending = false;
        CloseConnection(conn);
      }
      return;
    }
    if (conn->out.capacity() > kIdleBufferCapacity) std::string().swap(conn->out);
  }
  if (conn->close_after_flush) {
    CloseConnection(conn);
    return;
  }
  if (conn->read_paused && !InboundBusy(conn)) ResumeReading(conn);
}

void PeerTransport::WriteAhead(Connection* conn) {
  if (conn->closing || conn->write_pending || conn->out.empty()) return;
  // EAGAIN or an error: the turn's Flush deals with it.
  if (TryWrite(conn) > 0) CountWritten(conn);
}

int PeerTransport::TryWrite(Connection* conn) {
  uv_buf_t buf = uv_buf_init(conn->out.data(), static_cast<unsigned>(conn->out.size()));
  const int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&conn->tcp), &buf, 1);
  if (n == UV_EAGAIN) return 0;
  if (n < 0) return n;
  stats_.bytes_out += static_cast<uint64_t>(n);
  conn->out.erase(0, static_cast<size_t>(n));
  return n;
}

void PeerTransport::CountWritten(Connection* conn) {
  if (!conn->outbound) return;
  stats_.requests_sent += conn->inflight.size() - conn->written;
  conn->written = conn->inflight.size();
}

void PeerTransport::OnWrite(uv_write_t* req, int status) {
  auto* conn = static_cast<Connection*>(req->data);
  if (conn->closing) return;
  PeerTransport* self = conn->transport;
  conn->write_pending = false;
  if (status < 0) {
    spdlog::debug("Cluster connection {}: {}", conn->remote, uv_strerror(status));
    self->CloseConnection(conn);
    return;
  }
  self->stats_.bytes_out += conn->writing.size();
  conn->writing.clear();
  if (conn->writing.capacity() > kIdleBufferCapacity) std::string().swap(conn->writing);
  if (!conn->out.empty() || conn->close_after_flush || conn->read_paused) {
    self->ScheduleFlush(conn);
  }
}

void PeerTransport::CloseConnection(Connection* conn) {
  if (conn->closing) return;
  conn->closing = true;
  const bool was_up = conn->state == Connection::State::kUp;
  if (conn->queued_for_flush) {
    dirty_.erase(std::remove(dirty_.begin(), dirty_.end(), conn), dirty_.end());
    conn->queued_for_flush = false;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&conn->tcp), &PeerTransport::OnHandleClosed);
  if (!conn->outbound) {
    uv_close(reinterpret_cast<uv_handle_t*>(&conn->timer), &PeerTransport::OnHandleClosed);
    inbound_.erase(conn->id);
    conn->token.reset();
    if (was_up) {
      --stats_.connections_up;
      --stats_.inbound_up;
      spdlog::debug("Peer {} disconnected from {}", conn->peer_id, conn->remote);
    }
    return;
  }
  Link* link = conn->link;
  conn->link = nullptr;
  if (link != nullptr && link->conn == conn) {
    link->conn = nullptr;
    LinkDown(link, conn, was_up);
  }
}

void PeerTransport::OnHandleClosed(uv_handle_t* handle) {
  auto* conn = static_cast<Connection*>(handle->data);
  if (--conn->open_handles == 0) delete conn;
}

bool PeerTransport::ShouldWarn() {
  const int64_t now = Now();
  if (last_warning_ms_ >= 0 && now - last_warning_ms_ < kWarningWindowMs) return false;
  last_warning_ms_ = now;
  return true;
}

}  // namespace ringkv::net
