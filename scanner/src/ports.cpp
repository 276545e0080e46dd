// nmap -p syntax. Runs once at setup; every error names the token the user typed.
#include "scanner/ports.hpp"

#include <bitset>
#include <memory>
#include <optional>

#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

constexpr std::uint32_t kHighestPort = 65535;
using PortSet = std::bitset<kHighestPort + 1>;

[[noreturn]] void reject(std::string_view spec, std::string_view token, std::string_view reason) {
  std::string message = "invalid port '" + std::string(token) + "'";
  if (spec != token) message += " in '" + std::string(spec) + "'";
  throw UsageError(message + ": " + std::string(reason));
}

std::optional<std::uint32_t> parse_port_number(std::string_view text) noexcept {
  if (text.empty() || text.size() > 5) return std::nullopt;
  std::uint32_t value = 0;
  for (char character : text) {
    if (character < '0' || character > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(character - '0');
  }
  if (value > kHighestPort) return std::nullopt;
  return value;
}

// Which protocols the ports of the current section go to.
struct Section {
  bool tcp;
  bool udp;
};

std::vector<std::uint16_t> to_sorted_list(const PortSet& set) {
  std::vector<std::uint16_t> ports;
  ports.reserve(set.count());
  for (std::uint32_t port = 0; port <= kHighestPort; ++port) {
    if (set.test(port)) ports.push_back(static_cast<std::uint16_t>(port));
  }
  return ports;
}

}  // namespace

PortList parse_port_spec(std::string_view spec, bool tcp_enabled, bool udp_enabled) {
  if (spec.empty()) throw UsageError("invalid port specification '': empty");
  // Two 8 KiB bitsets: on the heap, not the stack.
  const auto tcp = std::make_unique<PortSet>();
  const auto udp = std::make_unique<PortSet>();
  Section section{tcp_enabled, udp_enabled};  // unprefixed ports: every enabled protocol

  std::size_t begin = 0;
  while (begin <= spec.size()) {
    const std::size_t comma = spec.find(',', begin);
    const std::size_t end = comma == std::string_view::npos ? spec.size() : comma;
    const std::string_view token = spec.substr(begin, end - begin);
    begin = end + 1;
    if (token.empty()) reject(spec, token, "empty port in the list");

    // A "T:" or "U:" prefix switches the protocol for this token and every later unprefixed one.
    std::string_view range = token;
    if (range.size() >= 2 && range[1] == ':') {
      const char protocol = range[0];
      if (protocol == 'T' || protocol == 't') {
        if (!tcp_enabled) reject(spec, token, "TCP ports given but no TCP scan (-sS) requested");
        section = {true, false};
      } else if (protocol == 'U' || protocol == 'u') {
        if (!udp_enabled) reject(spec, token, "UDP ports given but no UDP scan (-sU) requested");
        section = {false, true};
      } else {
        reject(spec, token, "only the T: and U: prefixes are supported");
      }
      range.remove_prefix(2);
      if (range.empty()) reject(spec, token, "no port after the prefix");
    }

    // "a", "a-b", "-b" (from 1), "a-" (to 65535), "-" (1-65535). Port 0 only when named.
    std::uint32_t first = 0, last = 0;
    const std::size_t dash = range.find('-');
    if (dash == std::string_view::npos) {
      const std::optional<std::uint32_t> port = parse_port_number(range);
      if (!port) reject(spec, token, "ports are numbers 0-65535");
      first = last = *port;
    } else {
      const std::string_view low_text = range.substr(0, dash);
      const std::string_view high_text = range.substr(dash + 1);
      const std::optional<std::uint32_t> low = low_text.empty() ? 1u : parse_port_number(low_text);
      const std::optional<std::uint32_t> high =
          high_text.empty() ? kHighestPort : parse_port_number(high_text);
      if (!low || !high) reject(spec, token, "ports are numbers 0-65535");
      if (*low > *high) reject(spec, token, "range end is below its start");
      first = *low;
      last = *high;
    }
    for (std::uint32_t port = first; port <= last; ++port) {
      if (section.tcp) tcp->set(port);
      if (section.udp) udp->set(port);
    }
  }
  return PortList{to_sorted_list(*tcp), to_sorted_list(*udp)};
}

}  // namespace synscan::scanner
