#include "storage/record.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "util/coding.h"

namespace ringkv::storage {

const char* ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
    case ValueType::kHash:
      return "hash";
  }
  return "none";
}

KeyRecord MetaOf(const KeyRecord& record) {
  KeyRecord meta;
  meta.type = record.type;
  meta.expire_ms = record.expire_ms;
  meta.field_count = record.field_count;
  return meta;
}

void EncodeKeyVersion(const KeyRecord& record, std::string* out) {
  out->clear();
  out->reserve(11 + record.value.size());
  const uint8_t encoding =
      record.type == ValueType::kString ? static_cast<uint8_t>(record.encoding) : 0;
  out->push_back(static_cast<char>(static_cast<uint8_t>(record.type) | (encoding << 4)));
  PutVarint64(out, static_cast<uint64_t>(record.expire_ms));
  if (record.type == ValueType::kString) out->append(record.value);
}

Status DecodeKeyVersion(std::string_view payload, KeyRecord* record) {
  if (payload.empty()) return Status::Corruption("empty key version");
  const auto type = static_cast<ValueType>(static_cast<uint8_t>(payload[0]) & 0x0f);
  const uint8_t encoding = static_cast<uint8_t>(payload[0]) >> 4;
  if (type != ValueType::kString && type != ValueType::kHash) {
    return Status::Corruption("unknown value type");
  }
  if (encoding > static_cast<uint8_t>(StringEncoding::kNotInteger) ||
      (type != ValueType::kString && encoding != 0)) {
    return Status::Corruption("unknown string encoding");
  }
  payload.remove_prefix(1);
  uint64_t expire;
  if (!GetVarint64(&payload, &expire)) return Status::Corruption("bad key version");
  if (type == ValueType::kHash && !payload.empty()) {
    return Status::Corruption("hash version with a payload");
  }
  record->type = type;
  record->encoding = static_cast<StringEncoding>(encoding);
  record->expire_ms = static_cast<int64_t>(expire);
  record->value.assign(payload);
  return Status::OK();
}

namespace {

void EncodeRow(uint64_t header, const causal::Object& object, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kRowFormat));
  PutVarint64(out, header);
  object.Encode(out);
}

Status DecodeRow(std::string_view input, uint64_t* header, causal::Object* object) {
  if (input.empty() || static_cast<uint8_t>(input[0]) != kRowFormat) {
    return Status::Corruption("unknown row format");
  }
  input.remove_prefix(1);
  if (!GetVarint64(&input, header)) return Status::Corruption("bad row header");
  return causal::Object::Decode(input, object);
}

}  // namespace

void EncodeKeyRow(uint64_t field_count, const causal::Object& object, std::string* out) {
  EncodeRow(field_count, object, out);
}

Status DecodeKeyRow(std::string_view input, uint64_t* field_count, causal::Object* object) {
  return DecodeRow(input, field_count, object);
}

void EncodeFieldRow(uint64_t seq, const causal::Object& object, std::string* out) {
  EncodeRow(seq, object, out);
}

Status DecodeFieldRow(std::string_view input, uint64_t* seq, causal::Object* object) {
  return DecodeRow(input, seq, object);
}

uint64_t KeyHash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

std::string DbTagPrefix(char tag, uint32_t db) {
  std::string out;
  out.push_back(tag);
  PutFixed32BE(&out, db);
  return out;
}

std::string MetaPrefix(uint32_t db) { return DbTagPrefix(kMetaTag, db); }

std::string MetaKey(uint32_t db, std::string_view key) {
  std::string out;
  BuildMetaKey(db, key, &out);
  return out;
}

void BuildMetaKey(uint32_t db, std::string_view key, std::string* out) {
  out->clear();
  out->reserve(13 + key.size());
  out->push_back(kMetaTag);
  PutFixed32BE(out, db);
  PutFixed64BE(out, KeyHash(key));
  out->append(key);
}

std::string MetaSeekKey(uint32_t db, uint64_t hash) {
  std::string out = MetaPrefix(db);
  PutFixed64BE(&out, hash);
  return out;
}

