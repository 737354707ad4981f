// Helpers shared by the resp/ tests: drive a RequestParser over an input split in
// various ways and collect everything it produced.
#pragma once

#include <algorithm>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "resp/request_parser.h"

namespace ringkv::resp::testing {

using Argv = std::vector<std::string>;

struct ParseOutcome {
  std::vector<Argv> commands;
  RequestParser::Result last = RequestParser::Result::kNeedMore;
  std::string error;  // error() when last is kError
  size_t buffered = 0;

  bool operator==(const ParseOutcome&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const ParseOutcome& o) {
  os << "{commands=[";
  for (const Argv& argv : o.commands) {
    os << "[";
    for (const std::string& a : argv) os << '"' << a << "\" ";
    os << "] ";
  }
  const char* last = o.last == RequestParser::Result::kNeedMore ? "kNeedMore"
                     : o.last == RequestParser::Result::kError  ? "kError"
                                                                : "kCommand";
  return os << "], last=" << last << ", error=\"" << o.error << "\", buffered=" << o.buffered
            << "}";
}

// Calls Next() until it stops returning commands, appending them to `out`.
inline void Drain(RequestParser& parser, ParseOutcome* out) {
  RequestParser::Result r;
  while ((r = parser.Next()) == RequestParser::Result::kCommand) {
    out->commands.emplace_back(parser.args().begin(), parser.args().end());
  }
  out->last = r;
  out->error = r == RequestParser::Result::kError ? parser.error() : "";
  // After an error the leftover bytes depend on how the input was split; they are
  // discarded anyway.
  out->buffered = r == RequestParser::Result::kError ? 0 : parser.buffered_bytes();
}

// Feeds the chunks in order (through Feed, or through PrepareWrite/CommitWrite
// when `zero_copy`), draining the parser after each one.
inline ParseOutcome ParseChunks(const std::vector<std::string_view>& chunks,
                                ParserLimits limits = {}, bool zero_copy = false) {
  RequestParser parser(limits);
  ParseOutcome out;
  for (std::string_view chunk : chunks) {
    if (zero_copy) {
      // Ask for more room than needed, as a socket read does.
      char* dst = parser.PrepareWrite(chunk.size() + 7);
      std::memcpy(dst, chunk.data(), chunk.size());
      parser.CommitWrite(chunk.size());
    } else {
      parser.Feed(chunk);
    }
    Drain(parser, &out);
  }
  if (chunks.empty()) Drain(parser, &out);
  return out;
}

inline ParseOutcome ParseWhole(std::string_view input, ParserLimits limits = {}) {
  return ParseChunks({input}, limits);
}

inline ParseOutcome ParseBytewise(std::string_view input, ParserLimits limits = {}) {
  std::vector<std::string_view> chunks;
  for (size_t i = 0; i < input.size(); ++i) chunks.push_back(input.substr(i, 1));
  return ParseChunks(chunks, limits);
}

// Splits `input` at random points: mostly short pieces, sometimes long ones.
inline std::vector<std::string_view> RandomSplit(std::string_view input, std::mt19937& rng) {
  std::vector<std::string_view> chunks;
  size_t pos = 0;
  while (pos < input.size()) {
    size_t max_len = (rng() % 4 == 0) ? 4096 : 8;
    size_t len = 1 + rng() % max_len;
    len = std::min(len, input.size() - pos);
    chunks.push_back(input.substr(pos, len));
    pos += len;
  }
  return chunks;
}

inline ParseOutcome Cmd(std::vector<Argv> commands) {
  ParseOutcome o;
  o.commands = std::move(commands);
  return o;
}

inline ParseOutcome Err(std::string error, std::vector<Argv> commands = {}) {
  ParseOutcome o;
  o.commands = std::move(commands);
  o.last = RequestParser::Result::kError;
  o.error = std::move(error);
  return o;
}

}  // namespace ringkv::resp::testing
