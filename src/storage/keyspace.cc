#include "storage/keyspace.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "util/coding.h"

namespace ringkv::storage {

namespace {

constexpr std::string_view kDbMapKey = "Ndbmap";
// Reused buffers that grew past this (a large value went through) are released
// after the commit instead of being kept at their peak size.
constexpr size_t kRetainedBufferBytes = 1 << 20;

bool HasPrefix(const leveldb::Slice& s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::string_view(s.data(), prefix.size()) == prefix;
}

std::string_view View(const leveldb::Slice& s) { return std::string_view(s.data(), s.size()); }

}  // namespace

Keyspace::Keyspace(Engine* engine, int num_databases, size_t row_cache_bytes)
    : engine_(engine), dbs_(num_databases), cache_(row_cache_bytes) {
  for (int i = 0; i < num_databases; ++i) dbs_[i].physical_id = static_cast<uint32_t>(i);
  next_physical_id_ = static_cast<uint32_t>(num_databases);
}

// Db map record: varint next_physical_id, varint reclaim count, reclaim ids,
// varint db count, then per db: physical id, keys, expires; then the last hash
// field insertion sequence handed out.
Status Keyspace::Open() {
  std::string raw;
  Status s = engine_->Get(kDbMapKey, &raw);
  if (s.IsNotFound()) {
    metadata_dirty_ = true;
    return Status::OK();
  }
  if (!s.ok()) return s;
  std::string_view in = raw;
  uint64_t next, reclaim_count, db_count;
  if (!GetVarint64(&in, &next) || !GetVarint64(&in, &reclaim_count)) {
    return Status::Corruption("bad db map");
  }
  reclaim_.clear();
  for (uint64_t i = 0; i < reclaim_count; ++i) {
    uint64_t id;
    if (!GetVarint64(&in, &id)) return Status::Corruption("bad db map");
    reclaim_.push_back(static_cast<uint32_t>(id));
  }
  if (!GetVarint64(&in, &db_count)) return Status::Corruption("bad db map");
  std::vector<Db> stored(db_count);
  for (auto& db : stored) {
    uint64_t id;
    if (!GetVarint64(&in, &id) || !GetVarint64(&in, &db.stats.keys) ||
        !GetVarint64(&in, &db.stats.expires)) {
      return Status::Corruption("bad db map");
    }
    db.physical_id = static_cast<uint32_t>(id);
  }
  next_physical_id_ = static_cast<uint32_t>(next);
  if (!GetVarint64(&in, &field_seq_)) return Status::Corruption("bad db map");
  // A restart with fewer `databases` keeps the extra data reachable again if the
  // setting grows back; a restart with more gets fresh empty databases.
  for (size_t i = 0; i < dbs_.size(); ++i) {
    if (i < stored.size()) {
      dbs_[i] = stored[i];
    } else {
      dbs_[i].physical_id = next_physical_id_++;
      dbs_[i].stats = {};
      metadata_dirty_ = true;
    }
  }
  return Status::OK();
}

void Keyspace::SaveMetadata() {
  std::string out;
  PutVarint64(&out, next_physical_id_);
  PutVarint64(&out, reclaim_.size());
  for (uint32_t id : reclaim_) PutVarint64(&out, id);
  PutVarint64(&out, dbs_.size());
  for (const auto& db : dbs_) {
    PutVarint64(&out, db.physical_id);
    PutVarint64(&out, db.stats.keys);
    PutVarint64(&out, db.stats.expires);
  }
  PutVarint64(&out, field_seq_);
  SidePut(kDbMapKey, out);
  metadata_dirty_ = false;
}

Status Keyspace::Commit() {
  if (metadata_dirty_) SaveMetadata();
  if (!has_staged()) return Status::OK();
  cache_.ForEachDirty([this](std::string_view key, bool present, std::string_view value) {
    const leveldb::Slice k(key.data(), key.size());
    if (present) {
      batch_.Put(k, leveldb::Slice(value.data(), value.size()));
    } else {
      batch_.Delete(k);
    }
  });
  const bool large = batch_.ApproximateSize() > kRetainedBufferBytes;
  Status s = engine_->Write(&batch_);
  // Clear() keeps the batch's capacity: after one huge value, give it back.
  if (large) {
    batch_ = leveldb::WriteBatch();
  } else {
    batch_.Clear();
  }
  if (scratch_.capacity() > kRetainedBufferBytes) std::string().swap(scratch_);
  side_ops_ = 0;
  if (s.ok()) {
    cache_.MarkAllClean();
  } else {
    cache_.DropDirty();
  }
  return s;
}

void Keyspace::SidePut(std::string_view raw_key, std::string_view value) {
  batch_.Put(leveldb::Slice(raw_key.data(), raw_key.size()),
             leveldb::Slice(value.data(), value.size()));
  ++side_ops_;
}

void Keyspace::SideDelete(std::string_view raw_key) {
  batch_.Delete(leveldb::Slice(raw_key.data(), raw_key.size()));
  ++side_ops_;
}

std::unique_ptr<leveldb::Iterator> Keyspace::NewIterator() {
  Status s = Commit();
  if (!s.ok()) spdlog::error("commit before iteration failed: {}", s.ToString());
  return engine_->NewIterator();
}

Status Keyspace::ReadRow(const std::string& raw_key, std::string* value) {
  if (const RowCache::Entry* entry = cache_.Lookup(raw_key)) {
    if (!entry->present) return Status::NotFound();
    value->assign(entry->value());
    return Status::OK();
  }
  Status s = engine_->Get(raw_key, value);
  if (s.ok()) {
    cache_.Fill(raw_key, *value);
  } else if (s.IsNotFound()) {
    cache_.FillAbsent(raw_key);
  }
  return s;
}

void Keyspace::WriteRow(const std::string& raw_key, std::string_view value) {
  cache_.Stage(raw_key, value);
}

void Keyspace::DeleteRow(const std::string& raw_key) { cache_.StageAbsent(raw_key); }

Status Keyspace::Find(int db, std::string_view key, int64_t now_ms, KeyRecord* record) {
  BuildMetaKey(dbs_[db].physical_id, key, &key_buf_);
  Status s = ReadRow(key_buf_, &scratch_);
  if (!s.ok()) return s;
  s = DecodeKeyRecord(scratch_, record);
  if (!s.ok()) return s;
  if (record->has_expire() && record->expire_ms <= now_ms) {
    Remove(db, key, *record);
    ++expired_keys_;
    return Status::NotFound();
  }
  return Status::OK();
}

bool Keyspace::ExistsRaw(int db, std::string_view key) {
  BuildMetaKey(dbs_[db].physical_id, key, &key_buf_);
  return ReadRow(key_buf_, &scratch_).ok();
}

void Keyspace::Write(int db, std::string_view key, const KeyRecord& record, const KeyRecord* old) {
  Db& d = dbs_[db];
  const uint32_t pdb = d.physical_id;
  if (old == nullptr) {
    ++d.stats.keys;
  } else if (old->type == ValueType::kHash && record.type != ValueType::kHash) {
    RemoveFields(pdb, key);
  }
  const int64_t old_expire = old ? old->expire_ms : 0;
  if (old_expire != record.expire_ms) {
    if (old_expire != 0) {
      SideDelete(ExpireKey(pdb, old_expire, key));
      --d.stats.expires;
    }
    if (record.expire_ms != 0) {
      SidePut(ExpireKey(pdb, record.expire_ms, key), {});
      ++d.stats.expires;
    }
  }
  EncodeKeyRecord(record, &scratch_);
  BuildMetaKey(pdb, key, &key_buf_);
  WriteRow(key_buf_, scratch_);
  metadata_dirty_ = true;
  Notify(db, key);
}

void Keyspace::Remove(int db, std::string_view key, const KeyRecord& old) {
  Db& d = dbs_[db];
  const uint32_t pdb = d.physical_id;
  BuildMetaKey(pdb, key, &key_buf_);
  DeleteRow(key_buf_);
  if (old.type == ValueType::kHash) RemoveFields(pdb, key);
  if (old.has_expire()) {
    SideDelete(ExpireKey(pdb, old.expire_ms, key));
    --d.stats.expires;
  }
  --d.stats.keys;
  metadata_dirty_ = true;
  Notify(db, key);
}

void Keyspace::RemoveFields(uint32_t pdb, std::string_view key) {
  const std::string prefix = FieldPrefix(pdb, key);
  auto it = NewIterator();
  for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix); it->Next()) {
    DeleteRow(it->key().ToString());
  }
}

