// Causality tracking for replicated keys: dotted version vectors with sibling sets
// ("Scalable and Accurate Causality Tracking for Eventually Consistent Stores",
// Almeida et al., 2014; the model behind Riak 2.0's dvv_enabled buckets).
//
// Every write is identified by a dot: (actor, counter), where the actor is the
// replica that coordinated it. An Object (one key, or one hash field) holds the
// writes that no other write has superseded yet (its siblings, each tagged with
// its dot) plus a version vector, its context, that summarizes every dot the
// replica has seen: the ones it holds and the ones it knows were superseded.
// Because actors are replicas rather than clients, the context stays small;
// because each value carries its own dot, two clients doing read-modify-write
// through one replica produce at most two siblings instead of an ever-growing set
// (the "sibling explosion" plain per-node vector clocks suffer from).
//
// Everything here is a pure value type: no I/O, no clocks, no locking.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ringkv::causal {

// A replica incarnation. The epoch is bumped whenever a node starts on an empty
// or unreadable data directory: a node that lost its data must never reuse its
// old counters, or writes it acknowledged before would be silently superseded by
// unrelated new ones (Riak issue kv679). Ordered by (node, epoch).
struct Actor {
  std::string node;
  uint32_t epoch = 0;

  // "node#epoch", for logs and debugging; not meant to be parsed back.
  std::string ToString() const;

  friend auto operator<=>(const Actor&, const Actor&) = default;
  friend bool operator==(const Actor&, const Actor&) = default;
};

// The identity of one write: the counter-th write coordinated by `actor` for an
// object. Counters start at 1. Ordered by (actor, counter).
struct Dot {
  Actor actor;
  uint64_t counter = 0;

  std::string ToString() const;  // "node#epoch:counter"

  friend auto operator<=>(const Dot&, const Dot&) = default;
  friend bool operator==(const Dot&, const Dot&) = default;
};

// A map from actor to the highest counter seen from it, representing the set of
// dots {(a, 1..n)} for each entry (a, n). Entries are kept sorted by actor and
// never hold a zero counter, so equal vectors compare and encode equal.
class VersionVector {
 public:
  using const_iterator = std::vector<Dot>::const_iterator;

  VersionVector() = default;

  // The counter recorded for `actor`; 0 if absent.
  uint64_t Get(const Actor& actor) const;
  // Records exactly `counter` for `actor`; 0 removes the entry.
  void Set(const Actor& actor, uint64_t counter);
  // Raises the entry of dot.actor to at least dot.counter (never lowers it).
  void Advance(const Dot& dot);

  // Whether the dot is in the represented set: dot.counter <= Get(dot.actor).
  bool Contains(const Dot& dot) const;
  // Pointwise maximum: afterwards this vector contains every dot of either.
  void Join(const VersionVector& other);
  // Whether every dot of `other` is contained in this (pointwise >=). A vector
  // descends itself; every vector descends the empty one.
  bool Descends(const VersionVector& other) const;

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  // Entries in actor order, each as the dot (actor, highest counter).
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  // The position of `actor` in iteration order, or -1 if absent.
  int64_t IndexOf(const Actor& actor) const;

  // Appends the binary form to *out: varint entry count, then for each entry a
  // length-prefixed node, varint epoch and varint counter, in actor order.
  void Encode(std::string* out) const;
  // Parses one encoded vector from the front of *input and advances past it.
  // Returns Corruption (leaving *vv unchanged) on truncation, an epoch wider
  // than 32 bits, a zero counter, or actors not in strictly increasing order, so
  // every accepted encoding is the canonical one.
  static Status Decode(std::string_view* input, VersionVector* vv);

  // "{node1#0:3, node2#1:1}", for logs and test failure messages.
  std::string ToString() const;

  friend bool operator==(const VersionVector&, const VersionVector&) = default;

 private:
  friend class Object;
  // Decode's parser, writing into `entries` (left partly written on error).
  static Status DecodeEntries(std::string_view* input, std::vector<Dot>* entries);

  std::vector<Dot> entries_;  // sorted by actor; counters > 0
};

// One version of an object's value.
struct Sibling {
  Dot dot;
  int64_t timestamp_ms = 0;  // coordinator's wall clock at write time; only used to pick a Winner
  bool tombstone = false;    // a delete: kept so the delete can supersede older versions
  std::string payload;       // opaque here (the storage layer's type, expiry and value)

  friend bool operator==(const Sibling&, const Sibling&) = default;
};

