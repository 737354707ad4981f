#include "resp/reply_parser.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <utility>

namespace ringkv::resp {

namespace {

// Arrays reserve at most this many elements up front: a header such as
// "*1000000" must not allocate before its elements have arrived.
constexpr int64_t kMaxReserve = 1024;

// Parses a whole line as a signed decimal integer; no sign but '-', no spaces.
bool ParseInt(std::string_view text, int64_t* value) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  return ec == std::errc() && ptr == end;
}

}  // namespace

ReplyParser::ReplyParser(ReplyParserLimits limits) : limits_(limits) {}

void ReplyParser::Feed(std::string_view data) {
  if (failed_) return;
  Compact();
  buffer_.append(data);
}

void ReplyParser::Compact() {
  // Dropping the consumed prefix only once it is at least half the buffer keeps
  // the cost of the copies linear in the bytes fed.
  if (pos_ == 0 || pos_ < buffer_.size() / 2) return;
  buffer_.erase(0, pos_);
  scan_ -= pos_;
  pos_ = 0;
}

void ReplyParser::Reset() {
  buffer_.clear();
  pos_ = 0;
  scan_ = 0;
  bulk_len_ = -1;
  stack_.clear();
  error_.clear();
  failed_ = false;
}

ReplyParser::Result ReplyParser::Fail(std::string message) {
  failed_ = true;
  error_ = std::move(message);
  buffer_.clear();
  pos_ = 0;
  scan_ = 0;
  stack_.clear();
  return Result::kError;
}

bool ReplyParser::Complete(Reply value, Reply* out) {
  while (!stack_.empty()) {
    Frame& top = stack_.back();
    top.array.elements.push_back(std::move(value));
    if (--top.remaining > 0) return false;
    value = std::move(top.array);
    stack_.pop_back();
  }
  *out = std::move(value);
  return true;
}

ReplyParser::Result ReplyParser::Next(Reply* reply) {
  while (!failed_) {
    const size_t buffered = buffer_.size() - pos_;
    if (bulk_len_ >= 0) {
      const size_t len = static_cast<size_t>(bulk_len_);
      if (buffered < len + 2) return Result::kNeedMore;
      if (buffer_[pos_ + len] != '\r' || buffer_[pos_ + len + 1] != '\n') {
        return Fail("Protocol error: bulk string not terminated by CRLF");
      }
      Reply value;
      value.type = Reply::Type::kBulk;
      value.str.assign(buffer_, pos_, len);
      pos_ += len + 2;
      scan_ = pos_;
      bulk_len_ = -1;
      if (Complete(std::move(value), reply)) return Result::kReply;
      continue;
    }

    const size_t crlf = buffer_.find("\r\n", std::max(scan_, pos_));
    if (crlf == std::string::npos) {
      if (buffered > limits_.max_line_len + 2) return Fail("Protocol error: too big reply line");
      // A trailing '\r' may be the first half of the terminator.
      scan_ = std::max(pos_, buffer_.empty() ? 0 : buffer_.size() - 1);
      return Result::kNeedMore;
    }
    if (crlf - pos_ > limits_.max_line_len + 1) {
      return Fail("Protocol error: too big reply line");
    }
    const char type = buffer_[pos_];
    const std::string_view line(buffer_.data() + pos_ + 1, crlf - pos_ - 1);
    Reply value;
    int64_t n = 0;
    switch (type) {
      case '+':
      case '-':
        value.type = type == '+' ? Reply::Type::kStatus : Reply::Type::kError;
        value.str.assign(line);
        break;
      case ':':
        if (!ParseInt(line, &n)) return Fail("Protocol error: invalid integer");
        value.type = Reply::Type::kInteger;
        value.integer = n;
        break;
      case '$':
        if (!ParseInt(line, &n) || n < -1 || n > limits_.max_bulk_len) {
          return Fail("Protocol error: invalid bulk length");
        }
        if (n >= 0) {
          bulk_len_ = n;
          pos_ = crlf + 2;
          scan_ = pos_;
          continue;
        }
        value.type = Reply::Type::kNil;
        break;
      case '*':
        if (!ParseInt(line, &n) || n < -1 || n > limits_.max_array_len) {
          return Fail("Protocol error: invalid multibulk length");
        }
        if (n == -1) {
          value.type = Reply::Type::kNil;
          break;
        }
        value.type = Reply::Type::kArray;
        if (n > 0) {
          if (stack_.size() + 1 > limits_.max_depth) {
            return Fail("Protocol error: arrays nested too deeply");
          }
          value.elements.reserve(static_cast<size_t>(std::min(n, kMaxReserve)));
          stack_.push_back(Frame{std::move(value), n});
          pos_ = crlf + 2;
          scan_ = pos_;
          continue;
        }
        break;
      default: {
        char text[64];
        std::snprintf(text, sizeof(text), "Protocol error: invalid reply type byte 0x%02x",
                      static_cast<unsigned char>(type));
        return Fail(text);
      }
    }
    pos_ = crlf + 2;
    scan_ = pos_;
    if (Complete(std::move(value), reply)) return Result::kReply;
  }
  return Result::kError;
}

}  // namespace ringkv::resp
