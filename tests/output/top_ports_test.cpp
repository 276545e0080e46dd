// --top-ports ranking (synscan's own, top_ports.cpp) and RFC 6335 port categories.
#include "output/top_ports.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace synscan::output {
namespace {

TEST(TopPorts, BriefServicesComeFirstInTableOrder) {
  const std::vector<std::uint16_t> tcp = top_ports(Protocol::kTcp, 31);
  EXPECT_EQ((std::vector<std::uint16_t>(tcp.begin(), tcp.begin() + 8)),
            (std::vector<std::uint16_t>{80, 443, 8080, 8443, 20, 21, 22, 445}));
  for (const std::uint16_t port :
       {80, 443, 22, 21, 25, 3389, 3306, 5432, 6379, 27017, 6443, 10250, 2379}) {
    EXPECT_NE(std::find(tcp.begin(), tcp.end(), port), tcp.end()) << port;
  }
  const std::vector<std::uint16_t> udp = top_ports(Protocol::kUdp, 8);
  EXPECT_EQ(udp, (std::vector<std::uint16_t>{53, 67, 68, 69, 123, 161, 162, 514}));
}

TEST(TopPorts, HandRankedListsAreAFewHundredTcpAndAboutAHundredUdp) {
  EXPECT_GE(ranked_port_count(Protocol::kTcp), 300u);
  EXPECT_GE(ranked_port_count(Protocol::kUdp), 90u);
  // A shorter ranking is a prefix of a longer one.
  const std::vector<std::uint16_t> long_list = top_ports(Protocol::kTcp, 500);
  const std::vector<std::uint16_t> short_list = top_ports(Protocol::kTcp, 100);
  EXPECT_TRUE(std::equal(short_list.begin(), short_list.end(), long_list.begin()));
}

TEST(TopPorts, AnyCountIsDistinctNonZeroAndCapped) {
  for (const Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
    for (const std::size_t count : {0u, 1u, 100u, 1000u, 65535u, 70000u}) {
      const std::vector<std::uint16_t> ports = top_ports(protocol, count);
      EXPECT_EQ(ports.size(), std::min<std::size_t>(count, 65535));
      EXPECT_EQ(std::set<std::uint16_t>(ports.begin(), ports.end()).size(), ports.size());
      EXPECT_EQ(std::count(ports.begin(), ports.end(), 0), 0);
    }
  }
}

TEST(TopPorts, PastTheRankingPorts1To1024ThenTheRestAscending) {
  for (const Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
    const auto ranked = static_cast<std::ptrdiff_t>(ranked_port_count(protocol));
    const std::vector<std::uint16_t> all = top_ports(protocol, 65535);
    const std::set<std::uint16_t> hand_ranked(all.begin(), all.begin() + ranked);
    std::vector<std::uint16_t> rest;
    for (unsigned port = 1; port <= 65535; ++port) {
      if (!hand_ranked.contains(static_cast<std::uint16_t>(port))) {
        rest.push_back(static_cast<std::uint16_t>(port));
      }
    }
    // 1..65535 ascending = 1..1024 ascending, then 1025.. ascending.
    EXPECT_TRUE(std::equal(rest.begin(), rest.end(), all.begin() + ranked));
  }
}

TEST(PortCategory, Rfc6335Ranges) {
  EXPECT_STREQ(port_category(0), "well-known");
  EXPECT_STREQ(port_category(1023), "well-known");
  EXPECT_STREQ(port_category(1024), "registered");
  EXPECT_STREQ(port_category(49151), "registered");
  EXPECT_STREQ(port_category(49152), "dynamic");
  EXPECT_STREQ(port_category(65535), "dynamic");
}

}  // namespace
}  // namespace synscan::output