// The causal state of one key (or one hash field) at one replica: the siblings no
// write has superseded yet and the context of everything this replica has seen.
//
// Invariants, kept by every mutator and checked by Decode: the context contains
// every sibling's dot; no two siblings share a dot; siblings are sorted by dot.
// The canonical order makes equal states compare equal and encode to equal
// bytes, whatever sequence of updates and merges produced them.
class Object {
 public:
  Object() = default;

  const VersionVector& context() const { return context_; }
  const std::vector<Sibling>& siblings() const { return siblings_; }

  // A write coordinated by replica `actor` from a client that had read
  // `client_context`: drops every sibling whose dot client_context contains (the
  // client saw it, so the write replaces it), joins client_context into the
  // context, and adds the new value as a sibling with dot
  // (actor, context().Get(actor) + 1). Siblings the client had not seen survive.
  // An empty client_context is a blind write that supersedes nothing.
  // Returns the new dot.
  //
  // The coordinator's counter must stay below UINT64_MAX; contexts accepted
  // from clients should come through DecodeContextToken, which caps counters
  // far below that.
  //
  // `floor`: the new dot's counter is above it too. A replica that issues its
  // dots from one counter for all keys never reuses a dot for a key whose
  // object it forgot (a reaped tombstone) while another replica may still
  // remember the old dot in a context, which would hide the new write there.
  Dot Update(const VersionVector& client_context, const Actor& actor, int64_t timestamp_ms,
             bool tombstone, std::string payload, uint64_t floor = 0);
  // A plain Redis write (SET, DEL, HSET, ...): Update with this object's own
  // context, so the new value supersedes every sibling this replica holds.
  Dot UpdateLocal(const Actor& actor, int64_t timestamp_ms, bool tombstone,
                  std::string_view payload, uint64_t floor = 0);

  // Joins another replica's state of the same object into this one. A sibling of
  // either side survives unless the other side's context contains its dot while
  // the other side does not hold it (the other side saw it superseded); a dot
  // held by both sides is kept once. The context becomes the join of both.
  // Merge is commutative, associative and idempotent, so replicas converge
  // whatever order they sync in.
  //
  // One dot always names one write, so two sides holding the same dot hold the
  // same sibling. Should they ever differ (a reused actor), the greater of
  // (timestamp_ms, tombstone, payload) is kept, so merge stays deterministic.
  void Merge(const Object& other);

  // Whether Merge(other) would leave this object unchanged, i.e. this replica
  // already reflects everything `other` knows. For read repair: a replica whose
  // state the merged result does not descend-or-equal needs the merged state.
  bool DescendsOrEquals(const Object& other) const;

  // The sibling a plain Redis read shows: the greatest by (timestamp_ms, actor,
  // counter); nullptr when there are no siblings. The pointer is invalidated by
  // any mutation.
  const Sibling* Winner() const;
  // What a plain Redis read sees: true when there is no winner or the winner is
  // a tombstone. Live siblings may still exist (a concurrent, older-timestamped
  // write); RING.GET shows them.
  bool IsDeleted() const;
  // True when every sibling is a tombstone (vacuously true with no siblings).
  bool AllTombstones() const;
  // The number of siblings that are not tombstones.
  size_t LiveCount() const;
  // Whether the object may be physically removed: every sibling is a tombstone
  // written at least `grace_ms` before `now_ms` (true with no siblings). The
  // grace period must exceed the longest time a replica can hold an older
  // version unseen (the hint window), or the old version would resurrect.
  // `grace_ms` must be non-negative.
  bool Reapable(int64_t now_ms, int64_t grace_ms) const;

  // Appends the binary form to *out. Format 1: u8 format (1), the context
  // (VersionVector::Encode), varint sibling count, then per sibling in dot
  // order: varint index of its actor in the context, varint counter, zigzag
  // varint timestamp_ms (negative times round-trip), u8 flags (bit 0:
  // tombstone; other bits zero), length-prefixed payload.
  void Encode(std::string* out) const;
  // Parses exactly one encoded object spanning all of `input`. Returns
  // Corruption (leaving *object unchanged) on an unknown format, truncation,
  // trailing bytes, unknown flag bits, an actor index out of range, a dot the
  // context does not contain, or siblings not in strictly increasing dot order.
  static Status Decode(std::string_view input, Object* object);

  // Multi-line description, for logs and test failure messages.
  std::string ToString() const;

  friend bool operator==(const Object&, const Object&) = default;

 private:
  VersionVector context_;
  std::vector<Sibling> siblings_;  // sorted by dot, dots unique, all in context_
};

inline constexpr uint8_t kObjectFormatV1 = 1;

}  // namespace ringkv::causal
