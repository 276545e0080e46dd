// -S ranges: a paced frame's source rewritten in place keeps every checksum valid; the receive
// thread's ARP replies answer requests for the range only; the option parses and saves ranges.
#include "engine/source_range.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "../packet/test_frames.hpp"
#include "packet/checksum.hpp"
#include "scanner/cli.hpp"
#include "scanner/errors.hpp"

namespace synscan::scanner::engine {
namespace {

using Bytes = std::vector<std::byte>;

Bytes ethernet_then(const Bytes& ip_packet) {
  Bytes frame(14, std::byte{0});
  frame[12] = std::byte{0x08};
  packet::test::append(frame, ip_packet);
  return frame;
}

TEST(SourceRange, RewrittenSourcesKeepTcpAndUdpChecksumsValid) {
  const packet::test::Ipv4Fields tcp_ip{.source = 0xC6130A0A, .destination = 0xC6120004, .protocol = 6};
  Bytes tcp_packet = packet::test::ipv4_header(
      tcp_ip, 20);
  packet::test::append(tcp_packet, packet::test::tcp_segment(tcp_ip.source, tcp_ip.destination,
                                                             {.source_port = 40000, .destination_port = 80,
                                                              .sequence = 7, .acknowledgment = 0, .flags = 0x02}));
  packet::test::Ipv4Fields udp_ip = tcp_ip;
  udp_ip.protocol = 17;
  const Bytes udp = packet::test::udp_datagram(udp_ip.source, udp_ip.destination, 40000, 9, Bytes(5, std::byte{1}));
  Bytes udp_packet = packet::test::ipv4_header(udp_ip, udp.size());
  packet::test::append(udp_packet, udp);
  for (const Bytes& packet : {tcp_packet, udp_packet}) {
    Bytes frame = ethernet_then(packet);
    for (std::uint32_t source = 0xC6130A0B; source < 0xC6130A20; ++source) {
      rewrite_source(frame, 14, source);
      const std::span<const std::byte> ip(frame.data() + 14, frame.size() - 14);
      ASSERT_TRUE(packet::ipv4_checksums_valid(ip)) << std::hex << source;
      EXPECT_EQ(std::to_integer<unsigned>(ip[15]), source & 0xFF);
    }
  }
}

Bytes arp_request(std::uint32_t wanted) {
  Bytes frame(42, std::byte{0});
  for (int i = 0; i < 6; ++i) frame[i] = std::byte{0xFF};
  const std::array<std::uint8_t, 28> arp = {0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 9, 198, 19, 0, 2,
                                            0, 0, 0, 0, 0, 0,
                                            static_cast<std::uint8_t>(wanted >> 24),
                                            static_cast<std::uint8_t>(wanted >> 16),
                                            static_cast<std::uint8_t>(wanted >> 8),
                                            static_cast<std::uint8_t>(wanted)};
  frame[6] = std::byte{2};
  frame[12] = std::byte{0x08};
  frame[13] = std::byte{0x06};
  for (std::size_t i = 0; i < arp.size(); ++i) frame[14 + i] = std::byte{arp[i]};
  return frame;
}

TEST(SourceRange, ArpRequestsForTheRangeOnlyAreAnswered) {
  const net::MacAddress mac{{0x02, 0, 0, 0, 0, 0x01}};
  std::array<std::byte, 64> reply{};
  EXPECT_EQ(arp_reply_for(arp_request(0xC613000A), 0xC613000A, 11, mac, reply), 42u);
  EXPECT_EQ(std::to_integer<unsigned>(reply[21]), 2u);                 // operation: reply
  EXPECT_EQ(std::to_integer<unsigned>(reply[27]), 1u);                 // our MAC as the sender
  EXPECT_EQ(std::to_integer<unsigned>(reply[31]), 0x0Au);              // ... of the address asked
  EXPECT_EQ(std::to_integer<unsigned>(reply[0]), 2u);                  // to the requester
  EXPECT_EQ(std::to_integer<unsigned>(reply[41]), 2u);                 // its address 198.19.0.2
  EXPECT_EQ(arp_reply_for(arp_request(0xC6130014), 0xC613000A, 11, mac, reply), 42u);
  EXPECT_EQ(arp_reply_for(arp_request(0xC6130015), 0xC613000A, 11, mac, reply), 0u);
  EXPECT_EQ(arp_reply_for(arp_request(0xC6130009), 0xC613000A, 11, mac, reply), 0u);
  Bytes not_a_request = arp_request(0xC613000A);
  not_a_request[21] = std::byte{2};
  EXPECT_EQ(arp_reply_for(not_a_request, 0xC613000A, 11, mac, reply), 0u);
}

std::vector<std::uint32_t> no_dns(const std::string&) { return {}; }

TEST(SourceRange, TheOptionTakesAnAddressOrARangeOfAtMost64) {
  const ParsedCommandLine one = parse_command_line({"198.18.0.4", "-S", "198.19.0.10"}, no_dns);
  EXPECT_EQ(one.plan->source_count, 1u);
  const ParsedCommandLine range = parse_command_line({"198.18.0.4", "-S", "198.19.0.10-198.19.0.20"}, no_dns);
  EXPECT_EQ(*range.plan->source_ip, 0xC613000Au);
  EXPECT_EQ(range.plan->source_count, 11u);
  EXPECT_THROW((void)parse_command_line({"198.18.0.4", "-S", "198.19.0.20-198.19.0.10"}, no_dns), UsageError);
  EXPECT_THROW((void)parse_command_line({"198.18.0.4", "-S", "198.19.0.0-198.19.0.64"}, no_dns), UsageError);
  EXPECT_THROW((void)parse_command_line({"198.18.0.4", "-S", "198.19.0.1-x"}, no_dns), UsageError);
}

}  // namespace
}  // namespace synscan::scanner::engine
