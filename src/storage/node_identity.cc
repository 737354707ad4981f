#include "storage/node_identity.h"

#include <leveldb/write_batch.h>

#include <random>

#include "util/coding.h"

namespace ringkv::storage {

namespace {

constexpr std::string_view kIdentityKey = "Nidentity";
constexpr uint8_t kIdentityFormat = 1;

std::string RandomNodeId() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (char& c : id) c = kHex[gen() % 16];
  return id;
}

}  // namespace

Status LoadOrCreateIdentity(Engine* engine, const std::string& configured_node_id, int64_t now_ms,
                            NodeIdentity* identity) {
  std::string raw;
  Status s = engine->Get(kIdentityKey, &raw);
  if (s.ok()) {
    std::string_view in = raw;
    std::string_view node_id;
    uint64_t epoch;
    if (in.empty() || static_cast<uint8_t>(in[0]) != kIdentityFormat) {
      return Status::Corruption("unknown node identity format");
    }
    in.remove_prefix(1);
    if (!GetLengthPrefixed(&in, &node_id) || !GetVarint64(&in, &epoch) || !in.empty() ||
        node_id.empty() || epoch == 0 || epoch > UINT32_MAX) {
      return Status::Corruption("bad node identity record");
    }
    if (!configured_node_id.empty() && configured_node_id != node_id) {
      return Status::InvalidArgument("the data directory belongs to node '" + std::string(node_id) +
                                     "' but node-id is '" + configured_node_id +
                                     "': use that node's id, or an empty directory");
    }
    identity->node_id.assign(node_id);
    identity->epoch = static_cast<uint32_t>(epoch);
    identity->fresh = false;
    return Status::OK();
  }
  if (!s.IsNotFound()) return s;

  identity->node_id = configured_node_id.empty() ? RandomNodeId() : configured_node_id;
  identity->epoch = static_cast<uint32_t>(std::max<int64_t>(1, now_ms / 1000));
  identity->fresh = true;
  std::string encoded;
  encoded.push_back(static_cast<char>(kIdentityFormat));
  PutLengthPrefixed(&encoded, identity->node_id);
  PutVarint64(&encoded, identity->epoch);
  leveldb::WriteBatch batch;
  batch.Put(leveldb::Slice(kIdentityKey.data(), kIdentityKey.size()), encoded);
  s = engine->Write(&batch);
  if (!s.ok()) return s;
  // Durable before any dot is issued under this epoch, whatever appendfsync says.
  return engine->Sync();
}

}  // namespace ringkv::storage
