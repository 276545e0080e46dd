// Target specs: every accepted spelling, merges and exclusions, and errors naming the token.
#include "scanner/targets.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

#include <unistd.h>

#include "scanner/errors.hpp"

namespace synscan::scanner {
namespace {

constexpr std::uint32_t ip(std::uint32_t a, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// Test resolver: two names, everything else unknown. Never touches DNS.
std::vector<std::uint32_t> fake_resolver(const std::string& hostname) {
  if (hostname == "scanme.example") return {ip(198, 18, 7, 7), ip(198, 18, 7, 8)};
  if (hostname == "localhost") return {ip(127, 0, 0, 1)};
  return {};
}

// IPv4 tokens: their ranges (an IPv4 token never yields IPv6 ranges).
std::vector<AddressRange> parse(std::string_view token) {
  const TargetRanges ranges = parse_target_token(token, fake_resolver);
  EXPECT_TRUE(ranges.ipv6.empty()) << token;
  return ranges.ipv4;
}

net::Ipv6Address v6(const char* text) {
  return net::Ipv6Address::parse(text).value();
}

Ipv6Range parse6(std::string_view token) {
  const TargetRanges ranges = parse_target_token(token, fake_resolver);
  EXPECT_TRUE(ranges.ipv4.empty()) << token;
  EXPECT_EQ(ranges.ipv6.size(), 1u) << token;
  return ranges.ipv6.empty() ? Ipv6Range{} : ranges.ipv6.front();
}

// The UsageError text for `token`, or "" when it parses.
std::string error_of(std::string_view token) {
  try {
    (void)parse(token);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "";
}

// The address text rule is net::Ipv4Address's (tests/net): here only that targets follow it and
// name the octet that breaks it.
TEST(ParseTargetToken, RefusesLeadingZerosNamingTheOctet) {
  EXPECT_EQ(error_of("198.18.0.010"),
            "invalid target '198.18.0.010': bad octet '010': it has a leading zero (inet_aton and "
            "nmap read it as octal; write it without the zero)");
  EXPECT_EQ(error_of("198.018.0.0/24"),
            "invalid target '198.018.0.0/24': '198.018.0.0' is not an IPv4 address: octet '018' "
            "has a leading zero (inet_aton and nmap read it as octal; write it without the zero)");
  EXPECT_NE(error_of("198.18.0.1-198.18.0.09").find("range end: octet '09' has a leading zero"),
            std::string::npos);
  EXPECT_NE(error_of("198.18.0.1-198.18.0.300").find("range end: octet '300' is above 255"),
            std::string::npos);
  EXPECT_NE(error_of("198.18.0.x-198.18.0.3").find("range start: octet 'x'"), std::string::npos);
  EXPECT_NE(error_of("198.18.0.01-5").find("bad octet '01'"), std::string::npos);
  EXPECT_NE(error_of("198.18.0.1-05").find("bad octet '05'"), std::string::npos);
  EXPECT_EQ(parse("198.18.0.0"),
            (std::vector<AddressRange>{{ip(198, 18, 0, 0), ip(198, 18, 0, 0)}}));
  EXPECT_EQ(parse("198.18.0-1.0"),
            (std::vector<AddressRange>{{ip(198, 18, 0, 0), ip(198, 18, 0, 0)},
                                       {ip(198, 18, 1, 0), ip(198, 18, 1, 0)}}));
}

TEST(ParseTargetToken, SingleAddressCidrAndRange) {
  EXPECT_EQ(parse("198.18.0.1"),
            (std::vector<AddressRange>{{ip(198, 18, 0, 1), ip(198, 18, 0, 1)}}));
  EXPECT_EQ(parse("198.18.0.0/16"),
            (std::vector<AddressRange>{{ip(198, 18, 0, 0), ip(198, 18, 255, 255)}}));
  // Host bits set mean the enclosing block, as in nmap.
  EXPECT_EQ(parse("198.18.0.5/16"),
            (std::vector<AddressRange>{{ip(198, 18, 0, 0), ip(198, 18, 255, 255)}}));
  EXPECT_EQ(parse("198.18.3.4/32"),
            (std::vector<AddressRange>{{ip(198, 18, 3, 4), ip(198, 18, 3, 4)}}));
  EXPECT_EQ(parse("0.0.0.0/0"), (std::vector<AddressRange>{{0, 0xFFFFFFFF}}));
  EXPECT_EQ(parse("198.18.0.1-198.18.1.255"),
            (std::vector<AddressRange>{{ip(198, 18, 0, 1), ip(198, 18, 1, 255)}}));
  EXPECT_EQ(parse("198.18.0.9-198.18.0.9"),
            (std::vector<AddressRange>{{ip(198, 18, 0, 9), ip(198, 18, 0, 9)}}));
}

TEST(ParseTargetToken, NmapOctetRanges) {
  const std::vector<AddressRange> ranges = parse("10.0.0-3.1-254");
  ASSERT_EQ(ranges.size(), 4u);
  for (std::uint32_t third = 0; third < 4; ++third) {
    EXPECT_EQ(ranges[third], (AddressRange{ip(10, 0, third, 1), ip(10, 0, third, 254)}));
  }
  EXPECT_EQ(parse("10.0.0.*"), (std::vector<AddressRange>{{ip(10, 0, 0, 0), ip(10, 0, 0, 255)}}));
  // Full trailing fields fold into one range per combination of the leading fields.
  EXPECT_EQ(parse("10.1-2.*.*"),
            (std::vector<AddressRange>{{ip(10, 1, 0, 0), ip(10, 2, 255, 255)}}));
  EXPECT_EQ(parse("*.*.*.*"), (std::vector<AddressRange>{{0, 0xFFFFFFFF}}));
  EXPECT_EQ(parse("10.0.0.1-10"), (std::vector<AddressRange>{{ip(10, 0, 0, 1), ip(10, 0, 0, 10)}}));
  EXPECT_EQ(parse("10.0.0.250-"),
            (std::vector<AddressRange>{{ip(10, 0, 0, 250), ip(10, 0, 0, 255)}}));
  EXPECT_EQ(parse("10.0.0.-2"), (std::vector<AddressRange>{{ip(10, 0, 0, 0), ip(10, 0, 0, 2)}}));
  const std::vector<AddressRange> sparse = parse("10.0-1.*.7");
  EXPECT_EQ(sparse.size(), 512u);
  EXPECT_EQ(sparse.front(), (AddressRange{ip(10, 0, 0, 7), ip(10, 0, 0, 7)}));
  EXPECT_EQ(sparse.back(), (AddressRange{ip(10, 1, 255, 7), ip(10, 1, 255, 7)}));
  EXPECT_EQ(TargetSet(parse("1-2.*.*.1-2"), {}).size(), 2u * 256 * 256 * 2);
}

TEST(ParseTargetToken, HostnamesUseTheResolver) {
  EXPECT_EQ(parse("scanme.example"),
            (std::vector<AddressRange>{{ip(198, 18, 7, 7), ip(198, 18, 7, 7)}}));
  EXPECT_EQ(parse("localhost"), (std::vector<AddressRange>{{ip(127, 0, 0, 1), ip(127, 0, 0, 1)}}));
  EXPECT_EQ(parse("scanme.example/24"),
            (std::vector<AddressRange>{{ip(198, 18, 7, 0), ip(198, 18, 7, 255)}}));
  EXPECT_NE(error_of("nowhere.example").find("nowhere.example"), std::string::npos);
}

TEST(ParseTargetToken, ErrorsNameTheToken) {
  const char* const bad_tokens[] = {"198.18.0.256",
                                    "198.18.0.01x",
                                    "198.18..1",
                                    "198.18.0.0/33",
                                    "198.18.0.0/",
                                    "198.18.0.0/-1",
                                    "198.18.0.0/a",
                                    "198.18.1.0-198.18.0.255",
                                    "10.0.5-3.1",
                                    "10.0.0.300-301",
                                    "1.2.3",
                                    "1.2.3.4.5",
                                    "-",
                                    "/24",
                                    "1.2.3.01",
                                    "10.0.0.1-2-3",
                                    "12345"};
  for (const char* token : bad_tokens) {
    const std::string message = error_of(token);
    EXPECT_NE(message.find(std::string("'") + token + "'"), std::string::npos)
        << token << " -> " << message;
  }
  EXPECT_EQ(error_of("198.18.0.0/33"),
            "invalid target '198.18.0.0/33': prefix length must be 0-32");
  EXPECT_NE(error_of("198.18.0.256").find("bad octet '256'"), std::string::npos);
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of("198.18.1.0-198.18.0.255").find("below its start"), std::string::npos);
}

TEST(SplitTargetTokens, WhitespaceCommasAndComments) {
  EXPECT_EQ(split_target_tokens("  198.18.0.1,198.18.0.2\n# a comment, with 1.2.3.4\n"
                                "10.0.0.0/8\t\t host.example # trailing\r\n,,\n"),
            (std::vector<std::string>{"198.18.0.1", "198.18.0.2", "10.0.0.0/8", "host.example"}));
  EXPECT_TRUE(split_target_tokens("").empty());
  EXPECT_TRUE(split_target_tokens("# only\n  \n").empty());
  EXPECT_EQ(split_target_tokens("a#b\nc"), (std::vector<std::string>{"a", "c"}));
}

TEST(ReadTargetFile, ReadsTokensAndNamesAMissingFile) {
  const std::string path = testing::TempDir() + "synscan_targets_test.txt";
  {
    std::ofstream file(path);
    file << "# lab hosts\n198.18.0.0/30, 198.18.1.1\n198.18.2.1-198.18.2.3 # three\n";
  }
  EXPECT_EQ(read_target_file(path),
            (std::vector<std::string>{"198.18.0.0/30", "198.18.1.1", "198.18.2.1-198.18.2.3"}));
  std::remove(path.c_str());
  try {
    (void)read_target_file("/nonexistent/targets.txt");
    FAIL() << "expected UsageError";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/targets.txt"), std::string::npos);
  }
}

TEST(TargetSet, WholeAddressSpace) {
  const TargetSet all({{0, 0xFFFFFFFF}}, {});
  EXPECT_EQ(all.size(), std::uint64_t{1} << 32);
  EXPECT_EQ(all.at(0), 0u);
  EXPECT_EQ(all.at((std::uint64_t{1} << 32) - 1), 0xFFFFFFFFu);
  EXPECT_EQ(all.index_of(0xFFFFFFFF), (std::uint64_t{1} << 32) - 1);
  EXPECT_EQ(build_target_set({"0.0.0.0/0"}, {}, fake_resolver).size(), std::uint64_t{1} << 32);
}

TEST(TargetSet, MergesOverlappingAndAdjacentRanges) {
  const TargetSet set({{ip(10, 0, 0, 10), ip(10, 0, 0, 20)},
                       {ip(10, 0, 0, 0), ip(10, 0, 0, 5)},
                       {ip(10, 0, 0, 6), ip(10, 0, 0, 9)},    // adjacent to both neighbours
                       {ip(10, 0, 0, 15), ip(10, 0, 0, 30)},  // overlapping
                       {ip(10, 0, 0, 12), ip(10, 0, 0, 13)},  // contained
                       {ip(10, 0, 1, 0), ip(10, 0, 1, 0)},
                       {ip(10, 0, 1, 0), ip(10, 0, 1, 0)},  // duplicate
                       {0xFFFFFFFF, 0xFFFFFFFF},
                       {0xFFFFFFFE, 0xFFFFFFFE}},
                      {});
  EXPECT_EQ(set.ranges(), (std::vector<AddressRange>{{ip(10, 0, 0, 0), ip(10, 0, 0, 30)},
                                                     {ip(10, 0, 1, 0), ip(10, 0, 1, 0)},
                                                     {0xFFFFFFFE, 0xFFFFFFFF}}));
  EXPECT_EQ(set.size(), 31u + 1 + 2);
}

TEST(TargetSet, ExclusionsSplitAndTrim) {
  const TargetSet set = build_target_set({"198.18.0.0/24", "198.18.2.0/24"},
                                         {"198.18.0.10-198.18.0.19", "198.18.0.0", "198.18.0.255",
                                          "198.18.1.0/24", "198.18.2.128/25", "198.18.0.100"},
                                         fake_resolver);
  EXPECT_EQ(set.ranges(), (std::vector<AddressRange>{{ip(198, 18, 0, 1), ip(198, 18, 0, 9)},
                                                     {ip(198, 18, 0, 20), ip(198, 18, 0, 99)},
                                                     {ip(198, 18, 0, 101), ip(198, 18, 0, 254)},
                                                     {ip(198, 18, 2, 0), ip(198, 18, 2, 127)}}));
  EXPECT_EQ(set.size(), 9u + 80 + 154 + 128);
  EXPECT_FALSE(set.index_of(ip(198, 18, 0, 15)));
  EXPECT_FALSE(set.index_of(ip(198, 18, 2, 200)));
  EXPECT_EQ(set.index_of(ip(198, 18, 0, 1)), 0u);
  EXPECT_EQ(set.index_of(ip(198, 18, 0, 20)), 9u);
}

TEST(TargetSet, ExcludingEverythingLeavesNothing) {
  const TargetSet set = build_target_set({"198.18.0.0/24"}, {"198.18.0.0/16"}, fake_resolver);
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.index_of(ip(198, 18, 0, 1)));
  const TargetSet whole =
      build_target_set({"0.0.0.0/0"}, {"0.0.0.0", "255.255.255.255"}, fake_resolver);
  EXPECT_EQ(whole.size(), (std::uint64_t{1} << 32) - 2);
  EXPECT_EQ(whole.at(0), 1u);
  EXPECT_TRUE(TargetSet().empty());
}

TEST(TargetSet, AtAndIndexOfRoundTrip) {
  // Many small ranges with gaps, so the binary search is exercised at every boundary.
  std::vector<AddressRange> include;
  std::mt19937 random(11);
  for (int i = 0; i < 2000; ++i) {
    const std::uint32_t first = random();
    include.push_back({first, first + std::min<std::uint32_t>(random() % 300, ~first)});
  }
  const TargetSet set(include, {{ip(100, 0, 0, 0), ip(120, 0, 0, 0)}});
  ASSERT_FALSE(set.empty());
  std::uint64_t expected_size = 0;
  for (std::size_t i = 0; i < set.ranges().size(); ++i) {
    const AddressRange& range = set.ranges()[i];
    if (i > 0) {
      EXPECT_GT(std::uint64_t{range.first}, std::uint64_t{set.ranges()[i - 1].last} + 1);
    }
    expected_size += range.size();
    for (std::uint32_t address : {range.first, range.last}) {
      const std::optional<std::uint64_t> index = set.index_of(address);
      ASSERT_TRUE(index);
      EXPECT_EQ(set.at(*index), address);
    }
    if (range.first > 0) {
      EXPECT_FALSE(set.index_of(range.first - 1));
    }
  }
  EXPECT_EQ(set.size(), expected_size);
  for (std::uint64_t index = 0; index < set.size(); index += 7) {
    EXPECT_EQ(set.index_of(set.at(index)), index);
  }
  for (int i = 0; i < 10000; ++i) {
    const std::uint32_t address = random();
    if (const std::optional<std::uint64_t> index = set.index_of(address)) {
      EXPECT_EQ(set.at(*index), address);
    }
  }
}

TEST(ParseTargetToken, Ipv6LiteralsCidrOfAnyLengthAndRanges) {
  EXPECT_EQ(parse6("2001:2::1"), (Ipv6Range{v6("2001:2::1"), v6("2001:2::1")}));
  EXPECT_EQ(parse6("2001:2::/112"), (Ipv6Range{v6("2001:2::"), v6("2001:2::ffff")}));
  // Host bits are ignored, as for IPv4.
  EXPECT_EQ(parse6("2001:2::1:5/112"), (Ipv6Range{v6("2001:2::1:0"), v6("2001:2::1:ffff")}));
  EXPECT_EQ(parse6("2001:2::5/128"), (Ipv6Range{v6("2001:2::5"), v6("2001:2::5")}));
  EXPECT_EQ(parse6("2001:2::/127"), (Ipv6Range{v6("2001:2::"), v6("2001:2::1")}));
  EXPECT_EQ(parse6("2001:2::/48"), (Ipv6Range{v6("2001:2::"), v6("2001:2:0:ffff:ffff:ffff:ffff:ffff")}));
  EXPECT_EQ(parse6("2001:2::/33"), (Ipv6Range{v6("2001:2::"), v6("2001:2:7fff:ffff:ffff:ffff:ffff:ffff")}));
  EXPECT_EQ(parse6("::/0"), (Ipv6Range{v6("::"), v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}));
  EXPECT_EQ(parse6("2001:2::10-2001:2::1:0"), (Ipv6Range{v6("2001:2::10"), v6("2001:2::1:0")}));
  EXPECT_EQ(parse6("::ffff:198.18.0.1"), (Ipv6Range{v6("::ffff:c612:1"), v6("::ffff:c612:1")}));
}

TEST(ParseTargetToken, Ipv6ErrorsNameTheTokenAndTheReason) {
  EXPECT_EQ(error_of("2001:2::/129"), "invalid target '2001:2::/129': prefix length must be 0-128");
  EXPECT_EQ(error_of("2001:2::/"), "invalid target '2001:2::/': prefix length must be 0-128");
  EXPECT_EQ(error_of("2001:2::1::/64"),
            "invalid target '2001:2::1::/64': '2001:2::1::' is not an IPv6 address: more than one '::'");
  EXPECT_EQ(error_of("2001:2::9-2001:2::1"), "invalid target '2001:2::9-2001:2::1': range end is below its start");
  EXPECT_NE(error_of("2001:2::1-2001:2::x").find("range end: '2001:2::x' is not an IPv6 address"),
            std::string::npos);
  EXPECT_NE(error_of("fe80::1%eth0").find("zone identifiers"), std::string::npos);
  EXPECT_NE(error_of("2001:12345::1").find("more than four hex digits"), std::string::npos);
}

TEST(TargetSet, Ipv4IndicesFirstThenIpv6) {
  const TargetSet set = build_target_set({"2001:2::/120", "198.18.0.0/30", "2001:2::1:0-2001:2::1:1"},
                                         {"2001:2::80/121", "198.18.0.2"}, fake_resolver);
  EXPECT_EQ(set.ipv4_size(), 3u);
  EXPECT_EQ(set.ipv6_size(), 128u + 2);
  EXPECT_EQ(set.size(), 133u);
  EXPECT_EQ(set.at(2), ip(198, 18, 0, 3));
  EXPECT_FALSE(set.is_ipv6(2));
  EXPECT_TRUE(set.is_ipv6(3));
  EXPECT_EQ(set.ipv6_at(3), v6("2001:2::"));
  EXPECT_EQ(set.ipv6_at(3 + 127), v6("2001:2::7f"));
  EXPECT_EQ(set.ipv6_at(3 + 128), v6("2001:2::1:0"));
  EXPECT_EQ(set.address_at(0), net::IpAddress::v4(ip(198, 18, 0, 0)));
  EXPECT_EQ(set.address_at(132), net::IpAddress(v6("2001:2::1:1")));
  EXPECT_EQ(set.index_of(v6("2001:2::7f")), 130u);
  EXPECT_FALSE(set.index_of(v6("2001:2::80")));
  EXPECT_FALSE(set.index_of(v6("2001:2::1:2")));
  EXPECT_FALSE(set.index_of(v6("::")));
  EXPECT_EQ(set.index_of(net::IpAddress::v4(ip(198, 18, 0, 3))), 2u);
  EXPECT_EQ(set.index_of(net::IpAddress(v6("2001:2::1:0"))), 131u);
  for (std::uint64_t index = 0; index < set.size(); ++index) {
    EXPECT_EQ(set.index_of(set.address_at(index)), index);
  }
  EXPECT_EQ(set.ipv6_ranges(), (std::vector<Ipv6Range>{{v6("2001:2::"), v6("2001:2::7f")},
                                                      {v6("2001:2::1:0"), v6("2001:2::1:1")}}));
}

TEST(TargetSet, Ipv6MergesAndExcludesAtTheEndsOfTheSpace) {
  // Adjacent and overlapping ranges merge; the last address of the space never overflows.
  const TargetSet set = build_target_set(
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffe0/124", "::/126",
       "::4"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::"}, fake_resolver);
  EXPECT_EQ(set.ipv6_ranges(),
            (std::vector<Ipv6Range>{{v6("::1"), v6("::4")},
                                    {v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffe0"),
                                     v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")}}));
  EXPECT_EQ(set.size(), 4u + 31);
  const TargetSet none = build_target_set({"2001:2::/64"}, {"::/0"}, fake_resolver);
  EXPECT_TRUE(none.empty());
}

TEST(TargetSet, RefusesMoreAddressesThanItCanIndex) {
  EXPECT_THROW((void)build_target_set({"2001:2::/64"}, {}, fake_resolver), UsageError);
  EXPECT_THROW((void)build_target_set({"::/0"}, {}, fake_resolver), UsageError);
  EXPECT_THROW((void)build_target_set({"2001:2::/66", "2001:3::1"}, {}, fake_resolver), UsageError);
  EXPECT_EQ(build_target_set({"2001:2::/66"}, {}, fake_resolver).size(), std::uint64_t{1} << 62);
}

TEST(ReadTargetFile, MixesIpv4AndIpv6) {
  const std::string path = ::testing::TempDir() + "/mixed_targets_" + std::to_string(::getpid()) + ".txt";
  {
    std::ofstream file(path);
    file << "# lab hosts\n198.18.0.1\n2001:2::1  # the IPv6 twin\n2001:2::100/120,198.18.1.0/24\n";
  }
  const std::vector<std::string> tokens = read_target_file(path);
  std::remove(path.c_str());
  EXPECT_EQ(tokens, (std::vector<std::string>{"198.18.0.1", "2001:2::1", "2001:2::100/120", "198.18.1.0/24"}));
  const TargetSet set = build_target_set(tokens, {}, fake_resolver);
  EXPECT_EQ(set.ipv4_size(), 257u);
  EXPECT_EQ(set.ipv6_size(), 257u);
}

}  // namespace
}  // namespace synscan::scanner
