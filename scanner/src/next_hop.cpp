#include "next_hop.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "fd.hpp"
#include "interface_link.hpp"
#include "net/ipv4_address.hpp"
#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

std::string errno_text() { return std::strerror(errno); }

// The source address the kernel picks for `target`: connect() on a UDP socket selects a route and
// a local address without sending anything.
std::uint32_t kernel_source_for(std::uint32_t target) {
  Fd socket_fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!socket_fd.valid()) throw RuntimeError("cannot open a UDP socket: " + errno_text());
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(9);
  address.sin_addr.s_addr = htonl(target);
  if (::connect(socket_fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw RuntimeError("no route to " + net::Ipv4Address(target).to_string() + ": " + errno_text());
  }
  sockaddr_in local{};
  socklen_t length = sizeof local;
  if (::getsockname(socket_fd.get(), reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    throw RuntimeError("cannot read the source address toward " +
                       net::Ipv4Address(target).to_string());
  }
  return ntohl(local.sin_addr.s_addr);
}

struct RouteRow {
  std::string interface;
  std::uint32_t destination, gateway, mask;
  int metric;
};

// /proc/net/route holds addresses as native-endian hex of the network-order value.
std::vector<RouteRow> read_routes() {
  std::ifstream file("/proc/net/route");
  if (!file) throw RuntimeError("cannot read /proc/net/route");
  std::vector<RouteRow> rows;
  std::string line;
  std::getline(file, line);  // header
  while (std::getline(file, line)) {
    std::istringstream fields(line);
    std::string interface, destination, gateway, flags, refcnt, use, metric, mask;
    if (!(fields >> interface >> destination >> gateway >> flags >> refcnt >> use >> metric >> mask))
      continue;
    const auto hex = [](const std::string& text) {
      return ntohl(static_cast<std::uint32_t>(std::stoul(text, nullptr, 16)));
    };
    if (!(std::stoul(flags, nullptr, 16) & 0x1)) continue;  // RTF_UP
    rows.push_back({interface, hex(destination), hex(gateway), hex(mask), std::stoi(metric)});
  }
  return rows;
}

// Finds the interface and subnet holding `address` (when `interface` is empty) or the first
// IPv4 address of `interface`.
bool find_interface_address(const std::string& interface, std::uint32_t address, NextHop& hop) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) throw RuntimeError("getifaddrs failed: " + errno_text());
  std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> owner(list, &::freeifaddrs);
  for (ifaddrs* entry = list; entry; entry = entry->ifa_next) {
    if (!entry->ifa_addr || entry->ifa_addr->sa_family != AF_INET) continue;
    const std::uint32_t local =
        ntohl(reinterpret_cast<sockaddr_in*>(entry->ifa_addr)->sin_addr.s_addr);
    const std::uint32_t mask =
        entry->ifa_netmask ? ntohl(reinterpret_cast<sockaddr_in*>(entry->ifa_netmask)->sin_addr.s_addr)
                           : 0xFFFFFFFFu;
    const bool match = interface.empty() ? local == address : interface == entry->ifa_name;
    if (!match) continue;
    hop.interface = entry->ifa_name;
    if (hop.source_ip == 0) hop.source_ip = local;
    hop.subnet_address = local & mask;
    hop.subnet_mask = mask;
    return true;
  }
  return false;
}

}  // namespace

// The interface's hardware address and its ARPHRD_* type (sa_family of SIOCGIFHWADDR).
net::MacAddress interface_mac(const std::string& name, unsigned& hardware_type) {
  Fd socket_fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ifreq request{};
  std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (!socket_fd.valid() || ::ioctl(socket_fd.get(), SIOCGIFHWADDR, &request) != 0) {
    throw RuntimeError("cannot read the MAC address of interface " + name + ": " + errno_text());
  }
  hardware_type = request.ifr_hwaddr.sa_family;
  net::MacAddress mac;
  std::memcpy(mac.data(), request.ifr_hwaddr.sa_data, mac.size());
  return mac;
}

// Ethernet-framed (ARP, MACs) or bare IP (tun/WireGuard report ARPHRD_NONE, PPP ARPHRD_PPP,
// some modems ARPHRD_RAWIP). Anything else has a link header synscan does not build.
packet::LinkHeader link_header_of(const std::string& interface, unsigned hardware_type) {
  switch (hardware_type) {
    case ARPHRD_ETHER:
      return packet::LinkHeader::kEthernet;
    case ARPHRD_NONE:
    case ARPHRD_PPP:
    case ARPHRD_RAWIP:
      return packet::LinkHeader::kNone;
    default:
      throw RuntimeError("interface " + interface + " has link type " +
                         std::to_string(hardware_type) +
                         " (ARPHRD); synscan sends on Ethernet and raw-IP interfaces only");
  }
}

