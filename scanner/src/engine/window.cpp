#include "engine/window.hpp"

namespace synscan::scanner::engine {

ScanWindow::ScanWindow(std::size_t slot_count, std::size_t entries_per_slot)
    : table_(slot_count, entries_per_slot),
      slots_(std::make_unique<SlotInfo[]>(slot_count)),
      seen_(slot_count) {}

bool ScanWindow::open(GroupSlot at, std::time_t now) noexcept {
  SlotInfo& info = slots_[at.slot];
  if (!info.free.load(std::memory_order_acquire)) return false;
  info.free.store(false, std::memory_order_relaxed);
  info.finals.store(0, std::memory_order_relaxed);
  info.opened_at = now;
  table_.open_slot(at.slot, at.group);  // publishes the group (release)
  return true;
}

void ScanWindow::restore(GroupSlot at, std::size_t entry, std::uint32_t saved, bool counts) noexcept {
  const EntryView view{saved};
  table_.restore_entry(at.slot, at.group, entry, view);
  if (view.final() && counts) slots_[at.slot].finals.fetch_add(1, std::memory_order_relaxed);
}

void ScanWindow::finalize_unsent(GroupSlot at, std::size_t entry) noexcept {
  if (table_.finalize(at.slot, at.group, entry, result_code(output::Reason::kNoResponse), 0) ==
      Finalize::kFirst) {
    slots_[at.slot].finals.fetch_add(1, std::memory_order_relaxed);
  }
}

Finalize ScanWindow::answer(GroupSlot at, std::size_t entry, output::Reason reason,
                            std::uint8_t ttl) noexcept {
  const Finalize outcome = table_.finalize(at.slot, at.group, entry, result_code(reason), ttl);
  if (outcome == Finalize::kFirst) slots_[at.slot].finals.fetch_add(1, std::memory_order_relaxed);
  return outcome;
}

std::vector<std::uint32_t> ScanWindow::saved_entries(GroupSlot at, std::size_t count) const {
  std::vector<std::uint32_t> entries(count);
  for (std::size_t entry = 0; entry < count; ++entry) entries[entry] = table_.load(at.slot, entry).raw;
  return entries;
}

void ScanWindow::release(GroupSlot at) noexcept {
  table_.close_slot(at.slot);
  slots_[at.slot].free.store(true, std::memory_order_release);
}

}  // namespace synscan::scanner::engine
