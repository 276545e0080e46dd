// XML (-oX) output: DTD validity in every end state, nmap's layout (golden file), escaping,
// <extraports> counts, and the consumers that must accept it unchanged (ndiff, python-libnmap,
// xsltproc with nmap.xsl).
#include <gtest/gtest.h>

#include <sstream>

#include "output_test_support.hpp"

namespace synscan::output {
namespace {

using test_support::SampleScan;

constexpr const char* kDtd = "/usr/share/nmap/nmap.dtd";

class XmlTest : public ::testing::Test {
 protected:
  void SetUp() override { test_support::use_utc(); }

  static std::string write(const std::string& name, const ScanInfo& info,
                           const std::vector<HostResult>& hosts, const ScanSummary& summary,
                           std::string* path_out = nullptr) {
    const std::string path = test_support::temp_path(name);
    if (path_out != nullptr) *path_out = path;
    return test_support::write_scan(Format::kXml, path, info, hosts, summary);
  }
};

// Fails the calling test with xmllint's message unless `path` is valid against nmap's DTD.
void expect_valid_against_nmap_dtd(const std::string& path) {
  const test_support::CommandResult result =
      test_support::run_command(std::string("xmllint --noout --dtdvalid ") + kDtd + " " + path);
  EXPECT_EQ(result.exit_code, 0) << result.output << "\n--- document ---\n"
                                 << test_support::read_file(path);
}

#define SKIP_WITHOUT_XMLLINT()                                                        \
  do {                                                                                \
    if (!test_support::have_program("xmllint")) SYNSCAN_SKIP_WITHOUT_TOOL("xmllint"); \
    if (::access(kDtd, R_OK) != 0) SYNSCAN_SKIP_WITHOUT_TOOL(kDtd << " (nmap-common)"); \
  } while (false)

TEST_F(XmlTest, MatchesGolden) {
  const SampleScan scan;
  const std::string text = write("golden.xml", scan.info, scan.hosts(), scan.summary());
  EXPECT_EQ(text,
            test_support::read_file(std::string(SYNSCAN_TEST_DATA_DIR) + "/output/sample.xml"));
}

TEST_F(XmlTest, FullScanIsValidAgainstNmapDtd) {
  SKIP_WITHOUT_XMLLINT();
  const SampleScan scan;
  std::string path;
  write("full.xml", scan.info, scan.hosts(), scan.summary(), &path);
  expect_valid_against_nmap_dtd(path);
}

TEST_F(XmlTest, FinishAfterAnyNumberOfHostsIsValid) {
  SKIP_WITHOUT_XMLLINT();
  const SampleScan scan;
  const std::vector<HostResult> all_hosts = scan.hosts();
  for (std::size_t count = 0; count <= all_hosts.size(); ++count) {
    SCOPED_TRACE(count);
    std::string path;
    const std::vector<HostResult> hosts(all_hosts.begin(), all_hosts.begin() + count);
    const std::string text = write("partial.xml", scan.info, hosts, scan.summary(), &path);
    expect_valid_against_nmap_dtd(path);
    std::size_t host_elements = 0;
    for (std::size_t at = text.find("<host "); at != std::string::npos;
         at = text.find("<host ", at + 1)) {
      ++host_elements;
    }
    EXPECT_EQ(host_elements, count);
  }
}

TEST_F(XmlTest, ZeroHostsIsValid) {
  SKIP_WITHOUT_XMLLINT();
  const SampleScan scan;
  ScanSummary summary = scan.summary();
  summary.hosts_up = 0;
  std::string path;
  const std::string text = write("empty.xml", scan.info, {}, summary, &path);
  expect_valid_against_nmap_dtd(path);
  EXPECT_NE(text.find("<hosts up=\"0\" down=\"256\" total=\"256\"/>"), std::string::npos);
  EXPECT_NE(text.find("256 IP addresses (0 hosts up)"), std::string::npos);
}

TEST_F(XmlTest, InterruptedScanIsValidAndSaysSo) {
  SKIP_WITHOUT_XMLLINT();
  const SampleScan scan;
  std::string path;
  const std::string text = write("interrupted.xml", scan.info, {scan.hosts().front()},
                                 scan.summary(/*interrupted=*/true), &path);
  expect_valid_against_nmap_dtd(path);
  EXPECT_NE(text.find("exit=\"error\" errormsg=\""), std::string::npos);
  EXPECT_EQ(text.find("exit=\"success\""), std::string::npos);
}

TEST_F(XmlTest, OnlyOpenIsValidAndDropsHostsWithoutOpenPorts) {
  SKIP_WITHOUT_XMLLINT();
  const SampleScan scan(/*only_open=*/true);
  std::string path;
  const std::string text = write("open.xml", scan.info, scan.hosts(), scan.summary(), &path);
  expect_valid_against_nmap_dtd(path);
  EXPECT_EQ(text.find("198.18.0.12"), std::string::npos);
  // --open summarises closed and filtered whatever their count, as nmap does; largest state
  // first; equal reason counts in the order nmap's merge sort leaves them (later group first).
  EXPECT_NE(text.find("<ports><extraports state=\"filtered\" count=\"2\">\n"
                      "<extrareasons reason=\"admin-prohibited\" count=\"1\" proto=\"tcp\" "
                      "ports=\"8080\"/>\n"
                      "<extrareasons reason=\"no-response\" count=\"1\" proto=\"tcp\" "
                      "ports=\"443\"/>\n</extraports>\n"
                      "<extraports state=\"closed\" count=\"1\">\n"
                      "<extrareasons reason=\"reset\" count=\"1\" proto=\"tcp\" "
                      "ports=\"80\"/>\n</extraports>\n<port "),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("portid=\"80\""), std::string::npos);
}

TEST_F(XmlTest, EscapesAttributesAndCommentDashes) {
  SKIP_WITHOUT_XMLLINT();
  SampleScan scan;
  scan.info.command_line = "synscan --open -p 22 '<a&b>' \"q\" ---x\ty";
  std::string path;
  const std::string text = write("escape.xml", scan.info, scan.hosts(), scan.summary(), &path);
  expect_valid_against_nmap_dtd(path);
  EXPECT_NE(text.find("<!-- synscan 0.1.0 scan initiated Tue Nov 25 06:13:54 2025 as: synscan "
                      "-&#45;open -p 22 '<a&b>' \"q\" -&#45;&#45;x\\x09y -->\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("args=\"synscan --open -p 22 &apos;&lt;a&amp;b&gt;&apos; &quot;q&quot; "
                      "---x&#9;y\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("<service name=\"odd/svc&lt;&amp;&quot;&apos;&gt;\" method=\"table\" "
                      "conf=\"3\"/>"),
            std::string::npos);
}

TEST_F(XmlTest, CollapsedStatesCarryExactCounts) {
  const SampleScan scan;
  const std::string text = write("extra.xml", scan.info, scan.hosts(), scan.summary());
  EXPECT_NE(text.find("<ports><extraports state=\"closed\" count=\"40\">\n"
                      "<extrareasons reason=\"reset\" count=\"40\" proto=\"tcp\" "
                      "ports=\"1000-1039\"/>\n</extraports>\n"
                      "<port protocol=\"tcp\" portid=\"22\"><state state=\"open\" "
                      "reason=\"syn-ack\" reason_ttl=\"61\"/><service name=\"ssh\" "
                      "method=\"table\" conf=\"3\"/></port>\n</ports>"),
            std::string::npos)
      << text;
}

// nmap 7.93 on 127.0.0.1 (-sS -sU -p T:1-30,U:1-30) writes one <extraports state="closed"
// count="60"> with port-unreach/udp before reset/tcp; two summarised states come largest first.
TEST_F(XmlTest, ExtraportsOrderFollowsNmap) {
  SampleScan scan;
  std::vector<PortResult> ports;
  for (std::uint16_t port = 1; port <= 30; ++port) {
    ports.push_back(test_support::tcp(port, PortState::kClosed, Reason::kReset, 64));
  }
  for (std::uint16_t port = 1; port <= 30; ++port) {
    ports.push_back(test_support::udp(port, PortState::kClosed, Reason::kPortUnreach, 64));
  }
  for (std::uint16_t port = 100; port < 190; ++port) {
    ports.push_back(test_support::udp(port, PortState::kOpenFiltered, Reason::kNoResponse, 0));
  }
  const HostResult host{test_support::ipv4(127, 0, 0, 1), ports, test_support::kStart,
                        test_support::kEnd};
  const std::string text = write("order.xml", scan.info, {host}, scan.summary());
  EXPECT_NE(text.find("<ports><extraports state=\"open|filtered\" count=\"90\">\n"
                      "<extrareasons reason=\"no-response\" count=\"90\" proto=\"udp\" "
                      "ports=\"100-189\"/>\n</extraports>\n"
                      "<extraports state=\"closed\" count=\"60\">\n"
                      "<extrareasons reason=\"port-unreach\" count=\"30\" proto=\"udp\" "
                      "ports=\"1-30\"/>\n"
                      "<extrareasons reason=\"reset\" count=\"30\" proto=\"tcp\" "
                      "ports=\"1-30\"/>\n</extraports>\n</ports>"),
            std::string::npos)
      << text;
}

TEST_F(XmlTest, ScaninfoCompressesPortRanges) {
  SampleScan scan;
  scan.info.tcp_ports.clear();
  for (std::uint16_t port = 8000; port <= 8100; ++port) scan.info.tcp_ports.push_back(port);
  scan.info.tcp_ports.insert(scan.info.tcp_ports.begin(), {22, 80});
  const std::string text = write("scaninfo.xml", scan.info, {}, scan.summary());
  EXPECT_NE(text.find("<scaninfo type=\"syn\" protocol=\"tcp\" numservices=\"103\" "
                      "services=\"22,80,8000-8100\"/>\n<scaninfo type=\"udp\" protocol=\"udp\" "
                      "numservices=\"2\" services=\"53,161\"/>\n"),
            std::string::npos)
      << text;
}

// SampleScan as nmap would record it, written out by hand from SampleScan's definition (not by
// the writer under test): ndiff compares hosts, addresses, port states and service names.
// `changed_port_22` writes 198.18.0.12's 22/tcp as open instead of closed.
std::string hand_written_sample_xml(bool changed_port_22) {
  const std::string host_12_port_22 = changed_port_22 ? "open" : "closed";
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<nmaprun scanner="nmap" args="nmap -sS -sU 198.18.0.0/24" start="1700000000" version="7.93" xmloutputversion="1.05">
<host><status state="up"/>
<address addr="198.18.0.5" addrtype="ipv4"/>
<ports>
<port protocol="tcp" portid="22"><state state="open"/><service name="ssh"/></port>
<port protocol="tcp" portid="80"><state state="closed"/><service name="http"/></port>
<port protocol="tcp" portid="443"><state state="filtered"/><service name="https"/></port>
<port protocol="tcp" portid="8080"><state state="filtered"/><service name="http-alt"/></port>
<port protocol="tcp" portid="9999"><state state="open"/><service name="odd/svc&lt;&amp;&quot;&apos;&gt;"/></port>
<port protocol="udp" portid="53"><state state="open"/><service name="domain"/></port>
<port protocol="udp" portid="161"><state state="open|filtered"/><service name="snmp"/></port>
</ports></host>
<host><status state="up"/>
<address addr="198.18.0.9" addrtype="ipv4"/>
<ports><extraports state="closed" count="40"/>
<port protocol="tcp" portid="22"><state state="open"/><service name="ssh"/></port>
</ports></host>
<host><status state="up"/>
<address addr="198.18.0.12" addrtype="ipv4"/>
<ports>
<port protocol="tcp" portid="22"><state state=")" +
         host_12_port_22 + R"("/><service name="ssh"/></port>
<port protocol="tcp" portid="80"><state state="filtered"/><service name="http"/></port>
</ports></host>
<runstats><finished time="1700000002"/><hosts up="3" down="253" total="256"/></runstats>
</nmaprun>
)";
}

// ndiff between the writer's file and the independent hand-written one: no difference, and
// exactly the one hand-made difference when there is one (a file compared with itself would
// pass whatever the writer wrote, as long as ndiff could parse it).
TEST_F(XmlTest, NdiffAgreesWithAHandWrittenNmapFile) {
  if (!test_support::have_program("ndiff")) SYNSCAN_SKIP_WITHOUT_TOOL("ndiff");
  const SampleScan scan;
  std::string path;
  write("written.xml", scan.info, scan.hosts(), scan.summary(), &path);
  const std::string same_path = test_support::temp_path("hand_written_same.xml");
  test_support::write_file(same_path, hand_written_sample_xml(false));
  const test_support::CommandResult same =
      test_support::run_command("ndiff " + same_path + " " + path);
  EXPECT_EQ(same.exit_code, 0) << same.output;

  const std::string changed_path = test_support::temp_path("hand_written_changed.xml");
  test_support::write_file(changed_path, hand_written_sample_xml(true));
  const test_support::CommandResult changed =
      test_support::run_command("ndiff " + changed_path + " " + path);
  EXPECT_EQ(changed.exit_code, 1) << changed.output;
  std::vector<std::string> changed_lines;
  std::istringstream lines(changed.output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && (line[0] == '-' || line[0] == '+') && line.find("/tcp") != std::string::npos) {
      changed_lines.push_back(line);
    }
  }
  ASSERT_EQ(changed_lines.size(), 2U) << changed.output;
  EXPECT_EQ(changed_lines[0].rfind("-22/tcp open", 0), 0U) << changed.output;
  EXPECT_EQ(changed_lines[1].rfind("+22/tcp closed", 0), 0U) << changed.output;
  EXPECT_NE(changed.output.find("198.18.0.12"), std::string::npos) << changed.output;
}

