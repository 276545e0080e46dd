// IPv6 probe templates: write() output compared byte for byte with frames assembled independently
// in test_frames.hpp (on an Ethernet link and on a bare-IP link), for ordinary and edge values,
// every L4 checksum recomputed over the IPv6 pseudo-header by the test's reference routine, and
// one literal golden frame per template written out by hand.
#include <gtest/gtest.h>

#include <random>
#include <tuple>

#include "packet/checksum.hpp"
#include "packet/probe_template.hpp"
#include "packet/reply.hpp"
#include "test_frames.hpp"

namespace synscan::packet {
namespace {

using test::Address6;
using test::Bytes;

const Address6 kScanner = test::address6({0x2001, 2, 0, 0, 0, 0, 0, 5});

FrameAddressing addressing(LinkHeader link = LinkHeader::kEthernet) {
  FrameAddressing result;
  result.source_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  result.destination_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
  result.source_ip = 0xC0A80A05;  // ignored by the IPv6 templates
  result.source_ipv6 = kScanner;
  result.ttl = 57;
  result.link_header = link;
  return result;
}

// The Ethernet header the templates put first, or nothing on a bare-IP link.
Bytes link_prefix(LinkHeader link) {
  return link == LinkHeader::kEthernet ? test::ethernet_header(0x86DD) : Bytes{};
}

Bytes expected_syn6(LinkHeader link, const Address6& destination, std::uint16_t source_port,
                    std::uint16_t destination_port, std::uint32_t sequence,
                    const TcpSynOptions& options) {
  const test::TcpFields tcp{.source_port = source_port,
                            .destination_port = destination_port,
                            .sequence = sequence,
                            .acknowledgment = 0,
                            .flags = tcp_flags::kSyn,
                            .window = options.window,
                            .options = {std::byte{2}, std::byte{4}, std::byte(options.mss >> 8),
                                        std::byte(options.mss & 0xFF)}};
  const Bytes segment = test::tcp_segment6(kScanner, destination, tcp);
  Bytes frame = link_prefix(link);
  test::append(
      frame,
      test::ipv6_header(
          {.source = kScanner, .destination = destination, .next_header = 6, .hop_limit = 57},
          segment.size()));
  test::append(frame, segment);
  return frame;
}

Bytes expected_udp6(LinkHeader link, const Address6& destination, std::uint16_t source_port,
                    std::uint16_t destination_port, std::span<const std::byte> payload) {
  const Bytes datagram =
      test::udp_datagram6(kScanner, destination, source_port, destination_port, payload);
  Bytes frame = link_prefix(link);
  test::append(
      frame,
      test::ipv6_header(
          {.source = kScanner, .destination = destination, .next_header = 17, .hop_limit = 57},
          datagram.size()));
  test::append(frame, datagram);
  return frame;
}

// The L4 checksum recomputed from scratch, plus the library's own verifier.
void expect_checksum_valid(std::span<const std::byte> frame, std::size_t ip_offset) {
  const auto ip = frame.subspan(ip_offset);
  Address6 source{}, destination{};
  std::copy_n(ip.begin() + 8, 16, source.begin());
  std::copy_n(ip.begin() + 24, 16, destination.begin());
  const unsigned next_header = std::to_integer<unsigned>(ip[6]);
  const auto l4 = ip.subspan(40, test::get16(ip, 4));
  EXPECT_EQ(test::reference_checksum(
                l4, test::pseudo_header_sum6(source, destination, next_header, l4.size())),
            0)
      << "L4 checksum";
  if (next_header == 17) {
    EXPECT_NE(test::get16(l4, 6), 0u) << "UDP checksum 0 is not allowed";
  }
  EXPECT_TRUE(ipv6_checksums_valid(ip));
}

using Case6 = std::tuple<Address6, std::uint16_t, std::uint16_t, std::uint32_t>;

std::vector<Case6> edge_cases() {
  Address6 all_ones;
  all_ones.fill(std::byte{0xFF});
  return {
      {test::address6({0x2001, 2, 0, 0, 0, 0, 0, 1}), 40000, 80, 0x12345678},
      {Address6{}, 0, 0, 0},
      {all_ones, 0xFFFF, 0xFFFF, 0xFFFFFFFF},
      {all_ones, 0, 0, 0},
      {Address6{}, 0xFFFF, 0xFFFF, 0xFFFFFFFF},
      {test::address6({0, 0, 0, 0, 0, 0, 0, 1}), 1, 65535, 1},
      {kScanner, 40000, 443, 0x80000000},  // the scanner's own address
      {test::address6({0x2001, 2, 0, 0xffff, 0x8000, 1, 0xfffe, 0x0102}), 0x8000, 1, 0xFFFF0000},
  };
}

Address6 random_address(std::mt19937_64& random) {
  Address6 address;
  for (auto& byte : address) byte = static_cast<std::byte>(random());
  return address;
}

constexpr LinkHeader kLinks[] = {LinkHeader::kEthernet, LinkHeader::kNone};

TEST(Ipv6TcpSynTemplate, TemplateFrameIsTheDocumentedSyn) {
  for (const LinkHeader link : kLinks) {
    const TcpSynOptions options{.window = 1024, .mss = 1460};
    const Ipv6TcpSynTemplate syn(addressing(link), options);
    ASSERT_EQ(syn.size(), link == LinkHeader::kEthernet ? 78u : 64u);
    EXPECT_EQ(syn.ip_offset(), link == LinkHeader::kEthernet ? 14u : 0u);
    EXPECT_EQ(syn.l4_offset(), syn.ip_offset() + 40);
    EXPECT_EQ(Bytes(syn.frame().begin(), syn.frame().end()),
              expected_syn6(link, Address6{}, 0, 0, 0, options));
  }
}

TEST(Ipv6TcpSynTemplate, GoldenBytes) {
  for (const LinkHeader link : kLinks) {
    for (const TcpSynOptions options :
         {TcpSynOptions{.window = 1024, .mss = 1460}, TcpSynOptions{.window = 0xFFFF, .mss = 0},
          TcpSynOptions{.window = 0, .mss = 0xFFFF}}) {
      const Ipv6TcpSynTemplate syn(addressing(link), options);
      for (const auto& [destination, source_port, destination_port, sequence] : edge_cases()) {
        Bytes out(syn.size(), std::byte{0xAA});
        syn.write(out.data(), destination, source_port, destination_port, sequence);
        EXPECT_EQ(
            out, expected_syn6(link, destination, source_port, destination_port, sequence, options))
            << source_port << " " << destination_port << " " << sequence;
        expect_checksum_valid(out, syn.ip_offset());
      }
    }
  }
}

TEST(Ipv6TcpSynTemplate, IncrementalChecksumEqualsRecomputationOverRandomPatches) {
  for (const LinkHeader link : kLinks) {
    const TcpSynOptions options{};
    const Ipv6TcpSynTemplate syn(addressing(link), options);
    std::mt19937_64 random(8200);
    Bytes out(syn.size());
    for (int round = 0; round < 20000; ++round) {
      const Address6 destination = random_address(random);
      const auto source_port = static_cast<std::uint16_t>(random());
      const auto destination_port = static_cast<std::uint16_t>(random());
      const auto sequence = static_cast<std::uint32_t>(random());
      syn.write(out.data(), destination, source_port, destination_port, sequence);
      ASSERT_EQ(out,
                expected_syn6(link, destination, source_port, destination_port, sequence, options));
    }
  }
}

TEST(Ipv6UdpTemplate, GoldenBytes) {
  const Bytes payloads[] = {
      {},
      {std::byte{0x01}},
      {std::byte{0xde}, std::byte{0xad}, std::byte{0xbe}, std::byte{0xef}, std::byte{0x00}}};
  for (const LinkHeader link : kLinks) {
    for (const Bytes& payload : payloads) {
      const Ipv6UdpTemplate udp(addressing(link), payload);
      ASSERT_EQ(udp.size(), (link == LinkHeader::kEthernet ? 62u : 48u) + payload.size());
      EXPECT_EQ(Bytes(udp.frame().begin() + static_cast<std::ptrdiff_t>(udp.payload_offset()),
                      udp.frame().end()),
                payload);
      EXPECT_EQ(Bytes(udp.frame().begin(), udp.frame().end()),
                expected_udp6(link, Address6{}, 0, 0, payload));
      for (const auto& [destination, source_port, destination_port, unused] : edge_cases()) {
        Bytes out(udp.size(), std::byte{0x55});
        udp.write(out.data(), destination, source_port, destination_port);
        EXPECT_EQ(out, expected_udp6(link, destination, source_port, destination_port, payload));
        expect_checksum_valid(out, udp.ip_offset());
      }
    }
  }
}

// A payload word chosen so the checksum computes to zero for one destination: the frame must
// carry 0xFFFF there, and the incremental update must get there and away from it.
TEST(Ipv6UdpTemplate, ComputedZeroChecksumIsSentAsAllOnes) {
  const Address6 destination = test::address6({0x2001, 2, 0, 0, 0, 0, 0, 0x63});
  const std::uint16_t source_port = 40000, destination_port = 53;
  Bytes payload = {std::byte{0}, std::byte{0}};
  Bytes datagram =
      test::udp_datagram6(kScanner, destination, source_port, destination_port, payload);
  test::set16(datagram, 6, 0);
  test::set16(payload, 0,
              test::reference_checksum(
                  datagram, test::pseudo_header_sum6(kScanner, destination, 17, datagram.size())));
  const Ipv6UdpTemplate udp(addressing(), payload);
  Bytes out(udp.size());
  udp.write(out.data(), destination, source_port, destination_port);
  EXPECT_EQ(test::get16(out, udp.l4_offset() + 6), 0xFFFFu);
  EXPECT_EQ(out, expected_udp6(LinkHeader::kEthernet, destination, source_port, destination_port,
                               payload));
  expect_checksum_valid(out, udp.ip_offset());
  Address6 next = destination;
  next[15] = std::byte{0x64};
  udp.write(out.data(), next, source_port, destination_port);
  EXPECT_EQ(out,
            expected_udp6(LinkHeader::kEthernet, next, source_port, destination_port, payload));
}

TEST(Ipv6UdpTemplate, CookieInTheEchoField) {
  std::mt19937_64 random(1624);
  for (const LinkHeader link : kLinks) {
    for (const CookieEcho echo : {CookieEcho{0, 0, 2}, CookieEcho{3, 0, 2}, CookieEcho{4, 0, 4},
                                  CookieEcho{5, 0, 4}, CookieEcho{7, 0, 2}}) {
      Bytes payload(9);
      for (auto& byte : payload) byte = static_cast<std::byte>(random());
      const Ipv6UdpTemplate udp(addressing(link), payload, echo);
      ASSERT_TRUE(udp.carries_cookie());
      Bytes out(udp.size());
      for (int round = 0; round < 200; ++round) {
        const Address6 destination = random_address(random);
        const auto source_port = static_cast<std::uint16_t>(random());
        const auto destination_port = static_cast<std::uint16_t>(random());
        const auto cookie = static_cast<std::uint32_t>(random());
        udp.write(out.data(), destination, source_port, destination_port, cookie);
        Bytes with_cookie = payload;
        for (unsigned i = 0; i < echo.width; ++i) {
          with_cookie[echo.request_offset + i] =
              static_cast<std::byte>(cookie >> (8 * (echo.width - 1 - i)));
        }
        ASSERT_EQ(out, expected_udp6(link, destination, source_port, destination_port, with_cookie))
            << "offset " << echo.request_offset << " width " << unsigned{echo.width};
      }
    }
  }
}

TEST(Ipv6UdpTemplate, RandomWritesMatchIndependentFrames) {
  std::mt19937_64 random(768);
  Bytes payload(31);
  for (auto& byte : payload) byte = static_cast<std::byte>(random());
  for (const LinkHeader link : kLinks) {
    const Ipv6UdpTemplate udp(addressing(link), payload);
    Bytes out(udp.size());
    for (int round = 0; round < 5000; ++round) {
      const Address6 destination = random_address(random);
      const auto source_port = static_cast<std::uint16_t>(random());
      const auto destination_port = static_cast<std::uint16_t>(random());
      udp.write(out.data(), destination, source_port, destination_port);
      ASSERT_EQ(out, expected_udp6(link, destination, source_port, destination_port, payload));
    }
  }
}

TEST(Ipv6UdpTemplate, OversizedPayloadIsATemplateError) {
  EXPECT_THROW(Ipv6UdpTemplate(addressing(), Bytes(65528, std::byte{0})), TemplateError);
  EXPECT_NO_THROW(Ipv6UdpTemplate(addressing(), Bytes(65527, std::byte{0})));
}

// Literal golden frames, every byte written out by hand; the checksum words were computed with a
// few lines of Python (RFC 1071 over the RFC 8200 pseudo-header) and are recomputed once more by
// the test's reference routine.
TEST(Ipv6TcpSynTemplate, LiteralGoldenFrame) {
  const Ipv6TcpSynTemplate syn(addressing(), TcpSynOptions{.window = 1024, .mss = 1460});
  const unsigned expected_octets[] = {
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // destination MAC
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // source MAC
      0x86, 0xdd,                          // ethertype IPv6
      0x60, 0x00, 0x00, 0x00,              // version 6, traffic class 0, flow label 0
      0x00, 0x18, 0x06, 0x39,              // payload length 24, next header TCP, hop limit 57
      0x20, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,  // source 2001:2::5
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x01, 0x00, 0x02, 0x00,
      0x00, 0x00, 0x00,  // destination 2001:2::1
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x9c, 0x40, 0x00, 0x50,  // source port 40000,
                                                                               // destination port
                                                                               // 80
      0x12, 0x34, 0x56, 0x78,                                                  // sequence
      0x00, 0x00, 0x00, 0x00,                                                  // acknowledgment
      0x60, 0x02, 0x04, 0x00,  // data offset 6, SYN, window 1024
      0x4e, 0xde, 0x00, 0x00,  // checksum, urgent pointer
      0x02, 0x04, 0x05, 0xb4,  // MSS 1460
  };
  Bytes expected;
  for (const unsigned octet : expected_octets) test::append8(expected, octet);
  Bytes out(syn.size());
  syn.write(out.data(), test::address6({0x2001, 2, 0, 0, 0, 0, 0, 1}), 40000, 80, 0x12345678);
  EXPECT_EQ(out, expected);
  expect_checksum_valid(expected, 14);
}

TEST(Ipv6UdpTemplate, LiteralGoldenFrameWithoutLinkHeader) {
  const Bytes payload = {std::byte{0xde}, std::byte{0xad}, std::byte{0xbe}};
  const Ipv6UdpTemplate udp(addressing(LinkHeader::kNone), payload);
  const unsigned expected_octets[] = {
      0x60, 0x00, 0x00, 0x00,  // version 6, traffic class 0, flow label 0
      0x00, 0x0b, 0x11, 0x39,  // payload length 11, next header UDP, hop limit 57
      0x20, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,  // source 2001:2::5
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x01, 0x00, 0x02, 0x00,
      0x00, 0x00, 0x00,  // destination 2001:2::35
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x35, 0x9c, 0x41, 0x00, 0x35,  // source port 40001,
                                                                               // destination port
                                                                               // 53
      0x00, 0x0b, 0x86, 0x73,  // length 11, checksum
      0xde, 0xad, 0xbe,        // payload
  };
  Bytes expected;
  for (const unsigned octet : expected_octets) test::append8(expected, octet);
  Bytes out(udp.size());
  udp.write(out.data(), test::address6({0x2001, 2, 0, 0, 0, 0, 0, 0x35}), 40001, 53);
  EXPECT_EQ(out, expected);
  expect_checksum_valid(expected, 0);
}

}  // namespace
}  // namespace synscan::packet
