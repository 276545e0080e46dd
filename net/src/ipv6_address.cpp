#include "net/ipv6_address.hpp"

#include <array>

#include "net/ipv4_address.hpp"

#include "hex_digit.hpp"

namespace synscan::net {
namespace {

using detail::hex_value;

// The 16-bit groups of one side of "::" (or of the whole address), appended to `groups`; the last
// field may be a dotted quad when `embedded_ipv4_allowed`. An empty `part` has no groups. Returns
// the first problem, "" when none.
std::string parse_groups(std::string_view part, bool embedded_ipv4_allowed,
                         std::array<std::uint16_t, 8>& groups, std::size_t& count) {
  if (part.empty()) return {};
  while (true) {
    const std::size_t colon = part.find(':');
    const std::string_view field = part.substr(0, colon);
    const bool last = colon == std::string_view::npos;
    if (last && embedded_ipv4_allowed && field.find('.') != std::string_view::npos) {
      const std::optional<Ipv4Address> quad = Ipv4Address::parse(field);
      if (!quad) return "embedded IPv4 '" + std::string(field) + "': " + ipv4_problem(field);
      if (count + 2 > groups.size()) return "more than eight groups";
      groups[count++] = static_cast<std::uint16_t>(quad->value() >> 16);
      groups[count++] = static_cast<std::uint16_t>(quad->value());
      return {};
    }
    if (field.empty()) return "empty group (a single ':' at the start or end, or ':::')";
    if (field.size() > 4) return "group '" + std::string(field) + "' has more than four hex digits";
    unsigned value = 0;
    for (const char character : field) {
      const int digit = hex_value(character);
      if (digit < 0) return "group '" + std::string(field) + "' is not hexadecimal";
      value = value * 16 + static_cast<unsigned>(digit);
    }
    if (count == groups.size()) return "more than eight groups";
    groups[count++] = static_cast<std::uint16_t>(value);
    if (last) return {};
    part.remove_prefix(colon + 1);
  }
}

// The parse and its problem in one pass, so the two can never disagree.
std::string parse_into(std::string_view text, Ipv6Address::Bytes& bytes) {
  if (text.empty()) return "empty address";
  if (const std::size_t percent = text.find('%'); percent != std::string_view::npos) {
    return "zone identifiers ('" + std::string(text.substr(percent)) + "') are not supported";
  }
  if (text.front() == '[' || text.back() == ']') return "brackets are not part of an address";
  const std::size_t gap = text.find("::");
  if (gap != std::string_view::npos && text.find("::", gap + 1) != std::string_view::npos) {
    return "more than one '::'";
  }
  std::array<std::uint16_t, 8> head{};
  std::array<std::uint16_t, 8> tail{};
  std::size_t head_count = 0;
  std::size_t tail_count = 0;
  if (gap == std::string_view::npos) {
    if (std::string problem = parse_groups(text, true, head, head_count); !problem.empty()) return problem;
    if (head_count != 8) return "expected eight groups of hex digits (or '::' for zero groups)";
  } else {
    std::string problem = parse_groups(text.substr(0, gap), false, head, head_count);
    if (problem.empty()) problem = parse_groups(text.substr(gap + 2), true, tail, tail_count);
    if (!problem.empty()) return problem;
    if (head_count + tail_count > 7) return "'::' stands for no group: the address has eight without it";
  }
  std::array<std::uint16_t, 8> groups{};
  for (std::size_t i = 0; i < head_count; ++i) groups[i] = head[i];
  for (std::size_t i = 0; i < tail_count; ++i) groups[8 - tail_count + i] = tail[i];
  for (std::size_t i = 0; i < 8; ++i) {
    bytes[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8);
    bytes[2 * i + 1] = static_cast<std::uint8_t>(groups[i]);
  }
  return {};
}

void append_hex_group(std::string& text, unsigned group) {
  constexpr const char* kDigits = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned digit = (group >> shift) & 0xFU;
    if (digit == 0 && !started && shift != 0) continue;
    started = true;
    text += kDigits[digit];
  }
}

}  // namespace

std::optional<Ipv6Address> Ipv6Address::parse(std::string_view text) noexcept {
  try {
    Bytes bytes{};
    if (!parse_into(text, bytes).empty()) return std::nullopt;
    return Ipv6Address(bytes);
  } catch (...) {  // std::bad_alloc building a problem text
    return std::nullopt;
  }
}

std::string ipv6_problem(std::string_view text) {
  Ipv6Address::Bytes bytes{};
  return parse_into(text, bytes);
}

std::string Ipv6Address::to_string() const {
  std::array<unsigned, 8> groups{};
  for (std::size_t i = 0; i < 8; ++i) groups[i] = (unsigned{bytes_[2 * i]} << 8) | bytes_[2 * i + 1];
  std::string text;
  text.reserve(39);
  // RFC 5952 section 5: IPv4-mapped addresses keep the dotted quad.
  const bool mapped = groups[0] == 0 && groups[1] == 0 && groups[2] == 0 && groups[3] == 0 &&
                      groups[4] == 0 && groups[5] == 0xFFFF;
  if (mapped) {
    return "::ffff:" + Ipv4Address((groups[6] << 16) | groups[7]).to_string();
  }
  // The longest run of two or more zero groups, the first of equal ones (RFC 5952 section 4.2).
  std::size_t best_start = 8;
  std::size_t best_length = 1;
  for (std::size_t i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < 8 && groups[end] == 0) ++end;
    if (end - i > best_length) {
      best_start = i;
      best_length = end - i;
    }
    i = end;
  }
  for (std::size_t i = 0; i < 8; ++i) {
    if (i == best_start) {
      text += "::";
      i += best_length - 1;
      continue;
    }
    if (i != 0 && i != best_start + best_length) text += ':';
    append_hex_group(text, groups[i]);
  }
  return text;
}

}  // namespace synscan::net
