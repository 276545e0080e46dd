// RTT estimate for the retry timeout: RFC 6298 smoothing, clamping, Karn's rule, stale keys.
#include "scanner/rtt_estimator.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace synscan::scanner {
namespace {

using std::chrono::milliseconds;

TEST(RttEstimator, InitialTimeoutUntilTheFirstSample) {
  RttEstimator rtt(milliseconds(1000), milliseconds(100), milliseconds(10000));
  EXPECT_EQ(rtt.timeout(), milliseconds(1000));
  EXPECT_FALSE(rtt.on_answer(42, milliseconds(5)));  // never sent: no sample
  EXPECT_EQ(rtt.samples(), 0u);
}

TEST(RttEstimator, ConvergesOnASteadyDelayAndClamps) {
  RttEstimator rtt(milliseconds(1000), milliseconds(100), milliseconds(10000));
  for (std::uint64_t key = 1; key <= 200; ++key) {
    const auto sent = milliseconds(key * 10);
    rtt.record_send(key, sent);
    ASSERT_TRUE(rtt.on_answer(key, sent + milliseconds(50)));
  }
  const double smoothed_ms = std::chrono::duration<double, std::milli>(rtt.smoothed()).count();
  EXPECT_NEAR(smoothed_ms, 50.0, 0.5);
  EXPECT_EQ(rtt.timeout(), milliseconds(100));  // 50 ms + 4 * ~0 variance, clamped up to the minimum
  EXPECT_EQ(rtt.samples(), 200u);

  RttEstimator slow(milliseconds(1000), milliseconds(100), milliseconds(2000));
  slow.record_send(7, milliseconds(0));
  ASSERT_TRUE(slow.on_answer(7, milliseconds(5000)));
  EXPECT_EQ(slow.timeout(), milliseconds(2000));  // clamped down to the maximum
}

TEST(RttEstimator, JitterWidensTheTimeout) {
  RttEstimator rtt(milliseconds(1000), milliseconds(10), milliseconds(10000));
  for (std::uint64_t key = 1; key <= 400; ++key) {
    rtt.record_send(key, milliseconds(0));
    ASSERT_TRUE(rtt.on_answer(key, milliseconds(key % 2 ? 30 : 70)));  // 50 +- 20 ms
  }
  // srtt ~50 ms, rttvar ~20 ms: the timeout covers the slowest replies with margin.
  EXPECT_GT(rtt.timeout(), milliseconds(100));
  EXPECT_LT(rtt.timeout(), milliseconds(200));
}

TEST(RttEstimator, RetriedProbesAreNotSampled) {
  RttEstimator rtt(milliseconds(1000), milliseconds(100), milliseconds(10000));
  rtt.record_send(9, milliseconds(0));
  rtt.forget(9);  // Karn: a retry went out, the answer could be to either send
  EXPECT_FALSE(rtt.on_answer(9, milliseconds(3000)));
  EXPECT_EQ(rtt.timeout(), milliseconds(1000));
}

TEST(RttEstimator, ASampleIsTakenOnce) {
  RttEstimator rtt(milliseconds(1000), milliseconds(1), milliseconds(10000));
  rtt.record_send(5, milliseconds(0));
  EXPECT_TRUE(rtt.on_answer(5, milliseconds(20)));
  EXPECT_FALSE(rtt.on_answer(5, milliseconds(900)));  // a duplicate reply must not count again
  EXPECT_EQ(rtt.samples(), 1u);
}

TEST(RttEstimator, ConcurrentSendersAndAnswersStaySane) {
  RttEstimator rtt(milliseconds(1000), milliseconds(1), milliseconds(10000));
  std::atomic<std::uint64_t> published{0};
  std::thread sender([&] {
    for (std::uint64_t key = 1; key <= 200000; ++key) {
      rtt.record_send(key, milliseconds(0));
      published.store(key, std::memory_order_release);
    }
  });
  std::uint64_t answered = 0;
  while (answered < 200000) {
    const std::uint64_t upto = published.load(std::memory_order_acquire);
    for (; answered < upto; ++answered) (void)rtt.on_answer(answered + 1, milliseconds(40));
  }
  sender.join();
  // Every sample taken was a real (send 0, answer 40 ms) pair: the estimate is exactly 40 ms.
  ASSERT_GT(rtt.samples(), 0u);
  EXPECT_EQ(rtt.smoothed(), milliseconds(40));
}

}  // namespace
}  // namespace synscan::scanner
