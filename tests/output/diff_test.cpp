// diff (tools.hpp): identical scans are equal, one changed port is reported as exactly that port,
// hosts that appear or vanish are reported once with their open ports, silent hosts are ignored.
#include <gtest/gtest.h>

#include "output/tools.hpp"
#include "output_test_support.hpp"

namespace synscan::output {
namespace {

using namespace test_support;

std::string scan_file(Format format, const std::vector<HostResult>& hosts, const char* name) {
  const SampleScan sample;
  const std::string path = temp_path(name);
  write_scan(format, path, sample.info, hosts, sample.summary());
  return path;
}

TEST(Diff, IdenticalScansAreEqualAcrossFormats) {
  const SampleScan sample;
  const ScanModel xml = read_scan_file(scan_file(Format::kXml, sample.hosts(), "a.xml"));
  const ScanModel jsonl = read_scan_file(scan_file(Format::kJsonLines, sample.hosts(), "a.jsonl"));
  const ScanModel greppable =
      read_scan_file(scan_file(Format::kGreppable, sample.hosts(), "a.gnmap"));
  const std::pair<const ScanModel*, const ScanModel*> pairs[] = {
      {&xml, &xml}, {&xml, &jsonl}, {&jsonl, &xml}, {&greppable, &greppable}};
  for (const auto& [before, after] : pairs) {
    const ScanDiff diff = diff_scans(*before, *after);
    EXPECT_EQ(diff.result(), DiffResult::kEqual) << diff_text(diff);
    EXPECT_EQ(diff_text(diff), "no differences\n");
    EXPECT_EQ(diff_json(diff), "{\"equal\":true,\"changes\":[]}\n");
  }
}

TEST(Diff, OneChangedPortIsReportedAsExactlyThatPort) {
  SampleScan before, after;
  after.mixed_ports[0].state = PortState::kClosed;  // 198.18.0.5 22/tcp open -> closed
  after.mixed_ports[0].reason = Reason::kReset;
  const ScanDiff diff = diff_scans(read_scan_file(scan_file(Format::kXml, before.hosts(), "b.xml")),
                                   read_scan_file(scan_file(Format::kXml, after.hosts(), "c.xml")));
  EXPECT_EQ(diff.result(), DiffResult::kDifferent);
  ASSERT_EQ(diff.changes.size(), 1u);
  EXPECT_EQ(diff_text(diff), "no longer open: 198.18.0.5 22/tcp (open -> closed)\n");
  EXPECT_EQ(diff_json(diff),
            "{\"equal\":false,\"changes\":[{\"kind\":\"no longer open\",\"ip\":\"198.18.0.5\","
            "\"port\":\"22/tcp\",\"from\":\"open\",\"to\":\"closed\"}]}\n");
}

TEST(Diff, ChangeInsideAnExtraportsSummaryIsFoundThroughItsPortList) {
  SampleScan before, after;
  after.collapsed_ports[5].state = PortState::kFiltered;  // 198.18.0.9 1004/tcp closed -> filtered
  after.collapsed_ports[5].reason = Reason::kAdminProhibited;
  const ScanDiff diff =
      diff_scans(read_scan_file(scan_file(Format::kXml, before.hosts(), "b2.xml")),
                 read_scan_file(scan_file(Format::kXml, after.hosts(), "c2.xml")));
  EXPECT_EQ(diff_text(diff), "state changed: 198.18.0.9 1004/tcp (closed -> filtered)\n");
}

TEST(Diff, NewOpenPortAndPortsScannedOnOneSideOnly) {
  SampleScan before, after;
  after.mixed_ports[1] = tcp(80, PortState::kOpen, Reason::kSynAck, 64);
  after.mixed_ports.insert(after.mixed_ports.begin() + 4,
                           tcp(3306, PortState::kClosed, Reason::kReset, 64));
  const ScanDiff diff =
      diff_scans(read_scan_file(scan_file(Format::kJsonLines, before.hosts(), "d.jsonl")),
                 read_scan_file(scan_file(Format::kJsonLines, after.hosts(), "e.jsonl")));
  EXPECT_EQ(diff_text(diff),
            "new open port: 198.18.0.5 80/tcp (closed -> open)\n"
            "state changed: 198.18.0.5 3306/tcp (not scanned -> closed)\n");
}

TEST(Diff, NewAndVanishedHostsWithTheirOpenPorts) {
  const SampleScan sample;
  std::vector<HostResult> before = sample.hosts(), after = sample.hosts();
  before.erase(before.begin());  // 198.18.0.5 is new in `after`
  after.pop_back();              // 198.18.0.12 vanished
  const ScanDiff diff = diff_scans(read_scan_file(scan_file(Format::kXml, before, "f.xml")),
                                   read_scan_file(scan_file(Format::kXml, after, "g.xml")));
  EXPECT_EQ(diff_text(diff),
            "new host: 198.18.0.5\n"
            "new open port: 198.18.0.5 22/tcp (host down -> open)\n"
            "new open port: 198.18.0.5 9999/tcp (host down -> open)\n"
            "new open port: 198.18.0.5 53/udp (host down -> open)\n"
            "vanished host: 198.18.0.12\n");
}

TEST(Diff, HostsThatNeverAnsweredAreNotCompared) {
  // JSON lines lists a silent host's unanswered ports; XML leaves the host out. Not a change.
  const std::vector<PortResult> silent = {tcp(22, PortState::kFiltered, Reason::kNoResponse, 0)};
  const SampleScan sample;
  std::vector<HostResult> with_silent = sample.hosts();
  with_silent.push_back(HostResult{ipv4(198, 18, 0, 99), silent, kStart, kStart});
  const ScanModel jsonl = read_scan_file(scan_file(Format::kJsonLines, with_silent, "h.jsonl"));
  ASSERT_EQ(jsonl.hosts.count(ipv4(198, 18, 0, 99)), 1u);
  EXPECT_FALSE(jsonl.hosts.at(ipv4(198, 18, 0, 99)).up);
  const ScanModel xml = read_scan_file(scan_file(Format::kXml, sample.hosts(), "i.xml"));
  EXPECT_EQ(diff_scans(jsonl, xml).result(), DiffResult::kEqual);
}

TEST(Diff, AnExpandedPortListAndAGreppableSummaryOfOneScanAgree) {
  const SampleScan sample;
  const ScanModel xml = read_scan_file(scan_file(Format::kXml, sample.hosts(), "j.xml"));
  const ScanModel greppable =
      read_scan_file(scan_file(Format::kGreppable, sample.hosts(), "j.gnmap"));
  ASSERT_EQ(greppable.hosts.at(ipv4(198, 18, 0, 9)).collapsed.size(), 1u);
  EXPECT_EQ(diff_text(diff_scans(xml, greppable)), "no differences\n");
  EXPECT_EQ(diff_text(diff_scans(greppable, xml)), "no differences\n");
  // One more closed port is a change of the total even though it is not listed.
  SampleScan more;
  more.collapsed_ports.push_back(tcp(1040, PortState::kClosed, Reason::kReset, 61));
  const ScanModel more_xml = read_scan_file(scan_file(Format::kXml, more.hosts(), "k.xml"));
  EXPECT_EQ(diff_text(diff_scans(greppable, more_xml)),
            "summary changed: 198.18.0.9 (closed (40) -> closed (41))\n");
}

TEST(Diff, SummarisedCountsThatChangeAreReported) {
  const auto with_count = [](const char* count) {
    const std::string text =
        std::string(
            "<nmaprun><host><status state=\"up\"/><address addr=\"192.0.2.1\" "
            "addrtype=\"ipv4\"/><ports><extraports state=\"closed\" count=\"") +
        count + "\"><extrareasons reason=\"resets\" count=\"" + count +
        "\"/></extraports><port protocol=\"tcp\" portid=\"22\"><state state=\"open\" "
        "reason=\"syn-ack\"/></port></ports></host></nmaprun>";
    return parse_scan(text, "x.xml");
  };
  EXPECT_EQ(diff_scans(with_count("997"), with_count("997")).result(), DiffResult::kEqual);
  EXPECT_EQ(diff_text(diff_scans(with_count("997"), with_count("996"))),
            "summary changed: 192.0.2.1 (closed (997) -> closed (996))\n");
}

}  // namespace
}  // namespace synscan::output
