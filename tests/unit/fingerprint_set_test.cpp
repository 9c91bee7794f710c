// The dedupe fingerprint set: behaves as a set under any mix of inserts and erases (checked
// against std::unordered_set), including colliding home slots and wrap-around, and gives its
// memory back after a burst.
#include "fingerprint_set.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <unordered_set>
#include <vector>

namespace roomtemp {
namespace {

TEST(FingerprintSet, MatchesAStandardSetUnderRandomInsertsAndErases) {
  std::mt19937_64 rng(7);
  FingerprintSet set;
  std::unordered_set<std::uint64_t> model;
  std::vector<std::uint64_t> present;
  for (int step = 0; step < 200000; ++step) {
    // Few distinct low bits: many values share a home slot and probe runs wrap the table end.
    const std::uint64_t v = (rng() % 4 == 0) ? rng() % 64 : (rng() << 20) | 1023;
    if (rng() % 3 != 0 || present.empty()) {
      const bool inserted = set.insert(v);
      ASSERT_EQ(inserted, model.insert(v).second) << "step " << step;
      if (inserted) present.push_back(v);
    } else {
      const std::size_t k = rng() % present.size();
      const std::uint64_t gone = present[k];
      present[k] = present.back();
      present.pop_back();
      set.erase(gone);
      model.erase(gone);
      ASSERT_FALSE(set.contains(gone)) << "step " << step;
    }
    ASSERT_EQ(set.size(), model.size());
    if (step % 997 == 0) {
      for (std::uint64_t p : present) ASSERT_TRUE(set.contains(p)) << "lost " << p;
    }
  }
  for (std::uint64_t p : present) EXPECT_TRUE(set.contains(p));
}

TEST(FingerprintSet, ZeroIsAValueLikeAnyOther) {
  FingerprintSet set;
  EXPECT_FALSE(set.contains(0));
  EXPECT_TRUE(set.insert(0));
  EXPECT_FALSE(set.insert(0));
  EXPECT_TRUE(set.contains(0));
  set.erase(0);
  EXPECT_FALSE(set.contains(0));
  EXPECT_EQ(set.size(), 0u);
}

TEST(FingerprintSet, ShrinksAfterABurst) {
  FingerprintSet set;
  for (std::uint64_t v = 1; v <= 100000; ++v) set.insert(v * 0x9e3779b97f4a7c15ULL);
  const std::size_t peak = set.capacity();
  EXPECT_GE(peak, 200000u);
  for (std::uint64_t v = 1; v <= 99990; ++v) set.erase(v * 0x9e3779b97f4a7c15ULL);
  EXPECT_EQ(set.size(), 10u);
  EXPECT_LE(set.capacity(), 2048u);
  for (std::uint64_t v = 99991; v <= 100000; ++v)
    EXPECT_TRUE(set.contains(v * 0x9e3779b97f4a7c15ULL));
}

}  // namespace
}  // namespace roomtemp
