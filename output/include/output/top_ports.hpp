#pragma once
/// synscan's own port ranking for --top-ports, and IANA's port categories.
///
/// The ranking is the project's, built by hand from licence-clean sources (IANA's service-name
/// registry, the product's service tables, vendors' documentation; method in top_ports.cpp and
/// README). It is not nmap's frequency data and never reads nmap-services.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "output/result.hpp"

namespace synscan::output {

/// The first `count` ports of the ranking for `protocol`: distinct, 1..65535, never 0; `count`
/// above 65535 gives all 65535. Past the hand-ranked list the ranking continues with the
/// remaining ports 1-1024 ascending, then 1025-65535 ascending.
[[nodiscard]] std::vector<std::uint16_t> top_ports(Protocol protocol, std::size_t count);

/// How many ports of `protocol` are ranked by hand (before the ascending fill).
[[nodiscard]] std::size_t ranked_port_count(Protocol protocol) noexcept;

/// "well-known" (0-1023), "registered" (1024-49151) or "dynamic" (49152-65535), RFC 6335.
[[nodiscard]] const char* port_category(std::uint16_t port) noexcept;

}  // namespace synscan::output
