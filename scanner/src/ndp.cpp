// Neighbour solicitation and advertisement (ndp.hpp). Frames are written and read byte by byte
// at fixed offsets; the advertisement parser checks every length against the captured bytes.
#include "ndp.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "netlink.hpp"
#include "next_hop_ipv6.hpp"
#include "packet/checksum.hpp"
#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

constexpr std::size_t kEthernetSize = 14;
constexpr std::size_t kIcmpOffset = kEthernetSize + packet::kIpv6HeaderSize;  // 54
constexpr std::size_t kSolicitationSize = 24;                                 // ICMPv6 + target
constexpr std::size_t kLinkLayerOptionSize = 8;
constexpr std::uint8_t kNeighborSolicitation = 135;
constexpr std::uint8_t kNeighborAdvertisement = 136;
constexpr std::uint8_t kSourceLinkLayerAddress = 1;
constexpr std::uint8_t kTargetLinkLayerAddress = 2;
constexpr std::uint8_t kNdpHopLimit = 255;  // RFC 4861: proves the sender is on the link

std::uint16_t load16(std::span<const std::byte> bytes, std::size_t at) noexcept {
  return static_cast<std::uint16_t>(std::to_integer<unsigned>(bytes[at]) << 8 |
                                    std::to_integer<unsigned>(bytes[at + 1]));
}

void store16(std::span<std::byte> bytes, std::size_t at, std::uint16_t value) noexcept {
  bytes[at] = static_cast<std::byte>(value >> 8);
  bytes[at + 1] = static_cast<std::byte>(value & 0xFF);
}

void copy_mac(std::span<std::byte> to, const net::MacAddress& mac) noexcept {
  for (std::size_t index = 0; index < mac.size(); ++index) to[index] = std::byte{mac[index]};
}

// The link-layer address option of type `wanted` inside the options of an NDP message, with the
// option walk of RFC 4861 section 4.6 (length in 8-byte units, zero invalid). False on a
// malformed option list or when there is no such option.
bool find_link_layer_option(std::span<const std::byte> options, std::uint8_t wanted,
                            net::MacAddress& mac, bool& malformed) noexcept {
  std::size_t offset = 0;
  bool found = false;
  while (offset + 2 <= options.size()) {
    const unsigned type = std::to_integer<unsigned>(options[offset]);
    const std::size_t length = std::size_t{std::to_integer<unsigned>(options[offset + 1])} * 8;
    if (length == 0 || offset + length > options.size()) {
      malformed = true;
      return false;
    }
    if (type == wanted && length >= kLinkLayerOptionSize && !found) {
      for (std::size_t index = 0; index < mac.size(); ++index) {
        mac[index] = std::to_integer<std::uint8_t>(options[offset + 2 + index]);
      }
      found = true;
    }
    offset += length;
  }
  return found;
}

// The kernel's neighbour entry for `address` on the interface, if it has a usable one.
std::optional<net::MacAddress> neighbour_table_mac(int interface_index, packet::Ipv6View address) {
  struct {
    nlmsghdr header;
    ndmsg neighbour;
  } request{};
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(ndmsg));
  request.header.nlmsg_type = RTM_GETNEIGH;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.neighbour.ndm_family = AF_INET6;
  std::optional<net::MacAddress> found;
  constexpr unsigned kUsable = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;
  (void)netlink_exchange(
      std::span(reinterpret_cast<std::byte*>(&request), sizeof request),
      [&](const nlmsghdr& header, std::span<const std::byte> body) {
        if (header.nlmsg_type != RTM_NEWNEIGH || body.size() < sizeof(ndmsg) || found) return;
        ndmsg entry;
        std::memcpy(&entry, body.data(), sizeof entry);
        if (entry.ndm_ifindex != interface_index || (entry.ndm_state & kUsable) == 0) return;
        bool match = false;
        std::optional<net::MacAddress> mac;
        for_each_attribute(body.subspan(NLMSG_ALIGN(sizeof(ndmsg))), [&](const NetlinkAttribute& attribute) {
          if (attribute.type == NDA_DST && attribute.payload.size() == 16) {
            match = std::equal(address.begin(), address.end(), attribute.payload.begin());
          } else if (attribute.type == NDA_LLADDR && attribute.payload.size() == 6) {
            net::MacAddress value;
            for (std::size_t index = 0; index < 6; ++index) {
              value[index] = std::to_integer<std::uint8_t>(attribute.payload[index]);
            }
            mac = value;
          }
        });
        if (match && mac) found = mac;
      });
  return found;
}

