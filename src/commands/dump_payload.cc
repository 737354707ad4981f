// The RDB object format of strings and hashes as Redis 7.0's rdb.c,
// listpack.c and ziplist.c write it. Comments name the Redis function each
// piece mirrors.
#include "commands/dump_payload.h"

#include <lzf.h>

#include <array>
#include <charconv>
#include <cstring>
#include <unordered_set>

#include "commands/util.h"

namespace ringkv::commands {

namespace {

// Object types (rdb.h).
constexpr uint8_t kRdbTypeString = 0;
constexpr uint8_t kRdbTypeHash = 4;
constexpr uint8_t kRdbTypeHashZipmap = 9;
constexpr uint8_t kRdbTypeHashZiplist = 13;
constexpr uint8_t kRdbTypeHashListpack = 16;
constexpr uint8_t kRdbTypeMax = 19;

// Length and string encodings (rdb.h).
constexpr uint8_t kRdb6BitLen = 0;
constexpr uint8_t kRdb14BitLen = 1;
constexpr uint8_t kRdb32BitLen = 0x80;
constexpr uint8_t kRdb64BitLen = 0x81;
constexpr uint8_t kRdbEncVal = 3;
constexpr uint8_t kRdbEncInt8 = 0;
constexpr uint8_t kRdbEncInt16 = 1;
constexpr uint8_t kRdbEncInt32 = 2;
constexpr uint8_t kRdbEncLzf = 3;

// Redis's LONG_STR_SIZE: string2ll refuses longer input.
constexpr size_t kLongStrSize = 21;

// Listpack (listpack.c).
constexpr size_t kListpackHeaderSize = 6;
constexpr uint16_t kListpackUnknownCount = 65535;
constexpr uint8_t kListpackEof = 0xFF;

// Ziplist (ziplist.c).
constexpr size_t kZiplistHeaderSize = 10;
constexpr uint16_t kZiplistUnknownCount = 65535;
constexpr uint8_t kZiplistEnd = 0xFF;
constexpr uint8_t kZiplistBigPrevLen = 254;

void PutLe(uint64_t v, size_t bytes, std::string* out) {
  for (size_t i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLe(const uint8_t* p, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

uint64_t GetBe(const uint8_t* p, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

// Sign-extends the low `bits` bits of `v`.
int64_t SignExtend(uint64_t v, int bits) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

// Redis's string2ll: the strict decimal form of a 64-bit integer.
bool StringToInt64(std::string_view s, int64_t* value) {
  return !s.empty() && s.size() < kLongStrSize && ParseInt64(s, value);
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

// rdbSaveLen.
void PutRdbLen(uint64_t len, std::string* out) {
  if (len < (1 << 6)) {
    out->push_back(static_cast<char>((kRdb6BitLen << 6) | len));
  } else if (len < (1 << 14)) {
    out->push_back(static_cast<char>((kRdb14BitLen << 6) | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xff));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(kRdb32BitLen));
    for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(len >> shift));
  } else {
    out->push_back(static_cast<char>(kRdb64BitLen));
    for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(len >> shift));
  }
}

// rdbSaveRawString: an int8/16/32 encoding for a short decimal integer, LZF
// when it saves at least 4 bytes, else the bytes with their length.
void PutRdbString(std::string_view s, bool compress, std::string* out) {
  int64_t v;
  if (s.size() <= 11 && StringToInt64(s, &v) && v >= INT32_MIN && v <= INT32_MAX) {
    if (v >= INT8_MIN && v <= INT8_MAX) {
      out->push_back(static_cast<char>((kRdbEncVal << 6) | kRdbEncInt8));
      PutLe(static_cast<uint64_t>(v), 1, out);
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      out->push_back(static_cast<char>((kRdbEncVal << 6) | kRdbEncInt16));
      PutLe(static_cast<uint64_t>(v), 2, out);
    } else {
      out->push_back(static_cast<char>((kRdbEncVal << 6) | kRdbEncInt32));
      PutLe(static_cast<uint64_t>(v), 4, out);
    }
    return;
  }
  // rdbSaveLzfStringObject; lzf_compress takes unsigned int sizes.
  if (compress && s.size() > 20 && s.size() <= UINT32_MAX) {
    std::string packed(s.size() - 4 + 1, '\0');
    const unsigned int packed_len =
        lzf_compress(s.data(), static_cast<unsigned int>(s.size()), packed.data(),
                     static_cast<unsigned int>(s.size() - 4));
    if (packed_len > 0) {
      out->push_back(static_cast<char>((kRdbEncVal << 6) | kRdbEncLzf));
      PutRdbLen(packed_len, out);
      PutRdbLen(s.size(), out);
      out->append(packed.data(), packed_len);
      return;
    }
  }
  PutRdbLen(s.size(), out);
  out->append(s);
}

// lpEncodeBacklen: the entry's size, 7 bits a byte, read back to front.
size_t ListpackBacklenSize(uint64_t len) {
  if (len <= 127) return 1;
  if (len < 16383) return 2;
  if (len < 2097151) return 3;
  if (len < 268435455) return 4;
  return 5;
}

void PutListpackBacklen(uint64_t len, std::string* out) {
  const size_t size = ListpackBacklenSize(len);
  // The first byte holds the highest bits; every later byte has bit 7 set.
  for (size_t i = 0; i < size; ++i) {
    uint8_t byte = static_cast<uint8_t>((len >> (7 * (size - 1 - i))) & 127);
    if (i > 0) byte |= 128;
    out->push_back(static_cast<char>(byte));
  }
}

// lpAppend of one element: lpEncodeGetType, then the entry and its backlen.
void PutListpackEntry(std::string_view s, std::string* out) {
  const size_t start = out->size();
  int64_t v;
  if (StringToInt64(s, &v)) {
    const uint64_t u = static_cast<uint64_t>(v);
    if (v >= 0 && v <= 127) {
      out->push_back(static_cast<char>(v));
    } else if (v >= -4096 && v <= 4095) {
      const uint64_t w = u & 0x1fff;
      out->push_back(static_cast<char>(0xC0 | (w >> 8)));
      out->push_back(static_cast<char>(w & 0xff));
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      out->push_back(static_cast<char>(0xF1));
      PutLe(u, 2, out);
    } else if (v >= -8388608 && v <= 8388607) {
      out->push_back(static_cast<char>(0xF2));
      PutLe(u, 3, out);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out->push_back(static_cast<char>(0xF3));
      PutLe(u, 4, out);
    } else {
      out->push_back(static_cast<char>(0xF4));
      PutLe(u, 8, out);
    }
  } else if (s.size() < 64) {
    out->push_back(static_cast<char>(0x80 | s.size()));
    out->append(s);
  } else if (s.size() < 4096) {
    out->push_back(static_cast<char>(0xE0 | (s.size() >> 8)));
    out->push_back(static_cast<char>(s.size() & 0xff));
    out->append(s);
  } else {
    out->push_back(static_cast<char>(0xF0));
    PutLe(s.size(), 4, out);
    out->append(s);
  }
  PutListpackBacklen(out->size() - start, out);
}

// Whether Redis would hold this hash as a listpack (hashTypeTryConversion).
bool FitsListpack(const DumpValue& value, const DumpOptions& options) {
  if (value.fields.size() > options.listpack_max_entries) return false;
  for (const auto& [field, val] : value.fields) {
    if (field.size() > options.listpack_max_value || val.size() > options.listpack_max_value) {
      return false;
    }
  }
  return true;
}

std::string BuildListpack(const DumpValue& value) {
  std::string lp(kListpackHeaderSize, '\0');
  for (const auto& [field, val] : value.fields) {
    PutListpackEntry(field, &lp);
    PutListpackEntry(val, &lp);
  }
  lp.push_back(static_cast<char>(kListpackEof));
  const uint64_t count = 2 * value.fields.size();
  std::string header;
  PutLe(lp.size(), 4, &header);
  PutLe(count < kListpackUnknownCount ? count : kListpackUnknownCount, 2, &header);
  lp.replace(0, kListpackHeaderSize, header);
  return lp;
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

// Reads the payload as Redis's rio over the whole buffer does (the object may
// run into the footer; Redis does not check where it ends either).
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool Byte(uint8_t* b) {
    if (pos_ >= in_.size()) return false;
    *b = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool Bytes(uint64_t n, std::string_view* out) {
    if (n > in_.size() - pos_) return false;
    *out = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }

  // rdbLoadLenByRef: *encoded is set for an RDB_ENCVAL byte, whose low six
  // bits are then the encoding.
  bool Len(uint64_t* len, bool* encoded) {
    uint8_t b;
    if (!Byte(&b)) return false;
    *encoded = false;
    const uint8_t kind = b >> 6;
    std::string_view rest;
    if (kind == kRdbEncVal) {
      *encoded = true;
      *len = b & 0x3f;
    } else if (kind == kRdb6BitLen) {
      *len = b & 0x3f;
    } else if (kind == kRdb14BitLen) {
      uint8_t low;
      if (!Byte(&low)) return false;
      *len = (static_cast<uint64_t>(b & 0x3f) << 8) | low;
    } else if (b == kRdb32BitLen) {
      if (!Bytes(4, &rest)) return false;
      *len = GetBe(reinterpret_cast<const uint8_t*>(rest.data()), 4);
    } else if (b == kRdb64BitLen) {
      if (!Bytes(8, &rest)) return false;
      *len = GetBe(reinterpret_cast<const uint8_t*>(rest.data()), 8);
    } else {
      return false;
    }
    return true;
  }

  // rdbGenericLoadStringObject.
  bool String(std::string* out) {
    uint64_t len;
    bool encoded;
    if (!Len(&len, &encoded)) return false;
    std::string_view data;
    if (!encoded) {
      if (!Bytes(len, &data)) return false;
      out->assign(data);
      return true;
    }
    if (len == kRdbEncInt8 || len == kRdbEncInt16 || len == kRdbEncInt32) {
      const size_t bytes = len == kRdbEncInt8 ? 1 : len == kRdbEncInt16 ? 2 : 4;
      if (!Bytes(bytes, &data)) return false;
      const int64_t v =
          SignExtend(GetLe(reinterpret_cast<const uint8_t*>(data.data()), bytes), 8 * bytes);
      *out = std::to_string(v);
      return true;
    }
    if (len != kRdbEncLzf) return false;
    // Redis reads these with rdbLoadLen(rdb, NULL), which takes an encoding
    // byte's low bits as a length; so does this.
    uint64_t packed_len, plain_len;
    if (!Len(&packed_len, &encoded) || !Len(&plain_len, &encoded)) return false;
    if (!Bytes(packed_len, &data)) return false;
    // A back reference of 3 bytes expands to at most 264, so a claimed size
    // beyond that ratio cannot decompress (Redis would fail after allocating).
    if (plain_len / 88 > packed_len || plain_len > UINT32_MAX) return false;
    std::string plain(plain_len + 1, '\0');
    const unsigned int got = lzf_decompress(data.data(), static_cast<unsigned int>(data.size()),
                                            plain.data(), static_cast<unsigned int>(plain_len));
    if (got != plain_len) return false;
    plain.resize(plain_len);
    *out = std::move(plain);
    return true;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

// Adds a field unless it repeats one (a corrupt payload).
class FieldCollector {
 public:
  explicit FieldCollector(DumpValue* value) : value_(value) {}
  bool Add(std::string field, std::string val) {
    if (!seen_.insert(field).second) return false;
    value_->fields.emplace_back(std::move(field), std::move(val));
    return true;
  }

 private:
  DumpValue* value_;
  std::unordered_set<std::string> seen_;
};

// lpValidateIntegrity with deep validation, collecting the elements.
bool ParseListpack(std::string_view blob, std::vector<std::string>* elements) {
  const auto* lp = reinterpret_cast<const uint8_t*>(blob.data());
  const size_t size = blob.size();
  if (size < kListpackHeaderSize + 1) return false;
  if (GetLe(lp, 4) != size || lp[size - 1] != kListpackEof) return false;
  const uint64_t declared = GetLe(lp + 4, 2);
  size_t p = kListpackHeaderSize;
  const size_t end = size - 1;
  while (p < end) {
    const uint8_t b = lp[p];
    const size_t avail = end - p;
    uint64_t entry_len;  // encoding and data, without the backlen
    std::string element;
    auto need = [&](uint64_t n) { return n <= avail; };
    if ((b & 0x80) == 0) {
      entry_len = 1;
      element = std::to_string(b & 0x7f);
    } else if ((b & 0xC0) == 0x80) {
      const uint64_t len = b & 0x3f;
      entry_len = 1 + len;
      if (!need(entry_len)) return false;
      element.assign(blob.substr(p + 1, len));
    } else if ((b & 0xE0) == 0xC0) {
      entry_len = 2;
      if (!need(entry_len)) return false;
      element = std::to_string(SignExtend((static_cast<uint64_t>(b & 0x1f) << 8) | lp[p + 1], 13));
    } else if ((b & 0xF0) == 0xE0) {
      if (!need(2)) return false;
      const uint64_t len = (static_cast<uint64_t>(b & 0x0f) << 8) | lp[p + 1];
      entry_len = 2 + len;
      if (!need(entry_len)) return false;
      element.assign(blob.substr(p + 2, len));
    } else if (b == 0xF0) {
      if (!need(5)) return false;
      const uint64_t len = GetLe(lp + p + 1, 4);
      entry_len = 5 + len;
      if (!need(entry_len)) return false;
      element.assign(blob.substr(p + 5, len));
    } else if (b >= 0xF1 && b <= 0xF4) {
      static constexpr size_t kIntBytes[] = {2, 3, 4, 8};
      const size_t bytes = kIntBytes[b - 0xF1];
      entry_len = 1 + bytes;
      if (!need(entry_len)) return false;
      element = std::to_string(SignExtend(GetLe(lp + p + 1, bytes), 8 * bytes));
    } else {
      return false;
    }
    const size_t backlen_size = ListpackBacklenSize(entry_len);
    if (!need(entry_len + backlen_size)) return false;
    std::string expected;
    PutListpackBacklen(entry_len, &expected);
    if (blob.substr(p + entry_len, backlen_size) != expected) return false;
    p += entry_len + backlen_size;
    elements->push_back(std::move(element));
  }
  return declared == kListpackUnknownCount || declared == elements->size();
}

// ziplistValidateIntegrity with deep validation (zipEntrySafe), collecting
// the elements.
bool ParseZiplist(std::string_view blob, std::vector<std::string>* elements) {
  const auto* zl = reinterpret_cast<const uint8_t*>(blob.data());
  const size_t size = blob.size();
  if (size < kZiplistHeaderSize + 1) return false;
  if (GetLe(zl, 4) != size || zl[size - 1] != kZiplistEnd) return false;
  const uint64_t tail = GetLe(zl + 4, 4);
  const uint64_t declared = GetLe(zl + 8, 2);
  size_t p = kZiplistHeaderSize;
  size_t last = kZiplistHeaderSize;
  uint64_t prev_len = 0;
  const size_t end = size - 1;
  while (p < end) {
    const size_t avail = end - p;
    uint64_t prevlen;
    size_t header;
    if (zl[p] < kZiplistBigPrevLen) {
      prevlen = zl[p];
      header = 1;
    } else if (zl[p] == kZiplistBigPrevLen) {
      if (avail < 5) return false;
      prevlen = GetLe(zl + p + 1, 4);
      header = 5;
    } else {
      return false;
    }
    if (prevlen != prev_len || header >= avail) return false;
    const uint8_t b = zl[p + header];
    uint64_t data_len = 0;
    size_t enc_len = 1;
    bool is_int = false;
    int64_t int_value = 0;
    switch (b >> 6) {
      case 0:
        data_len = b & 0x3f;
        break;
      case 1:
        if (header + 2 > avail) return false;
        data_len = (static_cast<uint64_t>(b & 0x3f) << 8) | zl[p + header + 1];
        enc_len = 2;
        break;
      case 2:
        if (b != 0x80 || header + 5 > avail) return false;
        data_len = GetBe(zl + p + header + 1, 4);
        enc_len = 5;
        break;
      default:
        is_int = true;
        switch (b) {
          case 0xC0:
            data_len = 2;
            break;
          case 0xD0:
            data_len = 4;
            break;
          case 0xE0:
            data_len = 8;
            break;
          case 0xF0:
            data_len = 3;
            break;
          case 0xFE:
            data_len = 1;
            break;
          default:
            // 1111xxxx with xxxx in 0001..1101: the value xxxx - 1, no data.
            if (b < 0xF1 || b > 0xFD) return false;
            int_value = (b & 0x0f) - 1;
        }
    }
    const uint64_t entry_len = header + enc_len + data_len;
    if (entry_len > avail) return false;
    const size_t data = p + header + enc_len;
    if (!is_int) {
      elements->emplace_back(blob.substr(data, data_len));
    } else {
      if (data_len > 0) int_value = SignExtend(GetLe(zl + data, data_len), 8 * data_len);
      elements->push_back(std::to_string(int_value));
    }
    last = p;
    prev_len = entry_len;
    p += entry_len;
  }
  if (tail != last) return false;
  return declared == kZiplistUnknownCount || declared == elements->size();
}

// Pairs the elements of a listpack or ziplist hash.
bool PairElements(std::vector<std::string> elements, DumpValue* value) {
  if (elements.empty() || elements.size() % 2 != 0) return false;
  FieldCollector fields(value);
  for (size_t i = 0; i < elements.size(); i += 2) {
    if (!fields.Add(std::move(elements[i]), std::move(elements[i + 1]))) return false;
  }
  return true;
}

// rdbLoadObject for the types ringkv has.
DumpError DecodeObject(uint8_t type, Reader* in, DumpValue* value) {
  if (type == kRdbTypeString) {
    value->type = storage::ValueType::kString;
    return in->String(&value->string) ? DumpError::kNone : DumpError::kBadFormat;
  }
  value->type = storage::ValueType::kHash;
  if (type == kRdbTypeHash) {
    uint64_t count;
    bool encoded;
    // As rdbLoadLen(rdb, NULL): an encoding byte's low bits are the count.
    if (!in->Len(&count, &encoded) || count == 0) return DumpError::kBadFormat;
    FieldCollector fields(value);
    // Not reserved from `count`: it is untrusted, the payload's end bounds it.
    for (uint64_t i = 0; i < count; ++i) {
      std::string field, val;
      if (!in->String(&field) || !in->String(&val)) return DumpError::kBadFormat;
      if (!fields.Add(std::move(field), std::move(val))) return DumpError::kBadFormat;
    }
    return DumpError::kNone;
  }
  std::string blob;
  if (!in->String(&blob)) return DumpError::kBadFormat;
  std::vector<std::string> elements;
  const bool parsed =
      type == kRdbTypeHashListpack ? ParseListpack(blob, &elements) : ParseZiplist(blob, &elements);
  return parsed && PairElements(std::move(elements), value) ? DumpError::kNone
                                                            : DumpError::kBadFormat;
}

// What a valid type byte ringkv cannot store holds; empty for ringkv's types.
std::string_view UnsupportedTypeName(uint8_t type) {
  switch (type) {
    case 1:
    case 10:
    case 14:
    case 18:
      return "list";
    case 2:
    case 11:
      return "set";
    case 3:
    case 5:
    case 12:
    case 17:
      return "sorted set";
    case 6:
    case 7:
      return "module value";
    case kRdbTypeHashZipmap:
      return "hash in the zipmap encoding of Redis 2.4";
    case 15:
    case 19:
      return "stream";
    default:
      return {};
  }
}

std::array<uint64_t, 256> MakeCrc64Table() {
  // The Jones polynomial 0xad93d23594c935a9, bit-reversed.
  constexpr uint64_t kReflectedPoly = 0x95ac9329ac4bc9b5ULL;
  std::array<uint64_t, 256> table{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ kReflectedPoly : crc >> 1;
    table[i] = crc;
  }
  return table;
}

}  // namespace

uint64_t Crc64Jones(uint64_t crc, std::string_view data) {
  static const std::array<uint64_t, 256> kTable = MakeCrc64Table();
  for (unsigned char c : data) crc = kTable[(crc ^ c) & 0xff] ^ (crc >> 8);
  return crc;
}

std::string EncodeDumpPayload(const DumpValue& value, const DumpOptions& options) {
  std::string out;
  if (value.type == storage::ValueType::kString) {
    out.push_back(static_cast<char>(kRdbTypeString));
    PutRdbString(value.string, options.compress, &out);
  } else if (FitsListpack(value, options)) {
    out.push_back(static_cast<char>(kRdbTypeHashListpack));
    PutRdbString(BuildListpack(value), options.compress, &out);
  } else {
    out.push_back(static_cast<char>(kRdbTypeHash));
    PutRdbLen(value.fields.size(), &out);
    for (const auto& [field, val] : value.fields) {
      PutRdbString(field, options.compress, &out);
      PutRdbString(val, options.compress, &out);
    }
  }
  PutLe(kDumpRdbVersion, 2, &out);
  PutLe(Crc64Jones(0, out), 8, &out);
  return out;
}

DumpError DecodeDumpPayload(std::string_view payload, DumpValue* value, std::string* type_name) {
  // verifyDumpPayload.
  if (payload.size() < 10) return DumpError::kVersionOrChecksum;
  const auto* footer = reinterpret_cast<const uint8_t*>(payload.data() + payload.size() - 10);
  if (GetLe(footer, 2) > kDumpRdbVersion) return DumpError::kVersionOrChecksum;
  if (Crc64Jones(0, payload.substr(0, payload.size() - 8)) != GetLe(footer + 2, 8)) {
    return DumpError::kVersionOrChecksum;
  }
  // rdbLoadObjectType, then rdbLoadObject.
  Reader in(payload);
  uint8_t type;
  if (!in.Byte(&type) || type > kRdbTypeMax || type == 8) return DumpError::kBadFormat;
  if (const std::string_view name = UnsupportedTypeName(type); !name.empty()) {
    type_name->assign(name);
    return DumpError::kUnsupportedType;
  }
  *value = DumpValue();
  return DecodeObject(type, &in, value);
}

}  // namespace ringkv::commands
