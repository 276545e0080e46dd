#pragma once
// Where IPv6 probes leave from and to which MAC they go: the IPv6 counterpart of next_hop.hpp.
//
// The route comes from the kernel over rtnetlink (RTM_GETROUTE for the first target: output
// interface and gateway, policy routing included), the source address from a connected (never
// sending) UDP socket, as for IPv4. The next hop's MAC comes from ndp.hpp (neighbour table, then
// our own solicitation), or --router-mac; interfaces without link-layer addresses carry bare IPv6.
#include <optional>
#include <string>

#include "net/mac_address.hpp"
#include "packet/ipv6.hpp"
#include "packet/probe_template.hpp"

namespace synscan::scanner {

struct Ipv6NextHopOverrides {
  std::string interface;                         ///< -e
  std::optional<packet::Ipv6Bytes> source;       ///< -S with an IPv6 address
  std::optional<net::MacAddress> router_mac;     ///< --router-mac
};

struct Ipv6NextHop {
  std::string interface;
  int interface_index = 0;
  net::MacAddress interface_mac{};
  packet::Ipv6Bytes source{};       ///< -S, or the kernel's choice toward the first target
  packet::Ipv6Bytes link_local{};   ///< the interface's fe80:: address (:: if none): NDP source
                                    ///< when soliciting a link-local neighbour
  bool via_gateway = false;         ///< false: the first target is on-link (its own MAC)
  packet::Ipv6Bytes gateway{};      ///< the router (often link-local); :: when on-link
  packet::Ipv6Bytes subnet{};       ///< the source address's prefix on the interface
  int prefix_length = 128;          ///< of `subnet`, for ipv6_on_link()
  net::MacAddress router_mac{};     ///< MAC probes to off-link targets go to
  bool router_mac_known = false;    ///< also true on raw-IP links: there is nothing to resolve
  packet::LinkHeader link_header = packet::LinkHeader::kEthernet;  ///< kNone: raw-IP interface
};

/// Resolves the route toward `first_target`. Throws RuntimeError when there is no route (or an
/// unreachable/blackhole/prohibit one), the route uses the loopback interface, the interface has
/// no IPv6 address, or it has a link type synscan cannot frame for; UsageError for --router-mac
/// on a raw-IP interface. Does not resolve MACs (ndp.hpp does).
Ipv6NextHop find_ipv6_route(packet::Ipv6View first_target, const Ipv6NextHopOverrides& overrides);

/// Whether `address` is inside the source address's prefix on the interface (and so needs its
/// own MAC rather than the router's).
[[nodiscard]] bool ipv6_on_link(const Ipv6NextHop& hop, packet::Ipv6View address) noexcept;

/// The MAC every probe to an off-link target goes to: --router-mac, or the gateway's (or, when
/// the first target is on-link, that target's) resolved through NDP. Sets hop.router_mac and
/// router_mac_known; returns false when nobody answered. Raw-IP links: true at once.
bool resolve_ipv6_router_mac(Ipv6NextHop& hop, packet::Ipv6View first_target, int attempts = 3,
                             int timeout_ms = 500);

}  // namespace synscan::scanner