bool is_link_local(packet::Ipv6View address) noexcept {
  return address[0] == std::byte{0xFE} && (std::to_integer<unsigned>(address[1]) & 0xC0) == 0x80;
}

}  // namespace

packet::Ipv6Bytes solicited_node_address(packet::Ipv6View target) noexcept {
  packet::Ipv6Bytes address = packet::ipv6_from_groups({0xFF02, 0, 0, 0, 0, 1, 0xFF00, 0});
  std::copy(target.begin() + 13, target.end(), address.begin() + 13);
  return address;
}

net::MacAddress ipv6_multicast_mac(packet::Ipv6View multicast) noexcept {
  net::MacAddress mac{{0x33, 0x33, 0, 0, 0, 0}};
  for (std::size_t index = 0; index < 4; ++index) {
    mac[2 + index] = std::to_integer<std::uint8_t>(multicast[12 + index]);
  }
  return mac;
}

void fill_neighbor_solicitation(std::span<std::byte, kNeighborSolicitationFrameSize> frame,
                                const net::MacAddress& source_mac, packet::Ipv6View source,
                                packet::Ipv6View target) noexcept {
  std::fill(frame.begin(), frame.end(), std::byte{0});
  const packet::Ipv6Bytes group = solicited_node_address(target);
  copy_mac(frame.subspan(0, 6), ipv6_multicast_mac(group));
  copy_mac(frame.subspan(6, 6), source_mac);
  store16(frame, 12, packet::kEthertypeIpv6);
  const std::span<std::byte> ip = frame.subspan(kEthernetSize, packet::kIpv6HeaderSize);
  ip[0] = std::byte{0x60};
  constexpr std::size_t kPayload = kSolicitationSize + kLinkLayerOptionSize;  // 32
  store16(ip, 4, kPayload);
  ip[6] = std::byte{packet::kProtocolIcmpv6};
  ip[7] = std::byte{kNdpHopLimit};
  std::copy(source.begin(), source.end(), ip.begin() + 8);
  std::copy(group.begin(), group.end(), ip.begin() + 24);
  const std::span<std::byte> icmp = frame.subspan(kIcmpOffset, kPayload);
  icmp[0] = std::byte{kNeighborSolicitation};
  std::copy(target.begin(), target.end(), icmp.begin() + 8);
  icmp[24] = std::byte{kSourceLinkLayerAddress};
  icmp[25] = std::byte{1};  // 8 bytes
  copy_mac(icmp.subspan(26, 6), source_mac);
  store16(icmp, 2,
          packet::internet_checksum(icmp, packet::ipv6_pseudo_header_sum(source, group, kPayload,
                                                                         packet::kProtocolIcmpv6)));
}

