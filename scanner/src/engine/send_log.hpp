#pragma once
// What a transmit thread sent, for the receive thread's answer detectors (engine/answer_feed.hpp):
// a single-producer single-consumer ring of batch records, one ring per transmit thread.
//
// Producer (its transmit thread): append() once per sent batch: the batch's time and the target of
// each frame. Consumer (the receive thread): drain() between two capture dispatches. No lock and
// no allocation after construction; a record that does not fit (the receiver fell more than the
// ring's capacity behind) is dropped and counted: the detectors then see fewer sends, which only
// makes a host look more answered (never limited when it is not).
//
// Layout: a power-of-two ring of 32-bit words; a record is [count][time low][time high][count
// hosts], never split across the ring's end (a kPad word sends the reader to the next lap).
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <memory>
#include <span>

#include "rate/token_bucket.hpp"

namespace synscan::scanner::engine {

class SendLog {
 public:
  /// Room for about `words` words (rounded up to a power of two, at least 4096).
  explicit SendLog(std::size_t words)
      : mask_(std::bit_ceil(std::max<std::size_t>(words, 4096)) - 1),
        words_(std::make_unique<std::uint32_t[]>(mask_ + 1)) {}

  // --- producer ------------------------------------------------------------------------------
  /// Records a batch sent at `time` to `hosts` (one entry per frame, IPv4 host byte order).
  /// False (and counted) when the ring is full.
  bool append(rate::Nanoseconds time, std::span<const std::uint32_t> hosts) noexcept {
    const std::size_t need = kHeaderWords + hosts.size();
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    const std::size_t to_end = capacity() - static_cast<std::size_t>(head & mask_);
    const std::size_t pad = to_end < need ? to_end : 0;
    if (need + pad > capacity() - (head - cached_tail_)) {
      cached_tail_ = tail_.load(std::memory_order_acquire);
      if (need + pad > capacity() - (head - cached_tail_)) {
        dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        return false;
      }
    }
    std::uint64_t at = head;
    if (pad != 0) {
      words_[at & mask_] = kPad;
      at += pad;
    }
    const auto ns = static_cast<std::uint64_t>(time.count());
    words_[at & mask_] = static_cast<std::uint32_t>(hosts.size());
    words_[(at + 1) & mask_] = static_cast<std::uint32_t>(ns);
    words_[(at + 2) & mask_] = static_cast<std::uint32_t>(ns >> 32);
    std::copy(hosts.begin(), hosts.end(), &words_[(at + kHeaderWords) & mask_]);
    head_.store(at + need, std::memory_order_release);
    return true;
  }

  // --- consumer ------------------------------------------------------------------------------
  /// Calls visit(time, hosts) for every record appended since the last drain, oldest first.
  template <typename Visit>
  void drain(Visit&& visit) noexcept {
    const std::uint64_t head = head_.load(std::memory_order_acquire);
    std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    while (tail != head) {
      const std::uint32_t count = words_[tail & mask_];
      if (count == kPad) {
        tail += capacity() - static_cast<std::size_t>(tail & mask_);
        continue;
      }
      const std::uint64_t ns = words_[(tail + 1) & mask_] |
                               (std::uint64_t{words_[(tail + 2) & mask_]} << 32);
      visit(rate::Nanoseconds(static_cast<std::int64_t>(ns)),
            std::span<const std::uint32_t>(&words_[(tail + kHeaderWords) & mask_], count));
      tail += kHeaderWords + count;
    }
    tail_.store(tail, std::memory_order_release);
  }

  /// Batches dropped because the ring was full (any thread, relaxed).
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t capacity() const noexcept { return mask_ + 1; }

 private:
  static constexpr std::size_t kHeaderWords = 3;
  static constexpr std::uint32_t kPad = ~std::uint32_t{0};

  const std::size_t mask_;
  std::unique_ptr<std::uint32_t[]> words_;
  alignas(64) std::atomic<std::uint64_t> head_{0};  ///< producer writes
  std::uint64_t cached_tail_ = 0;                   ///< producer only
  std::atomic<std::uint64_t> dropped_{0};           ///< producer writes
  alignas(64) std::atomic<std::uint64_t> tail_{0};  ///< consumer writes
};

}  // namespace synscan::scanner::engine
