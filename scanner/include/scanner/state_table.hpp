#pragma once
/// The lock-free state table: one 32-bit atomic entry per probe of the groups in flight.
///
/// Memory is bounded by the window in flight: `slot_count` slots of `entries_per_slot` entries,
/// each slot holding one scan group at a time. Entries are written by the transmit thread (sent
/// count), the capture thread (final result, first answer wins by CAS) and the output thread
/// (reported bit). A per-slot generation tag inside every entry makes a late reply for a group that
/// has left its slot fail its CAS instead of corrupting the slot's new group, and sealing a slot
/// when its group's time is up turns later replies away, so unanswered entries need no write.
///
/// Entry layout (uint32_t):
///   bits  0..3   send count (0 = unsent), saturates at 15
///   bits  4..8   result code (0 = pending; 1..31 = final, meaning defined by engine/window.hpp)
///   bit   9      reported: the per-port record was emitted
///   bits 10..15  generation ((group / slot_count) mod 64: how often the slot was reused)
///   bits 16..23  TTL of the reply that finalized the entry
///
/// Contract: group g lives in slot g % slot_count (the engine's ScanWindow opens it only there),
/// so a slot's consecutive groups have different generations.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace synscan::scanner {

struct EntryView {
  std::uint32_t raw;
  [[nodiscard]] std::uint8_t send_count() const noexcept { return raw & 0xF; }
  [[nodiscard]] std::uint8_t result() const noexcept { return (raw >> 4) & 0x1F; }
  [[nodiscard]] bool final() const noexcept { return result() != 0; }
  [[nodiscard]] bool reported() const noexcept { return (raw >> 9) & 1; }
  [[nodiscard]] std::uint8_t generation() const noexcept { return (raw >> 10) & 0x3F; }
  [[nodiscard]] std::uint8_t ttl() const noexcept { return (raw >> 16) & 0xFF; }
  /// The same entry with result code `code` (1..31), as a reader's copy; the table is unchanged.
  [[nodiscard]] EntryView with_result(std::uint8_t code) const noexcept {
    return EntryView{(raw & ~(std::uint32_t{0x1F} << 4)) | (std::uint32_t{code & 0x1Fu} << 4)};
  }
};

enum class MarkSent : std::uint8_t { kMarked, kAlreadyFinal, kStale };
enum class Finalize : std::uint8_t { kFirst, kDuplicate, kStale };

class StateTable {
 public:
  StateTable(std::size_t slot_count, std::size_t entries_per_slot);

  [[nodiscard]] std::size_t slot_count() const noexcept { return slot_count_; }
  [[nodiscard]] std::size_t entries_per_slot() const noexcept { return entries_per_slot_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

  /// Prepares a slot for `group`: every entry reset to pending with the group's generation, then
  /// the slot's group published (release). Called by the single owner of the slot (transmitter).
  void open_slot(std::size_t slot, std::uint64_t group) noexcept;
  /// Resume: puts a saved entry (send count, result, reported bit, TTL) back into an open slot,
  /// under the slot's current generation. Transmitter only, before any probe of the group is sent.
  void restore_entry(std::size_t slot, std::uint64_t group, std::size_t entry, EntryView saved) noexcept;
  /// Closes the slot's group to answers: every finalize() that starts afterwards returns kStale,
  /// and every one already under way has finished when this returns. From then on nothing but
  /// the caller (and mark_reported) writes the slot, so a still pending entry stays pending: the
  /// reader takes it as "no answer" without a locked op per entry. Owner (transmitter) only.
  void seal_slot(std::size_t slot) noexcept;
  /// Unpublishes the slot (no group). Entries keep their values for the reader that closes it.
  void close_slot(std::size_t slot) noexcept;
  /// The group a slot holds (sealed or not), or kNoGroup.
  [[nodiscard]] std::uint64_t slot_group(std::size_t slot) const noexcept;
  static constexpr std::uint64_t kNoGroup = ~std::uint64_t{0};

  /// Transmitter: count one more send unless the entry is final (then nothing is sent).
  MarkSent mark_sent(std::size_t slot, std::uint64_t group, std::size_t entry) noexcept;
  /// Capture or timeout: set the final result (code 1..31) if none yet. First answer wins.
  /// kStale once the slot is sealed or holds another group.
  Finalize finalize(std::size_t slot, std::uint64_t group, std::size_t entry,
                    std::uint8_t result_code, std::uint8_t ttl) noexcept;
  /// Output: set the reported bit; true if this call set it (so each record is emitted once).
  bool mark_reported(std::size_t slot, std::size_t entry) noexcept;
  /// The same for the one thread that owns a sealed slot's group after its hand-over: nothing
  /// else writes the slot then (seal_slot), so no locked op is needed.
  bool mark_reported_sealed(std::size_t slot, std::size_t entry) noexcept;
  [[nodiscard]] EntryView load(std::size_t slot, std::size_t entry) const noexcept;

  /// Hint only: the caller will mark this entry soon, so its cache line is fetched for writing
  /// now (the transmitter walks a slot in permuted order; a miss per probe is its largest cost).
  void prefetch(std::size_t slot, std::size_t entry) const noexcept {
    __builtin_prefetch(&entries_[slot * entries_per_slot_ + entry], 1, 3);
  }

  [[nodiscard]] std::uint64_t duplicates() const noexcept {
    return duplicates_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t stale() const noexcept { return stale_.load(std::memory_order_relaxed); }

 private:
  std::size_t slot_count_;
  std::size_t entries_per_slot_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> entries_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> slot_groups_;  ///< group, | kSealedBit once sealed
  /// finalize() calls under way per slot: seal_slot waits for the ones that passed the check.
  std::unique_ptr<std::atomic<std::uint32_t>[]> finalizing_;
  static constexpr std::uint64_t kSealedBit = std::uint64_t{1} << 63;
  std::atomic<std::uint64_t> duplicates_{0};
  std::atomic<std::uint64_t> stale_{0};
};

}  // namespace synscan::scanner
