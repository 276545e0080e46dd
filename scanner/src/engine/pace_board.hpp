#pragma once
// Hosts found to rate-limit their answers (issue 13), published by the receive thread for the
// transmit threads (per-host pacing) and the calling thread (progress line, closing summary).
//
// Writer: the receive thread only (AnswerFeed, when rate::HostPaceDetector says Limited).
// Readers: any thread, lock-free. Each host is one 64-bit atomic word (host, rate, kind), so a
// reader never sees half an update. Fixed capacity, allocated once; hosts are never removed (a
// host once limited keeps its pace for the rest of the scan); a host that finds the board full is
// not paced (counted).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

namespace synscan::scanner::engine {

class PaceBoard {
 public:
  static constexpr std::uint32_t kCapacity = 4096;  ///< a power of two
  enum class Kind : std::uint8_t { kIcmp, kRst };
  struct Limit {
    std::uint32_t host = 0;
    double answers_per_second = 0.0;
    Kind kind = Kind::kIcmp;
  };

  PaceBoard()
      : slots_(std::make_unique<std::atomic<std::uint64_t>[]>(kCapacity)),
        order_(std::make_unique<std::atomic<std::uint32_t>[]>(kCapacity)) {}

  // --- receive thread ------------------------------------------------------------------------
  /// Publishes `host` as answering at most `answers_per_second` (first time, or a new estimate).
  /// False when the board is full.
  bool publish(std::uint32_t host, double answers_per_second, Kind kind) noexcept {
    const std::uint64_t word = pack(host, answers_per_second, kind);
    for (std::uint32_t step = 0, at = slot_of(host); step < kCapacity; ++step, at = (at + 1) & kMask) {
      const std::uint64_t seen = slots_[at].load(std::memory_order_relaxed);
      if (seen != 0 && static_cast<std::uint32_t>(seen >> 32) != host) continue;
      slots_[at].store(word, std::memory_order_release);
      if (seen == 0) {
        const std::uint32_t count = count_.load(std::memory_order_relaxed);
        order_[count].store(at, std::memory_order_relaxed);
        count_.store(count + 1, std::memory_order_release);
      }
      return true;
    }
    full_.store(full_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return false;
  }

  // --- any thread ----------------------------------------------------------------------------
  /// The host's published answer rate, if it was found limited.
  [[nodiscard]] std::optional<double> rate_of(std::uint32_t host) const noexcept {
    for (std::uint32_t step = 0, at = slot_of(host); step < kCapacity; ++step, at = (at + 1) & kMask) {
      const std::uint64_t seen = slots_[at].load(std::memory_order_acquire);
      if (seen == 0) return std::nullopt;
      if (static_cast<std::uint32_t>(seen >> 32) == host) return unpack(seen).answers_per_second;
    }
    return std::nullopt;
  }
  /// Hosts published so far; at(i) for i < size() gives them in publication order.
  [[nodiscard]] std::uint32_t size() const noexcept { return count_.load(std::memory_order_acquire); }
  [[nodiscard]] Limit at(std::uint32_t index) const noexcept {
    return unpack(slots_[order_[index].load(std::memory_order_relaxed)].load(std::memory_order_acquire));
  }
  /// Limited hosts that found the board full (not paced).
  [[nodiscard]] std::uint64_t full() const noexcept { return full_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::uint32_t kMask = kCapacity - 1;
  static constexpr std::uint64_t kUsed = std::uint64_t{1} << 31;
  static constexpr std::uint64_t kRst = std::uint64_t{1} << 30;
  static constexpr double kRateUnit = 0.01;  ///< answers per second per count (30 bits: < 10.7 M/s)

  static std::uint32_t slot_of(std::uint32_t host) noexcept { return (host * 2654435769u) >> 20 & kMask; }
  static std::uint64_t pack(std::uint32_t host, double rate, Kind kind) noexcept {
    const double units = std::min(rate / kRateUnit, static_cast<double>(kRst - 1));
    return std::uint64_t{host} << 32 | kUsed | (kind == Kind::kRst ? kRst : 0) |
           static_cast<std::uint64_t>(std::max(units, 1.0));
  }
  static Limit unpack(std::uint64_t word) noexcept {
    return {static_cast<std::uint32_t>(word >> 32), static_cast<double>(word & (kRst - 1)) * kRateUnit,
            (word & kRst) ? Kind::kRst : Kind::kIcmp};
  }

  std::unique_ptr<std::atomic<std::uint64_t>[]> slots_;  ///< 0 = empty
  std::unique_ptr<std::atomic<std::uint32_t>[]> order_;  ///< slot indices in publication order
  std::atomic<std::uint32_t> count_{0};
  std::atomic<std::uint64_t> full_{0};
};

}  // namespace synscan::scanner::engine
