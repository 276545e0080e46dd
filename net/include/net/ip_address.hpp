#pragma once
/// An address of either family: what targets, results, output files and resume files carry.
///
/// Text: an IPv4 dotted quad (net::Ipv4Address's rule) or an IPv6 address (net::Ipv6Address's
/// rule); a ':' decides which. Ordering puts every IPv4 address before every IPv6 address, each
/// family in numeric order, so sorted output lists IPv4 hosts first, as a scan's index space does.
/// The packet hot path keeps the family's own type (a host-order uint32_t or 16 bytes); this type
/// is for setup, results and files.
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "net/ipv4_address.hpp"
#include "net/ipv6_address.hpp"

namespace synscan::net {

enum class AddressFamily : std::uint8_t { kIpv4, kIpv6 };

class IpAddress {
 public:
  constexpr IpAddress() noexcept = default;  ///< 0.0.0.0
  constexpr IpAddress(Ipv4Address address) noexcept {  // NOLINT(google-explicit-constructor)
    const std::uint32_t value = address.value();
    for (int index = 0; index < 4; ++index) {
      bytes_[static_cast<std::size_t>(12 + index)] = static_cast<std::uint8_t>(value >> (24 - 8 * index));
    }
  }
  constexpr IpAddress(const Ipv6Address& address) noexcept  // NOLINT(google-explicit-constructor)
      : bytes_(address.bytes()), family_(AddressFamily::kIpv6) {}
  /// An IPv4 address from its host-byte-order integer.
  [[nodiscard]] static constexpr IpAddress v4(std::uint32_t host_order) noexcept {
    return IpAddress(Ipv4Address(host_order));
  }

  /// Either family's text rule; nullopt when `text` is neither (ip_problem() says how).
  [[nodiscard]] static std::optional<IpAddress> parse(std::string_view text) noexcept;

  [[nodiscard]] constexpr AddressFamily family() const noexcept { return family_; }
  [[nodiscard]] constexpr bool is_ipv4() const noexcept { return family_ == AddressFamily::kIpv4; }
  [[nodiscard]] constexpr bool is_ipv6() const noexcept { return family_ == AddressFamily::kIpv6; }
  /// Precondition: is_ipv4().
  [[nodiscard]] constexpr Ipv4Address ipv4() const noexcept {
    return Ipv4Address((std::uint32_t{bytes_[12]} << 24) | (std::uint32_t{bytes_[13]} << 16) |
                       (std::uint32_t{bytes_[14]} << 8) | bytes_[15]);
  }
  /// Precondition: is_ipv6().
  [[nodiscard]] constexpr Ipv6Address ipv6() const noexcept { return Ipv6Address(bytes_); }
  /// "198.18.0.1" or "2001:2::1".
  [[nodiscard]] std::string to_string() const;
  /// "ipv4" or "ipv6": nmap XML's addrtype.
  [[nodiscard]] constexpr std::string_view family_name() const noexcept {
    return is_ipv4() ? "ipv4" : "ipv6";
  }

  friend constexpr std::strong_ordering operator<=>(const IpAddress& left, const IpAddress& right) noexcept {
    if (left.family_ != right.family_) return left.family_ <=> right.family_;
    return left.bytes_ <=> right.bytes_;
  }
  friend constexpr bool operator==(const IpAddress&, const IpAddress&) noexcept = default;

  /// For hash tables keyed by address.
  [[nodiscard]] std::size_t hash() const noexcept {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    std::memcpy(&high, bytes_.data(), 8);
    std::memcpy(&low, bytes_.data() + 8, 8);
    return std::hash<std::uint64_t>{}(high * 0x9E3779B97F4A7C15ULL ^ low ^ static_cast<std::uint64_t>(family_));
  }

 private:
  Ipv6Address::Bytes bytes_{};  ///< IPv6: the address; IPv4: the address in the last four bytes
  AddressFamily family_ = AddressFamily::kIpv4;
};

/// Why `text` is not an address of either family, for an error line; "" when it is one.
[[nodiscard]] std::string ip_problem(std::string_view text);

}  // namespace synscan::net

template <>
struct std::hash<synscan::net::IpAddress> {
  std::size_t operator()(const synscan::net::IpAddress& address) const noexcept { return address.hash(); }
};
