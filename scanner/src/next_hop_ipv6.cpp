// The IPv6 route toward the first target (next_hop_ipv6.hpp): rtnetlink RTM_GETROUTE for the
// output interface and gateway, a connected UDP socket for the kernel's source address, and
// getifaddrs for the interface's prefix and link-local address.
#include "next_hop_ipv6.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include "fd.hpp"
#include "interface_link.hpp"
#include "ndp.hpp"
#include "netlink.hpp"
#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

std::string text_of(packet::Ipv6View address) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET6, address.data(), text, sizeof text);
  return text;
}

// The source address the kernel picks for `target`: connect() on a UDP socket selects a route
// and a local address without sending anything.
packet::Ipv6Bytes kernel_source_for(packet::Ipv6View target) {
  const Fd socket_fd(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!socket_fd.valid()) {
    throw RuntimeError(std::string("cannot open an IPv6 UDP socket: ") + std::strerror(errno));
  }
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_port = htons(9);
  std::memcpy(&address.sin6_addr, target.data(), 16);
  if (::connect(socket_fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw RuntimeError("no route to " + text_of(target) + ": " + std::strerror(errno));
  }
  sockaddr_in6 local{};
  socklen_t length = sizeof local;
  if (::getsockname(socket_fd.get(), reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    throw RuntimeError("cannot read the source address toward " + text_of(target));
  }
  packet::Ipv6Bytes source;
  std::memcpy(source.data(), &local.sin6_addr, 16);
  return source;
}

struct KernelRoute {
  int output_interface = 0;
  bool has_gateway = false;
  packet::Ipv6Bytes gateway{};
  unsigned char type = RTN_UNSPEC;
};

// RTM_GETROUTE for one destination (optionally out of one interface): what the kernel would do.
KernelRoute kernel_route(packet::Ipv6View target, int interface_index) {
  struct {
    nlmsghdr header;
    rtmsg route;
    std::array<std::byte, 64> attributes;
  } request{};
  std::size_t length = NLMSG_LENGTH(sizeof(rtmsg));
  const auto add_attribute = [&](unsigned short type, const void* data, std::size_t size) {
    nlattr attribute{static_cast<unsigned short>(NLA_HDRLEN + size), type};
    auto* at = reinterpret_cast<std::byte*>(&request) + NLMSG_ALIGN(length);
    std::memcpy(at, &attribute, sizeof attribute);
    std::memcpy(at + NLA_HDRLEN, data, size);
    length = NLMSG_ALIGN(length) + NLA_ALIGN(NLA_HDRLEN + size);
  };
  request.header.nlmsg_type = RTM_GETROUTE;
  request.header.nlmsg_flags = NLM_F_REQUEST;
  request.route.rtm_family = AF_INET6;
  request.route.rtm_dst_len = 128;
  add_attribute(RTA_DST, target.data(), 16);
  if (interface_index != 0) add_attribute(RTA_OIF, &interface_index, sizeof interface_index);
  request.header.nlmsg_len = static_cast<std::uint32_t>(length);

  KernelRoute route;
  const int error = netlink_exchange(
      std::span(reinterpret_cast<std::byte*>(&request), length),
      [&](const nlmsghdr& header, std::span<const std::byte> body) {
        if (header.nlmsg_type != RTM_NEWROUTE || body.size() < sizeof(rtmsg)) return;
        rtmsg answer;
        std::memcpy(&answer, body.data(), sizeof answer);
        route.type = answer.rtm_type;
        for_each_attribute(body.subspan(NLMSG_ALIGN(sizeof(rtmsg))), [&](const NetlinkAttribute& attribute) {
          if (attribute.type == RTA_OIF && attribute.payload.size() >= sizeof(int)) {
            std::memcpy(&route.output_interface, attribute.payload.data(), sizeof(int));
          } else if (attribute.type == RTA_GATEWAY && attribute.payload.size() >= 16) {
            std::memcpy(route.gateway.data(), attribute.payload.data(), 16);
            route.has_gateway = true;
          }
        });
      });
  if (error != 0) {
    throw RuntimeError("no route to " + text_of(target) + ": " + std::strerror(error));
  }
  if (route.type != RTN_UNICAST && route.type != RTN_LOCAL) {
    throw RuntimeError("no route to " + text_of(target) +
                       " (the kernel's route is unreachable, blackhole or prohibit)");
  }
  if (route.output_interface == 0) throw RuntimeError("no route to " + text_of(target));
  return route;
}

bool is_link_local(packet::Ipv6View address) noexcept {
  return address[0] == std::byte{0xFE} && (std::to_integer<unsigned>(address[1]) & 0xC0) == 0x80;
}

int prefix_length_of(const sockaddr_in6& mask) noexcept {
  int bits = 0;
  for (const unsigned char byte : mask.sin6_addr.s6_addr) bits += __builtin_popcount(byte);
  return bits;
}

// The interface's prefix holding hop.source and its link-local address. False when the interface
// has no IPv6 address at all.
bool read_interface_addresses(Ipv6NextHop& hop) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) throw RuntimeError("getifaddrs failed");
  const std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> owner(list, &::freeifaddrs);
  bool any = false;
  for (const ifaddrs* entry = list; entry; entry = entry->ifa_next) {
    if (!entry->ifa_addr || entry->ifa_addr->sa_family != AF_INET6) continue;
    if (hop.interface != entry->ifa_name) continue;
    any = true;
    sockaddr_in6 local;
    std::memcpy(&local, entry->ifa_addr, sizeof local);
    packet::Ipv6Bytes address;
    std::memcpy(address.data(), &local.sin6_addr, 16);
    if (is_link_local(address)) hop.link_local = address;
    if (address != hop.source || !entry->ifa_netmask) continue;
    sockaddr_in6 mask;
    std::memcpy(&mask, entry->ifa_netmask, sizeof mask);
    hop.prefix_length = prefix_length_of(mask);
    for (std::size_t index = 0; index < 16; ++index) {
      hop.subnet[index] = address[index] & static_cast<std::byte>(mask.sin6_addr.s6_addr[index]);
    }
  }
  return any;
}

}  // namespace

