// Scratch directories for tests that put real LevelDB data or server files on
// disk.
#pragma once

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>

namespace ringkv::testing {

// A path under the system temp directory that no other test (or concurrent
// test process) uses: `prefix` plus 64 random bits. Not created; the caller
// removes it when done.
inline std::filesystem::path UniqueTempDir(std::string_view prefix) {
  std::random_device rd;
  const uint64_t tag = (uint64_t{rd()} << 32) | rd();
  return std::filesystem::temp_directory_path() / (std::string(prefix) + std::to_string(tag));
}

}  // namespace ringkv::testing
