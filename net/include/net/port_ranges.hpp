#pragma once
/// The text of a port list, as nmap writes it in <scaninfo services=...> and synscan in its resume
/// file and reports: the one port-list formatter.
#include <cstdint>
#include <span>
#include <string>

namespace synscan::net {

/// Sorted, duplicates dropped, consecutive ports joined into runs: {80, 22, 8001, 8000, 22} ->
/// "22,80,8000-8001"; "" for no ports. The text parses back with the scanner's -p syntax.
[[nodiscard]] std::string format_port_ranges(std::span<const std::uint16_t> ports);

}  // namespace synscan::net