Status Keyspace::GetField(int db, std::string_view key, std::string_view field,
                          std::string* value) {
  BuildFieldKey(dbs_[db].physical_id, key, field, &key_buf_);
  Status s = ReadRow(key_buf_, &scratch_);
  if (!s.ok()) return s;
  std::string_view v;
  s = DecodeFieldRecord(scratch_, &v);
  if (s.ok()) value->assign(v);
  return s;
}

void Keyspace::PutField(int db, std::string_view key, std::string_view field,
                        std::string_view value) {
  SetField(db, key, field, value);
}

bool Keyspace::SetField(int db, std::string_view key, std::string_view field,
                        std::string_view value) {
  BuildFieldKey(dbs_[db].physical_id, key, field, &key_buf_);
  // An existing field keeps its insertion sequence (its place in a small
  // hash's order); a new one takes the next.
  uint64_t seq = 0;
  std::string_view unused;
  const bool created =
      !ReadRow(key_buf_, &scratch_).ok() || !DecodeFieldRecord(scratch_, &unused, &seq).ok();
  if (created) {
    seq = ++field_seq_;
    metadata_dirty_ = true;
  }
  EncodeFieldRecord({}, seq, value, &scratch_);
  WriteRow(key_buf_, scratch_);
  return created;
}

void Keyspace::DeleteField(int db, std::string_view key, std::string_view field) {
  BuildFieldKey(dbs_[db].physical_id, key, field, &key_buf_);
  DeleteRow(key_buf_);
}

