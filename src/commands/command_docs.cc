// COMMAND and its subcommands: the command table as Redis 7.0 reports it. Name,
// arity, flags, first/last/step, ACL categories and docs come from the table
// rows; key specs, command tips and the flags the row cannot express
// (movablekeys, no_mandatory_keys, ...) come from Redis 7.0.15's own metadata,
// copied below, so clients that read key specs route exactly as with Redis.
#include <algorithm>
#include <string>
#include <vector>

#include "commands/command.h"
#include "commands/info.h"
#include "commands/redis_docs.h"
#include "commands/util.h"

namespace ringkv::commands {

namespace {

// One Redis key spec (COMMAND INFO's key_specifications entry).
struct KeySpecDoc {
  enum BeginSearch { kIndex, kKeyword, kUnknown };
  enum FindKeys { kRange, kKeynum, kUnknownFind };
  std::string_view command;
  std::string_view flags;  // space-separated, e.g. "RW access delete"
  BeginSearch begin_type;
  int begin_pos;  // index, or startfrom for kKeyword
  std::string_view keyword;
  FindKeys find_type;
  int a, b, c;  // range: lastkey keystep limit; keynum: keynumidx firstkey keystep
  std::string_view notes;
};

// Flags the CommandFlag bits lack, and command tips, by full command name.
struct CommandExtra {
  std::string_view command;
  std::string_view flags;
  std::string_view tips;
};

// Generated from Redis 7.0.15's COMMAND output; sorted by command name.
constexpr KeySpecDoc kKeySpecs[] = {
    {"append", "RW insert", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"bitcount", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"bitfield", "RW access update variable_flags", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange,
     0, 1, 0, "This command allows both access and modification of the key"},
    {"bitfield_ro", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"bitop", "OW update", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"bitop", "RO access", KeySpecDoc::kIndex, 3, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"bitpos", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"blmove", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"blmove", "RW insert", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"blmpop", "RW access delete", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kKeynum, 0, 1, 1, ""},
    {"blpop", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -2, 1, 0, ""},
    {"brpop", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -2, 1, 0, ""},
    {"brpoplpush", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"brpoplpush", "RW insert", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"bzmpop", "RW access delete", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kKeynum, 0, 1, 1, ""},
    {"bzpopmax", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -2, 1, 0, ""},
    {"bzpopmin", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -2, 1, 0, ""},
    {"copy", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"copy", "OW update", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"decr", "RW access update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"decrby", "RW access update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"del", "RM delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"dump", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"eval", "RW access update", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kKeynum, 0, 1, 1,
     "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"},
    {"eval_ro", "RO access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kKeynum, 0, 1, 1,
     "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"},
    {"evalsha", "RW access update", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kKeynum, 0, 1, 1, ""},
    {"evalsha_ro", "RO access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kKeynum, 0, 1, 1, ""},
    {"exists", "RO", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"expire", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"expireat", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"expiretime", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"fcall", "RW access update", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kKeynum, 0, 1, 1,
     "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"},
    {"fcall_ro", "RO access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kKeynum, 0, 1, 1,
     "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"},
    {"geoadd", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"geodist", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"geohash", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"geopos", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"georadius", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"georadius", "OW update", KeySpecDoc::kKeyword, 6, "STORE", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"georadius", "OW update", KeySpecDoc::kKeyword, 6, "STOREDIST", KeySpecDoc::kRange, 0, 1, 0,
     ""},
    {"georadius_ro", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"georadiusbymember", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"georadiusbymember", "OW update", KeySpecDoc::kKeyword, 5, "STORE", KeySpecDoc::kRange, 0, 1,
     0, ""},
    {"georadiusbymember", "OW update", KeySpecDoc::kKeyword, 5, "STOREDIST", KeySpecDoc::kRange, 0,
     1, 0, ""},
    {"georadiusbymember_ro", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0,
     ""},
    {"geosearch", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"geosearchstore", "OW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"geosearchstore", "RO access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"get", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"getbit", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"getdel", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"getex", "RW access update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0,
     "RW and UPDATE because it changes the TTL"},
    {"getrange", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"getset", "RW access update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"hdel", "RW delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"hexists", "RO", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"hget", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"hgetall", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"hincrby", "RW access update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"hincrbyfloat", "RW access update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0,
     ""},
    {"hkeys", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"hlen", "RO", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"hmget", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"hmset", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"hrandfield", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"hscan", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"hset", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"hsetnx", "RW insert", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"hstrlen", "RO", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"hvals", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"incr", "RW access update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"incrby", "RW access update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"incrbyfloat", "RW access update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"lcs", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 1, 1, 0, ""},
    {"lindex", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"linsert", "RW insert", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"llen", "RO", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"lmove", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"lmove", "RW insert", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"lmpop", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kKeynum, 0, 1, 1, ""},
    {"lpop", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"lpos", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"lpush", "RW insert", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"lpushx", "RW insert", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"lrange", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"lrem", "RW delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"lset", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"ltrim", "RW delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"memory|usage", "RO", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"mget", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"migrate", "RW access delete", KeySpecDoc::kIndex, 3, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"migrate", "RW access delete incomplete", KeySpecDoc::kKeyword, -2, "KEYS", KeySpecDoc::kRange,
     -1, 1, 0, ""},
    {"move", "RW access update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"mset", "OW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -1, 2, 0, ""},
    {"msetnx", "OW insert", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -1, 2, 0, ""},
    {"object|encoding", "RO", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"object|freq", "RO", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"object|idletime", "RO", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"object|refcount", "RO", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"persist", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"pexpire", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"pexpireat", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"pexpiretime", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"pfadd", "RW insert", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"pfcount", "RW access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -1, 1, 0,
     "RW because it may change the internal representation of the key, and propagate to replicas"},
    {"pfdebug", "RW access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"pfmerge", "RW access insert", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"pfmerge", "RO access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"psetex", "OW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"pttl", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"rename", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"rename", "OW update", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"renamenx", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"renamenx", "OW insert", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"restore", "OW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"restore-asking", "OW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"rpop", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"rpoplpush", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"rpoplpush", "RW insert", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"rpush", "RW insert", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"rpushx", "RW insert", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"sadd", "RW insert", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"scard", "RO", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"sdiff", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"sdiffstore", "OW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"sdiffstore", "RO access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"set", "RW access update variable_flags", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1,
     0, "RW and ACCESS due to the optional `GET` argument"},
    {"setbit", "RW access update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"setex", "OW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"setnx", "OW insert", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"setrange", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"sinter", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"sintercard", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kKeynum, 0, 1, 1, ""},
    {"sinterstore", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"sinterstore", "RO access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"sismember", "RO", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"smembers", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"smismember", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"smove", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"smove", "RW insert", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"sort", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"sort", "RO access", KeySpecDoc::kUnknown, 0, "", KeySpecDoc::kUnknownFind, 0, 0, 0,
     "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from "
     "the content of the key we sort"},
    {"sort", "OW update", KeySpecDoc::kUnknown, 0, "", KeySpecDoc::kUnknownFind, 0, 0, 0,
     "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear "
     "anywhere in the argument array"},
    {"sort_ro", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"sort_ro", "RO access", KeySpecDoc::kUnknown, 0, "", KeySpecDoc::kUnknownFind, 0, 0, 0,
     "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from "
     "the content of the key we sort"},
    {"spop", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"spublish", "not_key", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"srandmember", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"srem", "RW delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"sscan", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"ssubscribe", "not_key", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"strlen", "RO", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"substr", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"sunion", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"sunionstore", "OW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"sunionstore", "RO access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"sunsubscribe", "not_key", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"touch", "RO", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"ttl", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"type", "RO", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"unlink", "RM delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"watch", "RO", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, -1, 1, 0, ""},
    {"xack", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xadd", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0,
     "UPDATE instead of INSERT because of the optional trimming feature"},
    {"xautoclaim", "RW delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xclaim", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xdel", "RW delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xgroup|create", "RW insert", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xgroup|createconsumer", "RW insert", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0,
     ""},
    {"xgroup|delconsumer", "RW delete", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xgroup|destroy", "RW delete", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xgroup|setid", "RW update", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xinfo|consumers", "RO access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xinfo|groups", "RO access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xinfo|stream", "RO access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xlen", "RO", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xpending", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xrange", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xread", "RO access", KeySpecDoc::kKeyword, 1, "STREAMS", KeySpecDoc::kRange, -1, 1, 2, ""},
    {"xreadgroup", "RO access", KeySpecDoc::kKeyword, 4, "STREAMS", KeySpecDoc::kRange, -1, 1, 2,
     ""},
    {"xrevrange", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xsetid", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"xtrim", "RW delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zadd", "RW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zcard", "RO", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zcount", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zdiff", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kKeynum, 0, 1, 1, ""},
    {"zdiffstore", "OW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zdiffstore", "RO access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kKeynum, 0, 1, 1, ""},
    {"zincrby", "RW access update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zinter", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kKeynum, 0, 1, 1, ""},
    {"zintercard", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kKeynum, 0, 1, 1, ""},
    {"zinterstore", "OW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zinterstore", "RO access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kKeynum, 0, 1, 1, ""},
    {"zlexcount", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zmpop", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kKeynum, 0, 1, 1, ""},
    {"zmscore", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zpopmax", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zpopmin", "RW access delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zrandmember", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zrange", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zrangebylex", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zrangebyscore", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zrangestore", "OW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zrangestore", "RO access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zrank", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zrem", "RW delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zremrangebylex", "RW delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zremrangebyrank", "RW delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zremrangebyscore", "RW delete", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zrevrange", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zrevrangebylex", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zrevrangebyscore", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zrevrank", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zscan", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zscore", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zunion", "RO access", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kKeynum, 0, 1, 1, ""},
    {"zunionstore", "OW update", KeySpecDoc::kIndex, 1, "", KeySpecDoc::kRange, 0, 1, 0, ""},
    {"zunionstore", "RO access", KeySpecDoc::kIndex, 2, "", KeySpecDoc::kKeynum, 0, 1, 1, ""},
};

// Generated from Redis 7.0.15's COMMAND output; sorted by command name.
constexpr CommandExtra kExtras[] = {
    {"bgrewriteaof", "no_async_loading", ""},
    {"bgsave", "no_async_loading", ""},
    {"blmpop", "movablekeys", ""},
    {"bzmpop", "movablekeys", ""},
    {"client|info", "", "nondeterministic_output"},
    {"client|list", "", "nondeterministic_output"},
    {"cluster|addslots", "no_async_loading", ""},
    {"cluster|addslotsrange", "no_async_loading", ""},
    {"cluster|bumpepoch", "no_async_loading", "nondeterministic_output"},
    {"cluster|count-failure-reports", "", "nondeterministic_output"},
    {"cluster|delslots", "no_async_loading", ""},
    {"cluster|delslotsrange", "no_async_loading", ""},
    {"cluster|failover", "no_async_loading", ""},
    {"cluster|flushslots", "no_async_loading", ""},
    {"cluster|forget", "no_async_loading", ""},
    {"cluster|getkeysinslot", "", "nondeterministic_output"},
    {"cluster|info", "", "nondeterministic_output"},
    {"cluster|links", "", "nondeterministic_output"},
    {"cluster|meet", "no_async_loading", ""},
    {"cluster|nodes", "", "nondeterministic_output"},
    {"cluster|replicas", "", "nondeterministic_output"},
    {"cluster|replicate", "no_async_loading", ""},
    {"cluster|saveconfig", "no_async_loading", ""},
    {"cluster|set-config-epoch", "no_async_loading", ""},
    {"cluster|setslot", "no_async_loading", ""},
    {"cluster|shards", "", "nondeterministic_output"},
    {"cluster|slaves", "", "nondeterministic_output"},
    {"cluster|slots", "", "nondeterministic_output"},
    {"command", "", "nondeterministic_output_order"},
    {"command|docs", "", "nondeterministic_output_order"},
    {"command|info", "", "nondeterministic_output_order"},
    {"command|list", "", "nondeterministic_output_order"},
    {"config|set", "", "request_policy:all_nodes response_policy:all_succeeded"},
    {"dbsize", "", "request_policy:all_shards response_policy:agg_sum"},
    {"del", "", "request_policy:multi_shard response_policy:agg_sum"},
    {"dump", "", "nondeterministic_output"},
    {"eval", "no_mandatory_keys movablekeys", ""},
    {"eval_ro", "no_mandatory_keys movablekeys", ""},
    {"evalsha", "no_mandatory_keys movablekeys", ""},
    {"evalsha_ro", "no_mandatory_keys movablekeys", ""},
    {"exists", "", "request_policy:multi_shard response_policy:agg_sum"},
    {"fcall", "no_mandatory_keys movablekeys", ""},
    {"fcall_ro", "no_mandatory_keys movablekeys", ""},
    {"flushall", "", "request_policy:all_shards response_policy:all_succeeded"},
    {"flushdb", "", "request_policy:all_shards response_policy:all_succeeded"},
    {"function|delete", "", "request_policy:all_shards response_policy:all_succeeded"},
    {"function|flush", "", "request_policy:all_shards response_policy:all_succeeded"},
    {"function|kill", "", "request_policy:all_shards response_policy:one_succeeded"},
    {"function|list", "", "nondeterministic_output_order"},
    {"function|load", "", "request_policy:all_shards response_policy:all_succeeded"},
    {"function|restore", "", "request_policy:all_shards response_policy:all_succeeded"},
    {"function|stats", "",
     "nondeterministic_output request_policy:all_shards response_policy:special"},
    {"georadius", "movablekeys", ""},
    {"georadiusbymember", "movablekeys", ""},
    {"hgetall", "", "nondeterministic_output_order"},
    {"hkeys", "", "nondeterministic_output_order"},
    {"hrandfield", "", "nondeterministic_output"},
    {"hscan", "", "nondeterministic_output"},
    {"hvals", "", "nondeterministic_output_order"},
    {"info", "", "nondeterministic_output request_policy:all_shards response_policy:special"},
    {"keys", "", "request_policy:all_shards nondeterministic_output_order"},
    {"lastsave", "", "nondeterministic_output"},
    {"latency|doctor", "",
     "nondeterministic_output request_policy:all_nodes response_policy:special"},
    {"latency|graph", "",
     "nondeterministic_output request_policy:all_nodes response_policy:special"},
    {"latency|histogram", "",
     "nondeterministic_output request_policy:all_nodes response_policy:special"},
    {"latency|history", "",
     "nondeterministic_output request_policy:all_nodes response_policy:special"},
    {"latency|latest", "",
     "nondeterministic_output request_policy:all_nodes response_policy:special"},
    {"latency|reset", "", "request_policy:all_nodes response_policy:all_succeeded"},
    {"lmpop", "movablekeys", ""},
    {"memory|doctor", "",
     "nondeterministic_output request_policy:all_shards response_policy:special"},
    {"memory|malloc-stats", "",
     "nondeterministic_output request_policy:all_shards response_policy:special"},
    {"memory|purge", "", "request_policy:all_shards response_policy:all_succeeded"},
    {"memory|stats", "",
     "nondeterministic_output request_policy:all_shards response_policy:special"},
    {"mget", "", "request_policy:multi_shard"},
    {"migrate", "movablekeys", "nondeterministic_output"},
    {"module|list", "", "nondeterministic_output_order"},
    {"module|load", "no_async_loading", ""},
    {"module|loadex", "no_async_loading", ""},
    {"module|unload", "no_async_loading", ""},
    {"mset", "", "request_policy:multi_shard response_policy:all_succeeded"},
    {"msetnx", "", "request_policy:multi_shard response_policy:agg_min"},
    {"object|encoding", "", "nondeterministic_output"},
    {"object|freq", "", "nondeterministic_output"},
    {"object|idletime", "", "nondeterministic_output"},
    {"object|refcount", "", "nondeterministic_output"},
    {"ping", "", "request_policy:all_shards response_policy:all_succeeded"},
    {"psync", "no_async_loading", ""},
    {"pttl", "", "nondeterministic_output"},
    {"randomkey", "", "request_policy:all_shards nondeterministic_output"},
    {"replicaof", "no_async_loading", ""},
    {"restore-asking", "asking", ""},
    {"save", "no_async_loading", ""},
    {"scan", "", "nondeterministic_output request_policy:special"},
    {"script|exists", "", "request_policy:all_shards response_policy:agg_logical_and"},
    {"script|flush", "", "request_policy:all_nodes response_policy:all_succeeded"},
    {"script|kill", "", "request_policy:all_shards response_policy:one_succeeded"},
    {"script|load", "", "request_policy:all_nodes response_policy:all_succeeded"},
    {"sdiff", "", "nondeterministic_output_order"},
    {"sinter", "", "nondeterministic_output_order"},
    {"sintercard", "movablekeys", ""},
    {"slaveof", "no_async_loading", ""},
    {"slowlog|get", "", "request_policy:all_nodes nondeterministic_output"},
    {"slowlog|len", "", "request_policy:all_nodes response_policy:agg_sum nondeterministic_output"},
    {"slowlog|reset", "", "request_policy:all_nodes response_policy:all_succeeded"},
    {"smembers", "", "nondeterministic_output_order"},
    {"sort", "movablekeys", ""},
    {"sort_ro", "movablekeys", ""},
    {"spop", "", "nondeterministic_output"},
    {"srandmember", "", "nondeterministic_output"},
    {"sscan", "", "nondeterministic_output"},
    {"sunion", "", "nondeterministic_output_order"},
    {"sync", "no_async_loading", ""},
    {"time", "", "nondeterministic_output"},
    {"touch", "", "request_policy:multi_shard response_policy:agg_sum"},
    {"ttl", "", "nondeterministic_output"},
    {"unlink", "", "request_policy:multi_shard response_policy:agg_sum"},
    {"wait", "", "request_policy:all_shards response_policy:agg_min"},
    {"xadd", "", "nondeterministic_output"},
    {"xautoclaim", "", "nondeterministic_output"},
    {"xclaim", "", "nondeterministic_output"},
    {"xinfo|consumers", "", "nondeterministic_output"},
    {"xpending", "", "nondeterministic_output"},
    {"xread", "movablekeys", ""},
    {"xreadgroup", "movablekeys", ""},
    {"xtrim", "", "nondeterministic_output"},
    {"zdiff", "movablekeys", ""},
    {"zdiffstore", "movablekeys", ""},
    {"zinter", "movablekeys", ""},
    {"zintercard", "movablekeys", ""},
    {"zinterstore", "movablekeys", ""},
    {"zmpop", "movablekeys", ""},
    {"zrandmember", "", "nondeterministic_output"},
    {"zscan", "", "nondeterministic_output"},
    {"zunion", "movablekeys", ""},
    {"zunionstore", "movablekeys", ""},
};

// Redis's flag order in COMMAND INFO (addReplyCommandFlags); flags it hides
// (may_replicate, ...) and ringkv's kNoQueue are not listed.
struct FlagName {
  std::string_view name;
  uint32_t bit;  // 0: looked up in kExtras
};
constexpr FlagName kFlagOrder[] = {
    {"write", kWrite},
    {"readonly", kReadOnly},
    {"denyoom", kDenyOom},
    {"module", 0},
    {"admin", kAdmin},
    {"pubsub", kPubSub},
    {"noscript", kNoScript},
    {"blocking", kBlocking},
    {"loading", kLoading},
    {"stale", kStale},
    {"skip_monitor", kSkipMonitor},
    {"skip_slowlog", kSkipSlowlog},
    {"asking", 0},
    {"fast", kFast},
    {"no_auth", kNoAuth},
    {"no_mandatory_keys", 0},
    {"no_async_loading", 0},
    {"no_multi", kNoMulti},
    {"movablekeys", 0},
    {"allow_busy", kAllowBusy},
};

constexpr std::string_view kAclCategories[] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting",
};

// Splits a space-separated list.
std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find(' ', pos);
    if (end == std::string_view::npos) end = s.size();
    if (end > pos) words.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return words;
}

bool HasWord(std::string_view list, std::string_view word) {
  for (std::string_view w : Words(list)) {
    if (w == word) return true;
  }
  return false;
}

const CommandExtra* FindExtra(std::string_view name) {
  auto it =
      std::lower_bound(std::begin(kExtras), std::end(kExtras), name,
                       [](const CommandExtra& e, std::string_view n) { return e.command < n; });
  return it != std::end(kExtras) && it->command == name ? it : nullptr;
}

// The command's key specs: Redis's when it has the command, else one derived
// from the row's first/last/step (stored in *derived).
std::span<const KeySpecDoc> KeySpecs(const CommandSpec& spec, KeySpecDoc* derived) {
  struct ByCommand {
    bool operator()(const KeySpecDoc& a, std::string_view b) const { return a.command < b; }
    bool operator()(std::string_view a, const KeySpecDoc& b) const { return a < b.command; }
  };
  auto [lo, hi] =
      std::equal_range(std::begin(kKeySpecs), std::end(kKeySpecs), spec.name, ByCommand{});
  if (lo != hi) return {lo, hi};
  if (spec.first_key <= 0) return {};
  const int last = spec.last_key < 0 ? spec.last_key : spec.last_key - spec.first_key;
  *derived = {spec.name,
              (spec.flags & kWrite) ? "RW update" : "RO access",
              KeySpecDoc::kIndex,
              spec.first_key,
              "",
              KeySpecDoc::kRange,
              last,
              std::max(1, spec.key_step),
              0,
              ""};
  return {derived, 1};
}

// Redis's lookupCommandBySds: "name" or "container|sub", case-insensitive.
const CommandSpec* LookupByFullName(std::string_view name) {
  const size_t bar = name.find('|');
  if (bar == std::string_view::npos) return Commands().Find(name);
  const std::string_view sub = name.substr(bar + 1);
  if (sub.find('|') != std::string_view::npos) return nullptr;
  return Commands().FindSubcommand(name.substr(0, bar), sub);
}

void ReplyKeySpec(ExecContext& ctx, const KeySpecDoc& ks) {
  resp::ReplyBuilder& r = ctx.reply;
  r.MapHeader(ks.notes.empty() ? 3 : 4);
  if (!ks.notes.empty()) {
    r.Bulk("notes");
    r.Bulk(ks.notes);
  }
  r.Bulk("flags");
  const auto flags = Words(ks.flags);
  r.SetHeader(flags.size());
  for (std::string_view f : flags) r.SimpleString(f);
  r.Bulk("begin_search");
  r.MapHeader(2);
  r.Bulk("type");
  switch (ks.begin_type) {
    case KeySpecDoc::kIndex:
      r.Bulk("index");
      r.Bulk("spec");
      r.MapHeader(1);
      r.Bulk("index");
      r.Integer(ks.begin_pos);
      break;
    case KeySpecDoc::kKeyword:
      r.Bulk("keyword");
      r.Bulk("spec");
      r.MapHeader(2);
      r.Bulk("keyword");
      r.Bulk(ks.keyword);
      r.Bulk("startfrom");
      r.Integer(ks.begin_pos);
      break;
    case KeySpecDoc::kUnknown:
      r.Bulk("unknown");
      r.Bulk("spec");
      r.MapHeader(0);
      break;
  }
  r.Bulk("find_keys");
  r.MapHeader(2);
  r.Bulk("type");
  switch (ks.find_type) {
    case KeySpecDoc::kRange:
      r.Bulk("range");
      r.Bulk("spec");
      r.MapHeader(3);
      r.Bulk("lastkey");
      r.Integer(ks.a);
      r.Bulk("keystep");
      r.Integer(ks.b);
      r.Bulk("limit");
      r.Integer(ks.c);
      break;
    case KeySpecDoc::kKeynum:
      r.Bulk("keynum");
      r.Bulk("spec");
      r.MapHeader(3);
      r.Bulk("keynumidx");
      r.Integer(ks.a);
      r.Bulk("firstkey");
      r.Integer(ks.b);
      r.Bulk("keystep");
      r.Integer(ks.c);
      break;
    case KeySpecDoc::kUnknownFind:
      r.Bulk("unknown");
      r.Bulk("spec");
      r.MapHeader(0);
      break;
  }
}

// One COMMAND INFO entry (Redis's addReplyCommandInfo).
void ReplyCommandInfo(ExecContext& ctx, const CommandSpec& spec) {
  resp::ReplyBuilder& r = ctx.reply;
  const CommandExtra* extra = FindExtra(spec.name);
  const std::string_view extra_flags = extra ? extra->flags : std::string_view();
  r.ArrayHeader(10);
  r.Bulk(spec.name);
  r.Integer(spec.arity);
  std::vector<std::string_view> flags;
  for (const FlagName& f : kFlagOrder) {
    if (f.bit != 0 ? (spec.flags & f.bit) != 0 : HasWord(extra_flags, f.name)) {
      flags.push_back(f.name);
    }
  }
  r.SetHeader(flags.size());
  for (std::string_view f : flags) r.SimpleString(f);
  r.Integer(spec.first_key);
  r.Integer(spec.last_key);
  r.Integer(spec.key_step);
  const auto categories = Words(spec.acl_categories);
  r.SetHeader(categories.size());
  for (std::string_view c : categories) r.SimpleString(c);
  const auto tips = extra ? Words(extra->tips) : std::vector<std::string_view>();
  r.SetHeader(tips.size());
  for (std::string_view t : tips) r.Bulk(t);
  KeySpecDoc derived;
  const auto specs = KeySpecs(spec, &derived);
  r.SetHeader(specs.size());
  for (const KeySpecDoc& ks : specs) ReplyKeySpec(ctx, ks);
  const auto subcommands = Commands().Subcommands(spec.name);
  // Redis answers an empty set, but an array of subcommands.
  if (subcommands.empty()) {
    r.SetHeader(0);
  } else {
    r.ArrayHeader(subcommands.size());
    for (const CommandSpec* sub : subcommands) ReplyCommandInfo(ctx, *sub);
  }
}

// Replies the element of a stored Redis doc (redis_docs.h) that starts at
// *pos, and moves *pos past it. A map gets `extra_pairs` more pairs than it
// holds, for the caller to append.
void ReplayDocElement(resp::ReplyBuilder& r, std::string_view doc, size_t* pos,
                      size_t extra_pairs = 0) {
  const size_t end = doc.find('\n', *pos);
  std::string_view line = doc.substr(*pos, end - *pos);
  *pos = end + 1;
  const char type = line[0];
  line.remove_prefix(1);
  if (type == '$') {
    r.Bulk(line);
    return;
  }
  if (type == '+') {
    r.SimpleString(line);
    return;
  }
  int64_t n = 0;
  ParseInt64(line, &n);
  size_t count = static_cast<size_t>(n);
  switch (type) {
    case ':':
      r.Integer(n);
      return;
    case '%':
      r.MapHeader(count + extra_pairs);
      count *= 2;
      break;
    case '~':
      r.SetHeader(count);
      break;
    default:
      r.ArrayHeader(count);
      break;
  }
  for (size_t i = 0; i < count; ++i) ReplayDocElement(r, doc, pos);
}

// A COMMAND DOCS entry built from the command's row, for commands Redis 7.0
// lacks: the flat ArgDoc lists, "oneof" and "block" arguments with an empty
// "arguments" list so parsers that descend into them (redis-cli) find one.
// The map has `extra_pairs` more pairs for the caller to append.
void ReplyRowDocs(ExecContext& ctx, const CommandSpec& spec, size_t extra_pairs) {
  resp::ReplyBuilder& r = ctx.reply;
  size_t fields = 1;  // group
  fields += !spec.summary.empty();
  fields += !spec.since.empty();
  fields += !spec.complexity.empty();
  fields += !spec.arguments.empty();
  r.MapHeader(fields + extra_pairs);
  if (!spec.summary.empty()) {
    r.Bulk("summary");
    r.Bulk(spec.summary);
  }
  if (!spec.since.empty()) {
    r.Bulk("since");
    r.Bulk(spec.since);
  }
  r.Bulk("group");
  r.Bulk(spec.group);
  if (!spec.complexity.empty()) {
    r.Bulk("complexity");
    r.Bulk(spec.complexity);
  }
  if (spec.arguments.empty()) return;
  r.Bulk("arguments");
  r.ArrayHeader(spec.arguments.size());
  KeySpecDoc derived;
  const int num_specs = static_cast<int>(KeySpecs(spec, &derived).size());
  int key_index = 0;
  for (const ArgDoc& arg : spec.arguments) {
    const bool is_key = arg.type == "key";
    const bool nested = arg.type == "oneof" || arg.type == "block";
    const size_t nflags = (arg.optional ? 1 : 0) + (arg.multiple ? 1 : 0);
    r.MapHeader(2 + is_key + !arg.token.empty() + (nflags > 0) + nested);
    r.Bulk("name");
    r.Bulk(arg.name);
    r.Bulk("type");
    r.Bulk(arg.type);
    if (is_key) {
      r.Bulk("key_spec_index");
      r.Integer(std::min(key_index++, std::max(0, num_specs - 1)));
    }
    if (!arg.token.empty()) {
      r.Bulk("token");
      r.Bulk(arg.token);
    }
    if (nflags > 0) {
      r.Bulk("flags");
      r.SetHeader(nflags);
      if (arg.optional) r.SimpleString("optional");
      if (arg.multiple) r.SimpleString("multiple");
    }
    if (nested) {
      r.Bulk("arguments");
      r.ArrayHeader(0);
    }
  }
}

// One COMMAND DOCS entry (Redis's addReplyCommandDocs). A command Redis 7.0
// has answers Redis's own entry (redis_docs.h); others are built from their
// rows. Subcommands are those ringkv has, last as in Redis.
void ReplyCommandDocs(ExecContext& ctx, const CommandSpec& spec) {
  const auto subcommands = Commands().Subcommands(spec.name);
  const size_t extra_pairs = subcommands.empty() ? 0 : 1;
  const std::string_view stored = RedisCommandDoc(spec.name);
  if (stored.empty()) {
    ReplyRowDocs(ctx, spec, extra_pairs);
  } else {
    size_t pos = 0;
    ReplayDocElement(ctx.reply, stored, &pos, extra_pairs);
  }
  if (!subcommands.empty()) {
    ctx.reply.Bulk("subcommands");
    ctx.reply.MapHeader(subcommands.size());
    for (const CommandSpec* sub : subcommands) {
      ctx.reply.Bulk(sub->name);
      ReplyCommandDocs(ctx, *sub);
    }
  }
}

// COMMAND: every command's info.
void CommandCommand(ExecContext& ctx) {
  const auto& commands = Commands().commands();
  ctx.reply.ArrayHeader(commands.size());
  for (const CommandSpec* spec : commands) ReplyCommandInfo(ctx, *spec);
}

void CommandCountCommand(ExecContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(Commands().commands().size()));
}

void CommandInfoCommand(ExecContext& ctx) {
  if (ctx.argc() == 2) {
    CommandCommand(ctx);
    return;
  }
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    const CommandSpec* spec = LookupByFullName(ctx.arg(i));
    if (spec == nullptr) {
      ctx.reply.Null();
    } else {
      ReplyCommandInfo(ctx, *spec);
    }
  }
}

void CommandDocsCommand(ExecContext& ctx) {
  std::vector<const CommandSpec*> specs;
  if (ctx.argc() == 2) {
    specs = Commands().commands();
  } else {
    // Unknown names are left out, as Redis does.
    for (size_t i = 2; i < ctx.argc(); ++i) {
      if (const CommandSpec* spec = LookupByFullName(ctx.arg(i))) specs.push_back(spec);
    }
  }
  ctx.reply.MapHeader(specs.size());
  for (const CommandSpec* spec : specs) {
    ctx.reply.Bulk(spec->name);
    ReplyCommandDocs(ctx, *spec);
  }
}

// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
void CommandListCommand(ExecContext& ctx) {
  enum class Filter { kNone, kModule, kAclCat, kPattern } filter = Filter::kNone;
  std::string_view filter_arg;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    const size_t more = ctx.argc() - 1 - i;
    if (EqualsIgnoreCase(ctx.arg(i), "filterby") && more == 2) {
      std::string_view type = ctx.arg(i + 1);
      if (EqualsIgnoreCase(type, "module")) {
        filter = Filter::kModule;
      } else if (EqualsIgnoreCase(type, "aclcat")) {
        filter = Filter::kAclCat;
      } else if (EqualsIgnoreCase(type, "pattern")) {
        filter = Filter::kPattern;
      } else {
        ctx.reply.Error(kErrSyntax);
        return;
      }
      filter_arg = ctx.arg(i + 2);
      i += 2;
    } else {
      ctx.reply.Error(kErrSyntax);
      return;
    }
  }
  std::string category;
  if (filter == Filter::kAclCat) {
    for (std::string_view known : kAclCategories) {
      if (EqualsIgnoreCase(known, filter_arg)) {
        category.push_back('@');
        category.append(known);
      }
    }
  }
  auto matches = [&](const CommandSpec& spec) {
    switch (filter) {
      case Filter::kNone:
        return true;
      case Filter::kModule:
        return false;  // ringkv loads no modules
      case Filter::kAclCat:
        return !category.empty() && HasWord(spec.acl_categories, category);
      case Filter::kPattern:
        return GlobMatch(filter_arg, spec.name, /*nocase=*/true);
    }
    return false;
  };
  std::vector<std::string_view> names;
  for (const CommandSpec* spec : Commands().commands()) {
    if (matches(*spec)) names.push_back(spec->name);
    // Subcommands are filtered on their own, whether or not the container matched.
    for (const CommandSpec* sub : Commands().Subcommands(spec->name)) {
      if (matches(*sub)) names.push_back(sub->name);
    }
  }
  ctx.reply.ArrayHeader(names.size());
  for (std::string_view name : names) ctx.reply.Bulk(name);
}

// The command COMMAND GETKEYS is asked about (Redis's lookupCommand on argv+2).
const CommandSpec* GetKeysTarget(std::span<const std::string_view> argv) {
  const CommandSpec* spec = Commands().Find(argv[0]);
  if (spec == nullptr || argv.size() < 2 || !CommandTable::HasSubcommands(*spec)) return spec;
  return Commands().FindSubcommand(spec->name, argv[1]);
}

// Which key spec describes the key at `pos` (for its flags); the first spec when
// none of the simple index/range specs covers it.
const KeySpecDoc* SpecForKey(std::span<const KeySpecDoc> specs, int pos, int argc) {
  for (const KeySpecDoc& ks : specs) {
    if (ks.begin_type != KeySpecDoc::kIndex || ks.find_type != KeySpecDoc::kRange) continue;
    const int first = ks.begin_pos;
    const int last = ks.a >= 0 ? first + ks.a : argc + ks.a;
    if (pos >= first && pos <= last && (pos - first) % std::max(1, ks.b) == 0) return &ks;
  }
  return specs.empty() ? nullptr : &specs.front();
}

// The key flags of a command whose key spec says variable_flags, refined by
// its arguments as Redis's getkeys procs do (setGetKeys, bitfieldGetKeys);
// empty for any other command.
std::string_view VariableKeyFlags(const CommandSpec& spec, std::span<const std::string_view> argv) {
  if (spec.name == "set") {
    for (size_t i = 3; i < argv.size(); ++i) {
      if (EqualsIgnoreCase(argv[i], "get")) return "RW access update";
    }
    return "OW update";
  }
  if (spec.name == "bitfield") {
    // Read-only unless a SET or INCRBY (or something unparsable) comes.
    for (size_t i = 2; i < argv.size(); ++i) {
      const size_t remaining = argv.size() - i - 1;
      if (EqualsIgnoreCase(argv[i], "get") && remaining >= 2) {
        i += 2;
      } else if (EqualsIgnoreCase(argv[i], "overflow") && remaining >= 1) {
        i += 1;
      } else {
        return "RW access update";
      }
    }
    return "RO access";
  }
  return {};
}

void GetKeys(ExecContext& ctx, bool with_flags) {
  const auto argv = ctx.args.subspan(2);
  const int argc = static_cast<int>(argv.size());
  const CommandSpec* spec = GetKeysTarget(argv);
  if (spec == nullptr) {
    ctx.reply.Error("ERR Invalid command specified");
    return;
  }
  if (spec->first_key <= 0) {
    ctx.reply.Error("ERR The command has no key arguments");
    return;
  }
  if ((spec->arity > 0 && spec->arity != argc) || argc < -spec->arity) {
    ctx.reply.Error("ERR Invalid number of arguments specified for command");
    return;
  }
  const std::vector<int> keys = CommandTable::KeyPositions(*spec, argc);
  if (keys.empty()) {
    const CommandExtra* extra = FindExtra(spec->name);
    if (extra != nullptr && HasWord(extra->flags, "no_mandatory_keys")) {
      ctx.reply.ArrayHeader(0);
    } else {
      ctx.reply.Error("ERR Invalid arguments specified for command");
    }
    return;
  }
  KeySpecDoc derived;
  const auto specs = KeySpecs(*spec, &derived);
  ctx.reply.ArrayHeader(keys.size());
  for (int pos : keys) {
    if (!with_flags) {
      ctx.reply.Bulk(argv[pos]);
      continue;
    }
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(argv[pos]);
    const KeySpecDoc* ks = SpecForKey(specs, pos, argc);
    std::string_view flag_text = VariableKeyFlags(*spec, argv);
    if (flag_text.empty() && ks != nullptr) flag_text = ks->flags;
    const auto flags = Words(flag_text);
    ctx.reply.SetHeader(flags.size());
    for (std::string_view f : flags) ctx.reply.SimpleString(f);
  }
}

void CommandGetKeysCommand(ExecContext& ctx) { GetKeys(ctx, false); }
void CommandGetKeysAndFlagsCommand(ExecContext& ctx) { GetKeys(ctx, true); }

void CommandHelpCommand(ExecContext& ctx) {
  static constexpr std::string_view kHelp[] = {
      "(no subcommand)",
      "    Return details about all Redis commands.",
      "COUNT",
      "    Return the total number of commands in this Redis server.",
      "LIST",
      "    Return a list of all commands in this Redis server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "GETKEYS <full-command>",
      "    Return the keys from a full Redis command.",
      "GETKEYSANDFLAGS <full-command>",
      "    Return the keys and the access flags from a full Redis command.",
  };
  ReplySubcommandHelp(ctx, kHelp);
}

}  // namespace

void RegisterCommandCommands(CommandTable* table) {
  constexpr std::string_view kGroup = "server";
  constexpr uint32_t kFlags = kLoading | kStale;
  constexpr std::string_view kCats = "@slow @connection";
  table->Add({"command", -1, kFlags, 0, 0, 0, CommandCommand, kGroup, kCats,
              "Get array of Redis command details", "2.8.13",
              "O(N) where N is the total number of Redis commands"});
  table->Add({"command|count", 2, kFlags, 0, 0, 0, CommandCountCommand, kGroup, kCats,
              "Get total number of Redis commands", "2.8.13", "O(1)"});
  table->Add({"command|docs", -2, kFlags, 0, 0, 0, CommandDocsCommand, kGroup, kCats,
              "Get array of specific Redis command documentation", "7.0.0",
              "O(N) where N is the number of commands to look up"});
  table->Add({"command|getkeys", -4, kFlags, 0, 0, 0, CommandGetKeysCommand, kGroup, kCats,
              "Extract keys given a full Redis command", "2.8.13",
              "O(N) where N is the number of arguments to the command"});
  table->Add({"command|getkeysandflags", -4, kFlags, 0, 0, 0, CommandGetKeysAndFlagsCommand, kGroup,
              kCats, "Extract keys and access flags given a full Redis command", "7.0.0",
              "O(N) where N is the number of arguments to the command"});
  table->Add({"command|help", 2, kFlags, 0, 0, 0, CommandHelpCommand, kGroup, kCats,
              "Show helpful text about the different subcommands", "5.0.0", "O(1)"});
  table->Add({"command|info", -2, kFlags, 0, 0, 0, CommandInfoCommand, kGroup, kCats,
              "Get array of specific Redis command details, or all when no argument is given.",
              "2.8.13", "O(N) where N is the number of commands to look up"});
  table->Add({"command|list", -2, kFlags, 0, 0, 0, CommandListCommand, kGroup, kCats,
              "Get an array of Redis command names", "7.0.0",
              "O(N) where N is the total number of Redis commands"});
}

}  // namespace ringkv::commands
