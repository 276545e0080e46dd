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
  /// From `now` on, tokens accrue at `packets_per_second` (> 0; an unlimited bucket stays
  /// unlimited): what accrued until `now` is kept, the depth and batch size are unchanged.
  void set_rate(double packets_per_second, Nanoseconds now) noexcept;
  /// Time from `now` until at least one token is available (0 when one already is).
  [[nodiscard]] Nanoseconds time_until_token(Nanoseconds now) const noexcept {
    return time_until_tokens(now, 1);
  }
  /// Time from `now` until at least `count` tokens (at most max_batch) are available (0 when
  /// they already are).
  [[nodiscard]] Nanoseconds time_until_tokens(Nanoseconds now, std::uint32_t count) const noexcept;

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
/// of one probe (rates up to 7.5 kpps): there a quarter probe more, so an oversleep of the timer
/// is made up, yet two probes are never scheduled less than 3/4 of an interval apart (a depth of
/// exactly one probe loses every oversleep for good). Measurements: bench/README.md.
[[nodiscard]] constexpr double pacer_depth(std::uint32_t max_batch) noexcept {
  return max_batch <= 1 ? 1.25 : 1.5 * static_cast<double>(max_batch);
}

/// Blocking front end used by the transmit thread: waits (sleeping for long gaps, yielding for
/// short ones) until a whole batch of tokens is available, then returns it. Waiting for the whole
/// batch matters at high rates: a sender that has caught up with the schedule and took whatever
/// had accrued while it spun would get budgets of one or two probes, i.e. one send syscall per
/// frame, and fall far behind the rate it could otherwise keep. Its bucket is
/// `pacer_depth(max_batch)` deep, so a late wake-up still finds its lateness in reserve.
class Pacer {
 public:
  using Clock = std::function<Nanoseconds()>;              ///< called once per batch
  using Sleeper = std::function<void(Nanoseconds)>;        ///< injected for tests
  /// Called once per spin of a short wait (std::this_thread::yield in the real pacer). Injected
  /// so that fake-clock tests never give the CPU away: on a loaded machine one real yield per
  /// fake microsecond can cost milliseconds each.
  using Yielder = std::function<void()>;

  Pacer(double packets_per_second, std::uint32_t max_batch, Clock clock, Sleeper sleeper,
        Yielder yielder);
  /// Steady-clock, std::this_thread::sleep_for / yield based pacer.
  Pacer(double packets_per_second, std::uint32_t max_batch);

  /// A whole batch (max_batch tokens), or 0 if `stop` was requested while waiting.
  [[nodiscard]] std::uint32_t next_batch(const std::stop_token& stop);
  void give_back(std::uint32_t tokens) noexcept { bucket_.give_back(tokens); }
  /// The rate from now on (see TokenBucket::set_rate); the batch size stays.
  void set_rate(double packets_per_second) { bucket_.set_rate(packets_per_second, clock_()); }
  [[nodiscard]] const TokenBucket& bucket() const noexcept { return bucket_; }

 private:
  Clock clock_;
  Sleeper sleeper_;
  Yielder yielder_;
  TokenBucket bucket_;
};

/// Monotonic nanoseconds since an arbitrary epoch (CLOCK_MONOTONIC).
[[nodiscard]] Nanoseconds monotonic_now() noexcept;

}  // namespace synscan::rate
