// NDP for the IPv6 next hop: solicited-node address and multicast MAC, a neighbour solicitation
// compared with a literal golden frame (checksum computed separately in Python and recomputed
// here), advertisements parsed or refused (hop limit, checksum, options, truncation), and the
// on-link test of the IPv6 next hop.
#include "ndp.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "next_hop_ipv6.hpp"
#include "packet/checksum.hpp"

namespace synscan::scanner {
namespace {

using Bytes = std::vector<std::byte>;

const packet::Ipv6Bytes kSource = packet::ipv6_from_groups({0x2001, 2, 0, 1, 0, 0, 0, 1});
const packet::Ipv6Bytes kTarget = packet::ipv6_from_groups({0x2001, 2, 0, 1, 0, 0, 0xab, 0xcd02});
const net::MacAddress kOurMac{{0x02, 0x00, 0x00, 0x00, 0x0a, 0x01}};
const net::MacAddress kTheirMac{{0x02, 0x00, 0x00, 0x00, 0x0b, 0x02}};

Bytes from_hex(std::string_view hex) {
  Bytes bytes;
  const auto nibble = [](char digit) {
    return static_cast<unsigned>(digit <= '9' ? digit - '0' : digit - 'a' + 10);
  };
  for (std::size_t index = 0; index + 1 < hex.size(); index += 2) {
    bytes.push_back(static_cast<std::byte>(nibble(hex[index]) << 4 | nibble(hex[index + 1])));
  }
  return bytes;
}

TEST(Ndp, SolicitedNodeAddressAndMulticastMac) {
  EXPECT_EQ(solicited_node_address(kTarget),
            packet::ipv6_from_groups({0xff02, 0, 0, 0, 0, 1, 0xffab, 0xcd02}));
  EXPECT_EQ(ipv6_multicast_mac(solicited_node_address(kTarget)).to_string(), "33:33:ff:ab:cd:02");
  EXPECT_EQ(ipv6_multicast_mac(packet::ipv6_from_groups({0xff02, 0, 0, 0, 0, 0, 0, 1})).to_string(),
            "33:33:00:00:00:01");
}

TEST(Ndp, NeighborSolicitationGoldenFrame) {
  // Ethernet to 33:33:ff:ab:cd:02 | IPv6 2001:2:0:1::1 -> ff02::1:ffab:cd02, payload 32, next
  // header 58, hop limit 255 | ICMPv6 135/0, checksum 9239, target 2001:2:0:1::ab:cd02 | source
  // link-layer address option 02:00:00:00:0a:01.
  const Bytes expected = from_hex(
      "3333ffabcd02020000000a0186dd"
      "6000000000203aff" "20010002000000010000000000000001" "ff0200000000000000000001ffabcd02"
      "8700923900000000" "20010002000000010000000000abcd02" "0101020000000a01");
  std::array<std::byte, kNeighborSolicitationFrameSize> frame;
  frame.fill(std::byte{0xAA});
  fill_neighbor_solicitation(frame, kOurMac, kSource, kTarget);
  EXPECT_EQ(Bytes(frame.begin(), frame.end()), expected);
  EXPECT_TRUE(packet::ipv6_checksums_valid(std::span(frame).subspan(14)));
}

// An advertisement from kTarget to kSource with its checksum over the pseudo-header.
Bytes advertisement(bool with_option = true, unsigned hop_limit = 255) {
  Bytes icmp = {std::byte{136}, std::byte{0}, std::byte{0}, std::byte{0},
                std::byte{0x60}, std::byte{0}, std::byte{0}, std::byte{0}};  // S and O flags
  icmp.insert(icmp.end(), kTarget.begin(), kTarget.end());
  if (with_option) {
    icmp.push_back(std::byte{2});
    icmp.push_back(std::byte{1});
    for (const std::uint8_t octet : kTheirMac.octets) icmp.push_back(std::byte{octet});
  }
  const std::uint16_t checksum = packet::internet_checksum(
      icmp, packet::ipv6_pseudo_header_sum(kTarget, kSource, static_cast<std::uint32_t>(icmp.size()),
                                           58));
  icmp[2] = static_cast<std::byte>(checksum >> 8);
  icmp[3] = static_cast<std::byte>(checksum & 0xFF);
  Bytes frame;
  for (const std::uint8_t octet : kOurMac.octets) frame.push_back(std::byte{octet});
  const net::MacAddress frame_source{{0x02, 0, 0, 0, 0x0c, 0x03}};
  for (const std::uint8_t octet : frame_source.octets) frame.push_back(std::byte{octet});
  frame.push_back(std::byte{0x86});
  frame.push_back(std::byte{0xdd});
  const Bytes ip = {std::byte{0x60}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0},
                    static_cast<std::byte>(icmp.size()), std::byte{58},
                    static_cast<std::byte>(hop_limit)};
  frame.insert(frame.end(), ip.begin(), ip.end());
  frame.insert(frame.end(), kTarget.begin(), kTarget.end());
  frame.insert(frame.end(), kSource.begin(), kSource.end());
  frame.insert(frame.end(), icmp.begin(), icmp.end());
  return frame;
}

TEST(Ndp, AdvertisementWithTargetLinkLayerAddress) {
  const auto parsed = parse_neighbor_advertisement(advertisement());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->target, kTarget);
  EXPECT_EQ(parsed->mac, kTheirMac);
  // Trailing Ethernet padding beyond the payload length is ignored.
  Bytes padded = advertisement();
  padded.resize(padded.size() + 6, std::byte{0xEE});
  EXPECT_TRUE(parse_neighbor_advertisement(padded));
}

