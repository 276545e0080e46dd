// SipHash-2-4 known answers and the cookie contract: the specialised per-packet hashing equals the
// reference function over the documented byte packing, and every validate_* accepts exactly the
// replies to our probes.
#include "packet/cookie.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

#include "packet/probe_template.hpp"
#include "test_frames.hpp"

namespace synscan::packet {
namespace {

using test::Bytes;

// The paper's key: bytes 00 01 .. 0f, read as two little-endian words.
constexpr SipKey kPaperKey{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

Bytes counting_message(std::size_t length) {
  Bytes message(length);
  for (std::size_t index = 0; index < length; ++index) message[index] = std::byte(index);
  return message;
}

TEST(SipHash, PaperTestVector) {
  // Appendix A of the SipHash paper: 15-byte message 00..0e.
  EXPECT_EQ(siphash24(kPaperKey, counting_message(15)), 0xa129ca6149be45e5ULL);
}

TEST(SipHash, ReferenceVectorTable) {
  // Entries of the reference implementation's 64-vector table (message = 00 .. length-1), written
  // here as the little-endian digest read as a number.
  const std::pair<std::size_t, std::uint64_t> vectors[] = {
      {0, 0x726fdb47dd0e0e31ULL},  {1, 0x74f839c593dc67fdULL}, {2, 0x0d6c8009d9a94f5aULL},
      {3, 0x85676696d7fb7e2dULL},  {4, 0xcf2794e0277187b7ULL}, {5, 0x18765564cd99a68dULL},
      {6, 0xcbc9466e58fee3ceULL},  {7, 0xab0200f58b01d137ULL}, {8, 0x93f5f5799a932462ULL},
      {15, 0xa129ca6149be45e5ULL},
  };
  for (const auto& [length, digest] : vectors) {
    EXPECT_EQ(siphash24(kPaperKey, counting_message(length)), digest) << "length " << length;
  }
}

TEST(SipKey, RandomKeysDiffer) {
  const SipKey first = SipKey::random();
  const SipKey second = SipKey::random();
  EXPECT_FALSE(first.k0 == second.k0 && first.k1 == second.k1);
}

// The packings documented in cookie.cpp, built byte by byte.
Bytes target_message(std::uint32_t target_ip, std::uint16_t target_port) {
  Bytes bytes;
  test::append32(bytes, target_ip);
  test::append16(bytes, target_port);
  return bytes;
}
Bytes probe_message(std::uint32_t scanner_ip, std::uint32_t target_ip, std::uint16_t source_port,
                    std::uint16_t target_port) {
  Bytes bytes;
  test::append32(bytes, scanner_ip);
  test::append32(bytes, target_ip);
  test::append16(bytes, source_port);
  test::append16(bytes, target_port);
  return bytes;
}

TEST(Cookie, SpecialisedHashingEqualsReferenceSipHash) {
  std::mt19937_64 random(24);
  for (int round = 0; round < 5000; ++round) {
    const SipKey key{random(), random()};
    const auto scanner_ip = static_cast<std::uint32_t>(random());
    const SourcePortRange ports{static_cast<std::uint16_t>(1024 + random() % 30000),
                                static_cast<std::uint16_t>(2 + random() % 30000)};
    const Cookie cookie(key, scanner_ip, ports);
    const auto target_ip = static_cast<std::uint32_t>(random());
    const auto target_port = static_cast<std::uint16_t>(random());
    const auto source_port = static_cast<std::uint16_t>(random());
    ASSERT_EQ(cookie.source_port(target_ip, target_port),
              ports.first + siphash24(key, target_message(target_ip, target_port)) % ports.count);
    ASSERT_EQ(cookie.sequence(target_ip, target_port, source_port),
              static_cast<std::uint32_t>(
                  siphash24(key, probe_message(scanner_ip, target_ip, source_port, target_port))));
  }
}

TEST(Cookie, KnownAnswers) {
  // Pinned values for the paper key, so a change of packing is a visible, deliberate change.
  const Cookie cookie(kPaperKey, 0xC0A80A05, SourcePortRange{40000, 16384});
  EXPECT_EQ(cookie.sequence(0x0A000102, 443, 40123),
            static_cast<std::uint32_t>(
                siphash24(kPaperKey, probe_message(0xC0A80A05, 0x0A000102, 40123, 443))));
  EXPECT_EQ(cookie.sequence(0x0A000102, 443, 40123), 0x420150a1u);
  EXPECT_EQ(cookie.source_port(0x0A000102, 443), 50472);
}

TEST(Cookie, SourcePortsStayInRangeAndSpread) {
  const Cookie cookie(SipKey{1, 2}, 0x0A000001, SourcePortRange{50000, 16});
  std::set<std::uint16_t> seen;
  for (std::uint32_t target = 0; target < 2000; ++target) {
    const std::uint16_t port = cookie.source_port(0x0A010000 + target, 80);
    ASSERT_TRUE(cookie.source_ports().contains(port)) << port;
    seen.insert(port);
  }
  EXPECT_EQ(seen.size(), 16u);
}

TEST(Cookie, PinnedAndDegenerateRanges) {
  const Cookie pinned(SipKey{1, 2}, 1, SourcePortRange{53, 1});
  EXPECT_EQ(pinned.source_port(0x01020304, 80), 53);
  EXPECT_EQ(pinned.source_port(0x05060708, 443), 53);
  const Cookie zero_count(SipKey{1, 2}, 1, SourcePortRange{4000, 0});  // clamped to 1
  EXPECT_EQ(zero_count.source_ports().count, 1);
  EXPECT_EQ(zero_count.source_port(0x01020304, 80), 4000);
  // A range running past 65535 is clamped rather than wrapping into low ports.
  const Cookie high(SipKey{3, 4}, 1, SourcePortRange{65530, 100});
  EXPECT_EQ(high.source_ports().count, 6);
  for (std::uint32_t target = 0; target < 500; ++target) {
    ASSERT_GE(high.source_port(target, 80), 65530);
  }
}

TEST(Cookie, SequenceDependsOnEveryInput) {
  const Cookie cookie(SipKey{5, 6}, 0x0A000001, SourcePortRange{});
  const Cookie other_scanner(SipKey{5, 6}, 0x0A000002, SourcePortRange{});
  const Cookie other_key(SipKey{5, 7}, 0x0A000001, SourcePortRange{});
  const std::uint32_t base = cookie.sequence(0x01020304, 80, 40000);
  EXPECT_NE(base, cookie.sequence(0x01020305, 80, 40000));
  EXPECT_NE(base, cookie.sequence(0x01020304, 81, 40000));
  EXPECT_NE(base, cookie.sequence(0x01020304, 80, 40001));
  EXPECT_NE(base, other_scanner.sequence(0x01020304, 80, 40000));
  EXPECT_NE(base, other_key.sequence(0x01020304, 80, 40000));
  EXPECT_EQ(base, cookie.sequence(0x01020304, 80, 40000));
}

class Validation_ : public ::testing::Test {
 protected:
  static constexpr std::uint32_t kScannerIp = 0xC0A80A05;
  static constexpr std::uint32_t kTargetIp = 0x0A000102;
  static constexpr std::uint16_t kTargetPort = 443;
  Cookie cookie_{SipKey{0x1111, 0x2222}, kScannerIp, SourcePortRange{}};

  std::uint16_t our_port() const { return cookie_.source_port(kTargetIp, kTargetPort); }
  std::uint32_t our_sequence() const {
    return cookie_.sequence(kTargetIp, kTargetPort, our_port());
  }

  Reply tcp_reply(std::uint8_t flags) const {
    Reply reply;
    reply.protocol = kProtocolTcp;
    reply.source_ip = kTargetIp;
    reply.destination_ip = kScannerIp;
    reply.source_port = kTargetPort;
    reply.destination_port = our_port();
    reply.tcp_sequence = 0x77777777;
    reply.tcp_acknowledgment = our_sequence() + 1;
    reply.tcp_flags = flags;
    return reply;
  }

  Reply icmp_reply(std::uint8_t quoted_protocol) const {
    Reply reply;
    reply.protocol = kProtocolIcmp;
    reply.source_ip = 0x0A0000FE;  // a router
    reply.destination_ip = kScannerIp;
    reply.icmp_type = 3;
    reply.icmp_code = 1;
    reply.quote.protocol = quoted_protocol;
    reply.quote.source_ip = kScannerIp;
    reply.quote.destination_ip = kTargetIp;
    reply.quote.source_port = our_port();
    reply.quote.destination_port = kTargetPort;
    if (quoted_protocol == kProtocolTcp) reply.quote.tcp_sequence = our_sequence();
    return reply;
  }
};

TEST_F(Validation_, SynAck) {
  Reply reply = tcp_reply(tcp_flags::kSyn | tcp_flags::kAck);
  EXPECT_EQ(cookie_.validate_syn_ack(reply), Validation::kValid);
  reply.tcp_flags |= tcp_flags::kPsh;  // extra flags do not matter
  EXPECT_EQ(cookie_.validate_syn_ack(reply), Validation::kValid);

  Reply wrong_ack = tcp_reply(tcp_flags::kSyn | tcp_flags::kAck);
  wrong_ack.tcp_acknowledgment = our_sequence();  // ack == cookie, not cookie + 1
  EXPECT_EQ(cookie_.validate_syn_ack(wrong_ack), Validation::kWrongCookie);
  wrong_ack.tcp_acknowledgment = our_sequence() + 2;
  EXPECT_EQ(cookie_.validate_syn_ack(wrong_ack), Validation::kWrongCookie);

  Reply wrong_port = tcp_reply(tcp_flags::kSyn | tcp_flags::kAck);
  wrong_port.destination_port = static_cast<std::uint16_t>(our_port() + 1);
  EXPECT_EQ(cookie_.validate_syn_ack(wrong_port), Validation::kWrongPort);
  Reply other_target_port = tcp_reply(tcp_flags::kSyn | tcp_flags::kAck);
  other_target_port.source_port = 444;  // the cookie port of 444 differs (checked below)
  ASSERT_NE(cookie_.source_port(kTargetIp, 444), our_port());
  EXPECT_EQ(cookie_.validate_syn_ack(other_target_port), Validation::kWrongPort);

  Reply wrong_scanner = tcp_reply(tcp_flags::kSyn | tcp_flags::kAck);
  wrong_scanner.destination_ip = kScannerIp + 1;
  EXPECT_EQ(cookie_.validate_syn_ack(wrong_scanner), Validation::kNotOurs);

  EXPECT_EQ(cookie_.validate_syn_ack(tcp_reply(tcp_flags::kSyn)), Validation::kNotOurs);
  EXPECT_EQ(cookie_.validate_syn_ack(tcp_reply(tcp_flags::kAck)), Validation::kNotOurs);
  EXPECT_EQ(
      cookie_.validate_syn_ack(tcp_reply(tcp_flags::kSyn | tcp_flags::kAck | tcp_flags::kRst)),
      Validation::kNotOurs);
  Reply udp = tcp_reply(tcp_flags::kSyn | tcp_flags::kAck);
  udp.protocol = kProtocolUdp;
  EXPECT_EQ(cookie_.validate_syn_ack(udp), Validation::kNotOurs);
}

TEST_F(Validation_, Rst) {
  EXPECT_EQ(cookie_.validate_rst(tcp_reply(tcp_flags::kRst | tcp_flags::kAck)), Validation::kValid);
  // RFC 793 SYN-SENT: a RST without ACK cannot be matched to our SYN.
  EXPECT_EQ(cookie_.validate_rst(tcp_reply(tcp_flags::kRst)), Validation::kWrongCookie);
  Reply wrong_ack = tcp_reply(tcp_flags::kRst | tcp_flags::kAck);
  wrong_ack.tcp_acknowledgment = 0;
  EXPECT_EQ(cookie_.validate_rst(wrong_ack), Validation::kWrongCookie);
  Reply wrong_port = tcp_reply(tcp_flags::kRst | tcp_flags::kAck);
  wrong_port.destination_port = static_cast<std::uint16_t>(our_port() ^ 1);
  EXPECT_EQ(cookie_.validate_rst(wrong_port), Validation::kWrongPort);
  Reply wrong_scanner = tcp_reply(tcp_flags::kRst | tcp_flags::kAck);
  wrong_scanner.destination_ip = 0x08080808;
  EXPECT_EQ(cookie_.validate_rst(wrong_scanner), Validation::kNotOurs);
  EXPECT_EQ(cookie_.validate_rst(tcp_reply(tcp_flags::kSyn | tcp_flags::kAck)),
            Validation::kNotOurs);
}

TEST_F(Validation_, Udp) {
  Reply reply;
  reply.protocol = kProtocolUdp;
  reply.source_ip = kTargetIp;
  reply.destination_ip = kScannerIp;
  reply.source_port = kTargetPort;
  reply.destination_port = our_port();
  EXPECT_EQ(cookie_.validate_udp(reply), Validation::kValid);
  Reply wrong_port = reply;
  wrong_port.destination_port = static_cast<std::uint16_t>(our_port() + 7);
  EXPECT_EQ(cookie_.validate_udp(wrong_port), Validation::kWrongPort);
  Reply wrong_scanner = reply;
  wrong_scanner.destination_ip = kScannerIp - 1;
  EXPECT_EQ(cookie_.validate_udp(wrong_scanner), Validation::kNotOurs);
  Reply tcp = reply;
  tcp.protocol = kProtocolTcp;
  EXPECT_EQ(cookie_.validate_udp(tcp), Validation::kNotOurs);
}

TEST_F(Validation_, IcmpQuote) {
  EXPECT_EQ(cookie_.validate_icmp_quote(icmp_reply(kProtocolTcp)), Validation::kValid);
  EXPECT_EQ(cookie_.validate_icmp_quote(icmp_reply(kProtocolUdp)), Validation::kValid);

  Reply wrong_sequence = icmp_reply(kProtocolTcp);
  wrong_sequence.quote.tcp_sequence ^= 0x80;
  EXPECT_EQ(cookie_.validate_icmp_quote(wrong_sequence), Validation::kWrongCookie);
  Reply wrong_port = icmp_reply(kProtocolUdp);
  wrong_port.quote.source_port = static_cast<std::uint16_t>(our_port() + 1);
  EXPECT_EQ(cookie_.validate_icmp_quote(wrong_port), Validation::kWrongPort);
  Reply wrong_quoted_source = icmp_reply(kProtocolTcp);
  wrong_quoted_source.quote.source_ip = 0x0A0A0A0A;
  EXPECT_EQ(cookie_.validate_icmp_quote(wrong_quoted_source), Validation::kNotOurs);
  Reply not_to_us = icmp_reply(kProtocolTcp);
  not_to_us.destination_ip = 0x0A0A0A0A;
  EXPECT_EQ(cookie_.validate_icmp_quote(not_to_us), Validation::kNotOurs);
  EXPECT_EQ(cookie_.validate_icmp_quote(icmp_reply(kProtocolIcmp)), Validation::kNotOurs);
  Reply not_icmp = icmp_reply(kProtocolTcp);
  not_icmp.protocol = kProtocolTcp;
  EXPECT_EQ(cookie_.validate_icmp_quote(not_icmp), Validation::kNotOurs);
}

// End to end: a SYN written from the template with the cookie, the SYN-ACK a target would send,
// parsed and validated.
TEST_F(Validation_, RoundTripThroughTemplateAndParser) {
  FrameAddressing addressing;
  addressing.source_ip = kScannerIp;
  const TcpSynTemplate syn(addressing, TcpSynOptions{});
  Bytes probe(syn.size());
  syn.write(probe.data(), kTargetIp, our_port(), kTargetPort, our_sequence());
  Reply sent;
  ASSERT_EQ(parse_ethernet_frame(probe, sent), ParseStatus::kOk);

  test::TcpFields answer;
  answer.source_port = sent.destination_port;
  answer.destination_port = sent.source_port;
  answer.sequence = 0x5EED;
  answer.acknowledgment = sent.tcp_sequence + 1;
  answer.flags = tcp_flags::kSyn | tcp_flags::kAck;
  test::Ipv4Fields ip;
  ip.source = sent.destination_ip;
  ip.destination = sent.source_ip;
  const Bytes frame = test::frame_of(ip, test::tcp_segment(ip.source, ip.destination, answer));
  Reply reply;
  ASSERT_EQ(parse_ethernet_frame(frame, reply), ParseStatus::kOk);
  EXPECT_EQ(cookie_.validate_syn_ack(reply), Validation::kValid);

  // And the ICMP error quoting that probe.
  const Bytes quoted(probe.begin() + kIpv4Offset, probe.begin() + kIpv4Offset + 28);
  test::Ipv4Fields icmp_ip;
  icmp_ip.source = 0x0A0000FE;
  icmp_ip.destination = kScannerIp;
  icmp_ip.protocol = 1;
  const Bytes icmp = test::frame_of(icmp_ip, test::icmp_error(11, 0, quoted));
  ASSERT_EQ(parse_ethernet_frame(icmp, reply), ParseStatus::kOk);
  EXPECT_EQ(cookie_.validate_icmp_quote(reply), Validation::kValid);
}

}  // namespace
}  // namespace synscan::packet
