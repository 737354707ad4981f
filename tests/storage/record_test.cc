#include "storage/record.h"

#include <gtest/gtest.h>

namespace ringkv::storage {
namespace {

TEST(RecordTest, StringRoundTrip) {
  KeyRecord in;
  in.type = ValueType::kString;
  in.expire_ms = 1700000000123;
  in.context = "ctx";
  in.value = std::string("bin\0ary\r\n", 9);
  std::string encoded;
  EncodeKeyRecord(in, &encoded);
  KeyRecord out;
  ASSERT_TRUE(DecodeKeyRecord(encoded, &out).ok());
  EXPECT_EQ(out.type, ValueType::kString);
  EXPECT_EQ(out.expire_ms, in.expire_ms);
  EXPECT_EQ(out.context, "ctx");
  EXPECT_EQ(out.value, in.value);
}

TEST(RecordTest, HashRoundTrip) {
  KeyRecord in;
  in.type = ValueType::kHash;
  in.field_count = 123456789;
  std::string encoded;
  EncodeKeyRecord(in, &encoded);
  KeyRecord out;
  ASSERT_TRUE(DecodeKeyRecord(encoded, &out).ok());
  EXPECT_EQ(out.type, ValueType::kHash);
  EXPECT_EQ(out.field_count, 123456789u);
  EXPECT_EQ(out.expire_ms, 0);
}

TEST(RecordTest, UnknownFormatIsCorruption) {
  KeyRecord in;
  std::string encoded;
  EncodeKeyRecord(in, &encoded);
  encoded[0] = 2;  // reserved for sibling sets
  KeyRecord out;
  EXPECT_TRUE(DecodeKeyRecord(encoded, &out).IsCorruption());
  EXPECT_TRUE(DecodeKeyRecord("", &out).IsCorruption());
  // Truncated header.
  EncodeKeyRecord(in, &encoded);
  EXPECT_TRUE(DecodeKeyRecord(encoded.substr(0, 3), &out).IsCorruption());
}

TEST(RecordTest, FieldRoundTrip) {
  std::string encoded;
  EncodeFieldRecord("", 300, "value", &encoded);
  std::string_view value;
  uint64_t seq = 0;
  ASSERT_TRUE(DecodeFieldRecord(encoded, &value, &seq).ok());
  EXPECT_EQ(value, "value");
  EXPECT_EQ(seq, 300u);
  EXPECT_TRUE(DecodeFieldRecord(encoded.substr(0, 2), &value).IsCorruption());
}

TEST(RecordTest, MetaKeysOrderByHash) {
  std::string a = MetaKey(1, "alpha"), b = MetaKey(1, "beta");
  uint32_t db;
  uint64_t hash;
  std::string_view key;
  ASSERT_TRUE(ParseMetaKey(a, &db, &hash, &key));
  EXPECT_EQ(db, 1u);
  EXPECT_EQ(key, "alpha");
  EXPECT_EQ(hash, KeyHash("alpha"));
  EXPECT_EQ(a < b, KeyHash("alpha") < KeyHash("beta"));
  // Every key of db 1 sorts after every key of db 0 and before db 2.
  EXPECT_LT(MetaKey(0, "zzz"), a);
  EXPECT_LT(b, MetaPrefix(2));
}

TEST(RecordTest, ExpireKeyParses) {
  std::string k = ExpireKey(3, 42, "key");
  int64_t when;
  std::string_view key;
  ASSERT_TRUE(ParseExpireKey(k, &when, &key));
  EXPECT_EQ(when, 42);
  EXPECT_EQ(key, "key");
  EXPECT_LT(ExpireKey(3, 41, "zzz"), k);
}

}  // namespace
}  // namespace ringkv::storage
