#pragma once
/// The Ethernet MAC address value type: parsed and formatted here only (--router-mac, the resume
/// file, the neighbour table, log lines), carried as six bytes into frame templates.
///
/// Text rule: six groups of exactly two hexadecimal digits (either case) separated all by ':' or
/// all by '-' ("02:00:00:00:00:01", "02-00-00-00-00-01"). Formatted as lowercase with ':'.
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace synscan::net {

struct MacAddress {
  std::array<std::uint8_t, 6> octets{};

  /// The text rule above; nullopt when `text` breaks it.
  [[nodiscard]] static std::optional<MacAddress> parse(std::string_view text) noexcept;
  /// "02:00:00:00:00:01".
  [[nodiscard]] std::string to_string() const;

  [[nodiscard]] std::uint8_t* data() noexcept { return octets.data(); }
  [[nodiscard]] const std::uint8_t* data() const noexcept { return octets.data(); }
  [[nodiscard]] static constexpr std::size_t size() noexcept { return 6; }
  [[nodiscard]] std::uint8_t& operator[](std::size_t index) noexcept { return octets[index]; }
  [[nodiscard]] std::uint8_t operator[](std::size_t index) const noexcept { return octets[index]; }

  friend auto operator<=>(const MacAddress&, const MacAddress&) = default;
};

}  // namespace synscan::net
