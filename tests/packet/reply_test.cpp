// Reply parser: well-formed replies of every kind, then every way a frame can be short, lie or be
// something else. Truncation tests copy each prefix into its own exactly sized buffer so that a
// sanitizer build catches any read past the end.
#include "packet/reply.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "test_frames.hpp"

namespace synscan::packet {
namespace {

using test::Bytes;

constexpr std::uint32_t kScannerIp = 0xC0A80A05;  // 192.168.10.5
constexpr std::uint32_t kTargetIp = 0x0A000102;   // 10.0.1.2
constexpr std::uint32_t kRouterIp = 0x0A0000FE;   // 10.0.0.254

Bytes mss_option() {
  return {std::byte{2}, std::byte{4}, std::byte{0x05}, std::byte{0xb4}};
}

test::Ipv4Fields from_target(unsigned protocol, unsigned ttl = 51) {
  test::Ipv4Fields ip;
  ip.source = kTargetIp;
  ip.destination = kScannerIp;
  ip.protocol = protocol;
  ip.ttl = ttl;
  return ip;
}

Bytes syn_ack_frame() {
  test::TcpFields tcp;
  tcp.source_port = 443;
  tcp.destination_port = 40123;
  tcp.sequence = 0xA1B2C3D4;
  tcp.acknowledgment = 0x01020305;
  tcp.flags = tcp_flags::kSyn | tcp_flags::kAck;
  tcp.window = 64240;
  tcp.options = mss_option();
  return test::frame_of(from_target(6), test::tcp_segment(kTargetIp, kScannerIp, tcp));
}

Bytes udp_frame(const Bytes& payload) {
  return test::frame_of(from_target(17),
                        test::udp_datagram(kTargetIp, kScannerIp, 53, 40777, payload));
}

// Our probe as the target received it: IPv4 header + full L4 header (the quote needs 8 bytes).
Bytes probe_packet(unsigned protocol, const Bytes& ip_options = {}) {
  test::Ipv4Fields ip;
  ip.source = kScannerIp;
  ip.destination = kTargetIp;
  ip.protocol = protocol;
  ip.ttl = 1;
  ip.options = ip_options;
  Bytes l4;
  if (protocol == 6) {
    test::TcpFields tcp;
    tcp.source_port = 40123;
    tcp.destination_port = 443;
    tcp.sequence = 0x01020304;
    tcp.flags = tcp_flags::kSyn;
    tcp.window = 1024;
    tcp.options = mss_option();
    l4 = test::tcp_segment(kScannerIp, kTargetIp, tcp);
  } else {
    l4 = test::udp_datagram(kScannerIp, kTargetIp, 40777, 161, Bytes(4, std::byte{0x30}));
  }
  Bytes packet = test::ipv4_header(ip, l4.size());
  test::append(packet, l4);
  return packet;
}

// ICMP error quoting the IPv4 header + the first `quoted_l4` bytes of a probe.
Bytes icmp_frame(unsigned type, unsigned code, const Bytes& probe, std::size_t quote_size) {
  const Bytes quote(probe.begin(), probe.begin() + static_cast<std::ptrdiff_t>(quote_size));
  test::Ipv4Fields ip = from_target(1);
  if (type == 11) ip.source = kRouterIp;
  return test::frame_of(ip, test::icmp_error(type, code, quote));
}

// `plain` with VLAN tags (TPID, VLAN 100) inserted before its ethertype.
Bytes with_vlan_tags(const Bytes& plain, std::initializer_list<unsigned> tpids) {
  Bytes frame(plain.begin(), plain.begin() + 12);
  for (const unsigned tpid : tpids) {
    test::append16(frame, tpid);
    test::append16(frame, 0x0064);
  }
  frame.insert(frame.end(), plain.begin() + 12, plain.end());
  return frame;
}

Bytes rst_ack_frame() {
  test::TcpFields tcp;
  tcp.source_port = 22;
  tcp.destination_port = 40001;
  tcp.acknowledgment = 0x11111112;
  tcp.flags = tcp_flags::kRst | tcp_flags::kAck;
  return test::frame_of(from_target(6, 64), test::tcp_segment(kTargetIp, kScannerIp, tcp));
}

// A SYN-ACK whose IPv4 header carries one 4-byte option word (IHL 6): router alert, RFC 2113.
Bytes syn_ack_with_ip_option_frame() {
  test::Ipv4Fields ip = from_target(6);
  ip.options = {std::byte{0x94}, std::byte{0x04}, std::byte{0x00}, std::byte{0x00}};
  test::TcpFields tcp;
  tcp.source_port = 8443;
  tcp.destination_port = 40321;
  tcp.sequence = 0x0BADF00D;
  tcp.acknowledgment = 0xFFFFFFFF;
  tcp.flags = tcp_flags::kSyn | tcp_flags::kAck;
  tcp.options = mss_option();
  return test::frame_of(ip, test::tcp_segment(kTargetIp, kScannerIp, tcp));
}

ParseStatus parse_copy(std::span<const std::byte> bytes, Reply& reply) {
  const Bytes exact(bytes.begin(), bytes.end());  // no slack after the end for a stray read
  return parse_ethernet_frame(exact, reply);
}

TEST(ReplyParser, SynAck) {
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(syn_ack_frame(), reply), ParseStatus::kOk);
  EXPECT_EQ(reply.source_ip, kTargetIp);
  EXPECT_EQ(reply.destination_ip, kScannerIp);
  EXPECT_EQ(reply.ttl, 51);
  EXPECT_EQ(reply.protocol, kProtocolTcp);
  EXPECT_EQ(reply.source_port, 443);
  EXPECT_EQ(reply.destination_port, 40123);
  EXPECT_EQ(reply.tcp_sequence, 0xA1B2C3D4u);
  EXPECT_EQ(reply.tcp_acknowledgment, 0x01020305u);
  EXPECT_EQ(reply.tcp_flags, tcp_flags::kSyn | tcp_flags::kAck);
  EXPECT_TRUE(reply.udp_payload.empty());
  EXPECT_EQ(reply.icmp_type, 0);
  EXPECT_EQ(reply.quote.source_ip, 0u);
}

TEST(ReplyParser, Rst) {
  test::TcpFields tcp;
  tcp.source_port = 22;
  tcp.destination_port = 40001;
  tcp.acknowledgment = 0x11111112;
  tcp.flags = tcp_flags::kRst | tcp_flags::kAck;
  const Bytes frame =
      test::frame_of(from_target(6, 64), test::tcp_segment(kTargetIp, kScannerIp, tcp));
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.tcp_flags, tcp_flags::kRst | tcp_flags::kAck);
  EXPECT_EQ(reply.tcp_acknowledgment, 0x11111112u);
  EXPECT_EQ(reply.source_port, 22);
  EXPECT_EQ(reply.destination_port, 40001);
  EXPECT_EQ(reply.ttl, 64);
}

