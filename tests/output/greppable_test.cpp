// Greppable (-oG) output against golden files checked line by line against nmap 7.93's layout.
#include <gtest/gtest.h>

#include "output_test_support.hpp"

namespace synscan::output {
namespace {

using test_support::SampleScan;

std::string golden(const std::string& name) {
  return test_support::read_file(std::string(SYNSCAN_TEST_DATA_DIR) + "/output/" + name);
}

class GreppableTest : public ::testing::Test {
 protected:
  void SetUp() override { test_support::use_utc(); }
};

TEST_F(GreppableTest, MixedScanMatchesGolden) {
  const SampleScan scan;
  const std::string text =
      test_support::write_scan(Format::kGreppable, test_support::temp_path("scan.gnmap"), scan.info,
                               scan.hosts(), scan.summary());
  EXPECT_EQ(text, golden("sample.gnmap"));
}

TEST_F(GreppableTest, OnlyOpenMatchesGolden) {
  const SampleScan scan(/*only_open=*/true);
  const std::string text =
      test_support::write_scan(Format::kGreppable, test_support::temp_path("open.gnmap"), scan.info,
                               scan.hosts(), scan.summary());
  EXPECT_EQ(text, golden("sample_open.gnmap"));
}

TEST_F(GreppableTest, SlashInServiceBecomesPipeAndStateKeepsItsPipe) {
  const SampleScan scan;
  const std::string text =
      test_support::write_scan(Format::kGreppable, test_support::temp_path("slash.gnmap"),
                               scan.info, scan.hosts(), scan.summary());
  EXPECT_NE(text.find("9999/open/tcp//odd|svc<&\"'>///"), std::string::npos);
  EXPECT_NE(text.find("161/open|filtered/udp//snmp///"), std::string::npos);
}

TEST_F(GreppableTest, SingleHostFooterIsSingular) {
  SampleScan scan;
  ScanSummary summary = scan.summary();
  summary.hosts_total = 1;
  summary.hosts_up = 1;
  const std::string text =
      test_support::write_scan(Format::kGreppable, test_support::temp_path("one.gnmap"), scan.info,
                               {scan.hosts().front()}, summary);
  EXPECT_NE(text.find("-- 1 IP address (1 host up) scanned in 2.35 seconds\n"), std::string::npos);
}

TEST_F(GreppableTest, TwoSummarisedStatesNameNeitherLikeNmap) {
  SampleScan scan;
  std::vector<PortResult> ports;
  for (std::uint16_t port = 1; port <= 30; ++port) {
    ports.push_back(test_support::tcp(port, PortState::kClosed, Reason::kReset, 64));
  }
  for (std::uint16_t port = 31; port <= 60; ++port) {
    ports.push_back(test_support::tcp(port, PortState::kFiltered, Reason::kNoResponse, 0));
  }
  ports.push_back(test_support::tcp(80, PortState::kOpen, Reason::kSynAck, 64));
  const HostResult host{test_support::ipv4(10, 0, 0, 1), ports, test_support::kStart,
                        test_support::kEnd};
  const std::string text = test_support::write_scan(
      Format::kGreppable, test_support::temp_path("two.gnmap"), scan.info, {host}, scan.summary());
  EXPECT_NE(text.find("Host: 10.0.0.1 ()\tPorts: 80/open/tcp//http///\n"), std::string::npos);
  EXPECT_EQ(text.find("Ignored State"), std::string::npos);
}

TEST_F(GreppableTest, ExactlyTwentyFiveOfAStateAreListed) {
  SampleScan scan;
  std::vector<PortResult> ports;
  for (std::uint16_t port = 1; port <= 25; ++port) {
    ports.push_back(test_support::tcp(port, PortState::kClosed, Reason::kReset, 64));
  }
  const HostResult host{test_support::ipv4(10, 0, 0, 2), ports, test_support::kStart,
                        test_support::kEnd};
  const std::string text = test_support::write_scan(
      Format::kGreppable, test_support::temp_path("25.gnmap"), scan.info, {host}, scan.summary());
  EXPECT_NE(text.find("25/closed/tcp//smtp///\n"), std::string::npos);
  EXPECT_EQ(text.find("Ignored State"), std::string::npos);

  ports.push_back(test_support::tcp(26, PortState::kClosed, Reason::kReset, 64));
  const HostResult host26{test_support::ipv4(10, 0, 0, 2), ports, test_support::kStart,
                          test_support::kEnd};
  const std::string collapsed = test_support::write_scan(
      Format::kGreppable, test_support::temp_path("26.gnmap"), scan.info, {host26}, scan.summary());
  EXPECT_NE(collapsed.find("Host: 10.0.0.2 ()\tPorts: \tIgnored State: closed (26)\n"),
            std::string::npos);
}

TEST_F(GreppableTest, InterruptedScanAddsACommentAndKeepsTheFooter) {
  const SampleScan scan;
  const std::string text =
      test_support::write_scan(Format::kGreppable, test_support::temp_path("int.gnmap"), scan.info,
                               {}, scan.summary(/*interrupted=*/true));
  EXPECT_NE(text.find("# synscan scan interrupted: results are incomplete\n# synscan done at"),
            std::string::npos);
}

TEST_F(GreppableTest, NewlinesInTheCommandLineCannotForgeRecords) {
  SampleScan scan;
  scan.info.command_line = "synscan -p 22\nHost: 6.6.6.6 ()\tStatus: Up";
  const std::string text = test_support::write_scan(
      Format::kGreppable, test_support::temp_path("nl.gnmap"), scan.info, {}, scan.summary());
  EXPECT_EQ(text.find("\nHost: 6.6.6.6"), std::string::npos);
}

}  // namespace
}  // namespace synscan::output
