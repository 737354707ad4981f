// DEBUG, gated by enable-debug-command exactly as Redis 7 gates it. When allowed,
// the subcommands test suites rely on are supported; any other answers Redis's
// unknown-subcommand error rather than pretending.
#include <arpa/inet.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "commands/command.h"
#include "commands/object_info.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

bool IsLocalClient(const ClientState& client) {
  return client.addr.rfind("127.", 0) == 0 || client.addr.rfind("::1:", 0) == 0 ||
         client.addr.rfind("::ffff:127.", 0) == 0;
}

void ReplyHelp(ExecContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "DIGEST",
      "    Output a hex signature representing the current DB content.",
      "DIGEST-VALUE <key> [<key> ...]",
      "    Output a hex signature of the values of all the specified keys.",
      "OBJECT <key>",
      "    Show low level info about the <key> and associated value. ringkv objects have",
      "    no address: 'Value at' shows the key's 64-bit hash.",
      "PROTOCOL <type>",
      "    Reply with a test value of the specified type. <type> can be: string,",
      "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
      "    true, false.",
      "RELOAD",
      "    Data is already durable in LevelDB: writes every row still only in the commit",
      "    journal under its own key (a checkpoint) and replies OK.",
      "LOADAOF",
      "    The same as RELOAD: the commit journal is ringkv's append only file.",
      "SET-JOURNAL-CYCLE-MS <ms>",
      "    ringkv: time between materialization cycles of the commit journal (default",
      "    1000). A large value holds rows in the journal, for crash-recovery tests.",
      "SET-ACTIVE-EXPIRE <0|1>",
      "    Setting it to 0 disables expiring keys in the background when they are not",
      "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
      "    default.",
      "SLEEP <seconds>",
      "    Stop the server for <seconds>. Decimals allowed.",
  };
  ReplySubcommandHelp(ctx, kLines);
}

// DEBUG PROTOCOL <type>: Redis's fixed sample reply of each RESP type, which
// client test suites use to exercise their RESP3 parsers.
void DebugProtocol(ExecContext& ctx, std::string_view type) {
  resp::ReplyBuilder& r = ctx.reply;
  if (EqualsIgnoreCase(type, "string")) {
    r.Bulk("Hello World");
  } else if (EqualsIgnoreCase(type, "integer")) {
    r.Integer(12345);
  } else if (EqualsIgnoreCase(type, "double")) {
    r.Double(3.141);
  } else if (EqualsIgnoreCase(type, "bignum")) {
    r.BigNumber("1234567999999999999999999999999999999");
  } else if (EqualsIgnoreCase(type, "null")) {
    r.Null();
  } else if (EqualsIgnoreCase(type, "array") || EqualsIgnoreCase(type, "set")) {
    if (EqualsIgnoreCase(type, "array")) {
      r.ArrayHeader(3);
    } else {
      r.SetHeader(3);
    }
    for (int i = 0; i < 3; ++i) r.Integer(i);
  } else if (EqualsIgnoreCase(type, "map")) {
    r.MapHeader(3);
    for (int i = 0; i < 3; ++i) {
      r.Integer(i);
      r.Bool(i == 1);
    }
  } else if (EqualsIgnoreCase(type, "attrib")) {
    if (r.protocol() == 3) {
      r.AttributeHeader(1);
      r.Bulk("key-popularity");
      r.ArrayHeader(2);
      r.Bulk("key:123");
      r.Integer(90);
    }
    // An attribute is no reply by itself: a real one follows.
    r.Bulk("Some real reply following the attribute");
  } else if (EqualsIgnoreCase(type, "push")) {
    if (r.protocol() != 3) {
      r.Error("ERR RESP2 is not supported by this command");
      return;
    }
    r.PushHeader(2);
    r.Bulk("server-cpu-usage");
    r.Integer(42);
    // A push is out of band: the command's own reply follows.
    r.Bulk("Some real reply following the push reply");
  } else if (EqualsIgnoreCase(type, "true") || EqualsIgnoreCase(type, "false")) {
    r.Bool(EqualsIgnoreCase(type, "true"));
  } else if (EqualsIgnoreCase(type, "verbatim")) {
    r.Verbatim("txt", "This is a verbatim\nstring");
  } else {
    r.Error(
        "ERR Wrong protocol type name. Please use one of the following: "
        "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
  }
}

// DEBUG DIGEST and DIGEST-VALUE compute Redis's digests exactly (debug.c), so a
// dataset has the same digest on ringkv as on Redis. A digest is 20 bytes.
using Digest = unsigned char[20];

// digest ^= SHA1(data)
void XorDigest(Digest digest, std::string_view data) {
  unsigned char hash[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), hash);
  for (int i = 0; i < SHA_DIGEST_LENGTH; ++i) digest[i] ^= hash[i];
}

