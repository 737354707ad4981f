// MIGRATE's blocking connections (commands::MigrateLinks) over plain TCP
// sockets with poll() timeouts, cached per host:port as Redis's
// migrate_cached_sockets: at most 64, closed after 10 seconds unused.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "commands/context.h"

namespace ringkv::net {

class MigrateSocketCache : public commands::MigrateLinks {
 public:
  MigrateSocketCache() = default;
  MigrateSocketCache(const MigrateSocketCache&) = delete;
  MigrateSocketCache& operator=(const MigrateSocketCache&) = delete;
  ~MigrateSocketCache() override;

  bool Connect(std::string_view host, std::string_view port, int64_t timeout_ms,
               int64_t* last_db) override;
  bool Write(std::string_view host, std::string_view port, std::string_view bytes,
             int64_t timeout_ms, bool* timed_out) override;
  bool ReadLine(std::string_view host, std::string_view port, int64_t timeout_ms, std::string* line,
                bool* timed_out) override;
  void SetLastDb(std::string_view host, std::string_view port, int64_t db) override;
  void Close(std::string_view host, std::string_view port) override;

  // Closes connections unused for 10 seconds (Redis's
  // migrateCloseTimedoutSockets, run from the server's cron).
  void CloseIdle();
  size_t size() const { return sockets_.size(); }

 private:
  struct Socket {
    int fd = -1;
    int64_t last_db = -1;
    int64_t last_use_ms = 0;
    std::string buffered;  // bytes read past the last line
  };
  Socket* Find(std::string_view host, std::string_view port);

  std::map<std::string, Socket> sockets_;  // by "host:port"
};

}  // namespace ringkv::net
