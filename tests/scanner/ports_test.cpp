// nmap -p spellings, protocol sections, and errors naming the bad token.
#include "scanner/ports.hpp"

#include <gtest/gtest.h>

#include "net/port_ranges.hpp"
#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

using Ports = std::vector<std::uint16_t>;

std::string error_of(std::string_view spec, bool tcp = true, bool udp = false) {
  try {
    (void)parse_port_spec(spec, tcp, udp);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "";
}

TEST(ParsePortSpec, ListsAndRangesSortedAndUnique) {
  const PortList ports = parse_port_spec("443,22,80,8000-8003,22,8001", true, false);
  EXPECT_EQ(ports.tcp, (Ports{22, 80, 443, 8000, 8001, 8002, 8003}));
  EXPECT_TRUE(ports.udp.empty());
  EXPECT_EQ(ports.size(), 7u);
  EXPECT_EQ(parse_port_spec("7-7", true, false).tcp, (Ports{7}));
}

TEST(ParsePortSpec, OpenRanges) {
  EXPECT_EQ(parse_port_spec("-", true, false).tcp.size(), 65535u);
  EXPECT_EQ(parse_port_spec("-", true, false).tcp.front(), 1);
  EXPECT_EQ(parse_port_spec("-3", true, false).tcp, (Ports{1, 2, 3}));
  EXPECT_EQ(parse_port_spec("65533-", true, false).tcp, (Ports{65533, 65534, 65535}));
  EXPECT_EQ(parse_port_spec("65535", true, false).tcp, (Ports{65535}));
}

TEST(ParsePortSpec, PortZeroOnlyWhenNamed) {
  EXPECT_EQ(parse_port_spec("0", true, false).tcp, (Ports{0}));
  EXPECT_EQ(parse_port_spec("0-2", true, false).tcp, (Ports{0, 1, 2}));
  EXPECT_EQ(parse_port_spec("-2", true, false).tcp, (Ports{1, 2}));
  EXPECT_EQ(parse_port_spec("-", true, false).tcp.front(), 1);
}

TEST(ParsePortSpec, ProtocolSectionsLastUntilTheNextPrefix) {
  PortList ports = parse_port_spec("T:22,80,U:53,161", true, true);
  EXPECT_EQ(ports.tcp, (Ports{22, 80}));
  EXPECT_EQ(ports.udp, (Ports{53, 161}));
  ports = parse_port_spec("22,U:53,T:80-81", true, true);  // unprefixed: every enabled protocol
  EXPECT_EQ(ports.tcp, (Ports{22, 80, 81}));
  EXPECT_EQ(ports.udp, (Ports{22, 53}));
  ports = parse_port_spec("53,161", false, true);
  EXPECT_TRUE(ports.tcp.empty());
  EXPECT_EQ(ports.udp, (Ports{53, 161}));
  ports = parse_port_spec("U:-", false, true);
  EXPECT_EQ(ports.udp.size(), 65535u);
  ports = parse_port_spec("t:1,u:2", true, true);
  EXPECT_EQ(ports.tcp, (Ports{1}));
  EXPECT_EQ(ports.udp, (Ports{2}));
}

TEST(ParsePortSpec, ErrorsNameTheToken) {
  EXPECT_NE(error_of("22,65536").find("'65536'"), std::string::npos);
  EXPECT_NE(error_of("22,99999").find("99999"), std::string::npos);
  EXPECT_NE(error_of("100-90").find("'100-90'"), std::string::npos);
  EXPECT_NE(error_of("100-90").find("below its start"), std::string::npos);
  EXPECT_NE(error_of("http").find("'http'"), std::string::npos);
  EXPECT_NE(error_of("22,8o").find("'8o'"), std::string::npos);
  EXPECT_NE(error_of("22,,80").find("'22,,80'"), std::string::npos);
  EXPECT_NE(error_of("22,,80").find("empty"), std::string::npos);
  EXPECT_NE(error_of("22,").find("empty"), std::string::npos);
  EXPECT_NE(error_of(",22").find("empty"), std::string::npos);
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of("U:53").find("'U:53'"), std::string::npos);
  EXPECT_NE(error_of("U:53").find("-sU"), std::string::npos);
  EXPECT_NE(error_of("T:22", false, true).find("'T:22'"), std::string::npos);
  EXPECT_NE(error_of("S:22").find("'S:22'"), std::string::npos);
  EXPECT_NE(error_of("T:", true, true).find("'T:'"), std::string::npos);
  EXPECT_NE(error_of("1-2-3").find("'1-2-3'"), std::string::npos);
  EXPECT_NE(error_of(" 22").find("' 22'"), std::string::npos);
  EXPECT_EQ(error_of("-1"), "");
}

// The formatter is net's (tests/net/port_ranges_test.cpp); its text must parse back with -p.
TEST(FormatPortRanges, RoundTripsThroughThePortSpec) {
  EXPECT_EQ(net::format_port_ranges(parse_port_spec("-", true, false).tcp), "1-65535");
  const Ports round_trip = parse_port_spec("1,3-5,7,100-200,65535", true, false).tcp;
  EXPECT_EQ(net::format_port_ranges(round_trip), "1,3-5,7,100-200,65535");
  EXPECT_EQ(parse_port_spec(net::format_port_ranges(round_trip), true, false).tcp, round_trip);
}

}  // namespace
}  // namespace synscan::scanner
