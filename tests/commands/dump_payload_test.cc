// The DUMP payload codec: byte-for-byte against payloads redis-server 7.0.15
// produced, round trips through every encoding, the older ziplist hashes, and
// corrupt input.
#include "commands/dump_payload.h"

#include <gtest/gtest.h>

#include <string>

namespace ringkv::commands {
namespace {

using storage::ValueType;
using namespace std::string_literals;

// Appends an RDB version and the CRC64 footer to an object serialization.
std::string Seal(std::string body, uint16_t version = kDumpRdbVersion) {
  body.push_back(static_cast<char>(version & 0xff));
  body.push_back(static_cast<char>(version >> 8));
  const uint64_t crc = Crc64Jones(0, body);
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>(crc >> (8 * i)));
  return body;
}

DumpValue String(std::string s) {
  DumpValue v;
  v.string = std::move(s);
  return v;
}

DumpValue Hash(std::vector<std::pair<std::string, std::string>> fields) {
  DumpValue v;
  v.type = ValueType::kHash;
  v.fields = std::move(fields);
  return v;
}

DumpError Decode(const std::string& payload, DumpValue* value) {
  std::string type_name;
  return DecodeDumpPayload(payload, value, &type_name);
}

void ExpectRoundTrip(const DumpValue& in, const DumpOptions& options = {}) {
  DumpValue out;
  ASSERT_EQ(Decode(EncodeDumpPayload(in, options), &out), DumpError::kNone);
  EXPECT_EQ(out.type, in.type);
  EXPECT_EQ(out.string, in.string);
  EXPECT_EQ(out.fields, in.fields);
}

TEST(DumpPayloadTest, Crc64IsRedisCheckValue) {
  EXPECT_EQ(Crc64Jones(0, "123456789"), 0xe9c6d914c4b8d9caULL);
  EXPECT_EQ(Crc64Jones(0, ""), 0u);
}

// The bytes `redis-cli --no-raw DUMP` printed against redis-server 7.0.15.
TEST(DumpPayloadTest, MatchesRedisBytes) {
  EXPECT_EQ(EncodeDumpPayload(String("bar"), {}),
            "\x00\x03"
            "bar\n\x00\xe6\xbeI`\xee"
            "f\xfd\x17"s);
  EXPECT_EQ(EncodeDumpPayload(String("12345"), {}),
            "\x00\xc1"
            "90\n\x00\x9d\x94\xea'\x93\xfc\b\xb9"s);
  EXPECT_EQ(EncodeDumpPayload(String("-5000000000"), {}),
            "\x00\x0b-5000000000\n\x00\xf2"
            "AQ\xc1\x13\xb1\x92\xb3"s);
  EXPECT_EQ(EncodeDumpPayload(String(std::string(58, 'a') + std::string(37, 'b')), {}),
            "\x00\xc3\x0e@_\x01"
            "aa\xe0/\x00\x00"
            "b\xe0\x19\x00\x01"
            "bb\n\x00\x02\x85\xe7]\xc4V\x8c\xdb"s);
  EXPECT_EQ(EncodeDumpPayload(Hash({{"a", "1"}, {"b", "hello"}}), {}),
            "\x10\x16\x16\x00\x00\x00\x04\x00\x81"
            "a\x02\x01\x01\x81"
            "b\x02\x85hello\x06\xff\n\x00"
            "\xe8\xc5\xfe\x99\xee\a\x95]"s);
}

TEST(DumpPayloadTest, StringsRoundTrip) {
  for (const std::string& s : {""s,
                               "0"s,
                               "-1"s,
                               "127"s,
                               "-128"s,
                               "128"s,
                               "-129"s,
                               "32767"s,
                               "32768"s,
                               "-32769"s,
                               "2147483647"s,
                               "2147483648"s,
                               "-2147483648"s,
                               "-2147483649"s,
                               "007"s,
                               "+5"s,
                               "1 "s,
                               "9223372036854775807"s,
                               "-9223372036854775808"s,
                               "99999999999999999999"s,
                               "binary\0\r\n\xff"s,
                               std::string(21, 'x'),
                               std::string(100000, 'z'),
                               std::string(70000, '\0')}) {
    SCOPED_TRACE(s.substr(0, 30));
    ExpectRoundTrip(String(s));
    ExpectRoundTrip(String(s), DumpOptions{.compress = false});
  }
}

TEST(DumpPayloadTest, HashesRoundTripInBothFormats) {
  std::vector<std::pair<std::string, std::string>> fields;
  // Every listpack element encoding: 7-bit, 13-bit, 16/24/32/64-bit integers
  // and 6-bit, 12-bit and 32-bit strings.
  for (const std::string& v :
       {"5"s, "-5"s, "4095"s, "-4096"s, "30000"s, "-30000"s, "8000000"s, "-8000000"s, "2000000000"s,
        "-2000000000"s, "9000000000"s, "-9223372036854775808"s, ""s, std::string(63, 's'),
        std::string(64, 'm'), std::string(4095, 'm'), std::string(4096, 'l'),
        std::string(70000, 'l')}) {
    fields.emplace_back("f" + std::to_string(fields.size()), v);
  }
  const DumpValue hash = Hash(fields);
  ExpectRoundTrip(hash, DumpOptions{.listpack_max_entries = 1000, .listpack_max_value = 100000});
  ExpectRoundTrip(hash);  // too big a value for a listpack: the hashtable format
  EXPECT_EQ(EncodeDumpPayload(hash, {})[0], 4);
  EXPECT_EQ(EncodeDumpPayload(hash, DumpOptions{.listpack_max_value = 100000})[0], 16);
  ExpectRoundTrip(hash, DumpOptions{.compress = false});
  // More than 65534 elements: the listpack's count saturates.
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 40000; ++i) many.emplace_back(std::to_string(i), "v");
  ExpectRoundTrip(Hash(many), DumpOptions{.listpack_max_entries = 50000});
}

