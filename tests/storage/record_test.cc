#include "storage/record.h"

#include <gtest/gtest.h>

namespace ringkv::storage {
namespace {

TEST(RecordTest, StringVersionRoundTrip) {
  KeyRecord in;
  in.type = ValueType::kString;
  in.expire_ms = 1700000000123;
  in.value = std::string("bin\0ary\r\n", 9);
  std::string encoded;
  EncodeKeyVersion(in, &encoded);
  KeyRecord out;
  ASSERT_TRUE(DecodeKeyVersion(encoded, &out).ok());
  EXPECT_EQ(out.type, ValueType::kString);
  EXPECT_EQ(out.expire_ms, in.expire_ms);
  EXPECT_EQ(out.value, in.value);
}

TEST(RecordTest, StringEncodingRoundTripsInTheTypeByte) {
  for (StringEncoding encoding :
       {StringEncoding::kAuto, StringEncoding::kRaw, StringEncoding::kNotInteger}) {
    KeyRecord in;
    in.value = "12";
    in.encoding = encoding;
    std::string encoded;
    EncodeKeyVersion(in, &encoded);
    KeyRecord out;
    ASSERT_TRUE(DecodeKeyVersion(encoded, &out).ok());
    EXPECT_EQ(out.type, ValueType::kString);
    EXPECT_EQ(out.encoding, encoding);
    EXPECT_EQ(out.value, "12");
  }
  // A version written before the hint existed reads as kAuto.
  KeyRecord out;
  out.encoding = StringEncoding::kRaw;
  ASSERT_TRUE(DecodeKeyVersion(std::string("\x01\x00v", 3), &out).ok());
  EXPECT_EQ(out.encoding, StringEncoding::kAuto);
  // Unknown hints, and a hint on a hash, are corruption.
  EXPECT_TRUE(DecodeKeyVersion(std::string("\x31\x00v", 3), &out).IsCorruption());
  EXPECT_TRUE(DecodeKeyVersion(std::string("\x12\x00", 2), &out).IsCorruption());
  // A hash never carries one, whatever the record says.
  KeyRecord hash;
  hash.type = ValueType::kHash;
  hash.encoding = StringEncoding::kRaw;
  std::string encoded;
  EncodeKeyVersion(hash, &encoded);
  EXPECT_EQ(encoded[0], '\x02');
}

TEST(RecordTest, HashVersionRoundTripAndGarbageIsCorruption) {
  KeyRecord in;
  in.type = ValueType::kHash;
  std::string encoded;
  EncodeKeyVersion(in, &encoded);
  KeyRecord out;
  ASSERT_TRUE(DecodeKeyVersion(encoded, &out).ok());
  EXPECT_EQ(out.type, ValueType::kHash);
  EXPECT_EQ(out.expire_ms, 0);
  EXPECT_TRUE(DecodeKeyVersion("", &out).IsCorruption());
  EXPECT_TRUE(DecodeKeyVersion(std::string(1, '\x07'), &out).IsCorruption());
  EXPECT_TRUE(DecodeKeyVersion(encoded + "x", &out).IsCorruption());  // hash with a payload
}

TEST(RecordTest, KeyRowCarriesFieldCountAndSiblings) {
  causal::Object object;
  const causal::Actor a{"node1", 7}, b{"node2", 9};
  object.UpdateLocal(a, 1000, false, "v1");
  causal::Object other;
  other.UpdateLocal(b, 2000, false, "v2");
  object.Merge(other);  // concurrent: two siblings
  std::string encoded;
  EncodeKeyRow(42, object, &encoded);
  uint64_t field_count = 0;
  causal::Object decoded;
  ASSERT_TRUE(DecodeKeyRow(encoded, &field_count, &decoded).ok());
  EXPECT_EQ(field_count, 42u);
  EXPECT_EQ(decoded, object);
  EXPECT_EQ(decoded.siblings().size(), 2u);

  EXPECT_TRUE(DecodeKeyRow("", &field_count, &decoded).IsCorruption());
  std::string wrong = encoded;
  wrong[0] = 1;  // the unreleased format without causality
  EXPECT_TRUE(DecodeKeyRow(wrong, &field_count, &decoded).IsCorruption());
  for (size_t n = 0; n < encoded.size(); ++n) {
    EXPECT_FALSE(DecodeKeyRow(encoded.substr(0, n), &field_count, &decoded).ok()) << n;
  }
}

TEST(RecordTest, FieldRowRoundTrip) {
  causal::Object object;
  object.UpdateLocal({"node1", 1}, 5, false, "value");
  std::string encoded;
  EncodeFieldRow(300, object, &encoded);
  uint64_t seq = 0;
  causal::Object decoded;
  ASSERT_TRUE(DecodeFieldRow(encoded, &seq, &decoded).ok());
  EXPECT_EQ(seq, 300u);
  EXPECT_EQ(decoded.Winner()->payload, "value");
  EXPECT_FALSE(DecodeFieldRow(encoded.substr(0, 2), &seq, &decoded).ok());
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