Ipv6NextHop find_ipv6_route(packet::Ipv6View first_target, const Ipv6NextHopOverrides& overrides) {
  Ipv6NextHop hop;
  int wanted_interface = 0;
  if (!overrides.interface.empty()) {
    wanted_interface = static_cast<int>(::if_nametoindex(overrides.interface.c_str()));
    if (wanted_interface == 0) {
      throw RuntimeError("interface " + overrides.interface + " does not exist");
    }
  }
  const KernelRoute route = kernel_route(first_target, wanted_interface);
  if (route.type == RTN_LOCAL) {
    throw RuntimeError("the route to " + text_of(first_target) +
                       " uses the loopback interface; raw scanning of local addresses is not "
                       "supported");
  }
  hop.interface_index = wanted_interface != 0 ? wanted_interface : route.output_interface;
  char name[IF_NAMESIZE] = {};
  if (::if_indextoname(static_cast<unsigned>(hop.interface_index), name) == nullptr) {
    throw RuntimeError("interface " + std::to_string(hop.interface_index) + " not found");
  }
  hop.interface = name;
  if (hop.interface == "lo") {
    throw RuntimeError("the route to " + text_of(first_target) +
                       " uses the loopback interface; raw scanning of local addresses is not "
                       "supported");
  }
  hop.via_gateway = route.has_gateway;
  if (route.has_gateway) hop.gateway = route.gateway;
  hop.source = overrides.source ? *overrides.source : kernel_source_for(first_target);
  if (!read_interface_addresses(hop)) {
    throw RuntimeError("interface " + hop.interface + " has no IPv6 address");
  }
  unsigned hardware_type = 0;
  hop.interface_mac = interface_mac(hop.interface, hardware_type);
  hop.link_header = link_header_of(hop.interface, hardware_type);
  if (hop.link_header == packet::LinkHeader::kNone) {
    if (overrides.router_mac) {
      throw UsageError("--router-mac: interface " + hop.interface +
                       " carries bare IP (no link-layer addresses); leave it out");
    }
    hop.router_mac_known = true;  // nothing to resolve: probes leave with no link header
  } else if (overrides.router_mac) {
    hop.router_mac = *overrides.router_mac;
    hop.router_mac_known = true;
  }
  return hop;
}

bool ipv6_on_link(const Ipv6NextHop& hop, packet::Ipv6View address) noexcept {
  if (hop.prefix_length <= 0 || hop.prefix_length >= 128) return false;
  const auto whole_bytes = static_cast<std::size_t>(hop.prefix_length / 8);
  if (!std::equal(address.begin(), address.begin() + static_cast<std::ptrdiff_t>(whole_bytes),
                  hop.subnet.begin())) {
    return false;
  }
  const int rest = hop.prefix_length % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::byte>(0xFF << (8 - rest));
  return (address[whole_bytes] & mask) == hop.subnet[whole_bytes];
}

bool resolve_ipv6_router_mac(Ipv6NextHop& hop, packet::Ipv6View first_target, int attempts,
                             int timeout_ms) {
  if (hop.router_mac_known) return true;
  const packet::Ipv6Bytes next = hop.via_gateway ? hop.gateway : packet::Ipv6Bytes{};
  const packet::Ipv6View wanted = hop.via_gateway ? packet::Ipv6View(next) : first_target;
  const auto mac = resolve_ipv6_mac(hop, wanted, attempts, timeout_ms);
  if (!mac) return false;
  hop.router_mac = *mac;
  hop.router_mac_known = true;
  return true;
}

}  // namespace synscan::scanner
