#pragma once
/// The IPv6 address value type: the one place an IPv6 address is parsed from or formatted to text.
///
/// Text rule: RFC 4291 section 2.2 text (eight groups of 1-4 hex digits, one "::" for a run of zero
/// groups, an embedded dotted quad in the last 32 bits under net::Ipv4Address's rule). Zone
/// identifiers ("fe80::1%eth0") and brackets are refused: a scan target names a global address.
/// Formatted per RFC 5952: lowercase, no leading zeros, the longest run of two or more zero groups
/// (the first of equal runs) as "::", IPv4-mapped addresses as "::ffff:198.18.0.1".
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace synscan::net {

/// 128-bit unsigned arithmetic for address ranges (GCC/Clang builtin; the project builds with GCC).
__extension__ using Uint128 = unsigned __int128;

class Ipv6Address {
 public:
  using Bytes = std::array<std::uint8_t, 16>;

  constexpr Ipv6Address() noexcept = default;
  /// From the 16 bytes in network order (as they appear in a packet).
  constexpr explicit Ipv6Address(const Bytes& bytes) noexcept : bytes_(bytes) {}

  /// The text rule above; nullopt when `text` breaks it (ipv6_problem() says how).
  [[nodiscard]] static std::optional<Ipv6Address> parse(std::string_view text) noexcept;
  /// From / to the address as one 128-bit number (2001:2::1 is 0x20010002...0001): range arithmetic.
  [[nodiscard]] static constexpr Ipv6Address from_integer(Uint128 value) noexcept {
    Bytes bytes{};
    for (int index = 15; index >= 0; --index) {
      bytes[static_cast<std::size_t>(index)] = static_cast<std::uint8_t>(value);
      value >>= 8;
    }
    return Ipv6Address(bytes);
  }
  [[nodiscard]] constexpr Uint128 to_integer() const noexcept {
    Uint128 value = 0;
    for (const std::uint8_t byte : bytes_) value = (value << 8) | byte;
    return value;
  }

  [[nodiscard]] constexpr const Bytes& bytes() const noexcept { return bytes_; }
  /// RFC 5952 text, so parse(to_string()) round-trips.
  [[nodiscard]] std::string to_string() const;

  /// Byte order is numeric order.
  friend constexpr auto operator<=>(const Ipv6Address&, const Ipv6Address&) noexcept = default;

 private:
  Bytes bytes_{};
};

/// Why `text` is not an IPv6 address, for an error line ("zone identifiers ('%eth0') are not
/// supported", "group '12345' has more than four hex digits", ...); "" when it is one.
[[nodiscard]] std::string ipv6_problem(std::string_view text);

}  // namespace synscan::net
