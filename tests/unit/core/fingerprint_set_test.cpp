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
  for (int step = 0; step < 20000; ++step) {
    // Few distinct low bits, so probe runs are long and wrap the table end: half the values
    // have the last slot as home (at every table size up to 2^20 slots), a quarter one of the
    // first 8 slots — where the wrapped runs meet them, and an erase near the end must not
    // move them back across it — and a quarter one of the first 64.
    const std::uint64_t high = (rng() | 1) << 20;
    const std::uint64_t family = rng() % 4;
    const std::uint64_t v = family < 2    ? high | 0xFFFFF
                            : family == 2 ? high | (rng() % 8)
                                          : 1 + rng() % 63;
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

// The cases of the backward shift one by one. A value's home slot is its low bits, so
// `id << 20 | low` puts values where wanted: low 0xFFFFF is the last slot at any table size.
TEST(FingerprintSet, AnEraseKeepsTheRestOfItsProbeRunReachable) {
  const auto value = [](std::uint64_t id, std::uint64_t low) { return id << 20 | low; };
  const std::uint64_t last = 0xFFFFF;
  struct Case {
    const char* what;
    std::vector<std::uint64_t> inserted;  // in this order
    std::uint64_t erased;
  };
  const std::vector<Case> cases = {
      {"next value has the hole as its home", {value(1, 5), value(2, 5)}, value(1, 5)},
      {"next value's home is before the hole",
       {value(1, 5), value(2, 6), value(3, 5)},
       value(2, 6)},
      {"next value's home is after the hole", {value(1, 5), value(2, 6), value(3, 7)}, value(1, 5)},
      {"run wraps; the wrapped value moves back to the last slot",
       {value(1, last), value(2, last), value(3, 0)},
       value(1, last)},
      {"run wraps; a value at home in slot 0 stays, one after it moves back",
       {value(1, last), value(3, 0), value(2, last)},
       value(1, last)},
      {"hole in slot 0 of a wrapped run",
       {value(1, last), value(2, last), value(3, last)},
       value(2, last)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    FingerprintSet set;
    for (auto v : c.inserted) ASSERT_TRUE(set.insert(v));
    set.erase(c.erased);
    EXPECT_FALSE(set.contains(c.erased));
    EXPECT_EQ(set.size(), c.inserted.size() - 1);
    for (auto v : c.inserted) {
      if (v != c.erased) {
        EXPECT_TRUE(set.contains(v)) << "lost " << (v >> 20);
      }
    }
  }
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
