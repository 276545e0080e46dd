#pragma once
// Where probes leave from and to which MAC they go: interface, source address, next hop.
//
// The route comes from the kernel: a connected (never sending) UDP socket tells the source
// address the kernel would use for the first target, /proc/net/route the interface and gateway
// (longest prefix match). The next hop's MAC comes from the neighbour table (/proc/net/arp) or,
// when absent, from our own ARP request on the interface. Interfaces without link-layer
// addresses (tun, WireGuard, PPP: ARPHRD_NONE/PPP/RAWIP) carry bare IP: no MAC, no ARP.
#include <cstdint>
#include <optional>
#include <string>

#include "fd.hpp"
#include "net/mac_address.hpp"
#include "packet/probe_template.hpp"

namespace synscan::scanner {

struct NextHopOverrides {
  std::string interface;                          ///< -e
  std::optional<std::uint32_t> source_ip;         ///< -S
  std::optional<net::MacAddress> router_mac;   ///< --router-mac
};

struct NextHop {
  std::string interface;
  int interface_index = 0;
  net::MacAddress interface_mac{};
  std::uint32_t source_ip = 0;
  std::uint32_t gateway_ip = 0;      ///< 0 when the target is on-link
  std::uint32_t subnet_address = 0;  ///< interface subnet (for on-link checks)
  std::uint32_t subnet_mask = 0;
  net::MacAddress router_mac{};   ///< MAC probes to off-link targets go to
  bool router_mac_known = false;  ///< also true on raw-IP links: there is nothing to resolve
  packet::LinkHeader link_header = packet::LinkHeader::kEthernet;  ///< kNone: raw-IP interface
};

/// Resolves the route toward `first_target`. Throws RuntimeError when there is no route, the
/// interface has no IPv4 address or a link type synscan cannot frame for; UsageError for
/// --router-mac on a raw-IP interface. Does not resolve MACs.
NextHop find_route(std::uint32_t first_target, const NextHopOverrides& overrides);

/// MAC of `address` on the interface: neighbour table first, then up to `attempts` ARP requests
/// each waiting `timeout_ms`. nullopt when nobody answered.
std::optional<net::MacAddress> resolve_mac(const NextHop& hop, std::uint32_t address,
                                              int attempts = 3, int timeout_ms = 500);

/// An AF_PACKET socket for ARP bound to the interface. Throws RuntimeError (with a privileges
/// hint) when it cannot be opened.
Fd open_arp_socket(const NextHop& hop, bool nonblocking);

inline constexpr std::size_t kArpFrameSize = 42;
/// Fills `frame` (kArpFrameSize bytes) with a broadcast ARP request (RFC 826) for `target`.
void fill_arp_request(std::uint8_t* frame, const NextHop& hop, std::uint32_t target) noexcept;
/// If `frame` is an ARP reply, stores its sender address and MAC and returns true.
bool parse_arp_reply(const std::uint8_t* frame, std::size_t length, std::uint32_t& sender,
                     net::MacAddress& mac) noexcept;

}  // namespace synscan::scanner
