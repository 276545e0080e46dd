// The IPv6 reply parser: replies assembled independently (test_frames.hpp) on every link type,
// extension-header chains (skipped, bounded, lying), ICMPv6 errors with their quotes, the ICMPv6
// types that must never count as answers (Packet Too Big, NDP, echo), every truncation, and the
// round trip template -> reply -> cookie.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <tuple>
#include <vector>

#include "packet/cookie.hpp"
#include "packet/probe_template.hpp"
#include "packet/reply.hpp"
#include "test_frames.hpp"

namespace synscan::packet {
namespace {

using test::Address6;
using test::Bytes;

const Address6 kScanner = test::address6({0x2001, 2, 0, 1, 0, 0, 0, 1});
const Address6 kTarget = test::address6({0x2001, 2, 0, 0, 0, 0, 0xab, 0x10});
const Address6 kRouter = test::address6({0x2001, 2, 0, 1, 0, 0, 0, 0xfe});

constexpr unsigned kHopByHop = 0, kRouting = 43, kFragment = 44, kDestinationOptions = 60,
                   kAuthentication = 51, kEsp = 50, kNoNextHeader = 59, kIcmpv6 = 58;

Bytes syn_ack_segment(const Address6& source = kTarget, const Address6& destination = kScanner) {
  return test::tcp_segment6(
      source, destination,
      {.source_port = 443,
       .destination_port = 40001,
       .sequence = 0x11223344,
       .acknowledgment = 0x55667789,
       .flags = tcp_flags::kSyn | tcp_flags::kAck,
       .window = 64240,
       .options = {std::byte{2}, std::byte{4}, std::byte{5}, std::byte{0xb4}}});
}

// A generic extension header (8-byte units) of `length` bytes (a multiple of 8, >= 8).
Bytes extension(unsigned next_header, std::size_t length) {
  Bytes bytes;
  test::append8(bytes, next_header);
  test::append8(bytes, static_cast<unsigned>(length / 8 - 1));
  bytes.resize(length, std::byte{0x01});  // PadN-ish filler; the parser never reads options
  return bytes;
}

Bytes fragment_header(unsigned next_header, unsigned offset_units, bool more) {
  Bytes bytes;
  test::append8(bytes, next_header);
  test::append8(bytes, 0);
  test::append16(bytes, offset_units << 3 | (more ? 1u : 0u));
  test::append32(bytes, 0xABCD0123);  // identification
  return bytes;
}

// IPv6 packet (no link header): fixed header with `first_next_header`, then `payload`.
Bytes ipv6_packet(unsigned first_next_header, const Bytes& payload,
                  const Address6& source = kTarget, const Address6& destination = kScanner,
                  unsigned hop_limit = 61) {
  Bytes packet = test::ipv6_header({.source = source,
                                    .destination = destination,
                                    .next_header = first_next_header,
                                    .hop_limit = hop_limit},
                                   payload.size());
  test::append(packet, payload);
  return packet;
}

Bytes on_ethernet(const Bytes& packet) {
  Bytes frame = test::ethernet_header(0x86DD);
  test::append(frame, packet);
  return frame;
}

void expect_syn_ack(const Reply& reply) {
  EXPECT_EQ(reply.ip_version, 6);
  EXPECT_EQ(reply.source_ipv6, kTarget);
  EXPECT_EQ(reply.destination_ipv6, kScanner);
  EXPECT_EQ(reply.source_ip, 0u);
  EXPECT_EQ(reply.destination_ip, 0u);
  EXPECT_EQ(reply.ttl, 61);
  EXPECT_EQ(reply.protocol, kProtocolTcp);
  EXPECT_EQ(reply.source_port, 443);
  EXPECT_EQ(reply.destination_port, 40001);
  EXPECT_EQ(reply.tcp_sequence, 0x11223344u);
  EXPECT_EQ(reply.tcp_acknowledgment, 0x55667789u);
  EXPECT_EQ(reply.tcp_flags, tcp_flags::kSyn | tcp_flags::kAck);
}

TEST(Ipv6Reply, SynAckOnEveryLinkType) {
  const Bytes packet = ipv6_packet(6, syn_ack_segment());
  Bytes cooked = test::ethernet_header(0);  // 14 bytes of SLL header before the protocol
  cooked.resize(14);
  test::append16(cooked, 0x86DD);
  test::append(cooked, packet);
  Bytes cooked2;
  test::append16(cooked2, 0x86DD);
  cooked2.resize(20, std::byte{0});
  test::append(cooked2, packet);
  Bytes tagged = test::ethernet_header(0x8100);
  test::append16(tagged, 0x0005);  // VLAN 5
  test::append16(tagged, 0x86DD);
  test::append(tagged, packet);
  const std::pair<LinkType, Bytes> cases[] = {{LinkType::kEthernet, on_ethernet(packet)},
                                              {LinkType::kEthernet, tagged},
                                              {LinkType::kRawIp, packet},
                                              {LinkType::kLinuxCooked, cooked},
                                              {LinkType::kLinuxCooked2, cooked2}};
  for (const auto& [link, frame] : cases) {
    Reply reply;
    ASSERT_EQ(parse_captured_frame(link, frame, reply), ParseStatus::kOk) << to_string(link);
    expect_syn_ack(reply);
  }
  Reply reply;
  ASSERT_EQ(parse_ipv6_packet(packet, reply), ParseStatus::kOk);
  expect_syn_ack(reply);
}

TEST(Ipv6Reply, IpVersionMustMatchTheLinkHeader) {
  Bytes packet = ipv6_packet(6, syn_ack_segment());
  packet[0] = std::byte{0x40};  // says IPv4 behind an IPv6 ethertype
  Reply reply;
  EXPECT_EQ(parse_ethernet_frame(on_ethernet(packet), reply), ParseStatus::kNotIp);
  EXPECT_EQ(parse_ipv6_packet(packet, reply), ParseStatus::kNotIp);
}

TEST(Ipv6Reply, UdpPayloadIsCutToThePayloadLength) {
  const Bytes payload = {std::byte{0xca}, std::byte{0xfe}, std::byte{0x00}};
  Bytes frame =
      on_ethernet(ipv6_packet(17, test::udp_datagram6(kTarget, kScanner, 53, 40002, payload)));
  test::append(frame, {0xEE, 0xEE, 0xEE, 0xEE});  // trailer beyond the payload length
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
  EXPECT_EQ(reply.protocol, kProtocolUdp);
  EXPECT_EQ(reply.source_port, 53);
  EXPECT_EQ(reply.destination_port, 40002);
  EXPECT_EQ(Bytes(reply.udp_payload.begin(), reply.udp_payload.end()), payload);
}

TEST(Ipv6Reply, ExtensionHeadersAreSkipped) {
  // hop-by-hop (8) -> destination options (16) -> routing (24) -> fragment (first, M=1) ->
  // AH (12 bytes: length field 1) -> TCP.
  Bytes chain = extension(kDestinationOptions, 8);
  test::append(chain, extension(kRouting, 16));
  test::append(chain, extension(kFragment, 24));
  test::append(chain, fragment_header(kAuthentication, 0, true));
  Bytes ah;
  test::append8(ah, 6);
  test::append8(ah, 1);  // (1 + 2) * 4 = 12 bytes
  ah.resize(12, std::byte{0x02});
  test::append(chain, ah);
  test::append(chain, syn_ack_segment());
  Reply reply;
  ASSERT_EQ(parse_ipv6_packet(ipv6_packet(kHopByHop, chain), reply), ParseStatus::kOk);
  expect_syn_ack(reply);
}

TEST(Ipv6Reply, NonFirstFragmentHasNoUpperLayerHeader) {
  Bytes chain = fragment_header(6, 185, false);
  test::append(chain, syn_ack_segment());
  Reply reply;
  EXPECT_EQ(parse_ipv6_packet(ipv6_packet(kFragment, chain), reply), ParseStatus::kFragment);
  // Only the fragment header itself is needed to know.
  EXPECT_EQ(parse_ipv6_packet(ipv6_packet(kFragment, fragment_header(6, 1, true)), reply),
            ParseStatus::kFragment);
}

TEST(Ipv6Reply, ChainLengthIsBounded) {
  const auto chain_of = [](std::size_t headers) {
    Bytes chain;
    for (std::size_t index = 0; index < headers; ++index) {
      test::append(chain, extension(index + 1 < headers ? kDestinationOptions : 6, 8));
    }
    test::append(chain, syn_ack_segment());
    return chain;
  };
  Reply reply;
  ASSERT_EQ(parse_ipv6_packet(ipv6_packet(kDestinationOptions, chain_of(kMaximumExtensionHeaders)),
                              reply),
            ParseStatus::kOk);
  expect_syn_ack(reply);
  EXPECT_EQ(parse_ipv6_packet(
                ipv6_packet(kDestinationOptions, chain_of(kMaximumExtensionHeaders + 1)), reply),
            ParseStatus::kTooManyExtensionHeaders);
}

TEST(Ipv6Reply, UnparseableNextHeaders) {
  Reply reply;
  EXPECT_EQ(parse_ipv6_packet(ipv6_packet(kEsp, Bytes(32, std::byte{7})), reply),
            ParseStatus::kUnsupportedProtocol);
  EXPECT_EQ(parse_ipv6_packet(ipv6_packet(kNoNextHeader, {}), reply),
            ParseStatus::kUnsupportedProtocol);
  EXPECT_EQ(parse_ipv6_packet(ipv6_packet(1, Bytes(16, std::byte{0})), reply),
            ParseStatus::kUnsupportedProtocol);  // ICMPv4 is not IPv6's ICMP
}

TEST(Ipv6Reply, ExtensionHeaderLongerThanThePayloadLengthIsMalformed) {
  Bytes chain = extension(6, 8);
  chain[1] = std::byte{200};  // claims 1608 bytes
  test::append(chain, syn_ack_segment());
  Reply reply;
  EXPECT_EQ(parse_ipv6_packet(ipv6_packet(kHopByHop, chain), reply), ParseStatus::kBadHeaderLength);
  // A fragment header cut by the payload length.
  Bytes packet = ipv6_packet(kFragment, fragment_header(6, 0, false));
  test::set16(packet, 4, 4);
  EXPECT_EQ(parse_ipv6_packet(packet, reply), ParseStatus::kBadHeaderLength);
  // A TCP data offset beyond the payload length.
  Bytes segment = syn_ack_segment();
  segment[12] = std::byte{0xF0};  // 60 bytes
  EXPECT_EQ(parse_ipv6_packet(ipv6_packet(6, segment), reply), ParseStatus::kBadHeaderLength);
}

// Every prefix of a valid packet with a chain: kOk once everything needed is there, kTruncated
// before (the payload length then exceeds the capture, which is how a short snaplen looks).
TEST(Ipv6Reply, EveryTruncationIsTruncated) {
  Bytes chain = extension(kFragment, 16);
  test::append(chain, fragment_header(6, 0, true));
  test::append(chain, syn_ack_segment());
  const Bytes frame = on_ethernet(ipv6_packet(kDestinationOptions, chain));
  const std::size_t needed = 14 + 40 + 16 + 8 + 20;
  for (std::size_t size = 0; size <= frame.size(); ++size) {
    Reply reply;
    const ParseStatus status =
        parse_ethernet_frame(std::span<const std::byte>(frame).first(size), reply);
    if (size >= needed) {
      EXPECT_EQ(status, ParseStatus::kOk) << size;
    } else {
      EXPECT_EQ(status, ParseStatus::kTruncated) << size;
    }
  }
}

Bytes icmpv6_error(unsigned type, unsigned code, const Bytes& quoted_packet,
                   const Address6& from = kRouter) {
  return ipv6_packet(kIcmpv6, test::icmpv6_message(from, kScanner, type, code, 0, quoted_packet),
                     from);
}

// The probe as a router quotes it: our IPv6 header + the start of the L4 header.
Bytes quoted_udp_probe(std::size_t l4_bytes = 8) {
  Bytes datagram = test::udp_datagram6(kScanner, kTarget, 40003, 161, Bytes(20, std::byte{0x30}));
  datagram.resize(l4_bytes);
  Bytes packet = ipv6_packet(17, datagram, kScanner, kTarget, 64);
  test::set16(packet, 4, 28);  // the original payload length, not the quote's
  return packet;
}

TEST(Ipv6Reply, DestinationUnreachableQuotesTheProbe) {
  for (unsigned code = 0; code <= 7; ++code) {
    Reply reply;
    ASSERT_EQ(parse_ipv6_packet(icmpv6_error(1, code, quoted_udp_probe()), reply),
              ParseStatus::kOk);
    EXPECT_EQ(reply.ip_version, 6);
    EXPECT_EQ(reply.protocol, kProtocolIcmpv6);
    EXPECT_EQ(reply.icmp_type, 1);
    EXPECT_EQ(reply.icmp_code, code);
    EXPECT_EQ(reply.source_ipv6, kRouter);
    EXPECT_EQ(reply.quote.protocol, kProtocolUdp);
    EXPECT_EQ(reply.quote.source_ipv6, kScanner);
    EXPECT_EQ(reply.quote.destination_ipv6, kTarget);
    EXPECT_EQ(reply.quote.source_port, 40003);
    EXPECT_EQ(reply.quote.destination_port, 161);
  }
}

TEST(Ipv6Reply, TimeExceededQuotingTcpWithExtensionHeaders) {
  Bytes quoted_l4 = test::tcp_segment6(kScanner, kTarget,
                                       {.source_port = 40004,
                                        .destination_port = 22,
                                        .sequence = 0xDEADBEEF,
                                        .flags = tcp_flags::kSyn});
  quoted_l4.resize(8);
  Bytes chain = extension(kFragment, 8);
  test::append(chain, fragment_header(6, 0, true));
  test::append(chain, quoted_l4);
  Reply reply;
  ASSERT_EQ(parse_ipv6_packet(
                icmpv6_error(3, 0, ipv6_packet(kHopByHop, chain, kScanner, kTarget, 1)), reply),
            ParseStatus::kOk);
  EXPECT_EQ(reply.icmp_type, 3);
  EXPECT_EQ(reply.quote.protocol, kProtocolTcp);
  EXPECT_EQ(reply.quote.source_port, 40004);
  EXPECT_EQ(reply.quote.destination_port, 22);
  EXPECT_EQ(reply.quote.tcp_sequence, 0xDEADBEEFu);
}

TEST(Ipv6Reply, MalformedQuotesAreBadQuotes) {
  Reply reply;
  EXPECT_EQ(parse_ipv6_packet(icmpv6_error(1, 4, quoted_udp_probe(7)), reply),
            ParseStatus::kBadQuote);  // 7 bytes of L4
  Bytes short_header = quoted_udp_probe();
  short_header.resize(39);
  EXPECT_EQ(parse_ipv6_packet(icmpv6_error(1, 4, short_header), reply), ParseStatus::kBadQuote);
  Bytes ipv4_inside = quoted_udp_probe();
  ipv4_inside[0] = std::byte{0x45};
  EXPECT_EQ(parse_ipv6_packet(icmpv6_error(1, 4, ipv4_inside), reply), ParseStatus::kBadQuote);
  Bytes fragment = fragment_header(17, 3, false);
  test::append(fragment, Bytes(8, std::byte{0}));
  EXPECT_EQ(parse_ipv6_packet(
                icmpv6_error(1, 4, ipv6_packet(kFragment, fragment, kScanner, kTarget)), reply),
            ParseStatus::kBadQuote);
  Bytes lying_chain = extension(17, 8);
  lying_chain[1] = std::byte{3};  // 32 bytes, the quote has 16
  test::append(lying_chain, Bytes(8, std::byte{0}));
  EXPECT_EQ(parse_ipv6_packet(
                icmpv6_error(1, 4, ipv6_packet(kHopByHop, lying_chain, kScanner, kTarget)), reply),
            ParseStatus::kBadQuote);
}

// Packet Too Big, parameter problem, echo and every NDP message: never an answer, even when the
// body looks exactly like a quote of our probe.
TEST(Ipv6Reply, OtherIcmpv6TypesAreNeverAnswers) {
  for (const unsigned type : {2u, 4u, 128u, 129u, 133u, 134u, 135u, 136u, 137u, 0u, 127u, 255u}) {
    Reply reply;
    EXPECT_EQ(parse_ipv6_packet(icmpv6_error(type, 0, quoted_udp_probe()), reply),
              ParseStatus::kUnsupportedIcmp)
        << type;
    EXPECT_EQ(reply.icmp_type, type);
  }
  Reply reply;
  EXPECT_EQ(parse_ipv6_packet(ipv6_packet(kIcmpv6, Bytes(7, std::byte{1})), reply),
            ParseStatus::kTruncated);
}

TEST(Ipv6Reply, ShortAndEmptyInputs) {
  Reply reply;
  EXPECT_EQ(parse_captured_frame(LinkType::kRawIp, {}, reply), ParseStatus::kTruncated);
  const Bytes packet = ipv6_packet(6, syn_ack_segment());
  for (std::size_t size = 1; size < 40; ++size) {
    EXPECT_EQ(parse_captured_frame(LinkType::kRawIp, std::span(packet).first(size), reply),
              ParseStatus::kTruncated)
        << size;
  }
}

// Template -> a reply built from the probe's own bytes -> parser -> cookie.
TEST(Ipv6Reply, TemplateReplyAndCookieRoundTrip) {
  FrameAddressing addressing;
  addressing.source_ipv6 = kScanner;
  addressing.ttl = 64;
  const Cookie cookie(SipKey{3, 4}, 0xC6130001, SourcePortRange{}, kScanner);
  const Ipv6TcpSynTemplate syn(addressing, TcpSynOptions{});
  const ProbeCookie probe = cookie.probe(kTarget, 22);
  Bytes sent(syn.size());
  syn.write(sent.data(), kTarget, probe.source_port, 22, probe.sequence);

  Reply parsed;
  ASSERT_EQ(parse_ethernet_frame(sent, parsed), ParseStatus::kOk);
  EXPECT_EQ(parsed.source_ipv6, kScanner);
  EXPECT_EQ(parsed.destination_ipv6, kTarget);
  EXPECT_EQ(parsed.destination_port, 22);
  EXPECT_EQ(parsed.tcp_sequence, probe.sequence);
  EXPECT_EQ(parsed.tcp_flags, tcp_flags::kSyn);

  const Bytes answer =
      ipv6_packet(6, test::tcp_segment6(kTarget, kScanner,
                                        {.source_port = 22,
                                         .destination_port = probe.source_port,
                                         .sequence = 7,
                                         .acknowledgment = probe.sequence + 1,
                                         .flags = tcp_flags::kSyn | tcp_flags::kAck}));
  Reply reply;
  ASSERT_EQ(parse_ipv6_packet(answer, reply), ParseStatus::kOk);
  EXPECT_EQ(cookie.validate_syn_ack(reply), Validation::kValid);

  // A router's error quoting the probe's IPv6 header and the first 8 bytes of its TCP header.
  const Bytes quote(sent.begin() + 14, sent.begin() + 14 + 40 + 8);
  ASSERT_EQ(parse_ipv6_packet(icmpv6_error(1, 1, quote), reply), ParseStatus::kOk);
  EXPECT_EQ(cookie.validate_icmp_quote(reply), Validation::kValid);
  // Packet Too Big quoting the same probe does not even parse as an answer.
  EXPECT_EQ(parse_ipv6_packet(icmpv6_error(2, 0, quote), reply), ParseStatus::kUnsupportedIcmp);
}

Bytes read_seed(const std::string& name) {
  std::ifstream file(std::string(SYNSCAN_TEST_DATA_DIR) + "/fuzz/parser_fuzzer/" + name,
                     std::ios::binary);
  const std::vector<char> chars{std::istreambuf_iterator<char>(file), {}};
  Bytes bytes;
  for (const char value : chars) bytes.push_back(static_cast<std::byte>(value));
  return bytes;
}

// The IPv6 seeds of the parser fuzzer's corpus reach the paths they are named after.
TEST(Ipv6Reply, FuzzSeedsReachTheirPaths) {
  const std::tuple<const char*, LinkType, ParseStatus> seeds[] = {
      {"ipv6_syn_ack.bin", LinkType::kEthernet, ParseStatus::kOk},
      {"ipv6_icmpv6_port_unreachable_udp.bin", LinkType::kEthernet, ParseStatus::kOk},
      {"ipv6_icmpv6_time_exceeded_tcp_hop_by_hop.bin", LinkType::kEthernet, ParseStatus::kOk},
      {"ipv6_icmpv6_packet_too_big.bin", LinkType::kEthernet, ParseStatus::kUnsupportedIcmp},
      {"ipv6_neighbor_advertisement.bin", LinkType::kEthernet, ParseStatus::kUnsupportedIcmp},
      {"ipv6_fragment_non_first.bin", LinkType::kEthernet, ParseStatus::kFragment},
      {"ipv6_too_many_extension_headers.bin", LinkType::kEthernet,
       ParseStatus::kTooManyExtensionHeaders},
      {"ipv6_raw_rst_extension_headers.bin", LinkType::kRawIp, ParseStatus::kOk},
      {"ipv6_linux_cooked_udp.bin", LinkType::kLinuxCooked, ParseStatus::kOk},
  };
  for (const auto& [name, link, status] : seeds) {
    const Bytes frame = read_seed(name);
    ASSERT_FALSE(frame.empty()) << name;
    Reply reply;
    EXPECT_EQ(parse_captured_frame(link, frame, reply), status) << name;
    EXPECT_EQ(reply.ip_version, 6) << name;
  }
}

}  // namespace
}  // namespace synscan::packet
