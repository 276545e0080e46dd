// Test driver for the IPv6 next hop (lab_ndp_ipv6): in the namespace it runs in, resolves the
// route toward a target and the MAC probes to it would go to, and prints one line:
//   interface <name> link <ethernet|none> source <addr> gateway <addr|-> on_link <0|1> mac <mac|->
// Usage: ndp_resolve <target> [--interface NAME] [--router-mac MAC] [--source ADDR]
// Exit 0 when the route was found and (on Ethernet) the MAC resolved, 2 when nobody answered
// the solicitations, 1 with one line on stderr for any other error.
#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "ndp.hpp"
#include "next_hop_ipv6.hpp"

namespace {

using namespace synscan;

packet::Ipv6Bytes parse_address(const char* text) {
  packet::Ipv6Bytes bytes{};
  if (::inet_pton(AF_INET6, text, bytes.data()) != 1) {
    throw std::runtime_error(std::string("not an IPv6 address: ") + text);
  }
  return bytes;
}

std::string text_of(const packet::Ipv6Bytes& address) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET6, address.data(), text, sizeof text);
  return text;
}

int run(int argc, char** argv) {
  if (argc < 2) throw std::runtime_error("usage: ndp_resolve <target> [options]");
  const packet::Ipv6Bytes target = parse_address(argv[1]);
  scanner::Ipv6NextHopOverrides overrides;
  for (int index = 2; index + 1 < argc; index += 2) {
    const std::string option = argv[index];
    if (option == "--interface") {
      overrides.interface = argv[index + 1];
    } else if (option == "--router-mac") {
      overrides.router_mac = net::MacAddress::parse(argv[index + 1]);
      if (!overrides.router_mac) throw std::runtime_error("bad MAC");
    } else if (option == "--source") {
      overrides.source = parse_address(argv[index + 1]);
    } else {
      throw std::runtime_error("unknown option " + option);
    }
  }
  scanner::Ipv6NextHop hop = scanner::find_ipv6_route(target, overrides);
  const bool resolved = scanner::resolve_ipv6_router_mac(hop, target, 3, 300);
  const bool ethernet = hop.link_header == packet::LinkHeader::kEthernet;
  std::printf("interface %s link %s source %s gateway %s on_link %d mac %s\n",
              hop.interface.c_str(), ethernet ? "ethernet" : "none", text_of(hop.source).c_str(),
              hop.via_gateway ? text_of(hop.gateway).c_str() : "-",
              scanner::ipv6_on_link(hop, target) ? 1 : 0,
              ethernet && resolved ? hop.router_mac.to_string().c_str() : "-");
  return resolved ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ndp_resolve: %s\n", error.what());
    return 1;
  }
}
