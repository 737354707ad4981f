// Redis's DUMP payload: one value in Redis's RDB object format, then the RDB
// version (2 bytes, little endian) and a CRC-64/Jones of everything before it
// (8 bytes, little endian). DUMP writes it and RESTORE reads it, so values move
// between ringkv and Redis 7.0 (and from older Redis versions) both ways.
//
// ringkv has strings and hashes. A string is written as Redis writes it: an
// integer encoding when it is a decimal int32, LZF when rdbcompression is on,
// it is longer than 20 bytes and compresses. A hash small enough to be a
// listpack in Redis (hash-max-listpack-*) is written as a listpack, in
// insertion order, so a small hash's payload is byte for byte Redis's; a
// bigger one as Redis's hashtable format. Reading accepts every encoding of
// those two types that Redis 7.0 reads (strings, hashtable hashes, listpack
// and ziplist hashes) and validates all of it, as Redis does with
// sanitize-dump-payload yes; nothing in a payload is trusted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/record.h"

namespace ringkv::commands {

// A value crossing DUMP/RESTORE: a string, or a hash's fields in order.
struct DumpValue {
  storage::ValueType type = storage::ValueType::kString;
  std::string string;
  std::vector<std::pair<std::string, std::string>> fields;
};

// The Redis directives that decide how DUMP encodes a value.
struct DumpOptions {
  bool compress = true;                 // rdbcompression
  uint64_t listpack_max_entries = 512;  // hash-max-listpack-entries
  uint64_t listpack_max_value = 64;     // hash-max-listpack-value
};

// The RDB version ringkv writes and the newest it reads (Redis 7.0's).
inline constexpr uint16_t kDumpRdbVersion = 10;

// Serializes `value` with its footer.
std::string EncodeDumpPayload(const DumpValue& value, const DumpOptions& options);

enum class DumpError {
  kNone,
  // The footer is missing, from a newer RDB version, or its checksum is wrong
  // (Redis: "DUMP payload version or checksum are wrong").
  kVersionOrChecksum,
  // The object does not parse (Redis: "Bad data format").
  kBadFormat,
  // A valid object of a type ringkv does not have yet (lists, sets, sorted
  // sets, streams, modules, pre-2.6 zipmap hashes).
  kUnsupportedType,
};

// Verifies the footer, then decodes the object. On kUnsupportedType,
// *type_name says what the payload holds ("list", "set", ...).
DumpError DecodeDumpPayload(std::string_view payload, DumpValue* value, std::string* type_name);

// Redis's crc64 (Jones polynomial, reflected, initial value `crc`, no final
// xor): crc64(0, "123456789") is 0xe9c6d914c4b8d9ca.
uint64_t Crc64Jones(uint64_t crc, std::string_view data);

}  // namespace ringkv::commands
