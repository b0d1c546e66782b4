#include <gtest/gtest.h>

#include "rmlx/sampling/token_mask.h"

namespace rmlx::sampling {
namespace {

TEST(TokenMask, SetResetCountAcrossWordBoundaries) {
  TokenMask m(130);
  EXPECT_EQ(m.count(), 0u);
  m.set(0);
  m.set(63);
  m.set(64);
  m.set(129);
  EXPECT_EQ(m.count(), 4u);
  EXPECT_TRUE(m.test(63));
  EXPECT_TRUE(m.test(64));
  EXPECT_FALSE(m.test(65));
  EXPECT_FALSE(m.test(130));  // past the end reads as not allowed
  m.reset(64);
  EXPECT_FALSE(m.test(64));
  m.set_all();
  EXPECT_EQ(m.count(), 130u);  // the tail bits of the last word stay clear
  m.clear_all();
  EXPECT_EQ(m.count(), 0u);
  EXPECT_EQ(TokenMask(70, true).count(), 70u);
}

TEST(TokenMask, OutOfRangeSetNamesTheId) {
  TokenMask m(10);
  try {
    m.set(10);
    FAIL();
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "token mask: id 10 outside vocabulary of 10");
  }
}

}  // namespace
}  // namespace rmlx::sampling