// A ziplist hash as Redis 6.2 dumps it: {a: 1, b: hello}, RDB version 9.
TEST(DumpPayloadTest, ReadsRedis6ZiplistHashes) {
  const std::string ziplist =
      "\x1a\x00\x00\x00"  // zlbytes 26
      "\x12\x00\x00\x00"  // zltail 18
      "\x04\x00"          // zllen 4
      "\x00\x01"
      "a"         // "a"
      "\x03\xf2"  // 1, an immediate
      "\x02\x01"
      "b"  // "b"
      "\x03\x05"
      "hello"  // "hello"
      "\xff"s;
  DumpValue value;
  ASSERT_EQ(Decode(Seal("\x0d\x1a"s + ziplist, 9), &value), DumpError::kNone);
  EXPECT_EQ(value.type, ValueType::kHash);
  EXPECT_EQ(value.fields,
            (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "hello"}}));

  // Integer entries: int8, int16, int24, int32, int64.
  const std::string ints =
      "\x2a\x00\x00\x00"
      "\x26\x00\x00\x00"
      "\x06\x00"
      "\x00\xfe\x85"                              // -123 (10)
      "\x03\xc0\x39\x30"                          // 12345 (13)
      "\x04\xf0\x00\x00\x80"                      // -8388608 (17)
      "\x05\xd0\xff\xff\xff\x7f"                  // 2147483647 (22)
      "\x06\xe0\x00\x00\x00\x00\x00\x00\x00\x80"  // INT64_MIN (28)
      "\x0a\x01"
      "z"  // "z" (38)
      "\xff"s;
  ASSERT_EQ(ints.size(), 42u);
  ASSERT_EQ(Decode(Seal("\x0d\x2a"s + ints, 9), &value), DumpError::kNone);
  EXPECT_EQ(value.fields,
            (std::vector<std::pair<std::string, std::string>>{
                {"-123", "12345"}, {"-8388608", "2147483647"}, {"-9223372036854775808", "z"}}));

  // A wrong prevlen is corruption.
  std::string bad = ziplist;
  bad[15] = '\x04';
  EXPECT_EQ(Decode(Seal("\x0d\x1a"s + bad, 9), &value), DumpError::kBadFormat);
}

