// Probe order: a host permutation cut into groups, and a second permutation inside each group.
// Everything is computed from (seed, group, position), so any shard or restarted pass can
// recompute any part of the order without stored state.
#include "scanner/scan_order.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace synscan::scanner {
namespace {

// Largest state-table slot the planner chooses: 1 Mi entries = 4 MiB per group in flight.
// 64 Ki entries x 4 bytes = 256 KiB: a slot walked in permuted order stays in L2, so marking a
// probe sent is not a cache miss.
constexpr std::uint64_t kMaxEntriesPerGroup = std::uint64_t{1} << 16;
// Rate assumed for hosts_per_group when the rate is unlimited.
constexpr double kUnlimitedRateEstimate = 1e6;

// The in-group permutation's seed: a mix of the scan seed and the group number, so groups are
// shuffled independently while every shard derives the same order from the same seed.
std::uint64_t group_seed(std::uint64_t seed, std::uint64_t group) noexcept {
  std::uint64_t mixed = seed ^ ((group + 1) * 0x9E3779B97F4A7C15ULL);
  mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9ULL;
  mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EBULL;
  return mixed ^ (mixed >> 31);
}

// Positions q in [0, entries) with q % count == index - 1.
std::uint64_t positions_in_shard(std::uint64_t entries, const Shard& shard) noexcept {
  const std::uint64_t offset = shard.index - 1;
  return entries > offset ? (entries - offset + shard.count - 1) / shard.count : 0;
}

}  // namespace

ScanOrder::ScanOrder(std::uint64_t host_count, std::uint32_t probes_per_host,
                     std::uint32_t hosts_per_group, std::uint64_t seed, Shard shard)
    : host_count_(host_count),
      probes_per_host_(probes_per_host),
      hosts_per_group_(std::max<std::uint32_t>(hosts_per_group, 1)),
      group_count_((host_count + hosts_per_group_ - 1) / hosts_per_group_),
      smaller_group_hosts_(group_count_ == 0 ? 0 : host_count / group_count_),
      larger_groups_(group_count_ == 0 ? 0 : host_count % group_count_),
      seed_(seed),
      shard_(shard.count == 0 ? Shard{} : shard),
      host_permutation_(std::max<std::uint64_t>(host_count, 1), seed) {}

std::uint64_t ScanOrder::first_position(std::uint64_t group) const noexcept {
  // Groups [0, larger_groups_) hold one host more than the rest.
  return group * smaller_group_hosts_ + std::min(group, larger_groups_);
}

std::uint32_t ScanOrder::hosts_in_group(std::uint64_t group) const noexcept {
  if (group >= group_count_) return 0;
  return static_cast<std::uint32_t>(smaller_group_hosts_ + (group < larger_groups_ ? 1 : 0));
}

std::uint64_t ScanOrder::entries_in_group(std::uint64_t group) const noexcept {
  return std::uint64_t{hosts_in_group(group)} * probes_per_host_;
}

std::uint64_t ScanOrder::max_entries_per_group() const noexcept {
  return std::uint64_t{hosts_in_group(0)} * probes_per_host_;
}

std::uint64_t ScanOrder::shard_probe_count() const noexcept {
  if (group_count_ == 0) return 0;
  // Groups come in two sizes: the first larger_groups_ ones and the rest.
  return larger_groups_ * positions_in_shard(entries_in_group(0), shard_) +
         (group_count_ - larger_groups_) * positions_in_shard(entries_in_group(group_count_ - 1), shard_);
}

bool ScanOrder::in_shard(std::uint64_t group, std::uint64_t entry) const noexcept {
  if (shard_.count == 1) return true;
  const Permutation entry_order(entries_in_group(group), group_seed(seed_, group));
  return entry_order.inverse(entry) % shard_.count == shard_.index - 1;
}

std::uint64_t ScanOrder::host_index(std::uint64_t group, std::uint32_t local_host) const noexcept {
  return host_permutation_.at(first_position(group) + local_host);
}

ScanOrder::Location ScanOrder::locate(std::uint64_t host_index) const noexcept {
  const std::uint64_t position = host_permutation_.inverse(host_index);
  const std::uint64_t larger_span = larger_groups_ * (smaller_group_hosts_ + 1);
  if (position < larger_span) {
    return {position / (smaller_group_hosts_ + 1),
            static_cast<std::uint32_t>(position % (smaller_group_hosts_ + 1))};
  }
  // smaller_group_hosts_ > 0 here: position < host_count_ and every host sits in some group.
  const std::uint64_t rest = position - larger_span;
  return {larger_groups_ + rest / smaller_group_hosts_,
          static_cast<std::uint32_t>(rest % smaller_group_hosts_)};
}

ScanOrder::GroupWalk::GroupWalk(const ScanOrder& order, std::uint64_t group) noexcept
    : permutation_(order.entries_in_group(group), group_seed(order.seed_, group)),
      group_(group),
      first_position_(order.shard_.index - 1),
      position_(first_position_),
      stride_(order.shard_.count),
      entry_count_(order.entries_in_group(group)) {}

bool ScanOrder::GroupWalk::next(std::uint64_t& entry) noexcept {
  if (position_ >= entry_count_) return false;
  entry = permutation_.at(position_);
  position_ += stride_;
  return true;
}

std::size_t ScanOrder::GroupWalk::next_many(std::span<std::uint64_t> out) noexcept {
  if (position_ >= entry_count_) return 0;
  const std::uint64_t left = (entry_count_ - position_ + stride_ - 1) / stride_;
  const std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(left, out.size()));
  permutation_.at_many(position_, stride_, out.first(count));
  position_ += std::uint64_t{stride_} * count;
  return count;
}

std::uint32_t choose_hosts_per_group(std::uint64_t host_count, std::uint32_t probes_per_host,
                                     double packets_per_second, double group_seconds) noexcept {
  const double rate = packets_per_second > 0.0 ? packets_per_second : kUnlimitedRateEstimate;
  const std::uint64_t probes = std::max<std::uint32_t>(probes_per_host, 1);
  const double wanted =
      std::ceil(rate * std::max(group_seconds, 0.0) / static_cast<double>(probes));
  std::uint64_t hosts = wanted >= static_cast<double>(std::numeric_limits<std::uint32_t>::max())
                            ? std::numeric_limits<std::uint32_t>::max()
                            : static_cast<std::uint64_t>(std::max(wanted, 1.0));
  // Bound the state-table slot, unless a single host's probes already exceed the bound.
  hosts = std::min(hosts, std::max<std::uint64_t>(kMaxEntriesPerGroup / probes, 1));
  hosts = std::min(hosts, std::max<std::uint64_t>(host_count, 1));
  return static_cast<std::uint32_t>(hosts);
}

}  // namespace synscan::scanner