TEST(ReplyParser, UdpPayloadView) {
  const Bytes payload = {std::byte{0xAB}, std::byte{0xCD}, std::byte{0xEF}};
  const Bytes frame = udp_frame(payload);
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.protocol, kProtocolUdp);
  EXPECT_EQ(reply.source_port, 53);
  EXPECT_EQ(reply.destination_port, 40777);
  EXPECT_EQ(Bytes(reply.udp_payload.begin(), reply.udp_payload.end()), payload);
  EXPECT_EQ(reply.udp_payload.data(), frame.data() + 42);  // a view into the frame
  EXPECT_EQ(reply.tcp_flags, 0);
}

TEST(ReplyParser, EthernetPaddingIsNotPayload) {
  Bytes frame = udp_frame({std::byte{0x01}});
  frame.resize(60, std::byte{0xEE});  // minimum Ethernet frame, padded
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
  ASSERT_EQ(reply.udp_payload.size(), 1u);
  EXPECT_EQ(reply.udp_payload[0], std::byte{0x01});
}

TEST(ReplyParser, UdpLengthBoundsThePayload) {
  Bytes frame = udp_frame(Bytes(10, std::byte{0x42}));
  test::set16(frame, 34 + 4, 8 + 4);  // UDP length says 4 payload bytes of the 10 present
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.udp_payload.size(), 4u);
  test::set16(frame, 34 + 4, 8 + 500);  // UDP length beyond the datagram: bounded by the data
  ASSERT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.udp_payload.size(), 10u);
  test::set16(frame, 34 + 4, 7);  // shorter than its own header
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kBadTotalLength);
}