bool ParseMetaKey(std::string_view raw, uint32_t* db, uint64_t* hash, std::string_view* key) {
  if (raw.size() < 13 || raw[0] != kMetaTag) return false;
  *db = DecodeFixed32BE(raw.data() + 1);
  *hash = DecodeFixed64BE(raw.data() + 5);
  *key = raw.substr(13);
  return true;
}

std::string FieldPrefix(uint32_t db, std::string_view key) {
  std::string out;
  out.reserve(18 + key.size());
  out.push_back(kFieldTag);
  PutFixed32BE(&out, db);
  PutFixed64BE(&out, KeyHash(key));
  PutLengthPrefixed(&out, key);
  return out;
}

size_t FieldPrefixSize(std::string_view raw_field_key) {
  if (raw_field_key.size() < 13 || raw_field_key[0] != kFieldTag) return 0;
  std::string_view rest = raw_field_key.substr(13);
  uint64_t key_size;
  if (!GetVarint64(&rest, &key_size) || key_size > rest.size()) return 0;
  return raw_field_key.size() - rest.size() + key_size;
}

std::string FieldKey(uint32_t db, std::string_view key, std::string_view field) {
  std::string out;
  BuildFieldKey(db, key, field, &out);
  return out;
}

void BuildFieldKey(uint32_t db, std::string_view key, std::string_view field, std::string* out) {
  out->clear();
  out->reserve(32 + key.size() + field.size());
  out->push_back(kFieldTag);
  PutFixed32BE(out, db);
  PutFixed64BE(out, KeyHash(key));
  PutLengthPrefixed(out, key);
  PutFixed64BE(out, KeyHash(field));
  out->append(field);
}

bool ParseFieldKey(std::string_view raw, size_t prefix_len, uint64_t* field_hash,
                   std::string_view* field) {
  if (raw.size() < prefix_len + 8) return false;
  *field_hash = DecodeFixed64BE(raw.data() + prefix_len);
  *field = raw.substr(prefix_len + 8);
  return true;
}

std::string ExpirePrefix(uint32_t db) { return DbTagPrefix(kExpireTag, db); }

std::string ExpireKey(uint32_t db, int64_t expire_ms, std::string_view key) {
  std::string out = ExpirePrefix(db);
  PutFixed64BE(&out, static_cast<uint64_t>(expire_ms));
  PutFixed64BE(&out, KeyHash(key));
  out.append(key);
  return out;
}

bool ParseExpireKey(std::string_view raw, int64_t* expire_ms, std::string_view* key) {
  if (raw.size() < 21 || raw[0] != kExpireTag) return false;
  *expire_ms = static_cast<int64_t>(DecodeFixed64BE(raw.data() + 5));
  *key = raw.substr(21);
  return true;
}

std::string JournalKey(uint64_t seq) {
  std::string out(1, kJournalTag);
  PutFixed64BE(&out, seq);
  return out;
}

bool ParseJournalKey(std::string_view raw, uint64_t* seq) {
  if (raw.size() != 9 || raw[0] != kJournalTag) return false;
  *seq = DecodeFixed64BE(raw.data() + 1);
  return true;
}

void AppendJournalRow(std::string_view key, bool present, std::string_view value,
                      std::string* out) {
  PutVarint64(out, key.size());
  out->append(key);
  out->push_back(present ? 1 : 0);
  if (!present) return;
  PutVarint64(out, value.size());
  out->append(value);
}

bool NextJournalRow(std::string_view* in, std::string_view* key, bool* present,
                    std::string_view* value) {
  uint64_t size;
  if (!GetVarint64(in, &size) || size >= in->size()) return false;
  *key = in->substr(0, size);
  const char flag = (*in)[size];
  in->remove_prefix(size + 1);
  if (flag != 0 && flag != 1) return false;
  *present = flag == 1;
  *value = {};
  if (!*present) return true;
  if (!GetVarint64(in, &size) || size > in->size()) return false;
  *value = in->substr(0, size);
  in->remove_prefix(size);
  return true;
}

}  // namespace ringkv::storage
