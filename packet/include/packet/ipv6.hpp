#pragma once
/// IPv6 on the wire, as the packet library sees it: an address is 16 bytes in network order.
///
/// The packet library takes IPv6 addresses as these bytes (std::span<const std::byte, 16> in
/// arguments, Ipv6Bytes where it stores one), so it depends on no address class: the scanner's
/// address type converts to and from the bytes at the seam.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace synscan::packet {

/// An IPv6 address in network byte order ("2001:2::1" is 20 01 00 02 00 .. 00 01).
using Ipv6Bytes = std::array<std::byte, 16>;
/// Read-only view of 16 address bytes: what functions taking an IPv6 address accept.
using Ipv6View = std::span<const std::byte, 16>;

inline constexpr std::size_t kIpv6HeaderSize = 40;
inline constexpr std::uint16_t kEthertypeIpv6 = 0x86DD;
inline constexpr std::uint8_t kProtocolIcmpv6 = 58;

/// Bytes of an address from its eight 16-bit groups, as written in text: for constants and tests
/// (ipv6_from_groups({0x2001, 2, 0, 0, 0, 0, 0, 1}) is 2001:2::1).
[[nodiscard]] constexpr Ipv6Bytes ipv6_from_groups(
    const std::array<std::uint16_t, 8>& groups) noexcept {
  Ipv6Bytes bytes{};
  for (std::size_t group = 0; group < 8; ++group) {
    bytes[2 * group] = static_cast<std::byte>(groups[group] >> 8);
    bytes[2 * group + 1] = static_cast<std::byte>(groups[group] & 0xFF);
  }
  return bytes;
}

}  // namespace synscan::packet
