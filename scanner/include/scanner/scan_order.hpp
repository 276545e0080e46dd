#pragma once
/// The order probes go out in, chosen so results can stream.
///
/// Hosts are taken in a seeded random order (a Permutation of the TargetSet indices) and cut into
/// ceil(host_count / hosts_per_group) groups of consecutive positions, balanced so group sizes
/// differ by at most one host: a short last group would give each of its hosts a larger share of
/// the send rate (a /16 at 125 hosts per group left 36 hosts getting 3.5x the per-host rate). Inside a group the (host x probe) pairs are
/// permuted again (seed derived from the scan seed and the group number), so no host gets its
/// probes back to back and each host sees about 1/hosts_per_group of the send rate. A group is
/// finished once every pair in it is final, so host records can be written group by group.
///
/// An "entry" is local_host * probes_per_host + probe: the index of the pair inside its group,
/// used directly as the index into the group's state-table slot.
///
/// Sharding slices each group's permuted positions: shard i/n takes positions q with
/// q % n == i - 1. With the same seed, shards are disjoint and their union is the whole scan.
#include <cstdint>
#include <span>

#include "scanner/permutation.hpp"

namespace synscan::scanner {

class ScanOrder {
 public:
  ScanOrder(std::uint64_t host_count, std::uint32_t probes_per_host,
            std::uint32_t hosts_per_group, std::uint64_t seed, Shard shard = {});

  [[nodiscard]] std::uint64_t host_count() const noexcept { return host_count_; }
  [[nodiscard]] std::uint32_t probes_per_host() const noexcept { return probes_per_host_; }
  /// The planned (largest) group size, as passed in; resume files record it.
  [[nodiscard]] std::uint32_t hosts_per_group() const noexcept { return hosts_per_group_; }
  [[nodiscard]] std::uint64_t group_count() const noexcept { return group_count_; }
  [[nodiscard]] const Shard& shard() const noexcept { return shard_; }
  /// Hosts in `group`: hosts_per_group or fewer; groups differ by at most one host.
  [[nodiscard]] std::uint32_t hosts_in_group(std::uint64_t group) const noexcept;
  /// Entries (all shards) in `group`: hosts_in_group * probes_per_host.
  [[nodiscard]] std::uint64_t entries_in_group(std::uint64_t group) const noexcept;
  /// Largest entries_in_group over all groups: the size of a state-table slot.
  [[nodiscard]] std::uint64_t max_entries_per_group() const noexcept;
  /// Probes this shard sends in one pass over the whole scan.
  [[nodiscard]] std::uint64_t shard_probe_count() const noexcept;
  /// Whether `entry` of `group` belongs to this shard.
  [[nodiscard]] bool in_shard(std::uint64_t group, std::uint64_t entry) const noexcept;

  /// TargetSet index of the group's local_host-th host.
  [[nodiscard]] std::uint64_t host_index(std::uint64_t group, std::uint32_t local_host) const noexcept;

  struct Location {
    std::uint64_t group;
    std::uint32_t local_host;
  };
  /// Inverse of host_index(): where a TargetSet index sits. Precondition: index < host_count.
  [[nodiscard]] Location locate(std::uint64_t host_index) const noexcept;

  /// Walks one group's entries of this shard in permuted order. Restartable (for retry passes).
  class GroupWalk {
   public:
    GroupWalk(const ScanOrder& order, std::uint64_t group) noexcept;
    /// Next entry of this shard; false when the pass is over.
    bool next(std::uint64_t& entry) noexcept;
    /// The next entries of this shard into `out` (as many next() calls); returns how many (0
    /// when the pass is over).
    std::size_t next_many(std::span<std::uint64_t> out) noexcept;
    void rewind() noexcept { position_ = first_position_; }
    [[nodiscard]] std::uint64_t group() const noexcept { return group_; }

   private:
    Permutation permutation_;
    std::uint64_t group_;
    std::uint64_t first_position_;
    std::uint64_t position_;
    std::uint32_t stride_;
    std::uint64_t entry_count_;  ///< entries_in_group(group): positions run over [0, entry_count_)
  };

 private:
  std::uint64_t host_count_;
  std::uint32_t probes_per_host_;
  std::uint32_t hosts_per_group_;
  std::uint64_t group_count_;
  std::uint64_t smaller_group_hosts_;  ///< host_count / group_count: hosts in the later groups
  std::uint64_t larger_groups_;        ///< host_count % group_count: leading groups with one more
  std::uint64_t seed_;
  Shard shard_;
  Permutation host_permutation_;

  /// Position in the host permutation of the group's first host.
  [[nodiscard]] std::uint64_t first_position(std::uint64_t group) const noexcept;
};

/// Hosts per group for a scan: enough that one group is about `group_seconds` of sending at
/// `packets_per_second` (rate 0 = unlimited is treated as 1 Mpps), at least 1, at most host_count.
[[nodiscard]] std::uint32_t choose_hosts_per_group(std::uint64_t host_count,
                                                   std::uint32_t probes_per_host,
                                                   double packets_per_second,
                                                   double group_seconds = 0.25) noexcept;

}  // namespace synscan::scanner
