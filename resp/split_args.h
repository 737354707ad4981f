// Splits a line into arguments with redis-cli / redis.conf quoting rules (Redis's
// sdssplitargs): "double quotes" with \n \r \t \b \a \\ \" \xHH escapes,
// 'single quotes' with \' only; a closing quote must be followed by whitespace.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ringkv::resp {

// Returns false on unbalanced quotes (out is then unspecified).
bool SplitArgs(std::string_view line, std::vector<std::string>* out);

}  // namespace ringkv::resp
