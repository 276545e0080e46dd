#pragma once
// Next-hop MACs for targets on the local subnet.
//
// Probes to an on-link target must go to that target's own MAC, not the gateway's (masscan sends
// them to the gateway). Before the scan, an ARP sweep asks every on-link target, paced, with
// retries; a target that never answers ARP is down and is not probed (nmap does the same on a LAN).
#include <cstdint>
#include <utility>
#include <vector>

#include "next_hop.hpp"
#include "scanner/targets.hpp"

namespace synscan::scanner {

class NeighbourMacs {
 public:
  NeighbourMacs() = default;
  explicit NeighbourMacs(std::vector<std::pair<std::uint32_t, net::MacAddress>> sorted)
      : entries_(std::move(sorted)) {}
  /// The MAC of an on-link address, or nullptr when it never answered ARP. O(log n), no allocation.
  [[nodiscard]] const net::MacAddress* find(std::uint32_t address) const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  std::vector<std::pair<std::uint32_t, net::MacAddress>> entries_;
};

/// Whether `address` is on the interface's subnet (and so needs its own MAC).
[[nodiscard]] inline bool on_link(const NextHop& hop, std::uint32_t address) noexcept {
  return hop.subnet_mask != 0 && (address & hop.subnet_mask) == hop.subnet_address;
}

/// Number of targets on the interface's subnet.
[[nodiscard]] std::uint64_t count_on_link(const NextHop& hop, const TargetSet& targets) noexcept;

/// ARP-resolves every on-link target: `attempts` rounds of requests paced at `packets_per_second`
/// (0 = unpaced), each round followed by `round_wait_ms` of listening. Throws RuntimeError when the
/// ARP socket cannot be opened.
NeighbourMacs arp_sweep(const NextHop& hop, const TargetSet& targets, double packets_per_second,
                        int attempts = 3, int round_wait_ms = 500);

}  // namespace synscan::scanner
