#pragma once
/// Token-bucket pacing with an injected clock.
///
/// The transmitter asks for a batch budget, sends that many probes, and asks again: time is read
/// once per batch, not per packet (masscan's throttler idea). The bucket holds at most `depth`
/// tokens (one batch unless told otherwise), so the sender can never be more than `depth` tokens
/// ahead of the ideal schedule: the largest burst is bounded by the depth. Rate 0 means unlimited.
///
/// Depth is a trade-off. Whatever a sender is late beyond a full bucket is lost for good; with a
/// depth of exactly one batch, a sender that polls L late after every batch of B tokens runs at
/// B / (B + L * rate) of the asked rate (-3 % at 1 kpps with 30 us of wake-up latency). The Pacer
/// therefore uses `pacer_depth(max_batch)`: half a batch more, which absorbs lateness of up to half
/// a batch interval per batch and still never puts two batches back to back.
#include <chrono>
#include <cstdint>
#include <functional>
#include <stop_token>

namespace synscan::rate {

using Nanoseconds = std::chrono::nanoseconds;

class TokenBucket {
 public:
  /// `packets_per_second` 0 = unlimited. `max_batch` >= 1 bounds the budget handed out at once;
  /// `depth` (raised to at least max_batch; 0 = max_batch) bounds the tokens held. `now` is the
  /// start of the schedule.
  TokenBucket(double packets_per_second, std::uint32_t max_batch, Nanoseconds now,
              double depth = 0.0) noexcept;

  /// Takes up to max_batch whole tokens available at `now`; returns how many (possibly 0).
  [[nodiscard]] std::uint32_t take(Nanoseconds now) noexcept;
  /// Returns tokens taken but not used (the sender ran out of work), so they are not lost.
  void give_back(std::uint32_t tokens) noexcept;
  /// Time from `now` until at least one token is available (0 when one already is).
  [[nodiscard]] Nanoseconds time_until_token(Nanoseconds now) const noexcept;

  [[nodiscard]] double rate() const noexcept { return packets_per_second_; }
  [[nodiscard]] std::uint32_t max_batch() const noexcept { return max_batch_; }
  [[nodiscard]] double depth() const noexcept { return depth_; }
  [[nodiscard]] bool unlimited() const noexcept { return packets_per_second_ <= 0.0; }

 private:
  double packets_per_second_;
  std::uint32_t max_batch_;
  double depth_;        ///< most tokens held, >= max_batch_
  double tokens_;       ///< fractional tokens available, <= depth_
  Nanoseconds last_;    ///< time tokens_ was last refilled
};

/// The batch size the engine uses for a rate: about 200 us of traffic, clamped to [1, 256], so
/// a 1 ms window never holds much more than its share even at low rates.
[[nodiscard]] std::uint32_t batch_size_for_rate(double packets_per_second) noexcept;

/// The Pacer's bucket depth for a batch size: 1.5 batches (see TokenBucket), except for batches
/// of one probe (rates up to 7.5 kpps), where a reserve would let two probes fall less than one
/// interval apart, i.e. into one 1 ms window at 1 kpps. There the Pacer's accurate wake-up keeps
/// the lateness small instead.
[[nodiscard]] constexpr double pacer_depth(std::uint32_t max_batch) noexcept {
  return max_batch <= 1 ? 1.0 : 1.5 * static_cast<double>(max_batch);
}

/// Blocking front end used by the transmit thread: waits (sleeping for long gaps, yielding for
/// short ones) until at least one token is available, then returns the budget. Its bucket is
/// `pacer_depth(max_batch)` deep.
class Pacer {
 public:
  using Clock = std::function<Nanoseconds()>;              ///< called once per batch
  using Sleeper = std::function<void(Nanoseconds)>;        ///< injected for tests

  Pacer(double packets_per_second, std::uint32_t max_batch, Clock clock, Sleeper sleeper);
  /// Steady-clock, std::this_thread::sleep_for based pacer.
  Pacer(double packets_per_second, std::uint32_t max_batch);

  /// Budget in [1, max_batch], or 0 if `stop` was requested while waiting.
  [[nodiscard]] std::uint32_t next_batch(const std::stop_token& stop);
  void give_back(std::uint32_t tokens) noexcept { bucket_.give_back(tokens); }
  [[nodiscard]] const TokenBucket& bucket() const noexcept { return bucket_; }

 private:
  Clock clock_;
  Sleeper sleeper_;
  TokenBucket bucket_;
};

/// Monotonic nanoseconds since an arbitrary epoch (CLOCK_MONOTONIC).
[[nodiscard]] Nanoseconds monotonic_now() noexcept;

}  // namespace synscan::rate
