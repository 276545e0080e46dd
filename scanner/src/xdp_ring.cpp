#include "xdp_ring.hpp"

#include <algorithm>
#include <cstring>

namespace synscan::scanner::xdp {

UmemFrames::UmemFrames(std::uint32_t count, std::uint32_t frame_size)
    : free_(count), top_(count), frame_size_(frame_size) {
  // Handed out from the top: the first frames sent are the lowest addresses.
  for (std::uint32_t i = 0; i < count; ++i) free_[i] = std::uint64_t{count - 1 - i} * frame_size;
}

void UmemFrames::give_back(std::uint64_t address) noexcept {
  if (top_ >= free_.size()) return;  // more completions than frames out: a kernel or caller bug
  free_[top_++] = address - address % frame_size_;
}

std::uint32_t reclaim_completions(xsk_ring_cons& completion, UmemFrames& frames) noexcept {
  std::uint32_t index = 0;
  const std::uint32_t done = xsk_ring_cons__peek(&completion, frames.count(), &index);
  for (std::uint32_t i = 0; i < done; ++i) frames.give_back(*xsk_ring_cons__comp_addr(&completion, index + i));
  if (done) xsk_ring_cons__release(&completion, done);
  return done;
}

std::uint32_t enqueue_frames(xsk_ring_prod& tx, UmemFrames& pool, std::byte* umem,
                             std::span<const FrameRef> frames, SendCounters& counters) noexcept {
  const auto wanted = static_cast<std::uint32_t>(std::min<std::size_t>(frames.size(), pool.available()));
  std::uint32_t index = 0;
  // reserve() is all or nothing: ask for no more than the ring has free.
  const std::uint32_t room = wanted ? std::min(wanted, xsk_prod_nb_free(&tx, wanted)) : 0;
  const std::uint32_t slots = room ? xsk_ring_prod__reserve(&tx, room, &index) : 0;
  std::uint32_t taken = 0, queued = 0;
  // Every reserved slot gets a descriptor: oversized frames are skipped, not left as holes.
  while (queued < slots && taken < frames.size()) {
    const FrameRef& frame = frames[taken++];
    if (frame.size > pool.frame_size()) {
      ++counters.errors;
      continue;
    }
    const std::uint64_t address = pool.take();
    std::memcpy(umem + address, frame.data, frame.size);
    xdp_desc* descriptor = xsk_ring_prod__tx_desc(&tx, index + queued);
    descriptor->addr = address;
    descriptor->len = frame.size;
    descriptor->options = 0;
    counters.bytes_sent += frame.size;
    ++queued;
  }
  if (queued < slots) tx.cached_prod -= slots - queued;  // give back reserved, unused slots
  if (queued) xsk_ring_prod__submit(&tx, queued);
  return taken;
}

}  // namespace synscan::scanner::xdp
