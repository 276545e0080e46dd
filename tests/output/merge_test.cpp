// merge (tools.hpp): shard outputs combine into one scan; a host in several shards gets its ports
// merged in order; conflicting duplicates keep the answered result and warn; a host silent in one
// shard's XML gets that shard's unanswered ports back.
#include <gtest/gtest.h>

#include "output/tools.hpp"
#include "output_test_support.hpp"

namespace synscan::output {
namespace {

using namespace test_support;
using PortKeys = std::vector<std::pair<Protocol, std::uint16_t>>;

ScanModel shard(Format format, const std::vector<HostResult>& hosts, const ScanInfo& info,
                const char* name) {
  const std::string path = temp_path(name);
  write_scan(format, path, info, hosts, SampleScan().summary());
  return read_scan_file(path);
}

PortKeys port_keys(const ScannedHost& host) {
  PortKeys keys;
  for (const ScannedPort& port : host.ports)
    keys.emplace_back(port.result.protocol, port.result.port);
  return keys;
}

TEST(Merge, ShardsUnionWithPortsMergedInOrder) {
  const std::uint32_t host = ipv4(198, 18, 0, 5);
  const std::vector<PortResult> first = {tcp(443, PortState::kClosed, Reason::kReset, 64),
                                         udp(53, PortState::kOpen, Reason::kUdpResponse, 64)};
  const std::vector<PortResult> second = {tcp(22, PortState::kOpen, Reason::kSynAck, 64),
                                          udp(7, PortState::kOpenFiltered, Reason::kNoResponse, 0)};
  const std::vector<PortResult> other = {tcp(80, PortState::kOpen, Reason::kSynAck, 60)};
  const ScanInfo info = SampleScan().info;
  std::vector<ScanModel> parts;
  parts.push_back(
      shard(Format::kJsonLines, {HostResult{host, first, kStart, kStart + 1}}, info, "s1.jsonl"));
  parts.push_back(shard(Format::kJsonLines,
                        {HostResult{host, second, kStart + 1, kEnd},
                         HostResult{ipv4(198, 18, 0, 6), other, kStart, kStart}},
                        info, "s2.jsonl"));
  const ScanModel merged = merge_scans(std::move(parts));
  EXPECT_TRUE(merged.warnings.empty());
  ASSERT_EQ(merged.hosts.size(), 2u);
  EXPECT_EQ(
      port_keys(merged.hosts.at(host)),
      (PortKeys{
          {Protocol::kTcp, 22}, {Protocol::kTcp, 443}, {Protocol::kUdp, 7}, {Protocol::kUdp, 53}}));
  EXPECT_EQ(merged.hosts_up(), 2u);

  // Written out, the merged host is one <host> with its ports TCP then UDP.
  ConvertOptions options;
  options.scanner_version = "0.1.0";
  options.fallback_command_line = "synscan merge s1.jsonl s2.jsonl -oX -";
  const std::string path = temp_path("merged.xml");
  (void)write_scan_files(merged, {{Format::kXml, path}}, options);
  const std::string xml = read_file(path);
  EXPECT_EQ(xml.find("<address addr=\"198.18.0.5\""), xml.rfind("<address addr=\"198.18.0.5\""));
  EXPECT_LT(xml.find("portid=\"443\""), xml.find("protocol=\"udp\" portid=\"7\""));
  EXPECT_NE(xml.find("args=\"synscan merge s1.jsonl s2.jsonl -oX -\""), std::string::npos);
}

TEST(Merge, ConflictKeepsTheAnsweredResultAndWarns) {
  const std::uint32_t host = ipv4(198, 18, 0, 5);
  const std::vector<PortResult> silent = {tcp(22, PortState::kFiltered, Reason::kNoResponse, 0),
                                          tcp(80, PortState::kOpen, Reason::kSynAck, 64)};
  const std::vector<PortResult> answered = {tcp(22, PortState::kOpen, Reason::kSynAck, 64),
                                            tcp(80, PortState::kOpen, Reason::kSynAck, 64)};
  const ScanInfo info = SampleScan().info;
  for (const bool answered_first : {false, true}) {
    std::vector<ScanModel> parts;
    parts.push_back(
        shard(Format::kJsonLines, {HostResult{host, silent, kStart, kStart}}, info, "c1.jsonl"));
    parts.push_back(
        shard(Format::kJsonLines, {HostResult{host, answered, kStart, kStart}}, info, "c2.jsonl"));
    if (answered_first) std::swap(parts[0], parts[1]);
    const ScanModel merged = merge_scans(std::move(parts));
    const ScannedHost& merged_host = merged.hosts.at(host);
    ASSERT_EQ(merged_host.ports.size(), 2u);
    EXPECT_EQ(merged_host.ports[0].result.state, PortState::kOpen);
    EXPECT_EQ(merged_host.ports[0].result.reason, Reason::kSynAck);
    ASSERT_EQ(merged.warnings.size(), 1u);  // 80/tcp agrees: not a conflict
    EXPECT_NE(merged.warnings[0].find("198.18.0.5 22/tcp is both"), std::string::npos)
        << merged.warnings[0];
    EXPECT_NE(merged.warnings[0].find("keeping open (syn-ack)"), std::string::npos);
  }
}

TEST(Merge, HostSilentInOneXmlShardGetsThatShardsPortsAsUnanswered) {
  // Shard 1 probed 22, 80 and 53/udp; .5 answered none of them there (its XML omits .5).
  // Shard 2 probed 443; .5 answered with a SYN-ACK and .6 did not answer.
  ScanInfo first_info = SampleScan().info;
  first_info.tcp_ports = {22, 80};
  first_info.udp_ports = {53};
  ScanInfo second_info = SampleScan().info;
  second_info.tcp_ports = {443};
  second_info.udp_ports = {};
  const std::vector<PortResult> other = {tcp(22, PortState::kOpen, Reason::kSynAck, 64),
                                         tcp(80, PortState::kClosed, Reason::kReset, 64),
                                         udp(53, PortState::kClosed, Reason::kPortUnreach, 64)};
  const std::vector<PortResult> answered = {tcp(443, PortState::kOpen, Reason::kSynAck, 64)};
  std::vector<ScanModel> parts;
  parts.push_back(shard(Format::kXml, {HostResult{ipv4(198, 18, 0, 6), other, kStart, kStart}},
                        first_info, "x1.xml"));
  parts.push_back(shard(Format::kXml, {HostResult{ipv4(198, 18, 0, 5), answered, kStart, kStart}},
                        second_info, "x2.xml"));
  const ScanModel merged = merge_scans(std::move(parts));
  const ScannedHost& host = merged.hosts.at(ipv4(198, 18, 0, 5));
  ASSERT_EQ(host.ports.size(), 4u);
  EXPECT_EQ(host.ports[0].result.port, 22);
  EXPECT_EQ(host.ports[0].result.state, PortState::kFiltered);
  EXPECT_EQ(host.ports[0].result.reason, Reason::kNoResponse);
  EXPECT_EQ(host.ports[2].result.port, 443);
  EXPECT_EQ(host.ports[2].result.state, PortState::kOpen);
  EXPECT_EQ(host.ports[3].result.protocol, Protocol::kUdp);
  EXPECT_EQ(host.ports[3].result.state, PortState::kOpenFiltered);
  EXPECT_EQ(port_keys(merged.hosts.at(ipv4(198, 18, 0, 6))), (PortKeys{{Protocol::kTcp, 22},
                                                                       {Protocol::kTcp, 80},
                                                                       {Protocol::kTcp, 443},
                                                                       {Protocol::kUdp, 53}}));
  EXPECT_EQ(merged.hosts.at(ipv4(198, 18, 0, 6)).ports[0].result.state, PortState::kOpen);  // kept
  EXPECT_TRUE(merged.warnings.empty());
  EXPECT_EQ(merged.scanned_tcp_ports, (std::vector<std::uint16_t>{22, 80, 443}));
  EXPECT_EQ(merged.hosts_total, 256u);  // shards of one scan share their total
}

}  // namespace
}  // namespace synscan::output
