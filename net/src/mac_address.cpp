#include "net/mac_address.hpp"

#include "hex_digit.hpp"

namespace synscan::net {
using detail::hex_value;

std::optional<MacAddress> MacAddress::parse(std::string_view text) noexcept {
  // "aa:bb:cc:dd:ee:ff": 6 groups of 2 digits and 5 separators.
  if (text.size() != 17) return std::nullopt;
  const char separator = text[2];
  if (separator != ':' && separator != '-') return std::nullopt;
  MacAddress mac;
  for (std::size_t group = 0; group < 6; ++group) {
    const std::size_t at = group * 3;
    if (group < 5 && text[at + 2] != separator) return std::nullopt;
    const int high = hex_value(text[at]);
    const int low = hex_value(text[at + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    mac.octets[group] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return mac;
}

std::string MacAddress::to_string() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(17);
  for (std::size_t group = 0; group < 6; ++group) {
    if (group > 0) text += ':';
    text += kDigits[octets[group] >> 4];
    text += kDigits[octets[group] & 0x0F];
  }
  return text;
}

}  // namespace synscan::net