TEST(ReplyParser, IcmpPortUnreachableQuotingUdp) {
  const Bytes probe = probe_packet(17);
  const Bytes frame = icmp_frame(3, 3, probe, 28);
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.protocol, kProtocolIcmp);
  EXPECT_EQ(reply.icmp_type, 3);
  EXPECT_EQ(reply.icmp_code, 3);
  EXPECT_EQ(reply.source_ip, kTargetIp);
  EXPECT_EQ(reply.quote.source_ip, kScannerIp);
  EXPECT_EQ(reply.quote.destination_ip, kTargetIp);
  EXPECT_EQ(reply.quote.protocol, kProtocolUdp);
  EXPECT_EQ(reply.quote.source_port, 40777);
  EXPECT_EQ(reply.quote.destination_port, 161);
  EXPECT_EQ(reply.quote.tcp_sequence, 0u);
  EXPECT_EQ(reply.source_port, 0);  // outer ports are meaningless for ICMP
}

TEST(ReplyParser, IcmpHostUnreachableQuotingTcpWithWholeProbe) {
  const Bytes probe = probe_packet(6);
  const Bytes frame = icmp_frame(3, 1, probe, probe.size());
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.icmp_code, 1);
  EXPECT_EQ(reply.quote.protocol, kProtocolTcp);
  EXPECT_EQ(reply.quote.source_port, 40123);
  EXPECT_EQ(reply.quote.destination_port, 443);
  EXPECT_EQ(reply.quote.tcp_sequence, 0x01020304u);
}

TEST(ReplyParser, IcmpTimeExceededFromARouter) {
  const Bytes frame = icmp_frame(11, 0, probe_packet(6), 28);
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.icmp_type, 11);
  EXPECT_EQ(reply.source_ip, kRouterIp);
  EXPECT_EQ(reply.quote.destination_ip, kTargetIp);
  EXPECT_EQ(reply.quote.tcp_sequence, 0x01020304u);
}

TEST(ReplyParser, QuoteWithIpOptionsUsesItsOwnHeaderLength) {
  const Bytes options = {std::byte{0x01}, std::byte{0x01}, std::byte{0x01}, std::byte{0x00}};
  const Bytes probe = probe_packet(6, options);
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(icmp_frame(3, 3, probe, 24 + 8), reply), ParseStatus::kOk);
  EXPECT_EQ(reply.quote.source_port, 40123);
  EXPECT_EQ(reply.quote.tcp_sequence, 0x01020304u);
  // 7 bytes of L4 after the 24-byte quoted header: one short of RFC 792's 64 bits.
  EXPECT_EQ(parse_ethernet_frame(icmp_frame(3, 3, probe, 24 + 7), reply), ParseStatus::kBadQuote);
}

TEST(ReplyParser, MalformedQuotes) {
  Reply reply;
  Bytes probe = probe_packet(6);
  probe[0] = std::byte{0x65};  // version 6 inside the quote
  EXPECT_EQ(parse_ethernet_frame(icmp_frame(3, 3, probe, 28), reply), ParseStatus::kBadQuote);
  probe = probe_packet(6);
  probe[0] = std::byte{0x44};  // quoted IHL 4
  EXPECT_EQ(parse_ethernet_frame(icmp_frame(3, 3, probe, 28), reply), ParseStatus::kBadQuote);
  probe = probe_packet(6);
  probe[0] = std::byte{0x4F};  // quoted IHL 15: 60 bytes of header that are not there
  EXPECT_EQ(parse_ethernet_frame(icmp_frame(3, 3, probe, 28), reply), ParseStatus::kBadQuote);
  probe = probe_packet(6);
  test::set16(probe, 6, 0x0001);  // a quoted non-first fragment has no ports
  EXPECT_EQ(parse_ethernet_frame(icmp_frame(3, 3, probe, 28), reply), ParseStatus::kBadQuote);
  EXPECT_EQ(parse_ethernet_frame(icmp_frame(3, 3, probe_packet(6), 19), reply),
            ParseStatus::kBadQuote);
}

