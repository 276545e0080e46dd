// The AF_XDP sender's bookkeeping without a socket: the UMEM frame pool and the moves through the
// TX and completion rings, over rings laid out as the kernel shares them (the test plays the
// kernel: it consumes TX descriptors and posts their addresses on the completion ring).
#include "xdp_ring.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <set>
#include <vector>

namespace synscan::scanner::xdp {
namespace {

constexpr std::uint32_t kFrameSize = 256;

// A TX ring and a completion ring in plain memory, with the kernel's side of each.
struct FakeRings {
  explicit FakeRings(std::uint32_t tx_size, std::uint32_t completion_size)
      : tx_descriptors(tx_size), completion_addresses(completion_size) {
    tx.mask = tx_size - 1;
    tx.size = tx_size;
    tx.cached_cons = tx_size;  // as libxdp sets up a producer ring: all slots free
    tx.producer = &tx_producer;
    tx.consumer = &tx_consumer;
    tx.ring = tx_descriptors.data();
    tx.flags = &tx_flags;
    completion.mask = completion_size - 1;
    completion.size = completion_size;
    completion.producer = &completion_producer;
    completion.consumer = &completion_consumer;
    completion.ring = completion_addresses.data();
    completion.flags = &completion_flags;
  }
  // The kernel consumes up to `count` TX descriptors; returns them.
  std::vector<xdp_desc> consume(std::uint32_t count) {
    std::vector<xdp_desc> taken;
    while (count-- > 0 && tx_consumer != tx_producer) {
      taken.push_back(tx_descriptors[tx_consumer & tx.mask]);
      ++tx_consumer;
    }
    return taken;
  }
  // ... and reports them done (with an offset inside the frame, as some drivers do).
  void complete(const std::vector<xdp_desc>& done, std::uint64_t offset = 0) {
    for (const xdp_desc& descriptor : done) {
      completion_addresses[completion_producer & completion.mask] = descriptor.addr + offset;
      ++completion_producer;
    }
  }

  std::vector<xdp_desc> tx_descriptors;
  std::vector<std::uint64_t> completion_addresses;
  std::uint32_t tx_producer = 0, tx_consumer = 0, tx_flags = 0;
  std::uint32_t completion_producer = 0, completion_consumer = 0, completion_flags = 0;
  xsk_ring_prod tx{};
  xsk_ring_cons completion{};
};

std::vector<std::byte> frame_bytes(std::uint32_t size, std::uint8_t fill) {
  return std::vector<std::byte>(size, std::byte{fill});
}

TEST(UmemFrames, HandsOutEveryFrameOnceFrameAligned) {
  UmemFrames frames(8, kFrameSize);
  EXPECT_EQ(frames.count(), 8u);
  EXPECT_EQ(frames.available(), 8u);
  std::set<std::uint64_t> seen;
  while (frames.available() > 0) {
    const std::uint64_t address = frames.take();
    EXPECT_EQ(address % kFrameSize, 0u);
    EXPECT_LT(address, 8u * kFrameSize);
    seen.insert(address);
  }
  EXPECT_EQ(seen.size(), 8u);
}

TEST(UmemFrames, GiveBackMasksOffsetsAndNeverOverfills) {
  UmemFrames frames(2, kFrameSize);
  const std::uint64_t first = frames.take();
  const std::uint64_t second = frames.take();
  frames.give_back(second + 17);  // an address inside the frame comes back as its start
  EXPECT_EQ(frames.available(), 1u);
  EXPECT_EQ(frames.take(), second);
  frames.give_back(first);
  frames.give_back(second);
  frames.give_back(second);  // a third completion for a 2-frame pool: ignored
  EXPECT_EQ(frames.available(), 2u);
}

TEST(XdpRing, EnqueueCopiesFramesIntoUmemUnderTheirDescriptors) {
  FakeRings rings(8, 16);
  UmemFrames pool(16, kFrameSize);
  std::vector<std::byte> umem(16 * kFrameSize);
  const auto a = frame_bytes(60, 0xA1), b = frame_bytes(74, 0xB2);
  const std::array<FrameRef, 2> frames{FrameRef{a.data(), 60}, FrameRef{b.data(), 74}};
  SendCounters counters;
  EXPECT_EQ(enqueue_frames(rings.tx, pool, umem.data(), frames, counters), 2u);
  EXPECT_EQ(rings.tx_producer, 2u) << "submitted: the kernel sees both";
  EXPECT_EQ(tx_pending(rings.tx), 2u);
  EXPECT_EQ(counters.bytes_sent, 134u);
  EXPECT_EQ(counters.errors, 0u);
  EXPECT_EQ(pool.available(), 14u);
  const auto sent = rings.consume(8);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].len, 60u);
  EXPECT_EQ(sent[1].len, 74u);
  EXPECT_NE(sent[0].addr, sent[1].addr);
  EXPECT_EQ(std::memcmp(umem.data() + sent[0].addr, a.data(), 60), 0);
  EXPECT_EQ(std::memcmp(umem.data() + sent[1].addr, b.data(), 74), 0);
  EXPECT_EQ(tx_pending(rings.tx), 0u);
}

