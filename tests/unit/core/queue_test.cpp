#include "queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace roomtemp {
namespace {

using namespace std::chrono_literals;

TEST(BoundedQueue, AFullBatchIsTakenAtOnceWithoutWaitingForTheDelay) {
  BoundedQueue<int> q(100);
  std::thread producer([&] {
    for (int i = 0; i < 10; ++i) q.push(int{i});
  });
  const auto start = std::chrono::steady_clock::now();
  std::vector<int> got;
  while (got.size() < 10) {
    auto batch = q.pop_batch(10, 5s, 5s);
    got.insert(got.end(), batch.begin(), batch.end());
  }
  producer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);  // woken by the full batch
  for (int i = 0; i < 10; ++i) EXPECT_EQ(got[i], i);        // in order
}

TEST(BoundedQueue, APartialBatchComesOutAfterTheDelay) {
  BoundedQueue<int> q(100);
  q.push(1);
  q.push(2);
  const auto start = std::chrono::steady_clock::now();
  auto batch = q.pop_batch(10, 50ms, 1s);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(batch, (std::vector<int>{1, 2}));
  EXPECT_GE(waited, 45ms);
  EXPECT_TRUE(q.pop_batch(10, 10ms, 10ms).empty());  // nothing left: idle timeout
}

TEST(BoundedQueue, CloseDrainsAndRefusesUnlessForced) {
  BoundedQueue<int> q(2);
  q.push(1);
  q.close();
  int x = 2;
  EXPECT_FALSE(q.push(std::move(x)));
  EXPECT_EQ(x, 2);  // a refused item is left untouched
  EXPECT_TRUE(q.push(std::move(x), true));
  EXPECT_EQ(q.pop_batch(10, 1s, 1s), (std::vector<int>{1, 2}));
  EXPECT_TRUE(q.closed_and_empty());
}

TEST(BoundedQueue, AFullQueueBlocksProducersUntilTheLimitIsLifted) {
  BoundedQueue<int> q(1);
  q.push(1);
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    q.push(2);
    pushed = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(pushed);  // back-pressure
  q.lift_limit();
  producer.join();
  EXPECT_TRUE(pushed);
  EXPECT_EQ(q.size(), 2u);
}

}  // namespace
}  // namespace roomtemp
