#include "causal/dvv.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

#include "util/coding.h"

namespace ringkv::causal {

namespace {

constexpr uint8_t kTombstoneFlag = 0x01;

// Smallest encodings, used to reject absurd element counts before reserving.
constexpr size_t kMinVectorEntryBytes = 3;  // empty node, epoch, counter
constexpr size_t kMinSiblingBytes = 5;      // index, counter, timestamp, flags, length

uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

int64_t ZigZagDecode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// Orders two siblings carrying the same dot; see Object::Merge.
bool ContentLess(const Sibling& a, const Sibling& b) {
  return std::tie(a.timestamp_ms, a.tombstone, a.payload) <
         std::tie(b.timestamp_ms, b.tombstone, b.payload);
}

bool DotLess(const Sibling& s, const Dot& d) { return s.dot < d; }

// Whether `siblings` (sorted by dot) holds `dot`.
const Sibling* FindDot(const std::vector<Sibling>& siblings, const Dot& dot) {
  auto it = std::lower_bound(siblings.begin(), siblings.end(), dot, DotLess);
  return it != siblings.end() && it->dot == dot ? &*it : nullptr;
}

}  // namespace

std::string Actor::ToString() const { return node + "#" + std::to_string(epoch); }

std::string Dot::ToString() const { return actor.ToString() + ":" + std::to_string(counter); }

// ---------------------------------------------------------------- VersionVector

int64_t VersionVector::IndexOf(const Actor& actor) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), actor,
                             [](const Dot& e, const Actor& a) { return e.actor < a; });
  if (it == entries_.end() || it->actor != actor) return -1;
  return it - entries_.begin();
}

uint64_t VersionVector::Get(const Actor& actor) const {
  const int64_t i = IndexOf(actor);
  return i < 0 ? 0 : entries_[i].counter;
}

void VersionVector::Set(const Actor& actor, uint64_t counter) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), actor,
                             [](const Dot& e, const Actor& a) { return e.actor < a; });
  const bool found = it != entries_.end() && it->actor == actor;
  if (counter == 0) {
    if (found) entries_.erase(it);
  } else if (found) {
    it->counter = counter;
  } else {
    entries_.insert(it, Dot{actor, counter});
  }
}

void VersionVector::Advance(const Dot& dot) {
  if (dot.counter > Get(dot.actor)) Set(dot.actor, dot.counter);
}

bool VersionVector::Contains(const Dot& dot) const { return dot.counter <= Get(dot.actor); }

void VersionVector::Join(const VersionVector& other) {
  std::vector<Dot> joined;
  joined.reserve(entries_.size() + other.entries_.size());
  auto a = entries_.begin();
  auto b = other.entries_.begin();
  while (a != entries_.end() || b != other.entries_.end()) {
    if (b == other.entries_.end() || (a != entries_.end() && a->actor < b->actor)) {
      joined.push_back(*a++);
    } else if (a == entries_.end() || b->actor < a->actor) {
      joined.push_back(*b++);
    } else {
      joined.push_back(Dot{a->actor, std::max(a->counter, b->counter)});
      ++a;
      ++b;
    }
  }
  entries_ = std::move(joined);
}

bool VersionVector::Descends(const VersionVector& other) const {
  for (const Dot& e : other.entries_) {
    if (!Contains(e)) return false;
  }
  return true;
}

void VersionVector::Encode(std::string* out) const {
  PutVarint64(out, entries_.size());
  for (const Dot& e : entries_) {
    PutLengthPrefixed(out, e.actor.node);
    PutVarint64(out, e.actor.epoch);
    PutVarint64(out, e.counter);
  }
}

// Decodes into `entries`, reusing its elements (and their strings'
// buffers): the hot path decodes one row per command, and the thread-local
// scratch objects below keep that free of allocations once warm.
Status VersionVector::DecodeEntries(std::string_view* input, std::vector<Dot>* entries) {
  std::string_view in = *input;
  uint64_t count;
  if (!GetVarint64(&in, &count)) return Status::Corruption("version vector: bad entry count");
  if (count > in.size() / kMinVectorEntryBytes) {
    return Status::Corruption("version vector: entry count exceeds input");
  }
  entries->resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view node;
    uint64_t epoch, counter;
    if (!GetLengthPrefixed(&in, &node) || !GetVarint64(&in, &epoch) ||
        !GetVarint64(&in, &counter)) {
      return Status::Corruption("version vector: truncated entry");
    }
    if (epoch > std::numeric_limits<uint32_t>::max()) {
      return Status::Corruption("version vector: epoch out of range");
    }
    if (counter == 0) return Status::Corruption("version vector: zero counter");
    Dot& entry = (*entries)[i];
    entry.actor.node.assign(node);
    entry.actor.epoch = static_cast<uint32_t>(epoch);
    entry.counter = counter;
    if (i > 0 && !((*entries)[i - 1].actor < entry.actor)) {
      return Status::Corruption("version vector: actors not strictly increasing");
    }
  }
  *input = in;
  return Status::OK();
}

