// Which captures the receiver can parse: pcap_datalink() values onto the parser's link types.
#include <gtest/gtest.h>

#include "capture.hpp"

namespace synscan::scanner {
namespace {

TEST(CaptureLinkTest, EveryParsedLinkTypeMaps) {
  EXPECT_EQ(link_type_of(DLT_EN10MB), packet::LinkType::kEthernet);
  EXPECT_EQ(link_type_of(DLT_RAW), packet::LinkType::kRawIp);
  EXPECT_EQ(link_type_of(DLT_IPV4), packet::LinkType::kRawIp);
  EXPECT_EQ(link_type_of(DLT_LINUX_SLL), packet::LinkType::kLinuxCooked);
  EXPECT_EQ(link_type_of(DLT_LINUX_SLL2), packet::LinkType::kLinuxCooked2);
}

TEST(CaptureLinkTest, OtherLinkTypesAreRefused) {
  EXPECT_FALSE(link_type_of(DLT_NULL).has_value());         // BSD loopback
  EXPECT_FALSE(link_type_of(DLT_IEEE802_11).has_value());   // 802.11 without radiotap
  EXPECT_FALSE(link_type_of(DLT_IPV6).has_value());         // IPv6-only raw: not scanned yet
}

}  // namespace
}  // namespace synscan::scanner
