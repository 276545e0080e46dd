#pragma once
// IPv6 neighbour discovery (RFC 4861) for the next hop's MAC: the IPv6 counterpart of ARP.
//
// A neighbour solicitation goes to the target's solicited-node multicast address (ff02::1:ffXX:XXXX,
// the target's low 24 bits) and its multicast MAC (33:33 + the address's low 32 bits), hop limit
// 255, with our MAC in a source link-layer address option; the neighbour answers with an
// advertisement carrying its MAC in a target link-layer address option. Links without link-layer
// addresses (tun) need none of this: probes leave as bare IPv6.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "fd.hpp"
#include "net/mac_address.hpp"
#include "packet/ipv6.hpp"

namespace synscan::scanner {

/// ff02::1:ff00:0/104 + the low 24 bits of `target` (RFC 4291 section 2.7.1).
[[nodiscard]] packet::Ipv6Bytes solicited_node_address(packet::Ipv6View target) noexcept;
/// 33:33 + the low 32 bits of an IPv6 multicast address (RFC 2464 section 7).
[[nodiscard]] net::MacAddress ipv6_multicast_mac(packet::Ipv6View multicast) noexcept;

/// Ethernet (14) + IPv6 (40) + ICMPv6 neighbour solicitation (24) + source link-layer address
/// option (8).
inline constexpr std::size_t kNeighborSolicitationFrameSize = 86;

/// Fills `frame` (kNeighborSolicitationFrameSize bytes) with a neighbour solicitation for `target`
/// from (`source_mac`, `source`), to the solicited-node multicast address, checksum included.
void fill_neighbor_solicitation(std::span<std::byte, kNeighborSolicitationFrameSize> frame,
                                const net::MacAddress& source_mac, packet::Ipv6View source,
                                packet::Ipv6View target) noexcept;

/// What an advertisement says: whose MAC it is.
struct NeighborAdvertisement {
  packet::Ipv6Bytes target{};
  net::MacAddress mac{};
};

/// If `frame` (Ethernet) is a valid neighbour advertisement (RFC 4861 section 7.1.2: IPv6 next
/// header 58 without extension headers, hop limit 255, ICMPv6 type 136 code 0, correct checksum,
/// at least 24 bytes, options of non-zero length inside the message), returns its target and MAC:
/// the target link-layer address option's, or the Ethernet source when the option is absent.
/// Any other input, however malformed, is nullopt.
[[nodiscard]] std::optional<NeighborAdvertisement> parse_neighbor_advertisement(
    std::span<const std::byte> frame) noexcept;

struct Ipv6NextHop;

/// An AF_PACKET socket receiving IPv6 frames on the hop's interface. Throws RuntimeError (with a
/// privileges hint) when it cannot be opened.
Fd open_ndp_socket(const Ipv6NextHop& hop, bool nonblocking);

/// The MAC of `address` on the hop's interface: the kernel's neighbour table first (reachable,
/// stale, delay, probe or permanent entries), then up to `attempts` solicitations each waiting
/// `timeout_ms`. nullopt when nobody answered. Raw-IP links: never called (nothing to resolve).
std::optional<net::MacAddress> resolve_ipv6_mac(const Ipv6NextHop& hop, packet::Ipv6View address,
                                                int attempts = 3, int timeout_ms = 500);

}  // namespace synscan::scanner