Status VersionVector::Decode(std::string_view* input, VersionVector* vv) {
  static thread_local std::vector<Dot> scratch;
  Status s = DecodeEntries(input, &scratch);
  if (!s.ok()) return s;
  vv->entries_.swap(scratch);  // the scratch keeps the old buffers for next time
  return Status::OK();
}

std::string VersionVector::ToString() const {
  std::string s = "{";
  for (const Dot& e : entries_) {
    if (s.size() > 1) s += ", ";
    s += e.ToString();
  }
  return s + "}";
}

// ----------------------------------------------------------------------- Object

Dot Object::Update(const VersionVector& client_context, const Actor& actor, int64_t timestamp_ms,
                   bool tombstone, std::string payload, uint64_t floor) {
  std::erase_if(siblings_, [&](const Sibling& s) { return client_context.Contains(s.dot); });
  context_.Join(client_context);
  const Dot dot{actor, std::max(context_.Get(actor), floor) + 1};
  context_.Advance(dot);
  // The new dot was not in the context, so no sibling holds it.
  auto pos = std::lower_bound(siblings_.begin(), siblings_.end(), dot, DotLess);
  siblings_.insert(pos, Sibling{dot, timestamp_ms, tombstone, std::move(payload)});
  return dot;
}

Dot Object::UpdateLocal(const Actor& actor, int64_t timestamp_ms, bool tombstone,
                        std::string_view payload, uint64_t floor) {
  // Every sibling's dot is in the context, so the write supersedes them all.
  // The one sibling left is rewritten in place, reusing its buffers.
  // One search of the context for both reading and raising the counter.
  std::vector<Dot>& entries = context_.entries_;
  auto it = std::lower_bound(entries.begin(), entries.end(), actor,
                             [](const Dot& e, const Actor& a) { return e.actor < a; });
  if (it == entries.end() || it->actor != actor) it = entries.insert(it, Dot{actor, 0});
  const uint64_t counter = std::max(it->counter, floor) + 1;
  it->counter = counter;
  siblings_.resize(1);
  Sibling& sibling = siblings_.front();
  sibling.dot.actor.node.assign(actor.node);
  sibling.dot.actor.epoch = actor.epoch;
  sibling.dot.counter = counter;
  sibling.timestamp_ms = timestamp_ms;
  sibling.tombstone = tombstone;
  sibling.payload.assign(payload);
  return sibling.dot;
}

void Object::Merge(const Object& other) {
  if (&other == this) return;
  std::vector<Sibling> merged;
  merged.reserve(siblings_.size() + other.siblings_.size());
  auto a = siblings_.begin();
  auto b = other.siblings_.begin();
  while (a != siblings_.end() || b != other.siblings_.end()) {
    if (b == other.siblings_.end() || (a != siblings_.end() && a->dot < b->dot)) {
      // Only this side holds it: the other side either never saw it or saw it
      // superseded.
      if (!other.context_.Contains(a->dot)) merged.push_back(std::move(*a));
      ++a;
    } else if (a == siblings_.end() || b->dot < a->dot) {
      if (!context_.Contains(b->dot)) merged.push_back(*b);
      ++b;
    } else {
      merged.push_back(ContentLess(*a, *b) ? *b : std::move(*a));
      ++a;
      ++b;
    }
  }
  siblings_ = std::move(merged);
  context_.Join(other.context_);
}

bool Object::DescendsOrEquals(const Object& other) const {
  // Merge adds no sibling of `other` and no context entry iff this context
  // descends other's (other's siblings are all in other's context).
  if (!context_.Descends(other.context_)) return false;
  for (const Sibling& s : siblings_) {
    if (!other.context_.Contains(s.dot)) continue;
    const Sibling* theirs = FindDot(other.siblings_, s.dot);
    // Other saw this sibling superseded: merge would drop it.
    if (theirs == nullptr) return false;
    if (ContentLess(s, *theirs)) return false;
  }
  return true;
}

const Sibling* Object::Winner() const {
  const Sibling* best = nullptr;
  for (const Sibling& s : siblings_) {
    if (best == nullptr ||
        std::tie(best->timestamp_ms, best->dot) < std::tie(s.timestamp_ms, s.dot)) {
      best = &s;
    }
  }
  return best;
}