TEST(XdpRing, EnqueueStopsAtAFullTxRingOrAnEmptyPool) {
  const auto bytes = frame_bytes(60, 0x11);
  const std::vector<FrameRef> frames(12, FrameRef{bytes.data(), 60});
  SendCounters counters;
  {
    FakeRings rings(4, 16);  // 4 TX slots, 16 frames
    UmemFrames pool(16, kFrameSize);
    std::vector<std::byte> umem(16 * kFrameSize);
    EXPECT_EQ(enqueue_frames(rings.tx, pool, umem.data(), frames, counters), 4u);
    EXPECT_EQ(enqueue_frames(rings.tx, pool, umem.data(), std::span(frames).subspan(4), counters), 0u)
        << "no slot until the kernel consumes";
    rings.consume(3);
    EXPECT_EQ(enqueue_frames(rings.tx, pool, umem.data(), std::span(frames).subspan(4), counters), 3u);
  }
  {
    FakeRings rings(16, 16);  // 16 TX slots, 5 frames
    UmemFrames pool(5, kFrameSize);
    std::vector<std::byte> umem(5 * kFrameSize);
    EXPECT_EQ(enqueue_frames(rings.tx, pool, umem.data(), frames, counters), 5u);
    EXPECT_EQ(pool.available(), 0u);
    EXPECT_EQ(enqueue_frames(rings.tx, pool, umem.data(), std::span(frames).subspan(5), counters), 0u);
    EXPECT_EQ(rings.tx_producer, 5u);
  }
}

TEST(XdpRing, OversizedFramesAreCountedNotLeftAsHoles) {
  FakeRings rings(8, 16);
  UmemFrames pool(8, kFrameSize);
  std::vector<std::byte> umem(8 * kFrameSize);
  const auto small = frame_bytes(60, 0x22), big = frame_bytes(kFrameSize + 1, 0x33);
  const std::array<FrameRef, 3> frames{FrameRef{small.data(), 60}, FrameRef{big.data(), kFrameSize + 1},
                                       FrameRef{small.data(), 60}};
  SendCounters counters;
  EXPECT_EQ(enqueue_frames(rings.tx, pool, umem.data(), frames, counters), 3u);
  EXPECT_EQ(counters.errors, 1u);
  EXPECT_EQ(rings.tx_producer, 2u) << "two descriptors, no empty one between";
  EXPECT_EQ(pool.available(), 6u);
  const auto sent = rings.consume(8);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].len, 60u);
  EXPECT_EQ(sent[1].len, 60u);
  // The slot reserved for the oversized frame went back: all 8 are usable again once consumed.
  const std::vector<FrameRef> more(6, FrameRef{small.data(), 60});
  EXPECT_EQ(enqueue_frames(rings.tx, pool, umem.data(), more, counters), 6u);
}

TEST(XdpRing, CompletionsRecycleFramesAcrossManyWraps) {
  // 10,000 frames through a 16-frame pool, an 8-slot TX ring and a 16-entry completion ring,
  // in uneven batches: nothing leaks, nothing is handed out twice while in flight.
  FakeRings rings(8, 16);
  UmemFrames pool(16, kFrameSize);
  std::vector<std::byte> umem(16 * kFrameSize);
  std::vector<std::vector<std::byte>> payloads;
  for (int i = 0; i < 7; ++i) payloads.push_back(frame_bytes(60 + static_cast<std::uint32_t>(i), static_cast<std::uint8_t>(i)));
  std::set<std::uint64_t> in_flight;
  std::vector<xdp_desc> awaiting_completion;
  SendCounters counters;
  std::uint64_t sent = 0, turn = 0;
  while (sent < 10'000) {
    ++turn;
    reclaim_completions(rings.completion, pool);
    std::vector<FrameRef> batch;
    for (std::uint64_t i = 0; i < 1 + turn % 11; ++i) {
      const auto& payload = payloads[(sent + i) % payloads.size()];
      batch.push_back({payload.data(), static_cast<std::uint32_t>(payload.size())});
    }
    const std::uint32_t taken = enqueue_frames(rings.tx, pool, umem.data(), batch, counters);
    sent += taken;
    for (const xdp_desc& descriptor : rings.consume(1 + static_cast<std::uint32_t>(turn % 5))) {
      EXPECT_TRUE(in_flight.insert(descriptor.addr).second) << "frame " << descriptor.addr << " in flight twice";
      const auto& payload = payloads[descriptor.len - 60];
      EXPECT_EQ(std::memcmp(umem.data() + descriptor.addr, payload.data(), payload.size()), 0);
      awaiting_completion.push_back(descriptor);
    }
    if (turn % 3 == 0) {  // completions arrive late, in bunches
      for (const xdp_desc& descriptor : awaiting_completion) in_flight.erase(descriptor.addr);
      rings.complete(awaiting_completion, turn % 2 ? 0 : 5);
      awaiting_completion.clear();
    }
    ASSERT_LE(in_flight.size() + pool.available() + tx_pending(rings.tx), pool.count());
    ASSERT_LT(turn, 100'000u) << "stuck";
  }
  rings.complete(rings.consume(8));
  rings.complete(awaiting_completion);
  reclaim_completions(rings.completion, pool);
  EXPECT_EQ(pool.available(), pool.count()) << "every frame came back";
  EXPECT_EQ(counters.errors, 0u);
}

}  // namespace
}  // namespace synscan::scanner::xdp
