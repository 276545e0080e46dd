// ICMP and ICMPv6 errors -> nmap's reason words, and those words -> states: the mapping tables of
// result.hpp written out case by case, every reason with its own name.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "output/result.hpp"

namespace synscan::output {
namespace {

TEST(Reasons, EveryReasonHasItsOwnName) {
  std::set<std::string> names;
  for (std::size_t value = 0; value < kReasonCount; ++value) {
    const std::string name = to_string(static_cast<Reason>(value));
    EXPECT_NE(name, "unknown") << value;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
  EXPECT_STREQ(to_string(Reason::kNoRoute), "no-route");
  EXPECT_STREQ(to_string(Reason::kBeyondScope), "beyond-scope");
  EXPECT_STREQ(to_string(Reason::kRejectRoute), "reject-route");
  // Appended: the values before them (state-table codes, saved scans) did not move.
  EXPECT_EQ(static_cast<int>(Reason::kNoResponse), 11);
  EXPECT_EQ(static_cast<int>(Reason::kRejectRoute), 14);
}

// RFC 4443 section 3.1 codes with nmap's words (nmap's icmpv6_to_reason).
TEST(Reasons, Icmpv6DestinationUnreachable) {
  const std::pair<std::uint8_t, Reason> table[] = {
      {0, Reason::kNoRoute},      {1, Reason::kAdminProhibited}, {2, Reason::kBeyondScope},
      {3, Reason::kHostUnreach},  {4, Reason::kPortUnreach},     {5, Reason::kAdminProhibited},
      {6, Reason::kRejectRoute},  {7, Reason::kHostUnreach},     {8, Reason::kHostUnreach},
      {255, Reason::kHostUnreach}};
  for (const auto& [code, reason] : table) {
    EXPECT_EQ(icmpv6_error_reason(1, code), reason) << int{code};
  }
  EXPECT_EQ(icmpv6_error_reason(3, 0), Reason::kTimeExceeded);
  EXPECT_EQ(icmpv6_error_reason(3, 1), Reason::kTimeExceeded);
}

TEST(Reasons, StatesOfTheIcmpv6Reasons) {
  for (const Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
    for (const Reason reason : {Reason::kNoRoute, Reason::kBeyondScope, Reason::kRejectRoute}) {
      EXPECT_EQ(port_state(protocol, reason), PortState::kFiltered) << to_string(reason);
    }
  }
  // Port unreachable: closed for UDP (when the target sends it), filtered for TCP, as for IPv4.
  EXPECT_EQ(port_state(Protocol::kUdp, icmpv6_error_reason(1, 4)), PortState::kClosed);
  EXPECT_EQ(port_state(Protocol::kTcp, icmpv6_error_reason(1, 4)), PortState::kFiltered);
}

TEST(Reasons, Icmpv4TableIsUnchanged) {
  EXPECT_EQ(icmp_error_reason(3, 0), Reason::kNetUnreach);
  EXPECT_EQ(icmp_error_reason(3, 1), Reason::kHostUnreach);
  EXPECT_EQ(icmp_error_reason(3, 2), Reason::kProtoUnreach);
  EXPECT_EQ(icmp_error_reason(3, 3), Reason::kPortUnreach);
  EXPECT_EQ(icmp_error_reason(3, 9), Reason::kNetProhibited);
  EXPECT_EQ(icmp_error_reason(3, 10), Reason::kHostProhibited);
  EXPECT_EQ(icmp_error_reason(3, 13), Reason::kAdminProhibited);
  EXPECT_EQ(icmp_error_reason(11, 0), Reason::kTimeExceeded);
}

}  // namespace
}  // namespace synscan::output
