// Incremental RESP request parser: multibulk ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and
// inline ("GET k\r\n", with redis-cli quoting rules) commands, fed in arbitrary
// fragments. It does no I/O. Error texts and limits follow Redis 7.0's
// processMultibulkBuffer / processInlineBuffer exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringkv::resp {

// Limits applied while parsing. Defaults match Redis 7.0.
struct ParserLimits {
  // proto-max-bulk-len: a bulk longer than this is "invalid bulk length".
  int64_t max_bulk_len = 512LL * 1024 * 1024;
  // PROTO_INLINE_MAX_SIZE: an inline request, or a "*N"/"$N" count line, whose
  // terminator is not buffered while more than this many bytes are buffered from
  // its start is a protocol error. As in Redis, only buffered bytes count: a longer
  // line that arrives whole in one Feed is accepted.
  size_t max_inline_len = 64 * 1024;
  // True while the connection must still AUTH (requirepass set): a multibulk count
  // above 10 or a bulk length above 16384 is then a protocol error (CVE-2021-32675).
  bool unauthenticated = false;
};

class RequestParser {
 public:
  enum class Result {
    kNeedMore,  // no complete command is buffered; feed more bytes
    kCommand,   // a command is ready in args()
    kError,     // protocol error: reply with error(), then close the connection
  };

  explicit RequestParser(ParserLimits limits = {});

  // Limits may change between commands (e.g. after AUTH succeeds).
  void set_limits(const ParserLimits& limits) { limits_ = limits; }
  const ParserLimits& limits() const { return limits_; }

  // Appends bytes read from the socket. Invalidates views returned by args().
  // After kError, input is discarded.
  void Feed(std::string_view data);

  // Zero-copy feeding: returns a writable region of at least `min_size` bytes at
  // the end of the buffer; after reading into it, call CommitWrite with the byte
  // count actually written. Invalidates views returned by args().
  char* PrepareWrite(size_t min_size);
  void CommitWrite(size_t n);

  // Parses the next complete command from the buffer. On kCommand, args() holds
  // the arguments as views into the internal buffer; they stay valid until the
  // next Feed/PrepareWrite/Reset (so all commands of one read can be executed
  // before more bytes arrive). Empty inline lines and "*0"/"*-1" headers are
  // skipped silently, as Redis does. After kError the parser stays in error.
  // Line rules are Redis's: an inline line ends at "\n" (a "\r" before it is
  // dropped); a "*N" or "$N" line ends at "\r" plus any one byte, and the two bytes
  // after a bulk's data are skipped unchecked. A NUL byte before a line's end
  // hides that end, as Redis's strchr() does.
  Result Next();

  const std::vector<std::string_view>& args() const { return args_; }

  // The Redis error text for kError, without the leading '-' and trailing CRLF,
  // e.g. "ERR Protocol error: invalid bulk length".
  const std::string& error() const { return error_; }

  // Bytes buffered but not yet consumed by Next(); used for the query-buffer limit.
  // A partially parsed request counts as buffered.
  size_t buffered_bytes() const { return write_pos_ - consumed_; }

  // The buffered bytes not yet returned by Next(), when they start at a
  // request boundary (empty in the middle of a request): for lookahead such
  // as PeekRequests (resp/key_peek.h).
  std::string_view unparsed() const {
    if (stage_ != Stage::kIdle || failed_) return {};
    return std::string_view(buffer_.get() + consumed_, write_pos_ - consumed_);
  }

  // Bytes currently allocated for the buffer (for memory accounting, like the
  // "qbuf"/"qbuf-free" fields of CLIENT LIST).
  size_t buffer_capacity() const { return capacity_; }
  // CLIENT LIST's "qbuf", as Redis counts it: the bytes of the current read
  // window, i.e. what was left unparsed before the last read plus what that
  // read brought, including requests Next() has returned since (the one
  // executing among them).
  size_t window_bytes() const { return write_pos_ - window_start_; }
  // CLIENT LIST's "qbuf-free": allocated bytes after the buffered ones.
  size_t free_bytes() const { return capacity_ - write_pos_; }

  // Frees the buffer if it holds nothing (no partial request either), as Redis
  // frees an idle client's query buffer; the next read allocates it again.
  void ReleaseIfEmpty();

  // Drops all buffered state, including a sticky error.
  void Reset();

 private:
  enum class Stage {
    kIdle,       // between requests
    kInline,     // looking for the end of an inline line
    kMultibulk,  // inside a "*N" request
  };
  // Outcome of a search for a line terminator.
  enum class Scan { kFound, kMissing };

  Result ParseMultibulk();
  Result ParseInline();
  Result Fail(std::string message);
  // Looks for `terminator` in the current line, resuming where the previous call
  // stopped. Sets `*at` to its offset from consumed_.
  Scan FindTerminator(char terminator, size_t* at);
  // Starts scanning a new line at `line` bytes past consumed_.
  void StartLine(size_t line);
  // Finishes the request: everything up to `end` bytes past consumed_ is consumed.
  void FinishRequest(size_t end);
  // Makes room for `min_free` writable bytes after write_pos_, compacting the
  // consumed prefix, growing or shrinking the allocation.
  void Compact(size_t min_free);
  void Reallocate(size_t new_capacity);

  char* data() { return buffer_.get(); }

  ParserLimits limits_;
  // The buffer is a plain allocation rather than a std::string so that growing it
  // for PrepareWrite does not zero-fill bytes that the socket read overwrites.
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;      // allocated bytes of buffer_
  size_t consumed_ = 0;      // bytes of buffer_ fully parsed into returned commands
  size_t write_pos_ = 0;     // valid bytes in buffer_
  size_t window_start_ = 0;  // consumed_ as the last read began (window_bytes)

  // State of the request being parsed; offsets are relative to consumed_ (the
  // start of the request) so that compaction only has to reset consumed_.
  Stage stage_ = Stage::kIdle;
  size_t scan_ = 0;            // the terminator is known not to be before this offset
  bool line_blocked_ = false;  // a NUL precedes the terminator (see FindTerminator)
  size_t pos_ = 0;             // next unparsed byte of a multibulk request
  int64_t multibulk_remaining_ = 0;
  int64_t bulk_len_ = -1;  // length of the bulk being read, -1 before its header
  std::vector<std::pair<size_t, size_t>> arg_spans_;  // offset, length of each arg

  std::vector<std::string_view> args_;
  std::string error_;
  bool failed_ = false;
};

}  // namespace ringkv::resp