// digest = SHA1(digest ^ SHA1(data)): keeps the order of what is mixed in.
void MixDigest(Digest digest, std::string_view data) {
  XorDigest(digest, data);
  unsigned char hash[SHA_DIGEST_LENGTH];
  SHA1(digest, SHA_DIGEST_LENGTH, hash);
  std::memcpy(digest, hash, SHA_DIGEST_LENGTH);
}

// Redis's xorObjectDigest for the types ringkv has: the type's Redis number,
// the value (a hash as the xor of its fields' digests, so order does not
// matter) and whether the key expires.
void MixValueDigest(ExecContext& ctx, int db, std::string_view key,
                    const storage::KeyRecord& record, Digest digest) {
  constexpr uint32_t kRedisString = 0, kRedisHash = 4;  // OBJ_STRING, OBJ_HASH
  const uint32_t type = htonl(record.type == storage::ValueType::kHash ? kRedisHash : kRedisString);
  MixDigest(digest, std::string_view(reinterpret_cast<const char*>(&type), sizeof(type)));
  if (record.type == storage::ValueType::kString) {
    MixDigest(digest, record.value);
  } else {
    ctx.keyspace().ForEachField(
        db, key, 0, [&](uint64_t, std::string_view field, std::string_view value) {
          Digest element = {};
          MixDigest(element, field);
          MixDigest(element, value);
          XorDigest(digest,
                    std::string_view(reinterpret_cast<const char*>(element), sizeof(Digest)));
          return true;
        });
  }
  if (record.has_expire()) XorDigest(digest, "!!expire!!");
}

