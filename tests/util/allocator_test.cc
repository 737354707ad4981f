// The allocator figures in a binary without jemalloc (the unit tests); the
// server's jemalloc figures are checked by tests/integration.
#include "util/allocator.h"

#include <gtest/gtest.h>

#include <memory>

namespace ringkv {
namespace {

TEST(AllocatorTest, GlibcFiguresFollowAllocations) {
  EXPECT_EQ(allocator::Name(), "libc");
  EXPECT_TRUE(allocator::Report().empty());
  const allocator::Stats before = allocator::Read();
  EXPECT_FALSE(before.jemalloc);
  auto block = std::make_unique<char[]>(64 << 20);
  block[0] = 1;
  const allocator::Stats during = allocator::Read();
  EXPECT_GE(during.allocated, before.allocated + (64 << 20));
  EXPECT_GE(during.resident, during.allocated);
  block.reset();
  EXPECT_LT(allocator::Read().allocated, during.allocated);
  allocator::Purge();
}

}  // namespace
}  // namespace ringkv