bool Object::IsDeleted() const {
  const Sibling* winner = Winner();
  return winner == nullptr || winner->tombstone;
}

bool Object::AllTombstones() const { return LiveCount() == 0; }

size_t Object::LiveCount() const {
  return std::count_if(siblings_.begin(), siblings_.end(),
                       [](const Sibling& s) { return !s.tombstone; });
}

bool Object::Reapable(int64_t now_ms, int64_t grace_ms) const {
  // timestamp + grace <= now, rearranged so it cannot overflow.
  if (now_ms < std::numeric_limits<int64_t>::min() + grace_ms) return siblings_.empty();
  const int64_t cutoff = now_ms - grace_ms;
  return std::all_of(siblings_.begin(), siblings_.end(), [cutoff](const Sibling& s) {
    return s.tombstone && s.timestamp_ms <= cutoff;
  });
}

void Object::Encode(std::string* out) const {
  out->push_back(static_cast<char>(kObjectFormatV1));
  context_.Encode(out);
  PutVarint64(out, siblings_.size());
  // Every sibling's dot is in the context, so with one actor in the context
  // (the usual case: writes coordinated by one replica) its index is 0.
  const bool one_actor = context_.size() == 1;
  for (const Sibling& s : siblings_) {
    PutVarint64(out, one_actor ? 0 : static_cast<uint64_t>(context_.IndexOf(s.dot.actor)));
    PutVarint64(out, s.dot.counter);
    PutVarint64(out, ZigZagEncode(s.timestamp_ms));
    out->push_back(static_cast<char>(s.tombstone ? kTombstoneFlag : 0));
    PutLengthPrefixed(out, s.payload);
  }
}

Status Object::Decode(std::string_view input, Object* object) {
  if (input.empty()) return Status::Corruption("causal object: empty");
  if (static_cast<uint8_t>(input.front()) != kObjectFormatV1) {
    return Status::Corruption("causal object: unknown format");
  }
  input.remove_prefix(1);
  // Decoded into thread-local scratch (reusing its buffers) and swapped in on
  // success, so *object is untouched on corruption.
  static thread_local std::vector<Dot> context;
  static thread_local std::vector<Sibling> siblings;
  Status s = VersionVector::DecodeEntries(&input, &context);
  if (!s.ok()) return s;
  uint64_t count;
  if (!GetVarint64(&input, &count)) return Status::Corruption("causal object: bad sibling count");
  if (count > input.size() / kMinSiblingBytes) {
    return Status::Corruption("causal object: sibling count exceeds input");
  }
  siblings.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t index, counter, zigzag;
    std::string_view payload;
    if (!GetVarint64(&input, &index) || !GetVarint64(&input, &counter) ||
        !GetVarint64(&input, &zigzag) || input.empty()) {
      return Status::Corruption("causal object: truncated sibling");
    }
    const auto flags = static_cast<uint8_t>(input.front());
    input.remove_prefix(1);
    if (!GetLengthPrefixed(&input, &payload)) {
      return Status::Corruption("causal object: truncated payload");
    }
    if ((flags & ~kTombstoneFlag) != 0) return Status::Corruption("causal object: unknown flags");
    if (index >= context.size()) {
      return Status::Corruption("causal object: actor index out of range");
    }
    if (counter == 0 || counter > context[index].counter) {
      return Status::Corruption("causal object: sibling dot not in context");
    }
    Sibling& sibling = siblings[i];
    sibling.dot.actor.node.assign(context[index].actor.node);
    sibling.dot.actor.epoch = context[index].actor.epoch;
    sibling.dot.counter = counter;
    sibling.timestamp_ms = ZigZagDecode(zigzag);
    sibling.tombstone = (flags & kTombstoneFlag) != 0;
    sibling.payload.assign(payload);
    if (i > 0 && !(siblings[i - 1].dot < sibling.dot)) {
      return Status::Corruption("causal object: siblings not in strictly increasing dot order");
    }
  }
  if (!input.empty()) return Status::Corruption("causal object: trailing bytes");
  object->context_.entries_.swap(context);
  object->siblings_.swap(siblings);
  return Status::OK();
}

std::string Object::ToString() const {
  std::string s = "context " + context_.ToString();
  for (const Sibling& sib : siblings_) {
    s += "\n  " + sib.dot.ToString() + " t=" + std::to_string(sib.timestamp_ms) +
         (sib.tombstone ? " tombstone" : "") + " payload=" + std::to_string(sib.payload.size()) +
         "B";
  }
  return s;
}

}  // namespace ringkv::causal
