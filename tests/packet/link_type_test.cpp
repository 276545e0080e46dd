// Captured frames by link type: one golden SYN-ACK (bytes as a tun device, an Ethernet NIC and
// Linux cooked capture v1/v2 deliver them) parsed through parse_captured_frame, the cooked
// headers' rejects, every truncation of each, and the probe templates without a link header.
#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "packet/probe_template.hpp"
#include "packet/reply.hpp"
#include "packet/udp_payloads.hpp"
#include "test_frames.hpp"

namespace synscan::packet {
namespace {

using test::Bytes;

Bytes from_hex(std::string_view hex) {
  Bytes bytes;
  const auto nibble = [](char digit) {
    return static_cast<unsigned>(digit <= '9' ? digit - '0' : digit - 'a' + 10);
  };
  for (std::size_t index = 0; index + 1 < hex.size(); index += 2) {
    test::append8(bytes, nibble(hex[index]) << 4 | nibble(hex[index + 1]));
  }
  return bytes;
}

// 198.18.0.10:443 -> 198.18.128.1:40001 SYN-ACK, TTL 63, DF, seq 0x11223344, ack 0x55667789,
// window 64240, MSS 1460; checksums valid (computed independently of the library).
constexpr std::string_view kSynAckIpv4 =
    "4500002c1c4640003f061356c612000ac612800101bb9c4111223344556677896012faf0e1a20000020405b4";
// Ethernet II to 02:00:00:00:00:01 from 02:00:00:00:00:02, ethertype IPv4.
constexpr std::string_view kEthernetHeader = "020000000001020000000002" "0800";
// SLL: packet type 0 (to us), ARPHRD_NONE (0xfffe, a tun device), no link address, IPv4.
constexpr std::string_view kCookedHeader = "0000" "fffe" "0000" "0000000000000000" "0800";
// SLL2: protocol IPv4, reserved, interface index 7, ARPHRD_NONE, to us, no link address.
constexpr std::string_view kCooked2Header =
    "0800" "0000" "00000007" "fffe" "00" "00" "0000000000000000";

Bytes golden(std::string_view link_header) {
  Bytes frame = from_hex(link_header);
  test::append(frame, from_hex(kSynAckIpv4));
  return frame;
}

void expect_golden_syn_ack(const Reply& reply) {
  EXPECT_EQ(reply.source_ip, 0xC612000Au);
  EXPECT_EQ(reply.destination_ip, 0xC6128001u);
  EXPECT_EQ(reply.ttl, 63);
  EXPECT_EQ(reply.protocol, kProtocolTcp);
  EXPECT_EQ(reply.source_port, 443);
  EXPECT_EQ(reply.destination_port, 40001);
  EXPECT_EQ(reply.tcp_sequence, 0x11223344u);
  EXPECT_EQ(reply.tcp_acknowledgment, 0x55667789u);
  EXPECT_EQ(reply.tcp_flags, tcp_flags::kSyn | tcp_flags::kAck);
}

struct LinkCase {
  LinkType link;
  std::string_view header;
};

constexpr LinkCase kLinkCases[] = {{LinkType::kEthernet, kEthernetHeader},
                                   {LinkType::kRawIp, ""},
                                   {LinkType::kLinuxCooked, kCookedHeader},
                                   {LinkType::kLinuxCooked2, kCooked2Header}};

TEST(LinkTypeTest, GoldenSynAckParsesOnEveryLinkType) {
  for (const LinkCase& link_case : kLinkCases) {
    SCOPED_TRACE(to_string(link_case.link));
    Reply reply;
    ASSERT_EQ(parse_captured_frame(link_case.link, golden(link_case.header), reply),
              ParseStatus::kOk);
    expect_golden_syn_ack(reply);
  }
}

TEST(LinkTypeTest, GoldenIpv4IsValidAndMatchesTheReferenceChecksums) {
  const Bytes packet = from_hex(kSynAckIpv4);
  EXPECT_EQ(test::reference_checksum(std::span(packet).first(20)), 0);
  const auto segment = std::span(packet).subspan(20);
  EXPECT_EQ(test::reference_checksum(
                segment, test::pseudo_header_sum(0xC612000A, 0xC6128001, 6, segment.size())),
            0);
}

TEST(LinkTypeTest, EveryTruncationIsARejectNeverAnOverread) {
  for (const LinkCase& link_case : kLinkCases) {
    SCOPED_TRACE(to_string(link_case.link));
    const Bytes frame = golden(link_case.header);
    for (std::size_t size = 0; size < frame.size(); ++size) {
      const Bytes prefix(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(size));
      Reply reply;
      // Cut inside the TCP options is still a complete fixed header: accepted (snaplen policy).
      const ParseStatus status = parse_captured_frame(link_case.link, prefix, reply);
      const std::size_t link_size = link_case.header.size() / 2;
      if (size >= link_size + 20 + 20) {
        EXPECT_EQ(status, ParseStatus::kOk) << size;
      } else {
        EXPECT_EQ(status, ParseStatus::kTruncated) << size;
      }
    }
  }
}

// A cooked header names the protocol: ARP is no IP, and an IPv6 protocol over IPv4 bytes is a
// version mismatch (IPv6 replies themselves are in ipv6_reply_test.cpp).
TEST(LinkTypeTest, CookedHeadersCarryingOtherProtocolsAreNotIp) {
  Reply reply;
  Bytes cooked = golden(kCookedHeader);
  test::set16(cooked, 14, 0x86DD);  // IPv6
  EXPECT_EQ(parse_captured_frame(LinkType::kLinuxCooked, cooked, reply), ParseStatus::kNotIp);
  test::set16(cooked, 14, 0x0806);  // ARP
  EXPECT_EQ(parse_captured_frame(LinkType::kLinuxCooked, cooked, reply), ParseStatus::kNotIp);

  Bytes cooked2 = golden(kCooked2Header);
  test::set16(cooked2, 0, 0x86DD);
  EXPECT_EQ(parse_captured_frame(LinkType::kLinuxCooked2, cooked2, reply), ParseStatus::kNotIp);
  test::set16(cooked2, 0, 0x0806);
  EXPECT_EQ(parse_captured_frame(LinkType::kLinuxCooked2, cooked2, reply), ParseStatus::kNotIp);
  // The v1 protocol offset (14) in a v2 header is address bytes: not consulted.
  Bytes misread = golden(kCooked2Header);
  test::set16(misread, 14, 0x86DD);
  EXPECT_EQ(parse_captured_frame(LinkType::kLinuxCooked2, misread, reply), ParseStatus::kOk);
}

// On a raw-IP link the version nibble picks the parser: IPv4 bytes with nibble 6 are read as
// IPv6 (and do not make a reply), never as the IPv4 SYN-ACK they were.
TEST(LinkTypeTest, RawIpVersionNibbleSelectsTheParser) {
  Bytes packet = from_hex(kSynAckIpv4);
  packet[0] = std::byte{0x60};
  Reply reply;
  EXPECT_NE(parse_captured_frame(LinkType::kRawIp, packet, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.ip_version, 6);
  packet[0] = std::byte{0x50};  // neither 4 nor 6
  EXPECT_EQ(parse_captured_frame(LinkType::kRawIp, packet, reply), ParseStatus::kNotIp);
}

TEST(LinkTypeTest, RawIpIsNotEthernet) {
  // The same bytes read with the wrong link type must not parse as the golden reply.
  Reply reply;
  EXPECT_NE(parse_captured_frame(LinkType::kEthernet, from_hex(kSynAckIpv4), reply),
            ParseStatus::kOk);
  EXPECT_NE(parse_captured_frame(LinkType::kRawIp, golden(kEthernetHeader), reply),
            ParseStatus::kOk);
}

FrameAddressing addressing(LinkHeader link_header) {
  FrameAddressing result;
  result.source_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  result.destination_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
  result.source_ip = 0xC6128001;
  result.ttl = 64;
  result.ip_id = 0x1234;
  result.link_header = link_header;
  return result;
}

TEST(LinkTypeTest, TcpTemplateWithoutLinkHeaderIsTheEthernetFrameMinus14Bytes) {
  const TcpSynTemplate ethernet(addressing(LinkHeader::kEthernet), {});
  const TcpSynTemplate raw(addressing(LinkHeader::kNone), {});
  ASSERT_EQ(raw.size(), 44u);
  EXPECT_EQ(raw.ip_offset(), 0u);
  EXPECT_EQ(raw.l4_offset(), 20u);
  EXPECT_EQ(ethernet.ip_offset(), kIpv4Offset);
  Bytes ethernet_out(ethernet.size()), raw_out(raw.size());
  ethernet.write(ethernet_out.data(), 0xC612000A, 40001, 443, 0x55667788);
  raw.write(raw_out.data(), 0xC612000A, 40001, 443, 0x55667788);
  EXPECT_EQ(raw_out, Bytes(ethernet_out.begin() + 14, ethernet_out.end()));
  EXPECT_EQ(std::to_integer<unsigned>(raw_out[0]), 0x45u);

  Reply parsed;
  ASSERT_EQ(parse_captured_frame(LinkType::kRawIp, raw_out, parsed), ParseStatus::kOk);
  EXPECT_EQ(parsed.destination_ip, 0xC612000Au);
  EXPECT_EQ(parsed.source_port, 40001);
  EXPECT_EQ(parsed.destination_port, 443);
  EXPECT_EQ(parsed.tcp_sequence, 0x55667788u);
  EXPECT_EQ(test::reference_checksum(std::span(raw_out).first(20)), 0);
  const auto segment = std::span(raw_out).subspan(20);
  EXPECT_EQ(test::reference_checksum(
                segment, test::pseudo_header_sum(0xC6128001, 0xC612000A, 6, segment.size())),
            0);
}

TEST(LinkTypeTest, UdpTemplateWithoutLinkHeaderIsTheEthernetFrameMinus14Bytes) {
  const Bytes payload = from_hex("0001020304050607");
  // An odd echo offset: the cookie's checksum words straddle the payload's word boundaries.
  const CookieEcho echo{.request_offset = 3, .reply_offset = 3, .width = 4};
  const UdpTemplate ethernet(addressing(LinkHeader::kEthernet), payload, echo);
  const UdpTemplate raw(addressing(LinkHeader::kNone), payload, echo);
  ASSERT_TRUE(raw.carries_cookie());
  ASSERT_EQ(raw.size(), 20u + 8u + payload.size());
  EXPECT_EQ(raw.payload_offset(), 28u);
  EXPECT_EQ(ethernet.payload_offset(), kL4Offset + 8);
  for (const std::uint16_t port : {53, 161, 0xFFFF}) {
    Bytes ethernet_out(ethernet.size()), raw_out(raw.size());
    ethernet.write(ethernet_out.data(), 0xC612000B, 40002, port, 0xA1B2C3D4);
    raw.write(raw_out.data(), 0xC612000B, 40002, port, 0xA1B2C3D4);
    EXPECT_EQ(test::get16(raw_out, 28 + 3), 0xA1B2u) << port;
    EXPECT_EQ(raw_out, Bytes(ethernet_out.begin() + 14, ethernet_out.end())) << port;
    const auto datagram = std::span(raw_out).subspan(20);
    EXPECT_EQ(test::reference_checksum(datagram, test::pseudo_header_sum(
                                                     0xC6128001, 0xC612000B, 17, datagram.size())),
              0)
        << port;
  }
}

}  // namespace
}  // namespace synscan::packet
