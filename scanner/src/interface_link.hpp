#pragma once
// Private helpers next_hop.cpp and next_hop_ipv6.cpp share: what an interface is at the link
// layer.
#include <string>

#include "net/mac_address.hpp"
#include "packet/probe_template.hpp"

namespace synscan::scanner {

/// The interface's hardware address and its ARPHRD_* type. Throws RuntimeError.
net::MacAddress interface_mac(const std::string& name, unsigned& hardware_type);

/// Ethernet-framed or bare IP by ARPHRD type; throws RuntimeError for any other link type.
packet::LinkHeader link_header_of(const std::string& interface, unsigned hardware_type);

}  // namespace synscan::scanner