TEST(ReplyParser, QuoteOfAnotherProtocolHasNoPorts) {
  Bytes probe = probe_packet(6);
  probe[9] = std::byte{47};  // GRE
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(icmp_frame(3, 2, probe, 28), reply), ParseStatus::kOk);
  EXPECT_EQ(reply.quote.protocol, 47);
  EXPECT_EQ(reply.quote.source_port, 0);
  EXPECT_EQ(reply.quote.tcp_sequence, 0u);
}

TEST(ReplyParser, OtherIcmpTypesAreUnsupported) {
  for (const unsigned type : {0u, 4u, 5u, 8u, 12u, 255u}) {
    Reply reply;
    EXPECT_EQ(parse_ethernet_frame(icmp_frame(type, 0, probe_packet(6), 28), reply),
              ParseStatus::kUnsupportedIcmp)
        << type;
  }
}

TEST(ReplyParser, VlanTags) {
  const Bytes plain = syn_ack_frame();
  const auto tagged = [&](std::initializer_list<unsigned> tpids) {
    Bytes frame(plain.begin(), plain.begin() + 12);
    for (const unsigned tpid : tpids) {
      test::append16(frame, tpid);
      test::append16(frame, 0x0064);  // VLAN 100
    }
    frame.insert(frame.end(), plain.begin() + 12, plain.end());
    return frame;
  };
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(tagged({0x8100}), reply), ParseStatus::kOk);
  EXPECT_EQ(reply.source_port, 443);
  ASSERT_EQ(parse_ethernet_frame(tagged({0x88A8, 0x8100}), reply), ParseStatus::kOk);
  EXPECT_EQ(reply.tcp_acknowledgment, 0x01020305u);
  ASSERT_EQ(parse_ethernet_frame(tagged({0x8100, 0x8100}), reply), ParseStatus::kOk);
  EXPECT_EQ(parse_ethernet_frame(tagged({0x88A8, 0x8100, 0x8100}), reply), ParseStatus::kNotIpv4);

  const Bytes double_tagged = tagged({0x88A8, 0x8100});
  for (std::size_t length = 0; length < 14 + 8 + 20 + 20; ++length) {
    EXPECT_NE(parse_copy(std::span(double_tagged).first(length), reply), ParseStatus::kOk)
        << length;
  }
}

TEST(ReplyParser, NotIpv4) {
  Reply reply;
  EXPECT_EQ(parse_ethernet_frame(test::ethernet_header(0x0806), reply), ParseStatus::kNotIpv4);
  Bytes ipv6 = syn_ack_frame();
  test::set16(ipv6, 12, 0x86DD);
  EXPECT_EQ(parse_ethernet_frame(ipv6, reply), ParseStatus::kNotIpv4);
  Bytes version6 = syn_ack_frame();
  version6[14] = std::byte{0x65};  // ethertype IPv4, version 6
  EXPECT_EQ(parse_ethernet_frame(version6, reply), ParseStatus::kNotIpv4);
}

TEST(ReplyParser, HeaderLength) {
  Reply reply;
  Bytes frame = syn_ack_frame();
  frame[14] = std::byte{0x44};  // IHL 4
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kBadHeaderLength);
  frame[14] = std::byte{0x40};  // IHL 0
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kBadHeaderLength);
  // IHL 15 claims 60 header bytes; the total length (64) covers them but the capture does not.
  frame = syn_ack_frame();
  frame[14] = std::byte{0x4F};
  Bytes short_capture(frame.begin(), frame.begin() + 14 + 40);
  EXPECT_EQ(parse_ethernet_frame(short_capture, reply), ParseStatus::kBadHeaderLength);
  // IHL 15 within the captured bytes, but the total length (44) is shorter than the header.
  frame.resize(14 + 64);
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kBadTotalLength);

  // IHL 15 that is true: 40 bytes of options (NOPs) and then a good TCP header.
  test::Ipv4Fields ip = from_target(6);
  ip.options = Bytes(40, std::byte{0x01});
  test::TcpFields tcp;
  tcp.source_port = 8080;
  tcp.flags = tcp_flags::kRst;
  const Bytes with_options = test::frame_of(ip, test::tcp_segment(kTargetIp, kScannerIp, tcp));
  ASSERT_EQ(parse_ethernet_frame(with_options, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.source_port, 8080);
  EXPECT_EQ(reply.tcp_flags, tcp_flags::kRst);
}