NextHop find_route(std::uint32_t first_target, const NextHopOverrides& overrides) {
  NextHop hop;
  if (overrides.source_ip) hop.source_ip = *overrides.source_ip;
  if (!overrides.interface.empty()) {
    if (!find_interface_address(overrides.interface, 0, hop)) {
      throw RuntimeError("interface " + overrides.interface + " does not exist or has no IPv4 address");
    }
  } else {
    const std::uint32_t source = kernel_source_for(first_target);
    if (!find_interface_address("", source, hop)) {
      throw RuntimeError("no interface holds source address " +
                         net::Ipv4Address(source).to_string());
    }
    if (!overrides.source_ip) hop.source_ip = source;
  }
  if (hop.interface == "lo") {
    throw RuntimeError(
        "the route to " + net::Ipv4Address(first_target).to_string() +
        " uses the loopback interface; raw scanning of local addresses is not supported");
  }
  hop.interface_index = static_cast<int>(::if_nametoindex(hop.interface.c_str()));
  if (hop.interface_index == 0) throw RuntimeError("interface " + hop.interface + " not found");
  unsigned hardware_type = 0;
  hop.interface_mac = interface_mac(hop.interface, hardware_type);
  hop.link_header = link_header_of(hop.interface, hardware_type);

  // Longest-prefix match among the interface's routes decides between gateway and on-link.
  int best_prefix = -1, best_metric = 0;
  for (const RouteRow& row : read_routes()) {
    if (row.interface != hop.interface) continue;
    if ((first_target & row.mask) != row.destination) continue;
    const int prefix = __builtin_popcount(row.mask);
    if (prefix > best_prefix || (prefix == best_prefix && row.metric < best_metric)) {
      best_prefix = prefix;
      best_metric = row.metric;
      hop.gateway_ip = row.gateway;
    }
  }
  if (best_prefix < 0 && overrides.interface.empty()) {
    throw RuntimeError("no route to " + net::Ipv4Address(first_target).to_string() +
                       " in /proc/net/route");
  }
  if (hop.link_header == packet::LinkHeader::kNone) {
    if (overrides.router_mac) {
      throw UsageError("--router-mac: interface " + hop.interface +
                       " carries bare IP (no link-layer addresses); leave it out");
    }
    hop.router_mac_known = true;  // nothing to resolve: every probe leaves with no link header
  } else if (overrides.router_mac) {
    hop.router_mac = *overrides.router_mac;
    hop.router_mac_known = true;
  }
  return hop;
}

namespace {

std::optional<net::MacAddress> neighbour_table_mac(const std::string& interface,
                                                   std::uint32_t address) {
  std::ifstream file("/proc/net/arp");
  std::string line;
  std::getline(file, line);
  const std::string wanted = net::Ipv4Address(address).to_string();
  while (std::getline(file, line)) {
    std::istringstream fields(line);
    std::string ip, type, flags, mac, mask, device;
    if (!(fields >> ip >> type >> flags >> mac >> mask >> device)) continue;
    if (ip != wanted || device != interface) continue;
    if (!(std::stoul(flags, nullptr, 16) & ATF_COM)) continue;  // incomplete entry
    return net::MacAddress::parse(mac);  // nullopt for a malformed entry
  }
  return std::nullopt;
}

}  // namespace

Fd open_arp_socket(const NextHop& hop, bool nonblocking) {
  Fd socket_fd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0),
                        htons(ETH_P_ARP)));
  if (!socket_fd.valid()) {
    throw RuntimeError("cannot open an ARP socket on " + hop.interface + ": " + errno_text() +
                       " (synscan needs root or CAP_NET_RAW)");
  }
  sockaddr_ll link{};
  link.sll_family = AF_PACKET;
  link.sll_protocol = htons(ETH_P_ARP);
  link.sll_ifindex = hop.interface_index;
  if (::bind(socket_fd.get(), reinterpret_cast<sockaddr*>(&link), sizeof link) != 0) {
    throw RuntimeError("cannot bind an ARP socket to " + hop.interface + ": " + errno_text());
  }
  return socket_fd;
}

std::optional<net::MacAddress> resolve_mac(const NextHop& hop, std::uint32_t address, int attempts,
                                           int timeout_ms) {
  if (auto known = neighbour_table_mac(hop.interface, address)) return known;

  const Fd socket_fd = open_arp_socket(hop, false);
  std::uint8_t request[kArpFrameSize];
  fill_arp_request(request, hop, address);
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (::send(socket_fd.get(), request, sizeof request, 0) < 0) {
      throw RuntimeError("cannot send an ARP request on " + hop.interface + ": " + errno_text());
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd waiter{socket_fd.get(), POLLIN, 0};
      if (::poll(&waiter, 1, static_cast<int>(left.count())) <= 0) continue;
      std::uint8_t reply[128];
      const ssize_t length = ::recv(socket_fd.get(), reply, sizeof reply, 0);
      std::uint32_t sender;
      net::MacAddress mac;
      if (length <= 0 || !parse_arp_reply(reply, static_cast<std::size_t>(length), sender, mac) ||
          sender != address) {
        continue;
      }
      return mac;
    }
  }
  return std::nullopt;
}

void fill_arp_request(std::uint8_t* frame, const NextHop& hop, std::uint32_t target) noexcept {
  std::memset(frame, 0xFF, 6);  // broadcast
  std::memcpy(frame + 6, hop.interface_mac.data(), 6);
  // ethertype ARP, hardware Ethernet, protocol IPv4, address sizes 6 and 4, opcode request
  const std::uint8_t fixed[] = {0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};
  std::memcpy(frame + 12, fixed, sizeof fixed);
  std::memcpy(frame + 22, hop.interface_mac.data(), 6);
  const std::uint32_t sender = htonl(hop.source_ip), wanted = htonl(target);
  std::memcpy(frame + 28, &sender, 4);
  std::memset(frame + 32, 0, 6);
  std::memcpy(frame + 38, &wanted, 4);
}

bool parse_arp_reply(const std::uint8_t* frame, std::size_t length, std::uint32_t& sender,
                     net::MacAddress& mac) noexcept {
  if (length < kArpFrameSize || frame[12] != 0x08 || frame[13] != 0x06 || frame[21] != 2) return false;
  std::uint32_t network_order;
  std::memcpy(&network_order, frame + 28, 4);
  sender = ntohl(network_order);
  std::memcpy(mac.data(), frame + 22, 6);
  return true;
}

}  // namespace synscan::scanner