TEST(Ndp, AdvertisementWithoutOptionUsesTheFrameSource) {
  const auto parsed = parse_neighbor_advertisement(advertisement(false));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->mac.to_string(), "02:00:00:00:0c:03");
}

TEST(Ndp, RefusedAdvertisements) {
  EXPECT_FALSE(parse_neighbor_advertisement(advertisement(true, 254)))  // routed: not on-link
      << "hop limit";
  Bytes corrupt = advertisement();
  corrupt[14 + 40 + 8] ^= std::byte{1};  // target changed, checksum stale
  EXPECT_FALSE(parse_neighbor_advertisement(corrupt));
  Bytes solicitation = advertisement();
  solicitation[14 + 40] = std::byte{135};
  EXPECT_FALSE(parse_neighbor_advertisement(solicitation));
  Bytes zero_length_option = advertisement();
  zero_length_option[14 + 40 + 25] = std::byte{0};
  EXPECT_FALSE(parse_neighbor_advertisement(zero_length_option));
  Bytes long_option = advertisement();
  long_option[14 + 40 + 25] = std::byte{2};  // 16 bytes, 8 left
  EXPECT_FALSE(parse_neighbor_advertisement(long_option));
  Bytes arp = advertisement();
  arp[12] = std::byte{0x08};
  arp[13] = std::byte{0x06};
  EXPECT_FALSE(parse_neighbor_advertisement(arp));
  // What we send ourselves is not an answer either.
  std::array<std::byte, kNeighborSolicitationFrameSize> ours;
  fill_neighbor_solicitation(ours, kOurMac, kSource, kTarget);
  EXPECT_FALSE(parse_neighbor_advertisement(ours));
}

TEST(Ndp, EveryTruncationIsRefusedWithoutReadingPastTheEnd) {
  const Bytes frame = advertisement();
  for (std::size_t size = 0; size < frame.size(); ++size) {
    const Bytes cut(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_FALSE(parse_neighbor_advertisement(cut)) << size;
  }
  EXPECT_TRUE(parse_neighbor_advertisement(frame));
}

TEST(Ndp, OnLinkFollowsThePrefix) {
  Ipv6NextHop hop;
  hop.subnet = packet::ipv6_from_groups({0x2001, 2, 0, 1, 0, 0, 0, 0});
  hop.prefix_length = 64;
  EXPECT_TRUE(ipv6_on_link(hop, kTarget));
  EXPECT_FALSE(ipv6_on_link(hop, packet::ipv6_from_groups({0x2001, 2, 0, 2, 0, 0, 0, 1})));
  hop.subnet = packet::ipv6_from_groups({0x2001, 2, 0, 0, 0, 0, 0, 0});
  hop.prefix_length = 52;  // 2001:2:0:0::/52 holds 2001:2:0:fff::
  EXPECT_TRUE(ipv6_on_link(hop, packet::ipv6_from_groups({0x2001, 2, 0, 0x0fff, 0, 0, 0, 1})));
  EXPECT_FALSE(ipv6_on_link(hop, packet::ipv6_from_groups({0x2001, 2, 0, 0x1000, 0, 0, 0, 1})));
  hop.prefix_length = 128;  // a /128 (or an -S address not on the interface): nothing else
  EXPECT_FALSE(ipv6_on_link(hop, hop.subnet));
}

}  // namespace
}  // namespace synscan::scanner
