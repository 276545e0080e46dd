// Lock-free per-probe state. Every change is a CAS on one 32-bit entry, so the transmitter, the
// capture thread and the output thread never wait for each other per probe; the generation bits
// and the published slot group together turn a reply for a group that has left its slot into
// kStale. The one wait is seal_slot's, once per group: for a finalize() already past its check.
#include "scanner/state_table.hpp"

#include <thread>

namespace synscan::scanner {
namespace {

constexpr std::uint32_t kSendCountMask = 0xF;
constexpr std::uint32_t kMaxSendCount = 15;
constexpr unsigned kResultShift = 4;
constexpr std::uint32_t kResultMask = 0x1F << kResultShift;
constexpr std::uint32_t kReportedBit = 1u << 9;
constexpr unsigned kGenerationShift = 10;
constexpr std::uint32_t kGenerationMask = 0x3F << kGenerationShift;
constexpr unsigned kTtlShift = 16;

// Successive groups in one slot are slot_count apart, so the generation counts slot reuses:
// (group / slot_count) % 64 differs between any two groups that follow each other in a slot.
constexpr std::uint32_t generation_bits(std::uint64_t group, std::size_t slot_count) noexcept {
  return static_cast<std::uint32_t>((group / slot_count) % 64) << kGenerationShift;
}

}  // namespace

StateTable::StateTable(std::size_t slot_count, std::size_t entries_per_slot)
    : slot_count_(slot_count),
      entries_per_slot_(entries_per_slot),
      entries_(std::make_unique<std::atomic<std::uint32_t>[]>(slot_count * entries_per_slot)),
      slot_groups_(std::make_unique<std::atomic<std::uint64_t>[]>(slot_count)),
      finalizing_(std::make_unique<std::atomic<std::uint32_t>[]>(slot_count)) {
  for (std::size_t slot = 0; slot < slot_count_; ++slot) {
    slot_groups_[slot].store(kNoGroup, std::memory_order_relaxed);
    finalizing_[slot].store(0, std::memory_order_relaxed);
  }
}

std::size_t StateTable::memory_bytes() const noexcept {
  return sizeof(*this) + slot_count_ * entries_per_slot_ * sizeof(std::atomic<std::uint32_t>) +
         slot_count_ * (sizeof(std::atomic<std::uint64_t>) + sizeof(std::atomic<std::uint32_t>));
}

void StateTable::open_slot(std::size_t slot, std::uint64_t group) noexcept {
  const std::uint32_t fresh = generation_bits(group, slot_count_);
  std::atomic<std::uint32_t>* const entries = &entries_[slot * entries_per_slot_];
  for (std::size_t entry = 0; entry < entries_per_slot_; ++entry) {
    entries[entry].store(fresh, std::memory_order_relaxed);
  }
  // Release: whoever sees the new group (acquire) also sees every entry reset above.
  slot_groups_[slot].store(group, std::memory_order_release);
}

void StateTable::restore_entry(std::size_t slot, std::uint64_t group, std::size_t entry,
                               EntryView saved) noexcept {
  const std::uint32_t kept = saved.raw & ~kGenerationMask;
  entries_[slot * entries_per_slot_ + entry].store(kept | generation_bits(group, slot_count_),
                                                   std::memory_order_release);
}

void StateTable::seal_slot(std::size_t slot) noexcept {
  const std::uint64_t group = slot_groups_[slot].load(std::memory_order_relaxed);
  if (group == kNoGroup) return;
  // Dekker with finalize(): it announces itself (finalizing_ + 1) before it reads the slot's
  // group, we publish the seal before we read finalizing_; all seq_cst, so either it sees the
  // seal or we see it under way and wait for its CAS to land.
  slot_groups_[slot].store(group | kSealedBit, std::memory_order_seq_cst);
  while (finalizing_[slot].load(std::memory_order_seq_cst) != 0) {
    std::this_thread::yield();  // one CAS away: at most a few hundred nanoseconds
  }
}

void StateTable::close_slot(std::size_t slot) noexcept {
  slot_groups_[slot].store(kNoGroup, std::memory_order_release);
}

std::uint64_t StateTable::slot_group(std::size_t slot) const noexcept {
  const std::uint64_t group = slot_groups_[slot].load(std::memory_order_acquire);
  return group == kNoGroup ? kNoGroup : group & ~kSealedBit;
}

MarkSent StateTable::mark_sent(std::size_t slot, std::uint64_t group, std::size_t entry) noexcept {
  std::atomic<std::uint32_t>& cell = entries_[slot * entries_per_slot_ + entry];
  const std::uint32_t generation = generation_bits(group, slot_count_);
  std::uint32_t current = cell.load(std::memory_order_acquire);
  while (true) {
    if ((current & kGenerationMask) != generation ||
        slot_groups_[slot].load(std::memory_order_acquire) != group) {
      return MarkSent::kStale;
    }
    if ((current & kResultMask) != 0) return MarkSent::kAlreadyFinal;
    if ((current & kSendCountMask) == kMaxSendCount) return MarkSent::kMarked;  // saturated
    if (cell.compare_exchange_weak(current, current + 1, std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
      return MarkSent::kMarked;
    }
  }
}

Finalize StateTable::finalize(std::size_t slot, std::uint64_t group, std::size_t entry,
                              std::uint8_t result_code, std::uint8_t ttl) noexcept {
  std::atomic<std::uint32_t>& cell = entries_[slot * entries_per_slot_ + entry];
  const std::uint32_t generation = generation_bits(group, slot_count_);
  const std::uint32_t answer = ((std::uint32_t{result_code} << kResultShift) & kResultMask) |
                               (std::uint32_t{ttl} << kTtlShift);
  // Announced before the group check: see seal_slot. Left by every return below.
  finalizing_[slot].fetch_add(1, std::memory_order_seq_cst);
  struct Leave {
    std::atomic<std::uint32_t>& counter;
    ~Leave() { counter.fetch_sub(1, std::memory_order_release); }
  } leave{finalizing_[slot]};
  std::uint32_t current = cell.load(std::memory_order_acquire);
  while (true) {
    // Both checks: the generation catches a slot reopened for another group, the published group
    // catches a closed or sealed slot and groups 64 apart that share a generation.
    if ((current & kGenerationMask) != generation ||
        slot_groups_[slot].load(std::memory_order_seq_cst) != group) {
      stale_.fetch_add(1, std::memory_order_relaxed);
      return Finalize::kStale;
    }
    if ((current & kResultMask) != 0) {
      duplicates_.fetch_add(1, std::memory_order_relaxed);
      return Finalize::kDuplicate;
    }
    // Result and TTL bits are zero while pending (open_slot cleared them), so OR sets them.
    if (cell.compare_exchange_weak(current, current | answer, std::memory_order_acq_rel,
                                   std::memory_order_acquire)) {
      return Finalize::kFirst;
    }
  }
}

bool StateTable::mark_reported(std::size_t slot, std::size_t entry) noexcept {
  const std::uint32_t before =
      entries_[slot * entries_per_slot_ + entry].fetch_or(kReportedBit, std::memory_order_acq_rel);
  return (before & kReportedBit) == 0;
}

bool StateTable::mark_reported_sealed(std::size_t slot, std::size_t entry) noexcept {
  std::atomic<std::uint32_t>& cell = entries_[slot * entries_per_slot_ + entry];
  const std::uint32_t before = cell.load(std::memory_order_relaxed);
  if ((before & kReportedBit) != 0) return false;
  cell.store(before | kReportedBit, std::memory_order_relaxed);
  return true;
}

EntryView StateTable::load(std::size_t slot, std::size_t entry) const noexcept {
  return EntryView{entries_[slot * entries_per_slot_ + entry].load(std::memory_order_acquire)};
}

}  // namespace synscan::scanner
