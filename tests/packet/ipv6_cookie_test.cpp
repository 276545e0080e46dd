// Cookies for IPv6 probes: the specialised hashing (scanner words absorbed once) equals the
// reference SipHash-2-4 over the documented 36-byte packing, known answers pinned from an
// independent Python SipHash, and every validate_* accepts exactly the IPv6 replies to our probes.
#include <gtest/gtest.h>

#include <random>

#include "packet/cookie.hpp"
#include "test_frames.hpp"

namespace synscan::packet {
namespace {

using test::Address6;
using test::Bytes;

constexpr SipKey kPaperKey{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
const Address6 kScanner6 = test::address6({0x2001, 2, 0, 0, 0, 0, 0, 5});
const Address6 kTarget6 = test::address6({0x2001, 2, 0, 0, 0, 0, 0, 0x102});

// scanner_ipv6 (16) | target_ipv6 (16) | target_port (2) | pinned port (2), as cookie.cpp says.
Bytes probe_message6(const Address6& scanner, const Address6& target, std::uint16_t target_port,
                     std::uint16_t pinned_port) {
  Bytes bytes;
  test::append(bytes, scanner);
  test::append(bytes, target);
  test::append16(bytes, target_port);
  test::append16(bytes, pinned_port);
  return bytes;
}

Address6 random_address(std::mt19937_64& random) {
  Address6 address;
  for (auto& byte : address) byte = static_cast<std::byte>(random());
  return address;
}

TEST(Ipv6Cookie, SpecialisedHashingEqualsReferenceSipHash) {
  std::mt19937_64 random(36);
  for (int round = 0; round < 5000; ++round) {
    const SipKey key{random(), random()};
    const Address6 scanner = random_address(random);
    const SourcePortRange ports{static_cast<std::uint16_t>(1024 + random() % 30000),
                                static_cast<std::uint16_t>(2 + random() % 30000)};
    const Cookie cookie(key, static_cast<std::uint32_t>(random()), ports, scanner);
    const Address6 target = random_address(random);
    const auto target_port = static_cast<std::uint16_t>(random());
    const std::uint64_t hash = siphash24(key, probe_message6(scanner, target, target_port, 0));
    const ProbeCookie probe = cookie.probe(target, target_port);
    ASSERT_EQ(probe.source_port, ports.first + (hash >> 32) % ports.count);
    ASSERT_EQ(probe.sequence, static_cast<std::uint32_t>(hash));
    const auto pinned_port = static_cast<std::uint16_t>(random());
    const Cookie pinned(key, 0, SourcePortRange{pinned_port, 1}, scanner);
    const ProbeCookie pinned_probe = pinned.probe(target, target_port);
    ASSERT_EQ(pinned_probe.source_port, pinned_port);
    ASSERT_EQ(pinned_probe.sequence,
              static_cast<std::uint32_t>(
                  siphash24(key, probe_message6(scanner, target, target_port, pinned_port))));
  }
}

TEST(Ipv6Cookie, CachedTargetStateGivesTheSameProbes) {
  std::mt19937_64 random(4);
  for (int round = 0; round < 1000; ++round) {
    const SourcePortRange ports{static_cast<std::uint16_t>(1024 + random() % 30000),
                                static_cast<std::uint16_t>(1 + random() % 3 * 10000)};
    const Cookie cookie(SipKey{random(), random()}, 0, ports, random_address(random));
    const Address6 target = random_address(random);
    const Cookie::Ipv6TargetState state = cookie.target_state(target);
    for (int port = 0; port < 5; ++port) {
      const auto target_port = static_cast<std::uint16_t>(random());
      const ProbeCookie direct = cookie.probe(target, target_port);
      const ProbeCookie cached = cookie.probe(state, target_port);
      ASSERT_EQ(direct.source_port, cached.source_port);
      ASSERT_EQ(direct.sequence, cached.sequence);
    }
  }
}

TEST(Ipv6Cookie, KnownAnswers) {
  // From an independent Python SipHash-2-4 (checked against the paper's vector) over the packing.
  const Cookie cookie(kPaperKey, 0xC0A80A05, SourcePortRange{40000, 16384}, kScanner6);
  const ProbeCookie probe = cookie.probe(kTarget6, 443);
  EXPECT_EQ(probe.sequence, 119465660u);
  EXPECT_EQ(probe.source_port, 46219);
  const Cookie pinned(kPaperKey, 0xC0A80A05, SourcePortRange{53, 1}, kScanner6);
  EXPECT_EQ(pinned.probe(kTarget6, 443).sequence, 3492621689u);
}

TEST(Ipv6Cookie, DependsOnEveryAddressByteAndNotOnTheIpv4Source) {
  const Cookie cookie(SipKey{1, 2}, 0x0A000001, SourcePortRange{}, kScanner6);
  const Cookie other_ipv4(SipKey{1, 2}, 0x0A000002, SourcePortRange{}, kScanner6);
  EXPECT_EQ(cookie.probe(kTarget6, 80).sequence, other_ipv4.probe(kTarget6, 80).sequence);
  const std::uint32_t base = cookie.probe(kTarget6, 80).sequence;
  for (std::size_t index = 0; index < 16; ++index) {
    Address6 target = kTarget6;
    target[index] ^= std::byte{0x01};
    EXPECT_NE(cookie.probe(target, 80).sequence, base) << "target byte " << index;
    Address6 scanner = kScanner6;
    scanner[index] ^= std::byte{0x80};
    EXPECT_NE(
        Cookie(SipKey{1, 2}, 0x0A000001, SourcePortRange{}, scanner).probe(kTarget6, 80).sequence,
        base)
        << "scanner byte " << index;
  }
  EXPECT_NE(cookie.probe(kTarget6, 81).sequence, base);
  EXPECT_EQ(cookie.scanner_ipv6(), kScanner6);
  // The three-argument constructor is the IPv4-only cookie: scanner_ipv6 is ::.
  EXPECT_EQ(Cookie(SipKey{1, 2}, 0x0A000001, SourcePortRange{}).scanner_ipv6(), Address6{});
}

class Ipv6Validation : public ::testing::Test {
 protected:
  static constexpr std::uint16_t kTargetPort = 443;
  Cookie cookie_{SipKey{0x1111, 0x2222}, 0xC0A80A05, SourcePortRange{}, kScanner6};

  std::uint16_t our_port() const { return cookie_.probe(kTarget6, kTargetPort).source_port; }
  std::uint32_t our_sequence() const { return cookie_.probe(kTarget6, kTargetPort).sequence; }

  Reply reply6(std::uint8_t protocol) const {
    Reply reply;
    reply.ip_version = 6;
    reply.protocol = protocol;
    reply.source_ipv6 = kTarget6;
    reply.destination_ipv6 = kScanner6;
    reply.source_port = kTargetPort;
    reply.destination_port = our_port();
    return reply;
  }
  Reply tcp_reply(std::uint8_t flags) const {
    Reply reply = reply6(kProtocolTcp);
    reply.tcp_acknowledgment = our_sequence() + 1;
    reply.tcp_flags = flags;
    return reply;
  }
  Reply icmp_reply(std::uint8_t quoted_protocol) const {
    Reply reply = reply6(kProtocolIcmpv6);
    reply.source_ipv6 = test::address6({0x2001, 2, 0, 0, 0, 0, 0, 0xfe});  // a router
    reply.source_port = reply.destination_port = 0;
    reply.icmp_type = 1;
    reply.icmp_code = 3;
    reply.quote.protocol = quoted_protocol;
    reply.quote.source_ipv6 = kScanner6;
    reply.quote.destination_ipv6 = kTarget6;
    reply.quote.source_port = our_port();
    reply.quote.destination_port = kTargetPort;
    if (quoted_protocol == kProtocolTcp) reply.quote.tcp_sequence = our_sequence();
    return reply;
  }
};

TEST_F(Ipv6Validation, SynAckAndRst) {
  constexpr std::uint8_t kSynAck = tcp_flags::kSyn | tcp_flags::kAck;
  EXPECT_EQ(cookie_.validate_syn_ack(tcp_reply(kSynAck)), Validation::kValid);
  EXPECT_EQ(cookie_.validate_rst(tcp_reply(tcp_flags::kRst | tcp_flags::kAck)), Validation::kValid);
  Reply wrong = tcp_reply(kSynAck);
  wrong.tcp_acknowledgment = our_sequence();
  EXPECT_EQ(cookie_.validate_syn_ack(wrong), Validation::kWrongCookie);
  wrong = tcp_reply(kSynAck);
  wrong.destination_port = static_cast<std::uint16_t>(our_port() + 1);
  EXPECT_EQ(cookie_.validate_syn_ack(wrong), Validation::kWrongPort);
  wrong = tcp_reply(kSynAck);
  wrong.destination_ipv6[15] ^= std::byte{1};  // not to us
  EXPECT_EQ(cookie_.validate_syn_ack(wrong), Validation::kNotOurs);
  wrong = tcp_reply(kSynAck);
  wrong.source_ipv6[3] ^= std::byte{1};  // another target: another cookie
  EXPECT_NE(cookie_.validate_syn_ack(wrong), Validation::kValid);
  EXPECT_EQ(cookie_.validate_rst(tcp_reply(tcp_flags::kRst)), Validation::kWrongCookie);
}

TEST_F(Ipv6Validation, RepliesAreCheckedAgainstTheirOwnFamily) {
  // The same cookie as an IPv4 reply (to the IPv4 scanner address, from nobody) is not ours, and
  // an IPv6 reply is never compared with the IPv4 address.
  Reply as_ipv4 = tcp_reply(tcp_flags::kSyn | tcp_flags::kAck);
  as_ipv4.ip_version = 4;
  EXPECT_EQ(cookie_.validate_syn_ack(as_ipv4), Validation::kNotOurs);
  Reply to_ipv4_address = tcp_reply(tcp_flags::kSyn | tcp_flags::kAck);
  to_ipv4_address.destination_ip = 0xC0A80A05;
  to_ipv4_address.destination_ipv6 = {};
  EXPECT_EQ(cookie_.validate_syn_ack(to_ipv4_address), Validation::kNotOurs);
  // An IPv4-only cookie (scanner_ipv6 ::) takes no IPv6 reply.
  const Cookie ipv4_only(SipKey{0x1111, 0x2222}, 0xC0A80A05, SourcePortRange{});
  EXPECT_EQ(ipv4_only.validate_syn_ack(tcp_reply(tcp_flags::kSyn | tcp_flags::kAck)),
            Validation::kNotOurs);
}

TEST_F(Ipv6Validation, Udp) {
  EXPECT_EQ(cookie_.validate_udp(reply6(kProtocolUdp)), Validation::kValid);
  Reply wrong = reply6(kProtocolUdp);
  wrong.destination_port = static_cast<std::uint16_t>(our_port() ^ 1);
  EXPECT_EQ(cookie_.validate_udp(wrong), Validation::kWrongPort);
  wrong = reply6(kProtocolUdp);
  wrong.destination_ipv6 = kTarget6;
  EXPECT_EQ(cookie_.validate_udp(wrong), Validation::kNotOurs);
}

TEST_F(Ipv6Validation, Icmpv6Quote) {
  EXPECT_EQ(cookie_.validate_icmp_quote(icmp_reply(kProtocolTcp)), Validation::kValid);
  EXPECT_EQ(cookie_.validate_icmp_quote(icmp_reply(kProtocolUdp)), Validation::kValid);
  Reply wrong = icmp_reply(kProtocolTcp);
  wrong.quote.tcp_sequence ^= 1;
  EXPECT_EQ(cookie_.validate_icmp_quote(wrong), Validation::kWrongCookie);
  wrong = icmp_reply(kProtocolUdp);
  wrong.quote.source_port ^= 1;
  EXPECT_EQ(cookie_.validate_icmp_quote(wrong), Validation::kWrongPort);
  wrong = icmp_reply(kProtocolTcp);
  wrong.quote.source_ipv6[0] ^= std::byte{1};  // quoted probe not from us
  EXPECT_EQ(cookie_.validate_icmp_quote(wrong), Validation::kNotOurs);
  wrong = icmp_reply(kProtocolTcp);
  wrong.protocol = kProtocolIcmp;  // ICMPv4 inside IPv6 is not an ICMPv6 error
  EXPECT_EQ(cookie_.validate_icmp_quote(wrong), Validation::kNotOurs);
  wrong = icmp_reply(kProtocolTcp);
  wrong.destination_ipv6 = kTarget6;  // the error is not addressed to us
  EXPECT_EQ(cookie_.validate_icmp_quote(wrong), Validation::kNotOurs);
  wrong = icmp_reply(kProtocolIcmpv6);
  EXPECT_EQ(cookie_.validate_icmp_quote(wrong), Validation::kNotOurs);
}

}  // namespace
}  // namespace synscan::packet
