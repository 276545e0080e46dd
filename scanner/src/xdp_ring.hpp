#pragma once
// The AF_XDP sender's bookkeeping, apart from any socket so it can be tested without root: the
// pool of free UMEM frames, and the moves between it and the TX and completion rings (libxdp's
// inline ring accessors over the rings the kernel shares with us).
//
// A UMEM frame is in exactly one place: the free pool, a TX descriptor the kernel has not consumed
// yet, or in the kernel until its address comes back on the completion ring.
#include <xdp/xsk.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "scanner/link.hpp"

namespace synscan::scanner::xdp {

class UmemFrames {
 public:
  /// `count` frames of `frame_size` bytes at UMEM offsets 0, frame_size, 2 * frame_size, ...
  UmemFrames(std::uint32_t count, std::uint32_t frame_size);
  [[nodiscard]] std::uint32_t available() const noexcept { return top_; }
  [[nodiscard]] std::uint32_t count() const noexcept { return static_cast<std::uint32_t>(free_.size()); }
  [[nodiscard]] std::uint32_t frame_size() const noexcept { return frame_size_; }
  /// Precondition: available() > 0.
  std::uint64_t take() noexcept { return free_[--top_]; }
  /// A frame the kernel is done with (from the completion ring). Addresses are masked to their
  /// frame's start; one already free (or more than count()) is ignored rather than duplicated.
  void give_back(std::uint64_t address) noexcept;

 private:
  std::vector<std::uint64_t> free_;
  std::uint32_t top_ = 0;
  std::uint32_t frame_size_;
};

/// Moves every address on the completion ring back into `frames`; returns how many.
std::uint32_t reclaim_completions(xsk_ring_cons& completion, UmemFrames& frames) noexcept;

/// Copies the leading frames of `frames` into free UMEM frames under as many TX descriptors as
/// both the pool and the TX ring have room for, and submits them. Returns how many of `frames`
/// were taken: queued, or (larger than a UMEM frame) dropped and counted in counters.errors.
/// counters.bytes_sent grows by the queued frames' bytes.
std::uint32_t enqueue_frames(xsk_ring_prod& tx, UmemFrames& pool, std::byte* umem,
                             std::span<const FrameRef> frames, SendCounters& counters) noexcept;

/// Descriptors submitted that the kernel has not consumed yet.
[[nodiscard]] inline std::uint32_t tx_pending(const xsk_ring_prod& tx) noexcept {
  return tx.cached_prod - __atomic_load_n(tx.consumer, __ATOMIC_ACQUIRE);
}

}  // namespace synscan::scanner::xdp
