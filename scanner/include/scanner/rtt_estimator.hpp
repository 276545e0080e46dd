#pragma once
/// Round-trip-time estimate for the retry timeout (nmap's and TCP's: RFC 6298 smoothing).
///
/// Probes carry no timestamp, so the transmitter samples: one first-try probe in 16 records its
/// send time in a small direct-mapped table keyed by the probe; when the capture thread finalizes
/// that probe it takes the sample. Retried probes are never sampled (Karn: their replies are
/// ambiguous). The timeout is srtt + 4 * rttvar clamped to [min, max], `initial` until the first
/// sample. Lock-free: the transmitter writes samples, the capture thread owns the estimate and
/// publishes the timeout through one atomic.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace synscan::scanner {

class RttEstimator {
 public:
  using Nanoseconds = std::chrono::nanoseconds;

  RttEstimator(Nanoseconds initial, Nanoseconds minimum, Nanoseconds maximum) noexcept;

  /// Transmitter: whether this probe (unique non-zero key) should carry a sample.
  [[nodiscard]] static bool wants_sample(std::uint64_t key) noexcept { return (key * 0x9E3779B97F4A7C15ull >> 60) == 0; }
  /// Transmitter: record a first-try send.
  void record_send(std::uint64_t key, Nanoseconds now) noexcept;
  /// Transmitter: a retry of `key` is going out; its sample (if any) is void.
  void forget(std::uint64_t key) noexcept;
  /// Capture thread: the probe `key` got its answer at `now`. Returns true if it was sampled.
  bool on_answer(std::uint64_t key, Nanoseconds now) noexcept;

  /// Current retry timeout (any thread).
  [[nodiscard]] Nanoseconds timeout() const noexcept {
    return Nanoseconds(timeout_ns_.load(std::memory_order_relaxed));
  }
  /// Capture thread only (or after it stopped).
  [[nodiscard]] Nanoseconds smoothed() const noexcept { return Nanoseconds(static_cast<std::int64_t>(srtt_ns_)); }
  [[nodiscard]] std::uint64_t samples() const noexcept { return samples_taken_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kSlots = 4096;
  struct Slot {
    std::atomic<std::uint64_t> key{0};
    std::atomic<std::int64_t> sent_ns{0};
  };
  [[nodiscard]] static std::size_t slot_of(std::uint64_t key) noexcept {
    return static_cast<std::size_t>((key * 0xD6E8FEB86659FD93ull) >> 52) & (kSlots - 1);
  }
  void add_sample(double rtt_ns) noexcept;

  std::array<Slot, kSlots> slots_{};
  Nanoseconds minimum_, maximum_;
  double srtt_ns_ = 0, rttvar_ns_ = 0;
  bool have_sample_ = false;
  std::atomic<std::uint64_t> samples_taken_{0};
  std::atomic<std::int64_t> timeout_ns_;
};

}  // namespace synscan::scanner
