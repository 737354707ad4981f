// Encoding of the values ringkv keeps in LevelDB.
//
// LevelDB key layout (all integers big-endian so bytewise order is numeric order):
//   key metadata   'M' db:u32 keyhash:u64 key                   -> KeyRecord
//   hash field     'H' db:u32 keyhash:u64 varint(len) key
//                      fieldhash:u64 field                      -> FieldRecord
//   expiry index   'E' db:u32 expire_ms:u64 keyhash:u64 key     -> ""
//   node metadata  'N' name                                     -> node-specific bytes
//   journal        'J' seq:u64                                  -> journal record
//
// `db` is a physical database id (SELECT indexes map onto physical ids so that
// SWAPDB and FLUSHDB are O(1)). `keyhash` is the 64-bit xxh3 hash of the key: it
// orders keys the way the consistent-hash ring does, so SCAN cursors are stateless
// positions on the ring and a token range is one contiguous LevelDB range.
//
// Rows carry causality (src/causal): every key and every hash field is a
// causal::Object, a set of sibling versions under a version vector, so that
// replicas can merge concurrent writes instead of losing one.
//
// Key row (format 2): u8 format (2), varint field_count (the number of live
// fields of a hash at this replica: local bookkeeping, never replicated), then
// the encoded causal::Object. Each sibling's payload is a KeyVersion: u8 type
// (low 4 bits; a string keeps its StringEncoding in the high 4), varint
// expire_ms (absolute, 0 = none), then for a string its bytes (a hash's
// content lives in its field rows).
// Field row (format 2): u8 format (2), varint insertion sequence (local: the
// order of a small hash, as Redis's listpack keeps it), then the encoded
// causal::Object whose sibling payloads are the field's values.
// Journal row: varint key length, key, u8 present (0: the row was deleted),
// and if present varint value length and value.
// Journal record (JournalFile, one per commit): fixed32 BE byte length of the
// rows part, then the key and field rows the commit wrote, then its side
// writes (expiry index, db map), all as journal rows. Rows are written to the
// journal first and to their own keys later, once however often they changed
// (Keyspace explains when); opening a Keyspace applies what the journal still
// holds. Versions before the journal files kept records of rows only inside
// LevelDB, under JournalKey(seq); opening still applies those.
// A decoder that meets an unknown format reports Corruption rather than
// guessing. (Format 1, without causality, was never released.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "causal/dvv.h"
#include "util/status.h"

namespace ringkv::storage {

enum class ValueType : uint8_t { kString = 1, kHash = 2 };

const char* ValueTypeName(ValueType type);  // "string", "hash"

inline constexpr uint8_t kRowFormat = 2;

// How Redis would have encoded a string, for OBJECT ENCODING. kAuto derives it
// from the value as SET does (int, embstr or raw by length); kRaw is a string
// Redis modified in place (APPEND to an existing key, SETRANGE, SETBIT,
// BITFIELD, BITOP's destination); kNotInteger one it stores as text even when
// it reads as an integer (INCRBYFLOAT's result: embstr or raw by length).
enum class StringEncoding : uint8_t { kAuto = 0, kRaw = 1, kNotInteger = 2 };

// The visible state of a key, as plain Redis commands see it: one version.
struct KeyRecord {
  ValueType type = ValueType::kString;
  int64_t expire_ms = 0;     // absolute Unix time in ms; 0 means no expiry
  std::string value;         // string payload
  uint64_t field_count = 0;  // hash payload: number of live fields
  // A string's encoding as Redis would report it. A command that replaces the
  // value sets it; one that changes only the expiry keeps it.
  StringEncoding encoding = StringEncoding::kAuto;
  // When the visible version was written (its timestamp; Keyspace::Visible
  // sets it). Not encoded: the version carries it.
  int64_t modified_ms = 0;

  bool has_expire() const { return expire_ms != 0; }
};

// What Keyspace::Write needs to know about a version being replaced: all of it
// but the string payload, so a handler can modify a found record's value in
// place instead of copying a possibly large string.
KeyRecord MetaOf(const KeyRecord& record);

// A sibling's payload in a key row: type, expiry and (strings) value.
void EncodeKeyVersion(const KeyRecord& record, std::string* out);
// Fills type, expire_ms and value (field_count is left alone).
Status DecodeKeyVersion(std::string_view payload, KeyRecord* record);

// Key rows and field rows: the local header plus the causal object.
void EncodeKeyRow(uint64_t field_count, const causal::Object& object, std::string* out);
Status DecodeKeyRow(std::string_view input, uint64_t* field_count, causal::Object* object);
void EncodeFieldRow(uint64_t seq, const causal::Object& object, std::string* out);
Status DecodeFieldRow(std::string_view input, uint64_t* seq, causal::Object* object);

// 64-bit hash of a key or field (xxh3).
uint64_t KeyHash(std::string_view key);

inline constexpr char kMetaTag = 'M';
inline constexpr char kFieldTag = 'H';
inline constexpr char kExpireTag = 'E';
inline constexpr char kNodeTag = 'N';
inline constexpr char kJournalTag = 'J';

// The number of the last journal record whose side writes reached LevelDB
// (fixed64 BE), written with them.
inline constexpr std::string_view kJournalAppliedKey = "Njournal";

std::string JournalKey(uint64_t seq);
// False unless `raw` is a journal key.
bool ParseJournalKey(std::string_view raw, uint64_t* seq);
// Appends one row to a journal record.
void AppendJournalRow(std::string_view key, bool present, std::string_view value, std::string* out);
// Reads the next row of a journal record, advancing *in. False if malformed.
bool NextJournalRow(std::string_view* in, std::string_view* key, bool* present,
                    std::string_view* value);

std::string MetaKey(uint32_t db, std::string_view key);
// MetaKey into a caller's buffer (replacing its contents), to reuse its capacity.
void BuildMetaKey(uint32_t db, std::string_view key, std::string* out);
// Prefix of all metadata keys of `db`.
std::string MetaPrefix(uint32_t db);
// Metadata key of the first key whose hash is >= `hash`.
std::string MetaSeekKey(uint32_t db, uint64_t hash);
// Splits a metadata key into hash and user key. Returns false if malformed.
bool ParseMetaKey(std::string_view raw, uint32_t* db, uint64_t* hash, std::string_view* key);

// Prefix shared by every field of one hash.
std::string FieldPrefix(uint32_t db, std::string_view key);
// Length of the FieldPrefix a raw field key starts with; 0 if malformed.
size_t FieldPrefixSize(std::string_view raw_field_key);
std::string FieldKey(uint32_t db, std::string_view key, std::string_view field);
void BuildFieldKey(uint32_t db, std::string_view key, std::string_view field, std::string* out);
// Given a raw field key and the length of its FieldPrefix, returns the field hash
// and the field name.
bool ParseFieldKey(std::string_view raw, size_t prefix_len, uint64_t* field_hash,
                   std::string_view* field);

std::string ExpireKey(uint32_t db, int64_t expire_ms, std::string_view key);
std::string ExpirePrefix(uint32_t db);
bool ParseExpireKey(std::string_view raw, int64_t* expire_ms, std::string_view* key);

// Prefix of every entry (any tag) of a physical db is not contiguous, so whole-db
// removal walks each tag's prefix: these are the three tags that carry a db.
inline constexpr char kDbTags[] = {kMetaTag, kFieldTag, kExpireTag};
std::string DbTagPrefix(char tag, uint32_t db);

}  // namespace ringkv::storage
