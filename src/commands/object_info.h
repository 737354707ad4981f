// What Redis reports about a key's object (OBJECT ENCODING and REFCOUNT,
// DUMP's serialization), shared by OBJECT, DUMP and DEBUG OBJECT.
#pragma once

#include <cstdint>
#include <string_view>

#include "commands/dump_payload.h"
#include "storage/record.h"

namespace ringkv::server {
struct Config;
}

namespace ringkv::commands {

class ExecContext;

// The encoding Redis would report for a live key (key_commands.cc). A string
// keeps the hint of how it was last written; a hash is judged by its current
// size against the hash-max-listpack-* limits.
std::string_view ObjectEncodingOf(ExecContext& ctx, int db, std::string_view key,
                                  const storage::KeyRecord& record);

// Redis's refcount: INT_MAX for its shared integers 0..9999, else 1.
int64_t ObjectRefcountOf(const storage::KeyRecord& record);

// A live key's value for DUMP (dump_commands.cc): the string, or the hash's
// fields in insertion order. `record` is what Find returned; its string is moved.
DumpValue LoadDumpValue(ExecContext& ctx, int db, std::string_view key, storage::KeyRecord* record);

// How DUMP encodes under `config` (rdbcompression, hash-max-listpack-*).
DumpOptions DumpOptionsOf(const server::Config& config);

}  // namespace ringkv::commands
