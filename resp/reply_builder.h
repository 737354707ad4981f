// Reply encoder for RESP2 and RESP3. It appends to a caller-owned string (the
// connection's output buffer) and does no I/O. Each method emits the RESP3 type
// when the connection speaks RESP3 and Redis 7.0's RESP2 fallback otherwise.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ringkv::resp {

class ReplyBuilder {
 public:
  explicit ReplyBuilder(std::string* out) : out_(out) {}

  // 2 or 3 (HELLO switches a connection).
  void set_protocol(int version) { protocol_ = version; }
  int protocol() const { return protocol_; }

  std::string* buffer() { return out_; }

  void SimpleString(std::string_view s);  // "+s\r\n"
  void Ok() { SimpleString("OK"); }
  // `message` carries its own code, e.g. "ERR syntax error" or "WRONGTYPE ...";
  // CR/LF inside it are replaced by spaces, as Redis does. A leading '-' is
  // dropped, so "-ERR x" and "ERR x" give the same reply.
  void Error(std::string_view message);
  void Integer(int64_t v);        // ":v\r\n"
  void Bulk(std::string_view s);  // "$len\r\ns\r\n"
  void Null();                    // RESP2 "$-1", RESP3 "_"
  void NullArray();               // RESP2 "*-1", RESP3 "_"
  void ArrayHeader(size_t n);     // "*n"
  void MapHeader(size_t pairs);   // RESP3 "%n", RESP2 "*2n"
  void SetHeader(size_t n);       // RESP3 "~n", RESP2 "*n"
  void PushHeader(size_t n);      // RESP3 ">n", RESP2 "*n"
  void Double(double v);          // RESP3 ",%.17g", RESP2 bulk of the same text
  void Bool(bool b);              // RESP3 "#t"/"#f", RESP2 ":1"/":0"
  // RESP3 "=len\r\nfmt:text", RESP2 a plain bulk of `text`. `format` is 3 chars.
  void Verbatim(std::string_view format, std::string_view text);
  // RESP3 "(digits", RESP2 a bulk of the same digits (addReplyBigNum).
  void BigNumber(std::string_view digits);
  // RESP3 "|n": n key/value pairs of out-of-band attributes that precede the
  // real reply. RESP2 has no attributes: the caller must not emit any there.
  void AttributeHeader(size_t pairs);
  // Appends already encoded RESP bytes.
  void Raw(std::string_view bytes) { out_->append(bytes); }

 private:
  void Header(char type, int64_t n);

  std::string* out_;
  int protocol_ = 2;
};

}  // namespace ringkv::resp