std::optional<NeighborAdvertisement> parse_neighbor_advertisement(
    std::span<const std::byte> frame) noexcept {
  if (frame.size() < kIcmpOffset + kSolicitationSize) return std::nullopt;
  if (load16(frame, 12) != packet::kEthertypeIpv6) return std::nullopt;
  const std::span<const std::byte> ip = frame.subspan(kEthernetSize);
  if (std::to_integer<unsigned>(ip[0]) >> 4 != 6) return std::nullopt;
  if (std::to_integer<unsigned>(ip[6]) != packet::kProtocolIcmpv6 ||
      std::to_integer<unsigned>(ip[7]) != kNdpHopLimit) {
    return std::nullopt;
  }
  const std::size_t payload_length = load16(ip, 4);
  if (payload_length < kSolicitationSize ||
      packet::kIpv6HeaderSize + payload_length > ip.size()) {
    return std::nullopt;
  }
  const std::span<const std::byte> icmp = ip.subspan(packet::kIpv6HeaderSize, payload_length);
  if (std::to_integer<unsigned>(icmp[0]) != kNeighborAdvertisement || icmp[1] != std::byte{0}) {
    return std::nullopt;
  }
  const std::uint32_t pseudo = packet::ipv6_pseudo_header_sum(
      ip.subspan<8, 16>(), ip.subspan<24, 16>(), static_cast<std::uint32_t>(payload_length),
      packet::kProtocolIcmpv6);
  if (packet::ones_complement_sum(icmp, pseudo) != 0xFFFF) return std::nullopt;
  NeighborAdvertisement advertisement;
  std::copy_n(icmp.begin() + 8, 16, advertisement.target.begin());
  bool malformed = false;
  if (!find_link_layer_option(icmp.subspan(kSolicitationSize), kTargetLinkLayerAddress,
                              advertisement.mac, malformed)) {
    if (malformed) return std::nullopt;
    for (std::size_t index = 0; index < 6; ++index) {  // no option: the frame's sender
      advertisement.mac[index] = std::to_integer<std::uint8_t>(frame[6 + index]);
    }
  }
  return advertisement;
}

Fd open_ndp_socket(const Ipv6NextHop& hop, bool nonblocking) {
  Fd socket_fd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0),
                        htons(ETH_P_IPV6)));
  if (!socket_fd.valid()) {
    throw RuntimeError("cannot open an NDP socket on " + hop.interface + ": " +
                       std::strerror(errno) + " (synscan needs root or CAP_NET_RAW)");
  }
  sockaddr_ll link{};
  link.sll_family = AF_PACKET;
  link.sll_protocol = htons(ETH_P_IPV6);
  link.sll_ifindex = hop.interface_index;
  if (::bind(socket_fd.get(), reinterpret_cast<sockaddr*>(&link), sizeof link) != 0) {
    throw RuntimeError("cannot bind an NDP socket to " + hop.interface + ": " +
                       std::strerror(errno));
  }
  return socket_fd;
}

std::optional<net::MacAddress> resolve_ipv6_mac(const Ipv6NextHop& hop, packet::Ipv6View address,
                                                int attempts, int timeout_ms) {
  if (auto known = neighbour_table_mac(hop.interface_index, address)) return known;
  const Fd socket_fd = open_ndp_socket(hop, false);
  // A link-local neighbour is asked from our link-local address when we have one.
  const bool from_link_local = is_link_local(address) && hop.link_local != packet::Ipv6Bytes{};
  std::array<std::byte, kNeighborSolicitationFrameSize> request;
  fill_neighbor_solicitation(request, hop.interface_mac, from_link_local ? hop.link_local : hop.source,
                             address);
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (::send(socket_fd.get(), request.data(), request.size(), 0) < 0) {
      throw RuntimeError("cannot send a neighbour solicitation on " + hop.interface + ": " +
                         std::strerror(errno));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd waiter{socket_fd.get(), POLLIN, 0};
      if (::poll(&waiter, 1, static_cast<int>(left.count())) <= 0) continue;
      std::array<std::byte, 1600> reply;
      const ssize_t length = ::recv(socket_fd.get(), reply.data(), reply.size(), 0);
      if (length <= 0) continue;
      const auto advertisement =
          parse_neighbor_advertisement(std::span(reply).first(static_cast<std::size_t>(length)));
      if (advertisement && std::equal(address.begin(), address.end(),
                                      advertisement->target.begin())) {
        return advertisement->mac;
      }
    }
  }
  return std::nullopt;
}

}  // namespace synscan::scanner
