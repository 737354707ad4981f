#include "resp/request_parser.h"

#include <algorithm>
#include <cassert>
#include <climits>
#include <cstring>

namespace ringkv::resp {

namespace {

// Redis reads the socket in PROTO_IOBUF_LEN (16 KiB) pieces; start with that much.
constexpr size_t kInitialCapacity = 16 * 1024;
// A buffer bigger than this is given back once it is mostly empty, so one big
// request does not pin its memory for the life of the connection (Redis's
// clientsCronResizeQueryBuffer does the same from its cron).
constexpr size_t kMaxIdleCapacity = 256 * 1024;
// Argument vectors above this many entries are freed after their request.
constexpr size_t kMaxRetainedArgs = 1024;
// CVE-2021-32675: limits for connections that have not authenticated yet.
constexpr int64_t kUnauthMaxMultibulk = 10;
constexpr int64_t kUnauthMaxBulk = 16384;

// Redis's string2ll: optional '-', no '+', no leading zeros, no spaces, at most
// 20 characters, must fit in a long long.
bool ParseLongLong(const char* s, size_t len, int64_t* value) {
  constexpr size_t kLongStrSize = 21;
  if (len == 0 || len >= kLongStrSize) return false;
  if (len == 1 && s[0] == '0') {
    *value = 0;
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    if (++i == len) return false;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = static_cast<uint64_t>(s[i++] - '0');
  for (; i < len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *value = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *value = static_cast<int64_t>(v);
  }
  return true;
}

// isspace() in the C locale, which is the one Redis runs its parser in.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Redis's sdssplitargs over [begin, end), which holds no NUL byte. Unescaping never
// makes an argument longer than its source text, so the arguments are written over
// the line itself and returned as views into it: no allocation per argument.
// Returns false on unbalanced quotes.
bool SplitInPlace(char* begin, char* end, std::vector<std::string_view>* out) {
  // sdssplitargs walks a NUL-terminated string; reading the end as '\0' keeps its
  // "*(p+1)" look-aheads literally.
  auto at = [end](const char* q) { return q < end ? *q : '\0'; };
  char* p = begin;
  char* w = begin;  // write position; never passes p
  while (true) {
    while (p < end && IsSpace(*p)) ++p;
    if (p == end) return true;
    char* token = w;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      const char c = at(p);
      if (in_double) {
        if (c == '\\' && at(p + 1) == 'x' && HexValue(at(p + 2)) >= 0 && HexValue(at(p + 3)) >= 0) {
          *w++ = static_cast<char>(HexValue(p[2]) * 16 + HexValue(p[3]));
          p += 3;
        } else if (c == '\\' && at(p + 1) != '\0') {
          ++p;
          switch (*p) {
            case 'n':
              *w++ = '\n';
              break;
            case 'r':
              *w++ = '\r';
              break;
            case 't':
              *w++ = '\t';
              break;
            case 'b':
              *w++ = '\b';
              break;
            case 'a':
              *w++ = '\a';
              break;
            default:
              *w++ = *p;
              break;
          }
        } else if (c == '"') {
          // The closing quote must be followed by a space or the end of the line.
          if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;  // unterminated quotes
        } else {
          *w++ = c;
        }
      } else if (in_single) {
        if (c == '\\' && at(p + 1) == '\'') {
          ++p;
          *w++ = '\'';
        } else if (c == '\'') {
          if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          *w++ = c;
        }
      } else {
        // Outside quotes only these end a token: '\v' and '\f' are kept inside it
        // although they are skipped between tokens, exactly as in sdssplitargs.
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            *w++ = c;
            break;
        }
      }
      if (p < end) ++p;
    }
    out->emplace_back(token, static_cast<size_t>(w - token));
  }
}

}  // namespace

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {}

void RequestParser::Feed(std::string_view data) {
  if (data.empty() || failed_) return;
  std::memcpy(PrepareWrite(data.size()), data.data(), data.size());
  CommitWrite(data.size());
}

char* RequestParser::PrepareWrite(size_t min_size) {
  Compact(min_size);
  window_start_ = consumed_;
  return data() + write_pos_;
}

void RequestParser::ReleaseIfEmpty() {
  if (capacity_ == 0 || write_pos_ != consumed_ || stage_ != Stage::kIdle) return;
  buffer_.reset();
  capacity_ = 0;
  consumed_ = write_pos_ = window_start_ = 0;
  args_.clear();
}

void RequestParser::CommitWrite(size_t n) {
  assert(n <= capacity_ - write_pos_);
  // After an error nothing more is parsed, so input is dropped instead of buffered.
  if (failed_) return;
  write_pos_ += n;
}

