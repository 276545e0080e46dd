#pragma once
/// synscan's own port ranking for --top-ports, and IANA's port categories.
///
/// The ranking is the project's, built by hand from licence-clean sources (see top_ports.cpp for
/// the method); it is not nmap's frequency data and never reads nmap-services.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "output/result.hpp"

namespace synscan::output {

/// The first `count` ports of the ranking for `protocol` (1..65535, no duplicates). Beyond the
/// ranked list: the remaining ports 1-1023 ascending, then 1024-65535 ascending.
[[nodiscard]] std::vector<std::uint16_t> top_ports(Protocol protocol, std::size_t count);

/// "well-known" (0-1023), "registered" (1024-49151) or "dynamic" (49152-65535), RFC 6335.
[[nodiscard]] const char* port_category(std::uint16_t port) noexcept;

}  // namespace synscan::output
