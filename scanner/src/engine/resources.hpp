#pragma once
// Setup: everything a scan runs on, built completely before any thread starts and read-only
// afterwards (except the ScanWindow, see window.hpp). Throws UsageError/RuntimeError for setup
// failures, before anything is sent.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "arp_sweep.hpp"
#include "engine/probes.hpp"
#include "engine/window.hpp"
#include "next_hop.hpp"
#include "packet/reply.hpp"
#include "scanner/link.hpp"
#include "scanner/scan_order.hpp"
#include "scanner/scan_plan.hpp"

namespace synscan::scanner::engine {

/// Where frames go: the route, and the MACs of on-link targets (from an ARP sweep).
struct Network {
  NextHop hop;
  NeighbourMacs neighbours;
  bool any_on_link = false;
};

class Resources {
 public:
  /// `link` replaces the network when given (tests); plan.offline sends nowhere and captures
  /// nothing; otherwise the route, ARP, a capture on the interface and raw sockets, then the
  /// privilege drop.
  Resources(const ScanPlan& plan, std::unique_ptr<InjectedLink> link);

  /// The MAC a probe to `target` goes to when it is not the router's: an on-link host's own, or
  /// null. `reachable` is false for an on-link host that never answered ARP (nothing is sent).
  [[nodiscard]] const net::MacAddress* neighbour_mac(std::uint32_t target, bool& reachable) const noexcept {
    reachable = true;
    if (!network.any_on_link || !on_link(network.hop, target)) return nullptr;
    const net::MacAddress* mac = network.neighbours.find(target);
    reachable = mac != nullptr;
    return mac;
  }

  Network network;
  ProbeSet probes;
  ScanOrder order;
  ScanWindow window;
  unsigned transmit_threads;
  std::vector<std::unique_ptr<FrameSender>> senders;  ///< one per transmit thread
  /// Which backend the senders are (and why not AF_XDP, under auto); empty when nothing goes to
  /// the network (an injected link, --offline).
  std::string send_path;
  std::unique_ptr<FrameSource> source;                ///< replies (never null)
  /// The receive thread's, for ARP replies for a -S range (null without a range).
  std::unique_ptr<FrameSender> arp_sender;
  packet::LinkType capture_link = packet::LinkType::kEthernet;  ///< how `source` frames start
};

}  // namespace synscan::scanner::engine
