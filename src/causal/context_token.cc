#include "causal/context_token.h"

#include <utility>

namespace ringkv::causal {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// The 6-bit value of a URL-safe base64 character, or -1.
int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string Base64UrlEncode(std::string_view in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (uint32_t{static_cast<uint8_t>(in[i])} << 16) |
                       (uint32_t{static_cast<uint8_t>(in[i + 1])} << 8) |
                       static_cast<uint8_t>(in[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{static_cast<uint8_t>(in[i])} << 16;
    if (rest == 2) v |= uint32_t{static_cast<uint8_t>(in[i + 1])} << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

// Strict inverse of Base64UrlEncode: rejects padding, stray characters, a length
// no encoding has, and set bits below the last whole byte (so each byte string
// has exactly one accepted token).
bool Base64UrlDecode(std::string_view in, std::string* out) {
  if (in.size() % 4 == 1) return false;
  out->clear();
  out->reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = DecodeChar(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return (acc & ((1u << bits) - 1)) == 0;
}

}  // namespace

std::string EncodeContextToken(const VersionVector& vv) {
  if (vv.empty()) return "";
  std::string raw(1, static_cast<char>(kContextTokenVersion));
  vv.Encode(&raw);
  return Base64UrlEncode(raw);
}

Status DecodeContextToken(std::string_view token, VersionVector* vv) {
  if (token.empty()) {
    *vv = VersionVector();
    return Status::OK();
  }
  std::string raw;
  if (!Base64UrlDecode(token, &raw)) return Status::InvalidArgument("context token: bad base64");
  std::string_view in = raw;
  if (in.empty() || static_cast<uint8_t>(in.front()) != kContextTokenVersion) {
    return Status::InvalidArgument("context token: unknown version");
  }
  in.remove_prefix(1);
  VersionVector result;
  Status s = VersionVector::Decode(&in, &result);
  if (!s.ok()) return Status::InvalidArgument("context token: " + s.message());
  if (!in.empty()) return Status::InvalidArgument("context token: trailing bytes");
  for (const Dot& e : result) {
    if (e.counter > kMaxTokenCounter) {
      return Status::InvalidArgument("context token: counter out of range");
    }
  }
  *vv = std::move(result);
  return Status::OK();
}

}  // namespace ringkv::causal
