// Token bucket and pacer. The bucket is pure arithmetic on an injected clock, so tests replay
// hours of schedule in milliseconds; only Pacer's default constructor touches the real clock.
#include "rate/token_bucket.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <thread>
#include <utility>

namespace synscan::rate {
namespace {

constexpr double kNanosecondsPerSecond = 1e9;

// Waits longer than this are slept; shorter ones are spun with yield(), because sleep_for
// oversleeps by tens of microseconds and a bucket only one batch deep cannot absorb that.
constexpr Nanoseconds kSleepThreshold{200'000};
// Sleep this much less than the wait, and spin the rest, so the oversleep lands inside the gap.
constexpr Nanoseconds kSleepSlack{100'000};
// Longest single sleep, so a stop request is seen within this delay even at very low rates.
constexpr Nanoseconds kLongestSleep{50'000'000};

// Engine batches carry about this much traffic (see batch_size_for_rate).
constexpr double kBatchSeconds = 200e-6;
constexpr std::uint32_t kLargestBatch = 256;

}  // namespace

TokenBucket::TokenBucket(double packets_per_second, std::uint32_t max_batch, Nanoseconds now,
                         double depth) noexcept
    : packets_per_second_(packets_per_second > 0.0 ? packets_per_second : 0.0),
      max_batch_(std::max<std::uint32_t>(max_batch, 1)),
      depth_(std::max(depth, static_cast<double>(max_batch_))),
      // One token at the start so the first probe leaves at once; never more than the depth.
      tokens_(1.0),
      last_(now) {}

namespace {

// Tokens the bucket would hold at `now`, given `tokens` at `last`. A clock that steps back adds
// nothing (and is not remembered as the new reference by the callers).
double refilled(double tokens, Nanoseconds last, Nanoseconds now, double packets_per_second,
                double depth) noexcept {
  if (now <= last) return tokens;
  const double elapsed_seconds = static_cast<double>((now - last).count()) / kNanosecondsPerSecond;
  return std::min(tokens + elapsed_seconds * packets_per_second, depth);
}

}  // namespace

std::uint32_t TokenBucket::take(Nanoseconds now) noexcept {
  if (unlimited()) return max_batch_;
  tokens_ = refilled(tokens_, last_, now, packets_per_second_, depth_);
  last_ = std::max(last_, now);
  const auto whole = static_cast<std::uint32_t>(std::floor(tokens_));
  const std::uint32_t granted = std::min(whole, max_batch_);
  tokens_ -= granted;
  return granted;
}

void TokenBucket::give_back(std::uint32_t tokens) noexcept {
  if (unlimited()) return;
  tokens_ = std::min(tokens_ + tokens, depth_);
}

void TokenBucket::set_rate(double packets_per_second, Nanoseconds now) noexcept {
  if (unlimited() || !(packets_per_second > 0.0)) return;
  tokens_ = refilled(tokens_, last_, now, packets_per_second_, depth_);
  last_ = std::max(last_, now);
  packets_per_second_ = packets_per_second;
}

Nanoseconds TokenBucket::time_until_tokens(Nanoseconds now, std::uint32_t count) const noexcept {
  if (unlimited()) return Nanoseconds{0};
  // depth_ >= max_batch_, so the count asked for is always reachable.
  const double wanted = static_cast<double>(std::clamp<std::uint32_t>(count, 1, max_batch_));
  const double available = refilled(tokens_, last_, now, packets_per_second_, depth_);
  if (available >= wanted) return Nanoseconds{0};
  const double missing_nanoseconds =
      (wanted - available) * kNanosecondsPerSecond / packets_per_second_;
  // Rounded up and one nanosecond more, so that take() at now + result never comes up a hair
  // short of a whole token through floating-point rounding.
  return Nanoseconds{static_cast<std::int64_t>(std::ceil(missing_nanoseconds)) + 1};
}

std::uint32_t batch_size_for_rate(double packets_per_second) noexcept {
  if (!(packets_per_second > 0.0)) return kLargestBatch;
  const double batch = std::round(packets_per_second * kBatchSeconds);
  if (batch <= 1.0) return 1;
  if (batch >= kLargestBatch) return kLargestBatch;
  return static_cast<std::uint32_t>(batch);
}

Pacer::Pacer(double packets_per_second, std::uint32_t max_batch, Clock clock, Sleeper sleeper,
             Yielder yielder)
    : clock_(std::move(clock)),
      sleeper_(std::move(sleeper)),
      yielder_(std::move(yielder)),
      bucket_(packets_per_second, max_batch, clock_(), pacer_depth(max_batch)) {}

Pacer::Pacer(double packets_per_second, std::uint32_t max_batch)
    : Pacer(packets_per_second, max_batch, &monotonic_now,
            [](Nanoseconds duration) { std::this_thread::sleep_for(duration); },
            [] { std::this_thread::yield(); }) {}

std::uint32_t Pacer::next_batch(const std::stop_token& stop) {
  if (bucket_.unlimited()) return stop.stop_requested() ? 0 : bucket_.max_batch();
  while (!stop.stop_requested()) {
    const Nanoseconds now = clock_();
    const Nanoseconds wait = bucket_.time_until_tokens(now, bucket_.max_batch());
    if (wait == Nanoseconds{0}) return bucket_.take(now);  // a whole batch (see the header)
    if (wait > kSleepThreshold) {
      sleeper_(std::min(wait - kSleepSlack, kLongestSleep));
    } else {
      yielder_();
    }
  }
  return 0;
}

Nanoseconds monotonic_now() noexcept {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return Nanoseconds{std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec};
}

}  // namespace synscan::rate
