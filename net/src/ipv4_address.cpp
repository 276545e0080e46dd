#include "net/ipv4_address.hpp"

namespace synscan::net {

std::string_view ipv4_octet_problem(std::string_view field) noexcept {
  if (field.empty()) return "is empty";
  for (const char character : field) {
    if (character < '0' || character > '9') return "is not a decimal number";
  }
  if (field.size() > 1 && field.front() == '0') {
    return "has a leading zero (inet_aton and nmap read it as octal; write it without the zero)";
  }
  if (field.size() > 3) return "is above 255";
  unsigned value = 0;
  for (const char character : field) value = value * 10 + static_cast<unsigned>(character - '0');
  if (value > 255) return "is above 255";
  return {};
}

std::optional<std::uint8_t> parse_ipv4_octet(std::string_view text) noexcept {
  if (!ipv4_octet_problem(text).empty()) return std::nullopt;
  unsigned value = 0;
  for (const char character : text) value = value * 10 + static_cast<unsigned>(character - '0');
  return static_cast<std::uint8_t>(value);
}

namespace {

// Splits off the next octet field of a dotted quad; false when a fifth field would follow.
bool next_field(std::string_view& rest, std::string_view& field, int index) noexcept {
  const std::size_t dot = rest.find('.');
  if (index < 3) {
    if (dot == std::string_view::npos) return false;
    field = rest.substr(0, dot);
    rest.remove_prefix(dot + 1);
    return true;
  }
  if (dot != std::string_view::npos) return false;
  field = rest;
  rest = {};
  return true;
}

}  // namespace

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) noexcept {
  std::uint32_t value = 0;
  std::string_view rest = text;
  for (int index = 0; index < 4; ++index) {
    std::string_view field;
    if (!next_field(rest, field, index)) return std::nullopt;
    const std::optional<std::uint8_t> octet = parse_ipv4_octet(field);
    if (!octet) return std::nullopt;
    value = (value << 8) | *octet;
  }
  return Ipv4Address(value);
}

std::string ipv4_problem(std::string_view text) {
  std::string_view rest = text;
  for (int index = 0; index < 4; ++index) {
    std::string_view field;
    if (!next_field(rest, field, index)) return "expected four decimal octets separated by '.'";
    const std::string_view problem = ipv4_octet_problem(field);
    if (!problem.empty()) return "octet '" + std::string(field) + "' " + std::string(problem);
  }
  return {};
}

std::string Ipv4Address::to_string() const {
  std::string text;
  text.reserve(15);
  for (int shift = 24; shift >= 0; shift -= 8) {
    const unsigned octet = (value_ >> shift) & 0xFFU;
    if (octet >= 100) text += static_cast<char>('0' + octet / 100);
    if (octet >= 10) text += static_cast<char>('0' + octet / 10 % 10);
    text += static_cast<char>('0' + octet % 10);
    if (shift > 0) text += '.';
  }
  return text;
}

}  // namespace synscan::net
