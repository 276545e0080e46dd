#pragma once
/// The IPv4 address value type: the one place an IPv4 address is parsed from or formatted to text.
///
/// Text rule (targets, -S, resume files and every saved-scan reader use it): a strict dotted quad,
/// exactly four decimal octets 0-255 separated by '.', nothing else ("198.18.0.1"). No shorthand
/// ("10.1"), no hexadecimal, no sign, no spaces, and no leading zeros ("010.0.0.1" is refused):
/// inet_aton(3) and nmap read "010" as octal 8 while other parsers read decimal 10, so any reading
/// would be a silent guess; refusing it makes the user say what they mean.
///
/// IPv6 joins as a sibling value type (Ipv6Address, same shape: parse, to_string, ordering) and
/// a variant of the two where both are accepted; code that only stores or orders addresses keeps
/// working on the value type.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace synscan::net {

class Ipv4Address {
 public:
  constexpr Ipv4Address() noexcept = default;
  /// From the host-byte-order integer (198.18.0.1 is 0xC6120001).
  constexpr explicit Ipv4Address(std::uint32_t host_order) noexcept : value_(host_order) {}

  /// The text rule above; nullopt when `text` breaks it (ipv4_problem() says how).
  [[nodiscard]] static std::optional<Ipv4Address> parse(std::string_view text) noexcept;

  /// Host byte order.
  [[nodiscard]] constexpr std::uint32_t value() const noexcept { return value_; }
  /// "198.18.0.1": decimal octets without leading zeros, so parse(to_string()) round-trips.
  [[nodiscard]] std::string to_string() const;

  friend constexpr auto operator<=>(Ipv4Address, Ipv4Address) noexcept = default;

 private:
  std::uint32_t value_ = 0;
};

/// One octet of the text rule: "0" to "255", decimal, no leading zero. Target specs with octet
/// ranges ("198.18.0-3.1-254") use it for each bound.
[[nodiscard]] std::optional<std::uint8_t> parse_ipv4_octet(std::string_view text) noexcept;

/// Why `field` is not an octet, for an error line ("has a leading zero (inet_aton and nmap read it
/// as octal)", "is above 255", ...); "" when it is one.
[[nodiscard]] std::string_view ipv4_octet_problem(std::string_view field) noexcept;

/// Why `text` is not an address, for an error line ("octet '010' has a leading zero ...",
/// "expected four octets"); "" when it is one.
[[nodiscard]] std::string ipv4_problem(std::string_view text);

}  // namespace synscan::net