TEST_F(XmlTest, NdiffReportsExactlyTheChangedPort) {
  if (!test_support::have_program("ndiff")) SYNSCAN_SKIP_WITHOUT_TOOL("ndiff");
  SampleScan before;
  SampleScan after;
  after.mixed_ports[1] = test_support::tcp(80, PortState::kOpen, Reason::kSynAck, 64);
  std::string before_path;
  std::string after_path;
  write("before.xml", before.info, before.hosts(), before.summary(), &before_path);
  write("after.xml", after.info, after.hosts(), after.summary(), &after_path);
  const test_support::CommandResult result =
      test_support::run_command("ndiff " + before_path + " " + after_path);
  EXPECT_EQ(result.exit_code, 1) << result.output;

  std::vector<std::string> changed_lines;
  std::istringstream lines(result.output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && (line[0] == '-' || line[0] == '+')) changed_lines.push_back(line);
  }
  ASSERT_EQ(changed_lines.size(), 2U) << result.output;
  EXPECT_EQ(changed_lines[0].rfind("-80/tcp closed", 0), 0U) << result.output;
  EXPECT_EQ(changed_lines[1].rfind("+80/tcp open", 0), 0U) << result.output;
  EXPECT_NE(result.output.find("198.18.0.5"), std::string::npos) << result.output;
}

