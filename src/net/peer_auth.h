// The cryptography of the cluster-port handshake (see peer_transport.h for the
// protocol): random nonces, HMAC-SHA256 proofs and their comparison. Kept apart
// from the transport so it can be checked against published test vectors.
#pragma once

#include <string>
#include <string_view>

namespace ringkv::net {

// Lowercase hex of HMAC-SHA256(key, message).
std::string HmacSha256Hex(std::string_view key, std::string_view message);

// Lowercase hex of 16 bytes from OpenSSL's CSPRNG. Returns "" if the CSPRNG
// failed (it is seeded by the OS; this does not happen on a healthy system).
std::string RandomNonceHex();

// The proof an acceptor sends in its RING.HELLO reply: "" without a secret,
// else hex HMAC(secret, "ringkv-acceptor|" + connector_nonce + "|" +
// acceptor_id + "|" + connector_id).
std::string AcceptorProof(std::string_view secret, std::string_view connector_nonce,
                          std::string_view acceptor_id, std::string_view connector_id);

// The proof a connector sends in RING.AUTH: "" without a secret, else hex
// HMAC(secret, "ringkv-connector|" + acceptor_nonce + "|" + connector_id + "|" +
// acceptor_id). Binding both ids and the other side's nonce keeps a proof from
// being replayed on another connection or reflected back in the other role.
std::string ConnectorProof(std::string_view secret, std::string_view acceptor_nonce,
                           std::string_view connector_id, std::string_view acceptor_id);

// Compares a received proof with the expected one in time independent of where
// they differ (CRYPTO_memcmp); only the length, which is public, may leak.
bool ProofMatches(std::string_view expected, std::string_view received);

}  // namespace ringkv::net
