#pragma once
/// Internet checksum (RFC 1071) and its incremental update (RFC 1624, eqn. 3).
#include <cstddef>
#include <cstdint>
#include <span>

#include "packet/ipv6.hpp"

namespace synscan::packet {

/// One's-complement sum of `bytes` folded to 16 bits, NOT complemented; `initial` lets callers
/// chain a pseudo-header. Odd lengths are padded with a zero byte.
[[nodiscard]] std::uint32_t ones_complement_sum(std::span<const std::byte> bytes,
                                                std::uint32_t initial = 0) noexcept;

/// The checksum field value for `bytes` (complemented folded sum), in host order.
[[nodiscard]] std::uint16_t internet_checksum(std::span<const std::byte> bytes,
                                              std::uint32_t initial = 0) noexcept;

/// RFC 1624: new checksum after a 16-bit word of the covered data changed from old_word to
/// new_word. All values host order.
[[nodiscard]] std::uint16_t checksum_update16(std::uint16_t checksum, std::uint16_t old_word,
                                              std::uint16_t new_word) noexcept;
/// The same for a 32-bit field (two words).
[[nodiscard]] std::uint16_t checksum_update32(std::uint16_t checksum, std::uint32_t old_value,
                                              std::uint32_t new_value) noexcept;

/// Verifies a whole IPv4 packet (starting at the IPv4 header): header checksum and, for TCP/UDP/
/// ICMP, the L4 checksum (with pseudo-header for TCP/UDP). For tests and diagnostics.
[[nodiscard]] bool ipv4_checksums_valid(std::span<const std::byte> ipv4_packet) noexcept;

/// Folded one's-complement sum of the IPv6 pseudo-header (RFC 8200 section 8.1: source,
/// destination, upper-layer length, next header), to pass as `initial` over the L4 bytes.
[[nodiscard]] std::uint32_t ipv6_pseudo_header_sum(Ipv6View source, Ipv6View destination,
                                                   std::uint32_t upper_layer_length,
                                                   std::uint8_t next_header) noexcept;

/// Verifies the L4 checksum (TCP, UDP, ICMPv6; pseudo-header included) of an IPv6 packet without
/// extension headers, starting at the IPv6 header. A UDP checksum of zero is invalid over IPv6.
/// Other next headers: true when the payload length fits. For tests and diagnostics.
[[nodiscard]] bool ipv6_checksums_valid(std::span<const std::byte> ipv6_packet) noexcept;

}  // namespace synscan::packet