TEST(DumpPayloadTest, RejectsBadFooters) {
  DumpValue value;
  const std::string good = EncodeDumpPayload(String("bar"), {});
  EXPECT_EQ(Decode(good, &value), DumpError::kNone);
  EXPECT_EQ(Decode("", &value), DumpError::kVersionOrChecksum);
  EXPECT_EQ(Decode(good.substr(0, 9), &value), DumpError::kVersionOrChecksum);
  std::string flipped = good;
  flipped[2] ^= 1;
  EXPECT_EQ(Decode(flipped, &value), DumpError::kVersionOrChecksum);
  EXPECT_EQ(Decode(Seal("\x00\x03"
                        "bar"s,
                        11),
                   &value),
            DumpError::kVersionOrChecksum);
  EXPECT_EQ(Decode(Seal("\x00\x03"
                        "bar"s,
                        6),
                   &value),
            DumpError::kNone);
}

// As in Redis, the object is read from the whole payload, so one that runs
// short reads into the footer; these run past it or are invalid in themselves.
TEST(DumpPayloadTest, RejectsCorruptObjects) {
  DumpValue value;
  for (const std::string& body : {
           "\x08\x00"s,                                  // type 8 does not exist
           "\x14\x00"s,                                  // nor does 20
           "\x00\x81\xff\xff\xff\xff\xff\xff\xff\xf7"s,  // length beyond the payload
           "\x00\x20"
           "ab"s,                                        // truncated string
           "\x00\x82"s,                                  // unknown length encoding
           "\x00\xc4"s,                                  // unknown string encoding
           "\x00\xc3\x02\x80\x80\x00\x00\x00\x01\x00"s,  // LZF claiming 2 GB from 2 bytes
           "\x04\x00"s,                                  // empty hash
           "\x04\x02\x01"
           "a\x01"
           "b\x01"
           "a\x01"
           "c"s,  // repeated field
           "\x04\x02\x01"
           "a\x01"
           "b"s,                                                     // fewer pairs than counted
           "\x10\x07\x07\x00\x00\x00\x00\x00\xff"s,                  // empty listpack
           "\x10\x09\x09\x00\x00\x00\x01\x00\x05\x01\xff"s,          // odd element count
           "\x10\x09\x08\x00\x00\x00\x01\x00\x05\x01\xff"s,          // wrong total bytes
           "\x10\x0b\x0b\x00\x00\x00\x02\x00\x05\x01\x06\x02\xff"s,  // bad backlen
       }) {
    SCOPED_TRACE(::testing::PrintToString(body));
    EXPECT_EQ(Decode(Seal(body), &value), DumpError::kBadFormat);
  }
}

TEST(DumpPayloadTest, NamesTypesRingkvDoesNotHave) {
  DumpValue value;
  std::string type_name;
  EXPECT_EQ(DecodeDumpPayload(Seal("\x12\x01\x02\x0b\x0b\x00\x00\x00\x01\x00\x81x\x02\xff"s),
                              &value, &type_name),
            DumpError::kUnsupportedType);
  EXPECT_EQ(type_name, "list");
  EXPECT_EQ(DecodeDumpPayload(Seal("\x0b\x00"s), &value, &type_name), DumpError::kUnsupportedType);
  EXPECT_EQ(type_name, "set");
  EXPECT_EQ(DecodeDumpPayload(Seal("\x11\x00"s), &value, &type_name), DumpError::kUnsupportedType);
  EXPECT_EQ(type_name, "sorted set");
}

}  // namespace
}  // namespace ringkv::commands
