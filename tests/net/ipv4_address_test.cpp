// The IPv4 text rule: strict dotted quad, decimal, no leading zeros; round trip over the space.
#include "net/ipv4_address.hpp"

#include <gtest/gtest.h>

#include <random>

namespace synscan::net {
namespace {

TEST(Ipv4Address, ParsesDottedQuads) {
  EXPECT_EQ(Ipv4Address::parse("198.18.0.1"), Ipv4Address(0xC6120001));
  EXPECT_EQ(Ipv4Address::parse("0.0.0.0"), Ipv4Address(0));
  EXPECT_EQ(Ipv4Address::parse("255.255.255.255"), Ipv4Address(0xFFFFFFFF));
  EXPECT_EQ(Ipv4Address::parse("10.0.100.9")->value(), 0x0A006409u);
}

TEST(Ipv4Address, RefusesLeadingZerosInsteadOfGuessingOctal) {
  // inet_aton reads "010" as 8, a decimal parser as 10: either answer would be a silent guess.
  for (const char* text :
       {"010.0.0.1", "198.018.0.1", "198.18.00.1", "198.18.0.01", "00.0.0.0", "198.18.0.000"}) {
    EXPECT_FALSE(Ipv4Address::parse(text)) << text;
    EXPECT_NE(ipv4_problem(text).find("leading zero"), std::string::npos) << text;
  }
  EXPECT_FALSE(parse_ipv4_octet("08"));
  EXPECT_EQ(parse_ipv4_octet("0"), 0);
  EXPECT_EQ(parse_ipv4_octet("100"), 100);
}

TEST(Ipv4Address, RefusesEverythingElse) {
  for (const char* text :
       {"",           ".",         "...",       "1.2.3",     "1.2.3.4.5",  "1.2.3.4.",
        ".1.2.3.4",   "1..2.3",    "256.0.0.1", "1.2.3.256", "1.2.3.1000", "1.2.3.-1",
        "1.2.3.+1",   " 1.2.3.4",  "1.2.3.4 ",  "0x1.2.3.4", "1.2.3.a",    "16909060",
        "1.2.3.4/32", "1.2.3.4-5", "::1",       "1,2,3,4"}) {
    EXPECT_FALSE(Ipv4Address::parse(text)) << '"' << text << '"';
    EXPECT_FALSE(ipv4_problem(text).empty()) << '"' << text << '"';
  }
  EXPECT_EQ(ipv4_problem("1.2.3"), "expected four decimal octets separated by '.'");
  EXPECT_EQ(ipv4_problem("1.2.3.300"), "octet '300' is above 255");
  EXPECT_EQ(ipv4_problem("1.2.x.3"), "octet 'x' is not a decimal number");
  EXPECT_EQ(ipv4_problem("1.2..3"), "octet '' is empty");
  EXPECT_EQ(ipv4_problem("198.18.0.1"), "");
}

TEST(Ipv4Address, Formats) {
  EXPECT_EQ(Ipv4Address(0xC6120001).to_string(), "198.18.0.1");
  EXPECT_EQ(Ipv4Address(0).to_string(), "0.0.0.0");
  EXPECT_EQ(Ipv4Address(0xFFFFFFFF).to_string(), "255.255.255.255");
  EXPECT_EQ(Ipv4Address(0x0A006409).to_string(), "10.0.100.9");
}

TEST(Ipv4Address, RoundTripsEveryOctetValueAndRandomAddresses) {
  for (std::uint32_t octet = 0; octet < 256; ++octet) {
    const Ipv4Address address(octet * 0x01010101u);
    EXPECT_EQ(Ipv4Address::parse(address.to_string()), address) << address.to_string();
  }
  std::mt19937 random(7);
  for (int i = 0; i < 10000; ++i) {
    const Ipv4Address address(static_cast<std::uint32_t>(random()));
    ASSERT_EQ(Ipv4Address::parse(address.to_string()), address) << address.to_string();
  }
}

TEST(Ipv4Address, OrdersByNumericValue) {
  EXPECT_LT(Ipv4Address(0x0A000002), Ipv4Address(0x0A00000A));  // 10.0.0.2 < 10.0.0.10
  EXPECT_EQ(Ipv4Address(), Ipv4Address(0));
}

}  // namespace
}  // namespace synscan::net
