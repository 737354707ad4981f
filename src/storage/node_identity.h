// Who this node is on the ring, persisted in the data directory: the node id
// and the epoch that, together, name this replica's actor in every dot it
// issues.
//
// A node that starts on an empty or lost data directory must never reuse the
// dots it issued before (their counters are gone with the data; reusing them
// silently drops acknowledged writes, Riak issue kv679). So a fresh directory
// gets a new epoch, persisted (synced) before the node serves anything.
#pragma once

#include <cstdint>
#include <string>

#include "storage/engine.h"
#include "util/status.h"

namespace ringkv::storage {

struct NodeIdentity {
  std::string node_id;
  uint32_t epoch = 0;
  bool fresh = false;  // created by this start (the directory had no identity)
};

// Loads the identity stored in `engine`, or creates one if there is none:
// node id = `configured_node_id`, or a random 16-hex-digit id when that is
// empty; epoch = the current Unix time in seconds (so it grows with every
// fresh start; a clock that went backwards still yields a value never issued
// by this directory, which is all the actor needs). A stored identity whose
// node id differs from a non-empty `configured_node_id` is refused: the data
// would otherwise be served under another node's name.
Status LoadOrCreateIdentity(Engine* engine, const std::string& configured_node_id, int64_t now_ms,
                            NodeIdentity* identity);

}  // namespace ringkv::storage
