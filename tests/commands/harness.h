// In-process command harness for unit tests: a real Keyspace on a temporary
// LevelDB directory, one client, and Run() returning the raw RESP reply.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "commands/dispatcher.h"
#include "server/config.h"
#include "storage/engine.h"
#include "storage/keyspace.h"
#include "tests/util/temp_dir.h"

namespace ringkv::testing {

class CommandHarness {
 public:
  CommandHarness() {
    dir_ = testing::UniqueTempDir("ringkv-test-");
    storage::EngineOptions options;
    options.dir = dir_.string();
    options.sync_mode = storage::SyncMode::kNo;
    Status s = storage::Engine::Open(options, &engine_);
    if (!s.ok()) abort();
    // A small row cache: its slot table is sized for the capacity up front.
    keyspace_ = std::make_unique<storage::Keyspace>(engine_.get(), config_.databases, 1 << 20);
    if (!keyspace_->Open().ok()) abort();
    ctx_.config = &config_;
    ctx_.keyspace = keyspace_.get();
    keyspace_->set_modified_observer(
        [this](int db, std::string_view key) { ctx_.watches.Touch(db, key); });
    client_.id = 1;
    client_.authenticated = true;
  }

  ~CommandHarness() {
    keyspace_.reset();
    engine_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Runs one command and returns its raw reply bytes, e.g. "+OK\r\n".
  std::string Run(const std::vector<std::string>& args) { return RunAs(client_, args); }

  // Runs a command as another client (WATCH/MULTI tests).
  std::string RunAs(commands::ClientState& client, const std::vector<std::string>& args) {
    std::string out;
    resp::ReplyBuilder reply(&out);
    reply.set_protocol(client.protocol);
    std::vector<std::string_view> views(args.begin(), args.end());
    commands::Dispatch(ctx_, client, views, reply, now_ms_);
    keyspace_->Commit();
    return out;
  }

  // The command clock; tests move it to exercise expiry without sleeping.
  int64_t now_ms() const { return now_ms_; }
  void set_now_ms(int64_t now) { now_ms_ = now; }
  void advance_ms(int64_t delta) { now_ms_ += delta; }

  server::Config& config() { return config_; }
  commands::ServerContext& server() { return ctx_; }
  commands::ClientState& client() { return client_; }
  storage::Keyspace& keyspace() { return *keyspace_; }

 private:
  std::filesystem::path dir_;
  server::Config config_;
  std::unique_ptr<storage::Engine> engine_;
  std::unique_ptr<storage::Keyspace> keyspace_;
  commands::ServerContext ctx_;
  commands::ClientState client_;
  int64_t now_ms_ = 1700000000000;
};

// The RESP2 bulk-string encoding of `s`.
inline std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

// Creates a one-field hash directly in the keyspace (no dependency on HSET).
inline void MakeHash(CommandHarness& h, const std::string& key) {
  storage::KeyRecord record;
  record.type = storage::ValueType::kHash;
  record.field_count = 1;
  h.keyspace().PutField(0, key, "f", "v");
  h.keyspace().Write(0, key, record, nullptr);
  h.keyspace().Commit();
}

// The key's absolute expiry in ms (0 = none), or -1 if the key does not exist.
inline int64_t ExpireOf(CommandHarness& h, const std::string& key) {
  storage::KeyRecord record;
  if (!h.keyspace().Find(0, key, h.now_ms(), &record).ok()) return -1;
  return record.expire_ms;
}

}  // namespace ringkv::testing