void Keyspace::ForEachField(int db, std::string_view key, uint64_t start_hash,
                            const FieldVisitor& visit) {
  const std::string prefix = FieldPrefix(dbs_[db].physical_id, key);
  std::string start = prefix;
  PutFixed64BE(&start, start_hash);
  auto it = NewIterator();
  for (it->Seek(start); it->Valid() && HasPrefix(it->key(), prefix); it->Next()) {
    uint64_t field_hash;
    std::string_view field, value;
    if (!ParseFieldKey(View(it->key()), prefix.size(), &field_hash, &field) ||
        !DecodeFieldRecord(View(it->value()), &value).ok()) {
      spdlog::warn("skipping corrupt hash field entry");
      continue;
    }
    if (!visit(field_hash, field, value)) break;
  }
}

void Keyspace::ForEachFieldInInsertionOrder(int db, std::string_view key,
                                            const FieldVisitor& visit) {
  struct Entry {
    uint64_t seq;
    uint64_t hash;
    std::string field;
    std::string value;
  };
  std::vector<Entry> small;
  bool big = false;
  const std::string prefix = FieldPrefix(dbs_[db].physical_id, key);
  auto it = NewIterator();
  for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix); it->Next()) {
    uint64_t field_hash, seq;
    std::string_view field, value;
    if (!ParseFieldKey(View(it->key()), prefix.size(), &field_hash, &field) ||
        !DecodeFieldRecord(View(it->value()), &value, &seq).ok()) {
      spdlog::warn("skipping corrupt hash field entry");
      continue;
    }
    if (!big && small.size() < kInsertionOrderedFields) {
      small.push_back({seq, field_hash, std::string(field), std::string(value)});
      continue;
    }
    if (!big) {
      // Too big for insertion order: hand out what was collected, in the
      // iteration's (hash) order, then stream the rest.
      big = true;
      for (const Entry& e : small) {
        if (!visit(e.hash, e.field, e.value)) return;
      }
      small.clear();
    }
    if (!visit(field_hash, field, value)) return;
  }
  if (big) return;
  std::sort(small.begin(), small.end(),
            [](const Entry& a, const Entry& b) { return a.seq < b.seq; });
  for (const Entry& e : small) {
    if (!visit(e.hash, e.field, e.value)) return;
  }
}