TEST(ReplyParser, TotalLength) {
  Reply reply;
  Bytes frame = syn_ack_frame();
  test::set16(frame, 16, 19);  // smaller than the header
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kBadTotalLength);
  test::set16(frame, 16, 0);
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kBadTotalLength);
  // Smaller than IPv4 + TCP header although the bytes are there: the TCP header is cut.
  test::set16(frame, 16, 30);
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kTruncated);
  // Larger than captured: a snaplen-cut capture looks the same; accepted, the headers are here.
  test::set16(frame, 16, 1500);
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.tcp_acknowledgment, 0x01020305u);
  // A TCP data offset beyond the datagram the IPv4 header claims is malformed.
  test::set16(frame, 16, 40);  // room for 20 TCP bytes; the data offset says 24
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kBadHeaderLength);
}

TEST(ReplyParser, TcpDataOffset) {
  Reply reply;
  Bytes frame = syn_ack_frame();
  frame[14 + 20 + 12] = std::byte{0x40};  // data offset 4
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kBadHeaderLength);
  frame[14 + 20 + 12] = std::byte{0xF0};  // 60 bytes of TCP header in a 24-byte segment
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kBadHeaderLength);
}

TEST(ReplyParser, Fragments) {
  Reply reply;
  Bytes frame = syn_ack_frame();
  test::set16(frame, 20, 0x0001);  // offset 8 bytes
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kFragment);
  test::set16(frame, 20, 0x1FFF);
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kFragment);
  test::set16(frame, 20, 0x2000);  // first fragment (MF): the TCP header is here
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
  test::set16(frame, 20, 0x4000);  // DF
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
}

TEST(ReplyParser, UnsupportedProtocol) {
  Bytes frame = syn_ack_frame();
  frame[14 + 9] = std::byte{47};
  Reply reply;
  EXPECT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kUnsupportedProtocol);
}

// Every prefix of a valid frame: never a crash; not kOk while a needed header is missing; kOk
// once the headers are complete (the rest may be cut by the snaplen).
void expect_every_prefix(const Bytes& frame, std::size_t needed) {
  for (std::size_t length = 0; length <= frame.size(); ++length) {
    Reply reply;
    const ParseStatus status = parse_copy(std::span(frame).first(length), reply);
    if (length < needed) {
      EXPECT_NE(status, ParseStatus::kOk) << "length " << length;
    } else {
      EXPECT_EQ(status, ParseStatus::kOk) << "length " << length;
    }
  }
}

TEST(ReplyParser, EveryTruncation) {
  expect_every_prefix(syn_ack_frame(), 14 + 20 + 20);
  expect_every_prefix(udp_frame(Bytes(12, std::byte{0x77})), 14 + 20 + 8);
  expect_every_prefix(icmp_frame(3, 3, probe_packet(17), 28), 14 + 20 + 8 + 20 + 8);
  expect_every_prefix(icmp_frame(11, 0, probe_packet(6), 44), 14 + 20 + 8 + 20 + 8);
}

TEST(ReplyParser, IcmpAdminProhibitedQuotingTcp) {
  // RFC 792 minimum quote: the 20-byte header and exactly 8 bytes (ports and sequence).
  const Bytes frame = icmp_frame(3, 13, probe_packet(6), 28);
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.protocol, kProtocolIcmp);
  EXPECT_EQ(reply.icmp_type, 3);
  EXPECT_EQ(reply.icmp_code, 13);
  EXPECT_EQ(reply.source_ip, kTargetIp);
  EXPECT_EQ(reply.destination_ip, kScannerIp);
  EXPECT_EQ(reply.ttl, 51);
  EXPECT_EQ(reply.quote.source_ip, kScannerIp);
  EXPECT_EQ(reply.quote.destination_ip, kTargetIp);
  EXPECT_EQ(reply.quote.protocol, kProtocolTcp);
  EXPECT_EQ(reply.quote.source_port, 40123);
  EXPECT_EQ(reply.quote.destination_port, 443);
  EXPECT_EQ(reply.quote.tcp_sequence, 0x01020304u);
  EXPECT_EQ(reply.tcp_flags, 0);
  EXPECT_TRUE(reply.udp_payload.empty());
}

