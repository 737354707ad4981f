// Incremental RESP2 reply parser: the client side of the protocol, used for the
// replies a node receives from its peers on the cluster port. Like
// RequestParser it does no I/O and accepts input in arbitrary fragments; unlike
// it, a reply may be any RESP2 type, arrays may nest, and there is no inline
// form. Parsing resumes where the previous call stopped, so feeding a large
// reply byte by byte costs linear time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringkv::resp {

// One parsed RESP2 reply.
struct Reply {
  enum class Type : uint8_t {
    kStatus,   // "+text"
    kError,    // "-text"
    kInteger,  // ":n"
    kBulk,     // "$n" and n bytes
    kNil,      // "$-1" (nil bulk) or "*-1" (nil array): RESP2's two spellings of null
    kArray,    // "*n" and n replies
  };
  Type type = Type::kNil;
  std::string str;              // kStatus, kError (without '-'), kBulk
  int64_t integer = 0;          // kInteger
  std::vector<Reply> elements;  // kArray

  bool operator==(const Reply&) const = default;
};

// Bounds that keep a hostile or broken peer from making the parser allocate
// without limit. Exceeding one is a protocol error.
struct ReplyParserLimits {
  // Longest bulk string accepted (Redis's proto-max-bulk-len default).
  int64_t max_bulk_len = 512LL * 1024 * 1024;
  // Longest element count of one array.
  int64_t max_array_len = 16LL * 1024 * 1024;
  // Deepest nesting of arrays; a top-level array is depth 1.
  size_t max_depth = 32;
  // Longest "+", "-", ":", "$" or "*" line, counting only buffered bytes (as
  // RequestParser's max_inline_len does).
  size_t max_line_len = 64 * 1024;
};

class ReplyParser {
 public:
  enum class Result {
    kNeedMore,  // no complete reply is buffered; feed more bytes
    kReply,     // a reply was stored in the out-parameter of Next()
    kError,     // protocol error (see error()); the stream cannot be resynchronized
  };

  explicit ReplyParser(ReplyParserLimits limits = {});

  // Appends bytes read from the socket. After kError, input is discarded.
  void Feed(std::string_view data);

  // Parses the next complete reply into `*reply`. A partially parsed reply
  // (e.g. the first elements of an array) is kept across calls. After kError
  // the parser stays in error until Reset().
  Result Next(Reply* reply);

  // Why the stream was rejected, e.g. "Protocol error: invalid bulk length".
  const std::string& error() const { return error_; }

  // Bytes fed but not yet consumed into a returned reply or a partial one.
  size_t buffered_bytes() const { return buffer_.size() - pos_; }

  // Drops all buffered and partial state, including a sticky error.
  void Reset();

 private:
  // An array whose elements are still being read.
  struct Frame {
    Reply array;
    int64_t remaining = 0;
  };

  Result Fail(std::string message);
  // Adds a finished value to the innermost open array, closing every array it
  // completes. Returns true and stores the reply when the top level completes.
  bool Complete(Reply value, Reply* out);
  void Compact();

  ReplyParserLimits limits_;
  std::string buffer_;
  size_t pos_ = 0;            // first unconsumed byte of buffer_
  size_t scan_ = 0;           // no CRLF starts in [pos_, scan_)
  int64_t bulk_len_ = -1;     // length of the bulk whose data is awaited, or -1
  std::vector<Frame> stack_;  // open arrays, outermost first
  std::string error_;
  bool failed_ = false;
};

}  // namespace ringkv::resp
