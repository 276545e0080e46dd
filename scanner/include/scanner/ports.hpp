#pragma once
/// nmap-style port specification: "22,80,8000-8100", "-" / "1-" / "-1024" ranges, "T:"/"U:".
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace synscan::scanner {

struct PortList {
  std::vector<std::uint16_t> tcp;  ///< sorted, unique
  std::vector<std::uint16_t> udp;  ///< sorted, unique
  [[nodiscard]] std::size_t size() const noexcept { return tcp.size() + udp.size(); }
};

/// Parses `spec` like nmap's -p. Ports without a T:/U: prefix go to every enabled protocol
/// (`tcp_enabled`, `udp_enabled`); a prefixed section for a disabled protocol is a UsageError.
/// "-p-" is 1-65535; port 0 only when named explicitly. Throws UsageError naming the bad token.
PortList parse_port_spec(std::string_view spec, bool tcp_enabled, bool udp_enabled);

}  // namespace synscan::scanner
