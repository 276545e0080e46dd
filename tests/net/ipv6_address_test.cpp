// The IPv6 text rule (RFC 4291 text in, RFC 5952 text out) and the two-family IpAddress.
#include "net/ipv6_address.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "net/ip_address.hpp"

namespace synscan::net {
namespace {

Ipv6Address v6(const char* text) {
  const std::optional<Ipv6Address> address = Ipv6Address::parse(text);
  EXPECT_TRUE(address) << text << ": " << ipv6_problem(text);
  return address.value_or(Ipv6Address());
}

TEST(Ipv6Address, FormatsPerRfc5952) {
  // RFC 5952 sections 4.1-4.3 and 5: no leading zeros, lowercase, the longest zero run (two
  // groups or more; the first of equal runs) as "::", never "::" for one group, mapped IPv4 dotted.
  EXPECT_EQ(v6("2001:0db8:0000:0000:0000:0000:0000:0001").to_string(), "2001:db8::1");
  EXPECT_EQ(v6("2001:DB8::ABCD").to_string(), "2001:db8::abcd");
  EXPECT_EQ(v6("2001:db8:0:0:1:0:0:1").to_string(), "2001:db8::1:0:0:1");
  EXPECT_EQ(v6("2001:0:0:1:0:0:0:1").to_string(), "2001:0:0:1::1");
  EXPECT_EQ(v6("2001:db8:0:1:1:1:1:1").to_string(), "2001:db8:0:1:1:1:1:1");
  EXPECT_EQ(v6("::").to_string(), "::");
  EXPECT_EQ(v6("::1").to_string(), "::1");
  EXPECT_EQ(v6("1::").to_string(), "1::");
  EXPECT_EQ(v6("2001:2::").to_string(), "2001:2::");
  EXPECT_EQ(v6("::ffff:198.18.0.1").to_string(), "::ffff:198.18.0.1");
  EXPECT_EQ(v6("::ffff:c612:1").to_string(), "::ffff:198.18.0.1");
  EXPECT_EQ(v6("64:ff9b::198.18.0.1").to_string(), "64:ff9b::c612:1");
  EXPECT_EQ(v6("2001:2:0:1::ffff").to_string(), "2001:2:0:1::ffff");
}

TEST(Ipv6Address, BytesAndIntegerAreNetworkOrder) {
  const Ipv6Address address = v6("2001:2::102");
  EXPECT_EQ(address.bytes()[0], 0x20);
  EXPECT_EQ(address.bytes()[1], 0x01);
  EXPECT_EQ(address.bytes()[3], 0x02);
  EXPECT_EQ(address.bytes()[14], 0x01);
  EXPECT_EQ(address.bytes()[15], 0x02);
  EXPECT_EQ(Ipv6Address::from_integer(address.to_integer()), address);
  EXPECT_EQ(static_cast<std::uint64_t>(address.to_integer()), 0x102u);
  EXPECT_EQ(static_cast<std::uint64_t>(address.to_integer() >> 64), 0x2001000200000000u);
  EXPECT_LT(v6("2001:2::ff"), v6("2001:2::100"));
  EXPECT_LT(v6("1::"), v6("ff00::"));
}

TEST(Ipv6Address, RefusesMalformedTextWithItsReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty"},
      {"fe80::1%eth0", "zone identifiers"},
      {"[2001:2::1]", "brackets"},
      {"2001::2::1", "more than one '::'"},
      {"2001:2:0:0:0:0:0:0:1", "more than eight"},
      {"2001:2:0:0:0:0:1", "eight groups"},
      {"2001:2:0:0::0:0:0:1", "no group"},
      {"2001:12345::1", "more than four hex digits"},
      {"2001:2g::1", "not hexadecimal"},
      {":2001:2::1", "empty group"},
      {"2001:2::1:", "empty group"},
      {"2001:2:::1", "::"},
      {"::ffff:198.018.0.1", "leading zero"},
      {"::ffff:198.18.0", "embedded IPv4"},
      {"198.18.0.1::", "more than four hex digits"},
  };
  for (const auto& [text, reason] : cases) {
    EXPECT_FALSE(Ipv6Address::parse(text)) << text;
    EXPECT_NE(ipv6_problem(text).find(reason), std::string::npos) << text << ": " << ipv6_problem(text);
  }
  EXPECT_EQ(ipv6_problem("2001:2::1"), "");
}

TEST(Ipv6Address, AgreesWithInetPtonAndNtopOnRandomAddresses) {
  std::mt19937_64 random(14);
  for (int round = 0; round < 20000; ++round) {
    Ipv6Address::Bytes bytes{};
    for (std::size_t i = 0; i < 16; i += 2) {
      // Many zero groups, so every compression case comes up.
      const std::uint64_t draw = random();
      const bool zero = draw % 3 == 0;
      bytes[i] = zero ? 0 : static_cast<std::uint8_t>(draw >> 8);
      bytes[i + 1] = zero ? 0 : static_cast<std::uint8_t>(draw >> 16);
    }
    const Ipv6Address address(bytes);
    const std::string text = address.to_string();
    EXPECT_EQ(Ipv6Address::parse(text), address) << text;
    in6_addr system{};
    ASSERT_EQ(inet_pton(AF_INET6, text.c_str(), &system), 1) << text;
    EXPECT_EQ(std::memcmp(&system, bytes.data(), 16), 0) << text;
    // glibc's inet_ntop also follows RFC 5952 except that it writes the deprecated IPv4-compatible
    // form (::a.b.c.d) dotted; compare where the two rules agree.
    const bool ipv4_compatible = std::all_of(bytes.begin(), bytes.begin() + 12, [](auto b) { return b == 0; });
    if (!ipv4_compatible) {
      std::array<char, INET6_ADDRSTRLEN> expected{};
      ASSERT_NE(inet_ntop(AF_INET6, bytes.data(), expected.data(), expected.size()), nullptr);
      EXPECT_EQ(text, expected.data());
    }
  }
}

TEST(IpAddress, ParsesEitherFamilyAndOrdersIpv4First) {
  const auto four = IpAddress::parse("198.18.0.1");
  const auto six = IpAddress::parse("2001:2::1");
  ASSERT_TRUE(four && six);
  EXPECT_TRUE(four->is_ipv4());
  EXPECT_EQ(four->ipv4(), Ipv4Address(0xC6120001));
  EXPECT_EQ(four->to_string(), "198.18.0.1");
  EXPECT_EQ(four->family_name(), "ipv4");
  EXPECT_TRUE(six->is_ipv6());
  EXPECT_EQ(six->to_string(), "2001:2::1");
  EXPECT_EQ(six->family_name(), "ipv6");
  EXPECT_LT(*four, *six);
  EXPECT_LT(IpAddress::v4(0xFFFFFFFF), IpAddress(Ipv6Address()));
  EXPECT_LT(IpAddress::v4(1), IpAddress::v4(2));
  // The IPv4-mapped IPv6 address is an IPv6 address, not the IPv4 one.
  EXPECT_NE(IpAddress::parse("::ffff:198.18.0.1"), four);
  EXPECT_NE(IpAddress::v4(0).hash(), IpAddress(Ipv6Address()).hash());
  EXPECT_FALSE(IpAddress::parse("198.18.0.01"));
  EXPECT_NE(ip_problem("198.18.0.01").find("leading zero"), std::string::npos);
  EXPECT_NE(ip_problem("2001:2::1::").find("'::'"), std::string::npos);
}

}  // namespace
}  // namespace synscan::net
