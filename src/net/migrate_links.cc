#include "net/migrate_links.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace ringkv::net {

namespace {

// Redis's MIGRATE_SOCKET_CACHE_ITEMS and MIGRATE_SOCKET_CACHE_TTL.
constexpr size_t kMaxCachedSockets = 64;
constexpr int64_t kIdleCloseMs = 10 * 1000;
// connSyncReadLine reads into a 1 KB buffer.
constexpr size_t kMaxLine = 1024;
// MIGRATE writes its request in chunks of this size (64 KB in Redis).
constexpr size_t kWriteChunk = 64 * 1024;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string KeyOf(std::string_view host, std::string_view port) {
  std::string key(host);
  key += ':';
  key.append(port);
  return key;
}

// Waits until `fd` is ready for `events` or `deadline_ms` passes.
bool WaitFor(int fd, short events, int64_t deadline_ms, bool* timed_out) {
  while (true) {
    const int64_t left = deadline_ms - NowMs();
    if (left <= 0) {
      *timed_out = true;
      return false;
    }
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, INT32_MAX)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

// A non-blocking TCP connection to host:port made within `timeout_ms`, or -1.
int ConnectWithin(const std::string& host, const std::string& port, int64_t timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return -1;
  const int64_t deadline = NowMs() + timeout_ms;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    bool ok = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0;
    if (!ok && errno == EINPROGRESS) {
      bool timed_out = false;
      int error = 0;
      socklen_t len = sizeof(error);
      ok = WaitFor(fd, POLLOUT, deadline, &timed_out) &&
           ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0;
    }
    if (!ok) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd >= 0) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return fd;
}

}  // namespace

MigrateSocketCache::~MigrateSocketCache() {
  for (auto& [key, socket] : sockets_) ::close(socket.fd);
}

MigrateSocketCache::Socket* MigrateSocketCache::Find(std::string_view host, std::string_view port) {
  auto it = sockets_.find(KeyOf(host, port));
  return it == sockets_.end() ? nullptr : &it->second;
}

bool MigrateSocketCache::Connect(std::string_view host, std::string_view port, int64_t timeout_ms,
                                 int64_t* last_db) {
  const std::string key = KeyOf(host, port);
  auto it = sockets_.find(key);
  if (it != sockets_.end()) {
    it->second.last_use_ms = NowMs();
    *last_db = it->second.last_db;
    return true;
  }
  // A full cache gives up a random entry, as Redis does.
  if (sockets_.size() == kMaxCachedSockets) {
    auto victim = sockets_.begin();
    std::advance(victim, static_cast<long>(NowMs() % static_cast<int64_t>(sockets_.size())));
    ::close(victim->second.fd);
    sockets_.erase(victim);
  }
  const int fd = ConnectWithin(std::string(host), std::string(port), timeout_ms);
  if (fd < 0) return false;
  Socket& socket = sockets_[key];
  socket.fd = fd;
  socket.last_use_ms = NowMs();
  *last_db = -1;
  return true;
}

bool MigrateSocketCache::Write(std::string_view host, std::string_view port, std::string_view bytes,
                               int64_t timeout_ms, bool* timed_out) {
  *timed_out = false;
  Socket* socket = Find(host, port);
  if (socket == nullptr) return false;
  size_t pos = 0;
  while (pos < bytes.size()) {
    // Each chunk gets the whole timeout, as each connSyncWrite call does.
    const size_t chunk_end = std::min(bytes.size(), pos + kWriteChunk);
    const int64_t deadline = NowMs() + timeout_ms;
    while (pos < chunk_end) {
      const ssize_t n = ::send(socket->fd, bytes.data() + pos, chunk_end - pos, MSG_NOSIGNAL);
      if (n > 0) {
        pos += static_cast<size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!WaitFor(socket->fd, POLLOUT, deadline, timed_out)) return false;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        return false;
      }
    }
  }
  return true;
}

bool MigrateSocketCache::ReadLine(std::string_view host, std::string_view port, int64_t timeout_ms,
                                  std::string* line, bool* timed_out) {
  *timed_out = false;
  Socket* socket = Find(host, port);
  if (socket == nullptr) return false;
  const int64_t deadline = NowMs() + timeout_ms;
  while (true) {
    const size_t eol = socket->buffered.find('\n');
    if (eol != std::string::npos) {
      size_t end = eol;
      if (end > 0 && socket->buffered[end - 1] == '\r') --end;
      line->assign(socket->buffered, 0, std::min(end, kMaxLine - 1));
      socket->buffered.erase(0, eol + 1);
      return true;
    }
    // A target that sends an endless line without a newline is cut off at
    // the buffer Redis would have filled.
    if (socket->buffered.size() >= kMaxLine) {
      line->assign(socket->buffered, 0, kMaxLine - 1);
      socket->buffered.clear();
      return true;
    }
    char buf[kMaxLine];
    const ssize_t n = ::recv(socket->fd, buf, sizeof(buf), 0);
    if (n > 0) {
      socket->buffered.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitFor(socket->fd, POLLIN, deadline, timed_out)) return false;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return false;  // closed by the target, or an error
    }
  }
}

void MigrateSocketCache::SetLastDb(std::string_view host, std::string_view port, int64_t db) {
  if (Socket* socket = Find(host, port)) socket->last_db = db;
}

void MigrateSocketCache::Close(std::string_view host, std::string_view port) {
  auto it = sockets_.find(KeyOf(host, port));
  if (it == sockets_.end()) return;
  ::close(it->second.fd);
  sockets_.erase(it);
}

void MigrateSocketCache::CloseIdle() {
  const int64_t now = NowMs();
  for (auto it = sockets_.begin(); it != sockets_.end();) {
    if (now - it->second.last_use_ms > kIdleCloseMs) {
      ::close(it->second.fd);
      it = sockets_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace ringkv::net