TEST(ReplyParser, OuterIpv4OptionsIhl6) {
  const Bytes frame = syn_ack_with_ip_option_frame();
  ASSERT_EQ(std::to_integer<unsigned>(frame[14]), 0x46u);
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.source_port, 8443);
  EXPECT_EQ(reply.destination_port, 40321);
  EXPECT_EQ(reply.tcp_sequence, 0x0BADF00Du);
  EXPECT_EQ(reply.tcp_acknowledgment, 0xFFFFFFFFu);
  EXPECT_EQ(reply.tcp_flags, tcp_flags::kSyn | tcp_flags::kAck);
}

TEST(ReplyParser, QinQUdp) {
  const Bytes payload = {std::byte{0x11}, std::byte{0x22}};
  const Bytes frame = with_vlan_tags(udp_frame(payload), {0x88A8, 0x8100});
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.protocol, kProtocolUdp);
  EXPECT_EQ(reply.source_port, 53);
  EXPECT_EQ(reply.destination_port, 40777);
  EXPECT_EQ(Bytes(reply.udp_payload.begin(), reply.udp_payload.end()), payload);
}

TEST(ReplyParser, QuoteShorterThanItsHeaderPlusEightBytes) {
  Reply reply;
  Bytes probe = probe_packet(17);
  probe[0] = std::byte{0x43};  // quoted IHL 3
  EXPECT_EQ(parse_ethernet_frame(icmp_frame(3, 3, probe, 28), reply), ParseStatus::kBadQuote);
  for (std::size_t quote_size = 0; quote_size < 28; ++quote_size) {
    EXPECT_EQ(parse_copy(icmp_frame(3, 3, probe_packet(17), quote_size), reply),
              ParseStatus::kBadQuote)
        << quote_size;
  }
  EXPECT_EQ(parse_copy(icmp_frame(3, 3, probe_packet(17), 28), reply), ParseStatus::kOk);
}

// Every prefix of every valid frame kind (and of the bare IPv4 packet inside it).
TEST(ReplyParser, EveryTruncationOfEveryFrameKind) {
  const Bytes udp = udp_frame(Bytes(5, std::byte{0x99}));
  expect_every_prefix(rst_ack_frame(), 14 + 20 + 20);
  expect_every_prefix(syn_ack_with_ip_option_frame(), 14 + 24 + 20);
  expect_every_prefix(with_vlan_tags(syn_ack_frame(), {0x8100}), 14 + 4 + 20 + 20);
  expect_every_prefix(with_vlan_tags(udp, {0x88A8, 0x8100}), 14 + 8 + 20 + 8);
  expect_every_prefix(icmp_frame(3, 13, probe_packet(6), 28), 14 + 20 + 8 + 20 + 8);
  expect_every_prefix(icmp_frame(3, 3, probe_packet(17, Bytes(8, std::byte{0x01})), 28 + 8),
                      14 + 20 + 8 + 28 + 8);
  for (const Bytes& frame : {syn_ack_frame(), udp, icmp_frame(11, 0, probe_packet(6), 28)}) {
    const Bytes packet(frame.begin() + 14, frame.end());
    Reply reply;
    const std::size_t l4_needed = std::to_integer<unsigned>(packet[9]) == 6    ? 20
                                  : std::to_integer<unsigned>(packet[9]) == 17 ? 8
                                                                               : 8 + 28;
    for (std::size_t length = 0; length <= packet.size(); ++length) {
      const Bytes exact(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(length));
      const ParseStatus status = parse_ipv4_packet(exact, reply);
      EXPECT_EQ(status == ParseStatus::kOk, length >= 20 + l4_needed) << "length " << length;
    }
  }
}