RequestParser::Result RequestParser::Next() {
  if (failed_) return Result::kError;
  args_.clear();
  if (args_.capacity() > kMaxRetainedArgs) args_.shrink_to_fit();
  while (true) {
    if (stage_ == Stage::kIdle) {
      if (consumed_ == write_pos_) return Result::kNeedMore;
      // As in processInputBuffer: a request starting with '*' is multibulk, any
      // other byte (even a space before a '*') starts an inline command.
      stage_ = data()[consumed_] == '*' ? Stage::kMultibulk : Stage::kInline;
      pos_ = 0;
      StartLine(0);
    }
    const Result result = stage_ == Stage::kInline ? ParseInline() : ParseMultibulk();
    // A request without arguments (blank inline line, "*0", "*-1") is skipped.
    if (result != Result::kCommand || !args_.empty()) return result;
  }
}

void RequestParser::Reset() {
  consumed_ = 0;
  write_pos_ = 0;
  window_start_ = 0;
  stage_ = Stage::kIdle;
  pos_ = 0;
  StartLine(0);
  multibulk_remaining_ = 0;
  bulk_len_ = -1;
  arg_spans_ = {};
  args_ = {};
  error_.clear();
  failed_ = false;
  if (capacity_ > kMaxIdleCapacity) {
    buffer_.reset();
    capacity_ = 0;
  }
}

RequestParser::Result RequestParser::ParseInline() {
  size_t newline;
  if (FindTerminator('\n', &newline) == Scan::kMissing) {
    // Like Redis, the limit is checked only while no newline is buffered, so a
    // longer line that arrives whole is accepted.
    if (write_pos_ - consumed_ > limits_.max_inline_len) {
      return Fail("ERR Protocol error: too big inline request");
    }
    return Result::kNeedMore;
  }
  char* line = data() + consumed_;
  size_t line_len = newline;
  if (line_len > 0 && line[line_len - 1] == '\r') --line_len;
  if (!SplitInPlace(line, line + line_len, &args_)) {
    return Fail("ERR Protocol error: unbalanced quotes in request");
  }
  FinishRequest(newline + 1);
  return Result::kCommand;
}

RequestParser::Result RequestParser::ParseMultibulk() {
  const char* request = data() + consumed_;
  const size_t available = write_pos_ - consumed_;

  if (multibulk_remaining_ == 0) {
    // Redis looks for '\r' and then skips two bytes without checking that the
    // second is '\n': "*1\rX" is a valid count line. The same holds for "$N" lines.
    size_t cr;
    if (FindTerminator('\r', &cr) == Scan::kMissing) {
      if (available > limits_.max_inline_len) {
        return Fail("ERR Protocol error: too big mbulk count string");
      }
      return Result::kNeedMore;
    }
    if (cr + 2 > available) return Result::kNeedMore;
    int64_t count;
    if (!ParseLongLong(request + 1, cr - 1, &count) || count > INT_MAX) {
      return Fail("ERR Protocol error: invalid multibulk length");
    }
    if (limits_.unauthenticated && count > kUnauthMaxMultibulk) {
      return Fail("ERR Protocol error: unauthenticated multibulk length");
    }
    pos_ = cr + 2;
    if (count <= 0) {
      FinishRequest(pos_);
      return Result::kCommand;  // with no arguments: skipped by Next()
    }
    multibulk_remaining_ = count;
    // The count is client-controlled: reserve no more than Redis's argv does up
    // front (1024) and let the vector grow with the arguments that really arrive.
    arg_spans_.reserve(std::min<size_t>(static_cast<size_t>(count), kMaxRetainedArgs));
    StartLine(pos_);
  }

  while (multibulk_remaining_ > 0) {
    if (bulk_len_ < 0) {
      size_t cr;
      if (FindTerminator('\r', &cr) == Scan::kMissing) {
        if (available - pos_ > limits_.max_inline_len) {
          return Fail("ERR Protocol error: too big bulk count string");
        }
        return Result::kNeedMore;
      }
      if (cr + 2 > available) return Result::kNeedMore;
      const char first = request[pos_];
      if (first != '$') {
        // Redis formats this text with addReplyErrorFormat, which turns CR and LF
        // into spaces so that the reply stays valid RESP.
        std::string message = "ERR Protocol error: expected '$', got '";
        message += (first == '\r' || first == '\n') ? ' ' : first;
        message += '\'';
        return Fail(std::move(message));
      }
      int64_t len;
      if (!ParseLongLong(request + pos_ + 1, cr - pos_ - 1, &len) || len < 0 ||
          len > limits_.max_bulk_len) {
        return Fail("ERR Protocol error: invalid bulk length");
      }
      if (limits_.unauthenticated && len > kUnauthMaxBulk) {
        return Fail("ERR Protocol error: unauthenticated bulk length");
      }
      bulk_len_ = len;
      pos_ = cr + 2;
    }
    // The two bytes after the data are skipped unchecked, as Redis does. Waiting
    // for them is O(1): nothing is re-scanned while a big bulk trickles in.
    const size_t needed = static_cast<size_t>(bulk_len_) + 2;
    if (available - pos_ < needed) return Result::kNeedMore;
    arg_spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ += needed;
    bulk_len_ = -1;
    --multibulk_remaining_;
    StartLine(pos_);
  }

  args_.reserve(arg_spans_.size());
  for (const auto& [offset, len] : arg_spans_) args_.emplace_back(request + offset, len);
  FinishRequest(pos_);
  return Result::kCommand;
}

