#include "resp/reply_builder.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace ringkv::resp {

namespace {

// Room for a type byte, the 20 characters of INT64_MIN and CRLF.
constexpr size_t kMaxLineLen = 1 + 20 + 2;

// Writes "<type><v>\r\n" at `buf` and returns its length. std::to_chars is used
// instead of snprintf: these lines are emitted for nearly every reply.
size_t FormatLine(char* buf, char type, int64_t v) {
  buf[0] = type;
  char* end = std::to_chars(buf + 1, buf + kMaxLineLen, v).ptr;
  end[0] = '\r';
  end[1] = '\n';
  return static_cast<size_t>(end + 2 - buf);
}

}  // namespace

void ReplyBuilder::Header(char type, int64_t n) {
  char buf[kMaxLineLen];
  out_->append(buf, FormatLine(buf, type, n));
}

void ReplyBuilder::SimpleString(std::string_view s) {
  out_->reserve(out_->size() + s.size() + 3);
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyBuilder::Error(std::string_view message) {
  // A caller that already wrote the '-' would otherwise produce "--ERR ...".
  if (!message.empty() && message.front() == '-') message.remove_prefix(1);
  out_->reserve(out_->size() + message.size() + 3);
  out_->push_back('-');
  const size_t start = out_->size();
  out_->append(message);
  std::replace_if(
      out_->begin() + static_cast<std::ptrdiff_t>(start), out_->end(),
      [](char c) { return c == '\r' || c == '\n'; }, ' ');
  out_->append("\r\n", 2);
}

void ReplyBuilder::Integer(int64_t v) { Header(':', v); }

void ReplyBuilder::Bulk(std::string_view s) {
  char header[kMaxLineLen];
  const size_t header_len = FormatLine(header, '$', static_cast<int64_t>(s.size()));
  out_->reserve(out_->size() + header_len + s.size() + 2);
  out_->append(header, header_len);
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyBuilder::Null() { out_->append(protocol_ == 3 ? "_\r\n" : "$-1\r\n"); }

void ReplyBuilder::NullArray() { out_->append(protocol_ == 3 ? "_\r\n" : "*-1\r\n"); }

void ReplyBuilder::ArrayHeader(size_t n) { Header('*', static_cast<int64_t>(n)); }

void ReplyBuilder::MapHeader(size_t pairs) {
  if (protocol_ == 3) {
    Header('%', static_cast<int64_t>(pairs));
  } else {
    Header('*', static_cast<int64_t>(pairs * 2));
  }
}

void ReplyBuilder::SetHeader(size_t n) {
  Header(protocol_ == 3 ? '~' : '*', static_cast<int64_t>(n));
}

void ReplyBuilder::PushHeader(size_t n) {
  Header(protocol_ == 3 ? '>' : '*', static_cast<int64_t>(n));
}

void ReplyBuilder::Double(double v) {
  // Redis spells infinities itself rather than trusting the libc's "%g".
  if (std::isinf(v)) {
    if (protocol_ == 3) {
      out_->append(v > 0 ? ",inf\r\n" : ",-inf\r\n");
    } else {
      Bulk(v > 0 ? "inf" : "-inf");
    }
    return;
  }
  // to_chars with general format and precision 17 is specified to print as
  // printf("%.17g") does, NaN included ("nan" / "-nan").
  char text[32];
  const auto result = std::to_chars(text, text + sizeof(text), v, std::chars_format::general, 17);
  const std::string_view formatted(text, static_cast<size_t>(result.ptr - text));
  if (protocol_ == 3) {
    out_->reserve(out_->size() + formatted.size() + 3);
    out_->push_back(',');
    out_->append(formatted);
    out_->append("\r\n", 2);
  } else {
    Bulk(formatted);
  }
}

void ReplyBuilder::Bool(bool b) {
  if (protocol_ == 3) {
    out_->append(b ? "#t\r\n" : "#f\r\n");
  } else {
    out_->append(b ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyBuilder::Verbatim(std::string_view format, std::string_view text) {
  if (protocol_ != 3) {
    Bulk(text);
    return;
  }
  // Like addReplyVerbatim: the format is exactly three bytes, padded with spaces.
  char prefix[4] = {' ', ' ', ' ', ':'};
  std::copy_n(format.begin(), std::min<size_t>(format.size(), 3), prefix);
  char header[kMaxLineLen];
  const size_t header_len = FormatLine(header, '=', static_cast<int64_t>(text.size() + 4));
  out_->reserve(out_->size() + header_len + 4 + text.size() + 2);
  out_->append(header, header_len);
  out_->append(prefix, 4);
  out_->append(text);
  out_->append("\r\n", 2);
}

void ReplyBuilder::BigNumber(std::string_view digits) {
  if (protocol_ != 3) {
    Bulk(digits);
    return;
  }
  out_->push_back('(');
  out_->append(digits);
  out_->append("\r\n", 2);
}

void ReplyBuilder::AttributeHeader(size_t pairs) { Header('|', static_cast<int64_t>(pairs)); }

}  // namespace ringkv::resp