TEST(ReplyParser, EveryStatusHasItsName) {
  const std::pair<ParseStatus, const char*> names[] = {
      {ParseStatus::kOk, "ok"},
      {ParseStatus::kTruncated, "truncated"},
      {ParseStatus::kNotIp, "not-ip"},
      {ParseStatus::kBadHeaderLength, "bad-header-length"},
      {ParseStatus::kBadTotalLength, "bad-total-length"},
      {ParseStatus::kFragment, "fragment"},
      {ParseStatus::kUnsupportedProtocol, "unsupported-protocol"},
      {ParseStatus::kUnsupportedIcmp, "unsupported-icmp"},
      {ParseStatus::kBadQuote, "bad-quote"},
      {ParseStatus::kTooManyExtensionHeaders, "too-many-extension-headers"},
  };
  static_assert(std::size(names) == kParseStatusCount);
  for (const auto& [status, name] : names) EXPECT_STREQ(to_string(status), name);
  // A value outside the enumeration still gets a printable name.
  EXPECT_STREQ(to_string(static_cast<ParseStatus>(kParseStatusCount)), "unknown");
}

TEST(ReplyParser, TruncatedUdpPayloadIsBoundedByTheCapture) {
  const Bytes frame = udp_frame(Bytes(12, std::byte{0x77}));
  const Bytes cut(frame.begin(), frame.begin() + 14 + 20 + 8 + 5);
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(cut, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.udp_payload.size(), 5u);
}

TEST(ReplyParser, BareIpv4Packet) {
  const Bytes frame = syn_ack_frame();
  Reply reply;
  ASSERT_EQ(parse_ipv4_packet(std::span(frame).subspan(14), reply), ParseStatus::kOk);
  EXPECT_EQ(reply.source_port, 443);
}

TEST(ReplyParser, ResultIsResetBetweenParses) {
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(icmp_frame(3, 3, probe_packet(6), 28), reply), ParseStatus::kOk);
  ASSERT_EQ(parse_ethernet_frame(udp_frame({}), reply), ParseStatus::kOk);
  EXPECT_EQ(reply.quote.source_ip, 0u);
  EXPECT_EQ(reply.icmp_type, 0);
  EXPECT_EQ(parse_ethernet_frame(Bytes(5), reply), ParseStatus::kTruncated);
  EXPECT_EQ(reply.source_port, 0);
}

TEST(ReplyParser, StatusNames) {
  std::set<std::string> names;
  for (std::size_t value = 0; value < kParseStatusCount; ++value) {
    const char* name = to_string(static_cast<ParseStatus>(value));
    ASSERT_NE(name, nullptr);
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kParseStatusCount);
  EXPECT_EQ(names.count("unknown"), 0u);
  EXPECT_STREQ(to_string(ParseStatus::kOk), "ok");
}

// The parser fuzzer's seed frames (tests/data/fuzz/parser_fuzzer) parse as their names say.
TEST(ReplyParser, FuzzSeedCorpus) {
  const std::map<std::string, ParseStatus> expected = {
      {"syn_ack", ParseStatus::kOk},
      {"rst_ack", ParseStatus::kOk},
      {"udp_dns_reply", ParseStatus::kOk},
      {"icmp_port_unreachable_udp", ParseStatus::kOk},
      {"icmp_time_exceeded_tcp", ParseStatus::kOk},
      {"icmp_admin_prohibited_quote_with_options", ParseStatus::kOk},
      {"vlan_syn_ack", ParseStatus::kOk},
      {"qinq_udp", ParseStatus::kOk},
      {"fragment", ParseStatus::kFragment},
      {"arp_request", ParseStatus::kNotIpv4},
      {"syn_ack_snaplen_cut", ParseStatus::kOk},
      {"padded_rst", ParseStatus::kOk},
  };
  const std::filesystem::path directory =
      std::filesystem::path(SYNSCAN_TEST_DATA_DIR) / "fuzz" / "parser_fuzzer";
  std::size_t checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    const auto found = expected.find(entry.path().stem().string());
    if (found == expected.end()) continue;
    std::ifstream file(entry.path(), std::ios::binary);
    const std::vector<char> contents((std::istreambuf_iterator<char>(file)),
                                     std::istreambuf_iterator<char>());
    Bytes frame(contents.size());
    for (std::size_t index = 0; index < contents.size(); ++index) {
      frame[index] = std::byte(static_cast<unsigned char>(contents[index]));
    }
    Reply reply;
    EXPECT_EQ(parse_ethernet_frame(frame, reply), found->second) << entry.path();
    ++checked;
  }
  EXPECT_EQ(checked, expected.size());
}

}  // namespace
}  // namespace synscan::packet
