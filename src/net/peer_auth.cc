#include "net/peer_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace ringkv::net {

namespace {

std::string Hex(const unsigned char* data, size_t len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(len * 2, '\0');
  for (size_t i = 0; i < len; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

std::string Proof(std::string_view secret, std::string_view role, std::string_view nonce,
                  std::string_view id1, std::string_view id2) {
  if (secret.empty()) return {};
  std::string message;
  message.reserve(role.size() + nonce.size() + id1.size() + id2.size() + 3);
  message.append(role).append("|").append(nonce).append("|").append(id1).append("|").append(id2);
  return HmacSha256Hex(secret, message);
}

}  // namespace

std::string HmacSha256Hex(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // OpenSSL rejects a null key pointer even with length 0.
  const void* key_data = key.empty() ? static_cast<const void*>("") : key.data();
  if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
           &len) == nullptr) {
    return {};
  }
  return Hex(digest, len);
}

std::string RandomNonceHex() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return {};
  return Hex(bytes, sizeof(bytes));
}

std::string AcceptorProof(std::string_view secret, std::string_view connector_nonce,
                          std::string_view acceptor_id, std::string_view connector_id) {
  return Proof(secret, "ringkv-acceptor", connector_nonce, acceptor_id, connector_id);
}

std::string ConnectorProof(std::string_view secret, std::string_view acceptor_nonce,
                           std::string_view connector_id, std::string_view acceptor_id) {
  return Proof(secret, "ringkv-connector", acceptor_nonce, connector_id, acceptor_id);
}

bool ProofMatches(std::string_view expected, std::string_view received) {
  if (expected.size() != received.size()) return false;
  return CRYPTO_memcmp(expected.data(), received.data(), expected.size()) == 0;
}

}  // namespace ringkv::net
