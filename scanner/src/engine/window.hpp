#pragma once
// The scan window: the groups in flight, one per slot of the lock-free state table, with the
// per-slot bookkeeping beside it. The only place that knows that group g lives in slot
// g % slot_count and how a result is encoded in a state-table entry.
//
// Who calls what (thread model: docs/ARCHITECTURE.md):
//   transmitter  open, restore, prefetch, mark_sent, send_count, finalize_unsent, answered, seal
//   receiver     locate, answer
//   collector    load, mark_reported(_sealed), opened_at, saved_entries, for_each_changed, release
// A slot is owned by the transmitter from open() to seal(), by the collector from the hand-over
// to release(); answer() may run at any time and turns stale after seal().
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <vector>

#include "output/result.hpp"
#include "scanner/state_table.hpp"

namespace synscan::scanner::engine {

/// State-table result code of a reason: 1 + reason (0 means "pending").
constexpr std::uint8_t result_code(output::Reason reason) noexcept {
  return static_cast<std::uint8_t>(1 + static_cast<std::uint8_t>(reason));
}

/// One probe's entry as a reader sees it.
struct Entry {
  EntryView view;
  [[nodiscard]] bool final() const noexcept { return view.final(); }
  [[nodiscard]] bool reported() const noexcept { return view.reported(); }
  [[nodiscard]] std::uint8_t send_count() const noexcept { return view.send_count(); }
  [[nodiscard]] std::uint8_t ttl() const noexcept { return view.ttl(); }
  /// The final result's reason (final entries only).
  [[nodiscard]] output::Reason reason() const noexcept {
    return static_cast<output::Reason>(view.result() - 1);
  }
  [[nodiscard]] bool no_response() const noexcept {
    return view.result() == result_code(output::Reason::kNoResponse);
  }
  /// A pending entry of a group whose time is up reads as no-response (the table is unchanged).
  [[nodiscard]] Entry or_no_response() const noexcept {
    return final() ? *this : Entry{view.with_result(result_code(output::Reason::kNoResponse))};
  }
};

/// A group and the slot it lives in.
struct GroupSlot {
  std::uint64_t group;
  std::size_t slot;
};

class ScanWindow {
 public:
  ScanWindow(std::size_t slot_count, std::size_t entries_per_slot);

  [[nodiscard]] std::size_t slot_count() const noexcept { return table_.slot_count(); }
  [[nodiscard]] std::size_t memory_bytes() const noexcept { return table_.memory_bytes(); }
  [[nodiscard]] GroupSlot locate(std::uint64_t group) const noexcept {
    return {group, static_cast<std::size_t>(group % table_.slot_count())};
  }

  // --- transmitter ---------------------------------------------------------------------------
  /// Opens the group in its slot if the collector has released the slot's previous group; false
  /// (nothing changed) while that one is still being written out.
  bool open(GroupSlot at, std::time_t now) noexcept;
  /// Resume: puts a saved entry back before any probe of the group is sent. `counts` = the entry
  /// is one of this shard's probes, so a final one counts as answered.
  void restore(GroupSlot at, std::size_t entry, std::uint32_t saved, bool counts) noexcept;
  void prefetch(GroupSlot at, std::size_t entry) const noexcept { table_.prefetch(at.slot, entry); }
  MarkSent mark_sent(GroupSlot at, std::size_t entry) noexcept {
    return table_.mark_sent(at.slot, at.group, entry);
  }
  [[nodiscard]] std::uint8_t send_count(GroupSlot at, std::size_t entry) const noexcept {
    return table_.load(at.slot, entry).send_count();
  }
  /// A probe that is never sent (its on-link host did not answer ARP): final as no-response.
  void finalize_unsent(GroupSlot at, std::size_t entry) noexcept;
  /// Final entries of the group so far (answers, plus restored and unsent ones).
  [[nodiscard]] std::uint64_t answered(GroupSlot at) const noexcept {
    return slots_[at.slot].finals.load(std::memory_order_relaxed);
  }
  /// The group's time is up: later answers are late, pending entries read as no-response.
  void seal(GroupSlot at) noexcept { table_.seal_slot(at.slot); }

  // --- receiver ------------------------------------------------------------------------------
  /// A reply's result for the entry: kFirst when it is the entry's final result.
  Finalize answer(GroupSlot at, std::size_t entry, output::Reason reason, std::uint8_t ttl) noexcept;

  // --- collector -----------------------------------------------------------------------------
  [[nodiscard]] Entry load(GroupSlot at, std::size_t entry) const noexcept {
    return {table_.load(at.slot, entry)};
  }
  /// True if this call set the reported bit (each per-port record is emitted once).
  bool mark_reported(GroupSlot at, std::size_t entry) noexcept { return table_.mark_reported(at.slot, entry); }
  /// The same for a group handed over to the collector (sealed): no locked op.
  bool mark_reported_sealed(GroupSlot at, std::size_t entry) noexcept {
    return table_.mark_reported_sealed(at.slot, entry);
  }
  [[nodiscard]] std::time_t opened_at(GroupSlot at) const noexcept { return slots_[at.slot].opened_at; }
  /// The group's first `count` entries as the resume file stores them.
  [[nodiscard]] std::vector<std::uint32_t> saved_entries(GroupSlot at, std::size_t count) const;
  /// Calls visit(GroupSlot) for every open group with new final entries since the last call.
  template <typename Visit>
  void for_each_changed(Visit&& visit);
  /// The collector is done with the group: its slot can take the next one.
  void release(GroupSlot at) noexcept;

 private:
  struct alignas(64) SlotInfo {
    std::atomic<bool> free{true};
    std::atomic<std::uint64_t> finals{0};
    std::time_t opened_at = 0;  // written by the transmitter before the slot is published
  };
  /// Collector only: per slot, the group and final count its last for_each_changed saw.
  struct Seen {
    std::uint64_t group = StateTable::kNoGroup;
    std::uint64_t finals = 0;
  };
  StateTable table_;
  std::unique_ptr<SlotInfo[]> slots_;
  std::vector<Seen> seen_;
};

template <typename Visit>
void ScanWindow::for_each_changed(Visit&& visit) {
  for (std::size_t slot = 0; slot < table_.slot_count(); ++slot) {
    const std::uint64_t group = table_.slot_group(slot);
    if (group == StateTable::kNoGroup || slots_[slot].free.load(std::memory_order_acquire)) continue;
    const std::uint64_t finals = slots_[slot].finals.load(std::memory_order_acquire);
    if (seen_[slot].group == group && seen_[slot].finals == finals) continue;
    seen_[slot] = {group, finals};
    visit(GroupSlot{group, slot});
  }
}

}  // namespace synscan::scanner::engine