RequestParser::Result RequestParser::Fail(std::string message) {
  failed_ = true;
  error_ = std::move(message);
  args_.clear();
  return Result::kError;
}

RequestParser::Scan RequestParser::FindTerminator(char terminator, size_t* at) {
  // Redis finds line ends with strchr(), which stops at a NUL byte: a NUL before
  // the terminator hides it for good, and only the size limit ends such a request.
  if (line_blocked_) return Scan::kMissing;
  const char* request = data() + consumed_;
  const size_t available = write_pos_ - consumed_;
  if (scan_ >= available) return Scan::kMissing;
  const char* start = request + scan_;
  const size_t n = available - scan_;
  const char* hit = static_cast<const char*>(std::memchr(start, terminator, n));
  const size_t searched = hit != nullptr ? static_cast<size_t>(hit - start) : n;
  if (std::memchr(start, '\0', searched) != nullptr) {
    line_blocked_ = true;
    return Scan::kMissing;
  }
  // Remember how far we looked so that a line arriving byte by byte is scanned
  // once in total, not once per byte.
  scan_ += searched;
  if (hit == nullptr) return Scan::kMissing;
  *at = scan_;
  return Scan::kFound;
}

void RequestParser::StartLine(size_t line) {
  scan_ = line;
  line_blocked_ = false;
}

void RequestParser::FinishRequest(size_t end) {
  consumed_ += end;
  stage_ = Stage::kIdle;
  pos_ = 0;
  StartLine(0);
  multibulk_remaining_ = 0;
  bulk_len_ = -1;
  if (arg_spans_.capacity() > kMaxRetainedArgs) {
    arg_spans_ = {};
  } else {
    arg_spans_.clear();
  }
}

void RequestParser::Compact(size_t min_free) {
  if (failed_) consumed_ = write_pos_;
  const size_t live = write_pos_ - consumed_;
  if (live == 0) consumed_ = write_pos_ = 0;

  // While the data of a bulk is being read, the request is known to need at least
  // `request_end` bytes from consumed_.
  size_t request_end = 0;
  if (stage_ == Stage::kMultibulk && bulk_len_ >= 0) {
    request_end = pos_ + static_cast<size_t>(bulk_len_) + 2;
  }
  const size_t needed = std::max(live, request_end) + min_free;

  if (capacity_ > kMaxIdleCapacity && needed <= capacity_ / 4) {
    Reallocate(std::max(kInitialCapacity, needed));
    return;
  }
  // Moving the live bytes costs no more than the consumed bytes it reclaims, so
  // compaction stays linear in the input however often it happens.
  if (consumed_ > 0 && consumed_ >= live) {
    std::memmove(data(), data() + consumed_, live);
    consumed_ = 0;
    write_pos_ = live;
  }
  if (capacity_ - write_pos_ >= min_free) return;

  // Grow geometrically (amortized linear copying), but allocate only for bytes
  // that arrive: a "$1000000000" header alone does not reserve a gigabyte. When
  // the end of a big bulk is near, size the buffer for it exactly instead of
  // doubling past it (a 512 MB bulk must not take 1 GB).
  size_t target = std::max({live + min_free, kInitialCapacity, 2 * capacity_});
  if (request_end + min_free > target && request_end + min_free <= 2 * target) {
    target = request_end + min_free;
  }
  Reallocate(target);
}

void RequestParser::Reallocate(size_t new_capacity) {
  const size_t live = write_pos_ - consumed_;
  assert(new_capacity >= live);
  // make_unique_for_overwrite leaves the bytes uninitialized: they are about to
  // be overwritten by the copy below or by socket reads.
  auto fresh = std::make_unique_for_overwrite<char[]>(new_capacity);
  if (live > 0) std::memcpy(fresh.get(), data() + consumed_, live);
  buffer_ = std::move(fresh);
  capacity_ = new_capacity;
  consumed_ = 0;
  write_pos_ = live;
}

}  // namespace ringkv::resp
