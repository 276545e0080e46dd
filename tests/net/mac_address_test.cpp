// The MAC text rule: six two-digit hex groups, one separator kind; lowercase ':' output.
#include "net/mac_address.hpp"

#include <gtest/gtest.h>

namespace synscan::net {
namespace {

TEST(MacAddress, ParsesColonAndDashForms) {
  const MacAddress expected{{0x02, 0x00, 0xAB, 0xcd, 0x0e, 0xFF}};
  EXPECT_EQ(MacAddress::parse("02:00:ab:cd:0e:ff"), expected);
  EXPECT_EQ(MacAddress::parse("02:00:AB:CD:0E:FF"), expected);
  EXPECT_EQ(MacAddress::parse("02-00-ab-cd-0e-ff"), expected);
}

TEST(MacAddress, RefusesMalformedText) {
  for (const char* text :
       {"", "zz", "02:00:00:00:00", "02:00:00:00:00:00:00", "2:0:0:0:0:1", "02:00:00:00:00:0g",
        "02:00-00:00:00:00", "02.00.00.00.00.00", "0200.0000.0001", " 02:00:00:00:00:01",
        "02:00:00:00:00:01 ", "02:00:00:00:00:1x", "020:00:00:00:00:1"}) {
    EXPECT_FALSE(MacAddress::parse(text)) << '"' << text << '"';
  }
}

TEST(MacAddress, FormatsLowercaseWithColonsAndRoundTrips) {
  const MacAddress mac{{0x02, 0x00, 0xAB, 0xCD, 0x0E, 0xFF}};
  EXPECT_EQ(mac.to_string(), "02:00:ab:cd:0e:ff");
  EXPECT_EQ(MacAddress::parse(mac.to_string()), mac);
  EXPECT_EQ(MacAddress{}.to_string(), "00:00:00:00:00:00");
  EXPECT_EQ(mac[2], 0xAB);
  EXPECT_EQ(MacAddress::size(), 6u);
}

}  // namespace
}  // namespace synscan::net
