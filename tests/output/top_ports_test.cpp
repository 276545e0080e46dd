// --top-ports ranking and port categories.
#include "output/top_ports.hpp"

#include <gtest/gtest.h>

#include <set>

namespace synscan::output {
namespace {

TEST(TopPorts, BriefServicesComeFirstWithoutDuplicates) {
  const std::vector<std::uint16_t> tcp = top_ports(Protocol::kTcp, 31);
  EXPECT_EQ(tcp.front(), 80);
  for (std::uint16_t port : {80, 443, 22, 21, 25, 3389, 3306, 5432, 6379, 27017, 6443, 10250}) {
    EXPECT_NE(std::find(tcp.begin(), tcp.end(), port), tcp.end()) << port;
  }
  const std::vector<std::uint16_t> udp = top_ports(Protocol::kUdp, 8);
  EXPECT_EQ(udp, (std::vector<std::uint16_t>{53, 67, 68, 69, 123, 161, 162, 514}));
}

TEST(TopPorts, AnyCountIsDistinctAndFillsUpToAllPorts) {
  for (const Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
    for (std::size_t count : {0u, 1u, 100u, 1000u, 65535u, 70000u}) {
      const std::vector<std::uint16_t> ports = top_ports(protocol, count);
      EXPECT_EQ(ports.size(), std::min<std::size_t>(count, 65535));
      EXPECT_EQ(std::set<std::uint16_t>(ports.begin(), ports.end()).size(), ports.size());
      EXPECT_EQ(std::count(ports.begin(), ports.end(), 0), 0);
    }
  }
  // After the ranked list: the remaining well-known ports first, ascending.
  const std::vector<std::uint16_t> thousand = top_ports(Protocol::kTcp, 1000);
  EXPECT_LT(*std::max_element(thousand.begin() + 300, thousand.end()), 1024);
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