void Keyspace::ForEachKey(int db, uint64_t start_hash, int64_t now_ms, const KeyVisitor& visit) {
  const uint32_t pdb = dbs_[db].physical_id;
  const std::string prefix = MetaPrefix(pdb);
  auto it = NewIterator();
  KeyRecord record;
  for (it->Seek(MetaSeekKey(pdb, start_hash)); it->Valid() && HasPrefix(it->key(), prefix);
       it->Next()) {
    uint32_t parsed_db;
    uint64_t hash;
    std::string_view key;
    if (!ParseMetaKey(View(it->key()), &parsed_db, &hash, &key) ||
        !DecodeKeyRecord(View(it->value()), &record).ok()) {
      spdlog::warn("skipping corrupt key entry");
      continue;
    }
    if (record.has_expire() && record.expire_ms <= now_ms) continue;
    if (!visit(hash, key, record)) break;
  }
}

void Keyspace::FlushDb(int db) {
  Db& d = dbs_[db];
  if (d.stats.keys > 0) reclaim_.push_back(d.physical_id);
  d.physical_id = next_physical_id_++;
  d.stats = {};
  // Rows of the old physical id can never be read again: free their cache
  // space. (Staged ones stay until committed; reclaim deletes them later.)
  cache_.EvictClean();
  metadata_dirty_ = true;
}

void Keyspace::FlushAll() {
  for (int i = 0; i < num_databases(); ++i) FlushDb(i);
}

void Keyspace::SwapDb(int a, int b) {
  std::swap(dbs_[a], dbs_[b]);
  metadata_dirty_ = true;
}

size_t Keyspace::ActiveExpireCycle(int64_t now_ms, size_t budget) {
  size_t removed = 0;
  for (int db = 0; db < num_databases() && removed < budget; ++db) {
    if (dbs_[db].stats.expires == 0) continue;
    const std::string prefix = ExpirePrefix(dbs_[db].physical_id);
    std::vector<std::string> due;
    {
      auto it = NewIterator();
      for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix) && due.size() < budget;
           it->Next()) {
        int64_t expire_ms;
        std::string_view key;
        if (!ParseExpireKey(View(it->key()), &expire_ms, &key)) continue;
        if (expire_ms > now_ms) break;  // the index is ordered by expiry time
        due.emplace_back(key);
      }
    }
    KeyRecord record;
    for (const auto& key : due) {
      // Find() removes the key if it is still expired; a key whose expiry moved
      // has a different index entry and is left alone.
      if (Find(db, key, now_ms, &record).IsNotFound()) ++removed;
    }
  }
  return removed;
}

bool Keyspace::ReclaimStep(size_t budget) {
  while (!reclaim_.empty() && budget > 0) {
    const uint32_t pdb = reclaim_.back();
    bool finished = true;
    auto it = NewIterator();
    for (char tag : kDbTags) {
      const std::string prefix = DbTagPrefix(tag, pdb);
      for (it->Seek(prefix); it->Valid() && HasPrefix(it->key(), prefix); it->Next()) {
        if (budget == 0) {
          finished = false;
          break;
        }
        SideDelete(View(it->key()));
        --budget;
      }
      if (!finished) break;
    }
    if (!finished) return true;
    reclaim_.pop_back();
    metadata_dirty_ = true;
  }
  return !reclaim_.empty();
}

}  // namespace ringkv::storage