std::string HexDigest(const Digest digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (int i = 0; i < SHA_DIGEST_LENGTH; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

// DEBUG DIGEST: every database's keys, each database mixed in by number.
void DebugDigest(ExecContext& ctx) {
  Digest final_digest = {};
  for (int db = 0; db < ctx.keyspace().num_databases(); ++db) {
    if (ctx.keyspace().Stats(db).keys == 0) continue;
    const uint32_t id = htonl(static_cast<uint32_t>(db));
    MixDigest(final_digest, std::string_view(reinterpret_cast<const char*>(&id), sizeof(id)));
    ctx.keyspace().ForEachKey(
        db, 0, ctx.now_ms, [&](uint64_t, std::string_view key, const storage::KeyRecord& rec) {
          Digest digest = {};
          MixDigest(digest, key);
          MixValueDigest(ctx, db, key, rec, digest);
          XorDigest(final_digest,
                    std::string_view(reinterpret_cast<const char*>(digest), sizeof(Digest)));
          return true;
        });
  }
  ctx.reply.SimpleString(HexDigest(final_digest));
}

// DEBUG DIGEST-VALUE key ...: each value's digest, zeros for a missing key.
void DebugDigestValue(ExecContext& ctx) {
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  storage::KeyRecord record;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    Digest digest = {};
    if (ctx.keyspace().Find(ctx.db(), ctx.arg(i), ctx.now_ms, &record).ok()) {
      MixValueDigest(ctx, ctx.db(), ctx.arg(i), record, digest);
    }
    ctx.reply.SimpleString(HexDigest(digest));
  }
}

// DEBUG OBJECT key: Redis's line of low-level facts. The key is looked up as
// Redis's dictFind does, without expiring it; serializedlength is the size of
// its DUMP serialization (rdbSavedObjectLen) and lru its access word.
void DebugObject(ExecContext& ctx) {
  const std::string_view key = ctx.arg(2);
  storage::KeyRecord record;
  if (!ctx.keyspace().Find(ctx.db(), key, /*now_ms=*/0, &record).ok()) {
    ctx.reply.Error(kErrNoSuchKey);
    return;
  }
  const std::string_view encoding = ObjectEncodingOf(ctx, ctx.db(), key, record);
  const int64_t refcount = ObjectRefcountOf(record);
  const uint32_t word = ctx.keyspace().AccessWord(ctx.db(), key, record);
  // The payload less its type byte and 10-byte footer.
  const size_t serialized = EncodeDumpPayload(LoadDumpValue(ctx, ctx.db(), key, &record),
                                              DumpOptionsOf(*ctx.server.config))
                                .size() -
                            11;
  char line[256];
  std::snprintf(line, sizeof(line),
                "Value at:0x%016llx refcount:%lld encoding:%.*s serializedlength:%zu lru:%u "
                "lru_seconds_idle:%llu",
                static_cast<unsigned long long>(storage::KeyHash(key)),
                static_cast<long long>(refcount), static_cast<int>(encoding.size()),
                encoding.data(), serialized, word,
                static_cast<unsigned long long>(storage::LruIdleMs(word, ctx.now_ms) / 1000));
  ctx.reply.SimpleString(line);
}

void DebugCommand(ExecContext& ctx) {
  const std::string& mode = ctx.server.config->enable_debug_command;
  if (mode == "no" || (mode == "local" && !IsLocalClient(ctx.client))) {
    ctx.reply.Error(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
        "you can run it from a local connection, otherwise you need to set this option in the "
        "configuration file, and then restart the server.");
    return;
  }
  const std::string_view sub = ctx.arg(1);
  // Redis parses these arguments with atof/atoi: garbage reads as 0.
  if (EqualsIgnoreCase(sub, "help") && ctx.argc() == 2) {
    ReplyHelp(ctx);
  } else if (EqualsIgnoreCase(sub, "digest") && ctx.argc() == 2) {
    DebugDigest(ctx);
  } else if (EqualsIgnoreCase(sub, "digest-value")) {
    DebugDigestValue(ctx);
  } else if (EqualsIgnoreCase(sub, "object") && ctx.argc() == 3) {
    DebugObject(ctx);
  } else if (EqualsIgnoreCase(sub, "protocol") && ctx.argc() == 3) {
    DebugProtocol(ctx, ctx.arg(2));
  } else if (EqualsIgnoreCase(sub, "sleep") && ctx.argc() == 3) {
    const double seconds = std::atof(std::string(ctx.arg(2)).c_str());
    if (seconds > 0) ::usleep(static_cast<useconds_t>(seconds * 1e6));
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(sub, "set-active-expire") && ctx.argc() == 3) {
    ctx.server.active_expire_enabled = std::atoi(std::string(ctx.arg(2)).c_str()) != 0;
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(sub, "set-journal-cycle-ms") && ctx.argc() == 3) {
    int64_t ms = 0;
    if (!ParseInt64(ctx.arg(2), &ms) || ms < 0) {
      ctx.reply.Error("ERR value is not an integer or out of range");
      return;
    }
    ctx.keyspace().set_cycle_interval_ms(ms);
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(sub, "reload") || EqualsIgnoreCase(sub, "loadaof")) {
    Status s = ctx.keyspace().Checkpoint();
    if (s.ok()) {
      ctx.reply.Ok();
    } else {
      ctx.reply.Error("ERR Error trying to save the DB: " + s.ToString());
    }
  } else {
    std::string msg = "ERR unknown subcommand or wrong number of arguments for '";
    msg.append(CStr(sub).substr(0, 128));
    msg += "'. Try DEBUG HELP.";
    ctx.reply.Error(msg);
  }
}

}  // namespace

void RegisterDebugCommands(CommandTable* table) {
  table->Add({"debug", -2, kAdmin | kNoScript | kLoading | kStale | kNoTouch, 0, 0, 0, DebugCommand,
              "server", "@admin @slow @dangerous", "A container for debugging commands", "1.0.0",
              "Depends on subcommand."});
}

}  // namespace ringkv::commands