TEST_F(XmlTest, PythonLibnmapParsesHostsPortsAndRunStats) {
  const std::string python = test_support::python_with("libnmap");
  if (python.empty()) SYNSCAN_SKIP_WITHOUT_TOOL("python3 with libnmap (python3-libnmap)");
  const SampleScan scan;
  std::string path;
  write("libnmap.xml", scan.info, scan.hosts(), scan.summary(), &path);
  const std::string script_path = test_support::temp_path("libnmap_check.py");
  test_support::write_file(script_path, R"PY(
import sys
from libnmap.parser import NmapParser
report = NmapParser.parse_fromfile(sys.argv[1])
print("started", report.started)
print("hosts_up", report.hosts_up, "hosts_total", report.hosts_total)
print("commandline", report.commandline)
for host in report.hosts:
    print("host", host.address, host.status)
    for service in host.services:
        print("port", service.port, service.protocol, service.state, service.service)
)PY");
  const test_support::CommandResult result =
      test_support::run_command(python + " " + script_path + " " + path);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output,
            "started 1764051234\n"
            "hosts_up 3 hosts_total 256\n"
            "commandline synscan -p 22,80,443 --open -oX - 198.18.0.0/24\n"
            "host 198.18.0.5 up\n"
            "port 22 tcp open ssh\n"
            "port 80 tcp closed http\n"
            "port 443 tcp filtered https\n"
            "port 8080 tcp filtered http-alt\n"
            "port 9999 tcp open odd/svc<&\"'>\n"
            "port 53 udp open domain\n"
            "port 161 udp open|filtered snmp\n"
            "host 198.18.0.9 up\n"
            "port 22 tcp open ssh\n"
            "host 198.18.0.12 up\n"
            "port 22 tcp closed ssh\n"
            "port 80 tcp filtered http\n");
}

TEST_F(XmlTest, NmapStylesheetRendersIt) {
  if (!test_support::have_program("xsltproc")) SYNSCAN_SKIP_WITHOUT_TOOL("xsltproc");
  constexpr const char* kStylesheet = "/usr/share/nmap/nmap.xsl";
  if (::access(kStylesheet, R_OK) != 0) SYNSCAN_SKIP_WITHOUT_TOOL(kStylesheet);
  const SampleScan scan;
  std::string path;
  write("xslt.xml", scan.info, scan.hosts(), scan.summary(), &path);
  const test_support::CommandResult result =
      test_support::run_command(std::string("xsltproc ") + kStylesheet + " " + path);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("198.18.0.5"), std::string::npos);
  EXPECT_NE(result.output.find("http-alt"), std::string::npos);
}

}  // namespace
}  // namespace synscan::output
