#pragma once
// -S with a range of source addresses (issue 13): a host that rate-limits its answers per peer
// (Linux's ICMP limit) answers each source address on its own budget, so its paced probes are
// sent from every address of the range in turn. The templates are built for the first address;
// a paced frame gets another source written in place (IPv4 header and TCP/UDP checksums updated
// incrementally), and the receive thread answers ARP requests for the range, which no interface
// of the machine need own.
#include <cstddef>
#include <cstdint>
#include <span>

#include "net/mac_address.hpp"

namespace synscan::scanner::engine {

/// Rewrites the IPv4 source of the probe frame `frame` (its IPv4 header at `ip_offset`) to
/// `source` (host order), keeping the IPv4 and TCP/UDP checksums right.
void rewrite_source(std::span<std::byte> frame, std::size_t ip_offset, std::uint32_t source) noexcept;

/// If `frame` is an Ethernet ARP request for an address in [first, first + count), writes the
/// reply (from `mac`) into `reply` (at least 42 bytes) and returns its size; else 0.
std::size_t arp_reply_for(std::span<const std::byte> frame, std::uint32_t first, std::uint32_t count,
                          const net::MacAddress& mac, std::span<std::byte> reply) noexcept;

}  // namespace synscan::scanner::engine
