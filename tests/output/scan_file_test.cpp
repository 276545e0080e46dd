// Reading saved scans back (scan_file.hpp) and writing them again (convert, tools.hpp): files made
// by the real writers, real nmap 7.93 output captured against 127.0.0.1, a hand-written nmap XML
// with the awkward cases, and malformed input.
#include "output/scan_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "output/tools.hpp"
#include "output_test_support.hpp"

namespace synscan::output {
namespace {

using namespace test_support;

const std::string kData = std::string(SYNSCAN_TEST_DATA_DIR) + "/output/";

const ScannedPort* find_port(const ScanModel& scan, std::uint32_t address, Protocol protocol,
                             std::uint16_t port) {
  const auto host = scan.hosts.find(address);
  if (host == scan.hosts.end()) return nullptr;
  for (const ScannedPort& candidate : host->second.ports) {
    if (candidate.result.protocol == protocol && candidate.result.port == port) return &candidate;
  }
  return nullptr;
}

bool same_result(const PortResult& left, const PortResult& right) {
  return left.port == right.port && left.protocol == right.protocol && left.state == right.state &&
         left.reason == right.reason && left.reason_ttl == right.reason_ttl;
}

/// Writes `scan` to `path` in `format` through the real writers; returns the text.
std::string convert_to(const ScanModel& scan, Format format, const std::string& path,
                       const std::string& fallback_command = "synscan convert") {
  ConvertOptions options;
  options.scanner_version = "0.1.0";
  options.fallback_command_line = fallback_command;
  (void)write_scan_files(scan, {{format, path}}, options);
  return read_file(path);
}

TEST(ScanFile, DetectsFormatsFromContent) {
  EXPECT_EQ(detect_scan_format("\n {\"ip\":1}", "x"), ScanFileFormat::kJsonLines);
  EXPECT_EQ(detect_scan_format("<?xml version=\"1.0\"?>", "x"), ScanFileFormat::kXml);
  EXPECT_EQ(detect_scan_format("# Nmap 7.93 scan initiated", "x"), ScanFileFormat::kGreppable);
  EXPECT_EQ(detect_scan_format("Host: 1.2.3.4 ()\tStatus: Up", "x"), ScanFileFormat::kGreppable);
  EXPECT_THROW((void)detect_scan_format("", "x"), ScanFileError);
  EXPECT_THROW((void)detect_scan_format("[{\"ip\":\"1.2.3.4\"}]", "x"), ScanFileError);
}

TEST(ScanFile, JsonLinesFromTheWriterReadBackExactly) {
  const SampleScan sample;
  const std::string path = temp_path("sample.jsonl");
  write_scan(Format::kJsonLines, path, sample.info, sample.hosts(), sample.summary());
  const ScanModel scan = read_scan_file(path);
  EXPECT_EQ(scan.format, ScanFileFormat::kJsonLines);
  EXPECT_TRUE(scan.warnings.empty());
  ASSERT_EQ(scan.hosts.size(), 3u);
  for (const HostResult& host : sample.hosts()) {
    const ScannedHost& read = scan.hosts.at(host.address);
    EXPECT_TRUE(read.up);
    ASSERT_EQ(read.ports.size(), host.ports.size());
    for (const PortResult& port : host.ports) {
      const ScannedPort* found = find_port(scan, host.address, port.protocol, port.port);
      ASSERT_NE(found, nullptr);
      EXPECT_TRUE(same_result(found->result, port)) << port.port;
      EXPECT_EQ(found->service, test_services(port.protocol, port.port));
      EXPECT_EQ(found->time, kStart);
    }
  }
  // The service name with JSON specials survives escaping.
  EXPECT_EQ(find_port(scan, ipv4(198, 18, 0, 5), Protocol::kTcp, 9999)->service, "odd/svc<&\"'>");
}

TEST(ScanFile, SynscanXmlExpandsExtraportsWithTheirPortLists) {
  const ScanModel scan = read_scan_file(kData + "sample.xml");
  EXPECT_EQ(scan.format, ScanFileFormat::kXml);
  EXPECT_EQ(scan.scanner, "synscan");
  EXPECT_EQ(scan.command_line, "synscan -p 22,80,443 --open -oX - 198.18.0.0/24");
  EXPECT_EQ(scan.start_time, kStart);
  EXPECT_EQ(scan.end_time, kEnd);
  EXPECT_EQ(scan.hosts_total, 256u);
  EXPECT_DOUBLE_EQ(scan.elapsed_seconds, 2.35);
  ASSERT_EQ(scan.hosts.size(), 3u);
  const ScannedHost& collapsed = scan.hosts.at(ipv4(198, 18, 0, 9));
  EXPECT_EQ(collapsed.ports.size(), 41u);  // 22 open + 1000-1039 from <extrareasons ports=...>
  EXPECT_TRUE(collapsed.collapsed.empty());
  const ScannedPort* closed = find_port(scan, ipv4(198, 18, 0, 9), Protocol::kTcp, 1039);
  ASSERT_NE(closed, nullptr);
  EXPECT_EQ(closed->result.state, PortState::kClosed);
  EXPECT_EQ(closed->result.reason, Reason::kReset);
  const ScannedPort* odd = find_port(scan, ipv4(198, 18, 0, 5), Protocol::kTcp, 9999);
  ASSERT_NE(odd, nullptr);
  EXPECT_EQ(odd->service, "odd/svc<&\"'>");  // entities decoded
  EXPECT_EQ(find_port(scan, ipv4(198, 18, 0, 5), Protocol::kUdp, 161)->result.state,
            PortState::kOpenFiltered);
}

TEST(ScanFile, RealNmapSynScan) {
  const ScanModel scan = read_scan_file(kData + "nmap_syn_localhost.xml");
  EXPECT_EQ(scan.scanner, "nmap");
  EXPECT_EQ(scan.scanner_version, "7.93");
  EXPECT_EQ(scan.scanned_tcp_ports, (std::vector<std::uint16_t>{22, 80}));
  ASSERT_EQ(scan.hosts.size(), 1u);
  const ScannedHost& host = scan.hosts.begin()->second;
  EXPECT_EQ(host.address, ipv4(127, 0, 0, 1));
  EXPECT_TRUE(host.up);  // status reason "localhost-response" is nmap's own
  ASSERT_EQ(host.ports.size(), 2u);
  EXPECT_EQ(host.ports[0].result.reason, Reason::kReset);
  EXPECT_EQ(host.ports[0].result.reason_ttl, 64);
  EXPECT_EQ(host.ports[1].service, "http");
}

TEST(ScanFile, RealNmapExtraportsAndUdp) {
  const ScanModel syn = read_scan_file(kData + "nmap_syn_extraports.xml");
  const ScannedHost& host = syn.hosts.at(ipv4(127, 0, 0, 1));
  EXPECT_EQ(host.ports.size(), 60u);  // nmap 7.93 lists the ports of <extrareasons>
  EXPECT_TRUE(host.collapsed.empty());
  EXPECT_EQ(host.ports.front().result.port, 1);
  EXPECT_EQ(host.ports.back().result.port, 60);

  const ScanModel udp = read_scan_file(kData + "nmap_udp_localhost.xml");
  EXPECT_EQ(udp.scanned_udp_ports, (std::vector<std::uint16_t>{53, 123, 161, 514}));
  const ScannedHost& udp_host = udp.hosts.at(ipv4(127, 0, 0, 1));
  ASSERT_EQ(udp_host.ports.size(), 4u);
  for (const ScannedPort& port : udp_host.ports) {
    EXPECT_EQ(port.result.protocol, Protocol::kUdp);
    EXPECT_EQ(port.result.state, PortState::kClosed);
    EXPECT_EQ(port.result.reason, Reason::kPortUnreach);
  }
}

TEST(ScanFile, HandWrittenNmapXmlWithTheAwkwardCases) {
  const ScanModel scan = read_scan_file(kData + "nmap_handwritten.xml");
  EXPECT_EQ(scan.scanned_tcp_ports.size(), 1000u);
  EXPECT_EQ(scan.hosts_total, 16u);
  // Old-style <extraports> without port lists: counts kept.
  const ScannedHost& gateway = scan.hosts.at(ipv4(192, 0, 2, 1));
  ASSERT_EQ(gateway.collapsed.size(), 1u);
  EXPECT_EQ(gateway.collapsed[0].state, PortState::kClosed);
  EXPECT_EQ(gateway.collapsed[0].count, 995u);
  EXPECT_EQ(gateway.ports.size(), 6u);  // the SCTP port is skipped
  // A reason synscan does not model keeps its text; the enum is the closest one.
  const ScannedPort* ident = find_port(scan, ipv4(192, 0, 2, 1), Protocol::kTcp, 113);
  ASSERT_NE(ident, nullptr);
  EXPECT_EQ(ident->reason_text, "conn-refused");
  EXPECT_EQ(ident->result.reason, Reason::kReset);
  EXPECT_EQ(find_port(scan, ipv4(192, 0, 2, 1), Protocol::kTcp, 8443)->service, "");
  EXPECT_EQ(scan.hosts.at(ipv4(192, 0, 2, 7)).collapsed.at(0).count, 997u);
  // The down host is known but not up; the IPv6 host is skipped with a warning.
  EXPECT_FALSE(scan.hosts.at(ipv4(192, 0, 2, 9)).up);
  EXPECT_EQ(scan.hosts_up(), 2u);
  ASSERT_EQ(scan.warnings.size(), 2u);
  EXPECT_NE(scan.warnings[0].find(":27: sctp port 2905 skipped"), std::string::npos)
      << scan.warnings[0];
  EXPECT_NE(scan.warnings[1].find("IPv6 host 2001:db8::1 skipped"), std::string::npos);
}

TEST(ScanFile, GreppableBestEffort) {
  const ScanModel scan = read_scan_file(kData + "sample.gnmap");
  EXPECT_EQ(scan.format, ScanFileFormat::kGreppable);
  EXPECT_EQ(scan.scanner, "synscan");
  EXPECT_EQ(scan.command_line, "synscan -p 22,80,443 --open -oX - 198.18.0.0/24");
  EXPECT_EQ(scan.hosts_total, 256u);
  EXPECT_DOUBLE_EQ(scan.elapsed_seconds, 2.35);
  ASSERT_EQ(scan.hosts.size(), 3u);
  const ScannedPort* odd = find_port(scan, ipv4(198, 18, 0, 5), Protocol::kTcp, 9999);
  ASSERT_NE(odd, nullptr);
  EXPECT_EQ(odd->service, "odd|svc<&\"'>");        // greppable already replaced the '/'
  EXPECT_EQ(odd->result.reason, Reason::kSynAck);  // inferred: greppable has no reasons
  const ScannedHost& collapsed = scan.hosts.at(ipv4(198, 18, 0, 9));
  ASSERT_EQ(collapsed.collapsed.size(), 1u);
  EXPECT_EQ(collapsed.collapsed[0].count, 40u);
}

TEST(ScanFile, DuplicateRecordsKeepTheAnsweredOneAndWarn) {
  const ScanModel scan = parse_scan(
      "{\"ip\":\"10.0.0.1\",\"port\":22,\"proto\":\"tcp\",\"state\":\"filtered\",\"reason\":"
      "\"no-response\",\"ttl\":0}\n"
      "{\"ip\":\"10.0.0.1\",\"port\":22,\"proto\":\"tcp\",\"state\":\"open\",\"reason\":"
      "\"syn-ack\",\"ttl\":64}\n",
      "dup.jsonl");
  const ScannedHost& host = scan.hosts.at(ipv4(10, 0, 0, 1));
  ASSERT_EQ(host.ports.size(), 1u);
  EXPECT_EQ(host.ports[0].result.state, PortState::kOpen);
  ASSERT_EQ(scan.warnings.size(), 1u);
  EXPECT_NE(scan.warnings[0].find("10.0.0.1 22/tcp is both filtered"), std::string::npos);
}

TEST(ScanFile, BadInputIsOneClearErrorNeverACrash) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty scan file"},
      {"hello world\n", "not a scan file"},
      {"{", "malformed JSON lines record"},
      {"{\"ip\":\"10.0.0.1\"}", "record has no \""},
      {"{\"ip\":\"10.0.0.300\",\"port\":1,\"proto\":\"tcp\",\"state\":\"open\",\"reason\":\"x\"}",
       "bad IPv4 address '10.0.0.300': octet '300' is above 255"},
      // One leading-zero rule for every reader (net::Ipv4Address): refused, never read as 10 or 8.
      {"{\"ip\":\"10.0.0.010\",\"port\":1,\"proto\":\"tcp\",\"state\":\"open\",\"reason\":\"x\"}",
       "bad IPv4 address '10.0.0.010': octet '010' has a leading zero"},
      {"<nmaprun><host><address addr=\"10.0.00.1\" addrtype=\"ipv4\"/></host></nmaprun>",
       "bad IPv4 address '10.0.00.1': octet '00' has a leading zero"},
      {"Host: 010.0.0.1 ()\tStatus: Up\n", "bad IPv4 address '010.0.0.1'"},
      {"{\"ip\":\"2001:2::1\",\"port\":1,\"proto\":\"tcp\",\"state\":\"open\",\"reason\":\"x\"}",
       "IPv6 address '2001:2::1': synscan reads IPv4 results only"},
      {"Host: 2001:2::1 ()\tPorts: 22/open/tcp//ssh///\n",
       "IPv6 address '2001:2::1': synscan reads IPv4 results only"},
      {"{\"ip\":\"10.0.0.1\",\"port\":70000,\"proto\":\"tcp\",\"state\":\"open\",\"reason\":\"x\"}",
       "bad port '70000'"},
      {"{\"ip\":\"10.0.0.1\",\"port\":1,\"proto\":\"tcp\",\"state\":\"ajar\",\"reason\":\"x\"}",
       "unknown port state 'ajar'"},
      {"{\"ip\":\"10.0.0.1\",\"port\":1,\"proto\":\"tcp\",\"state\":\"open\",\"reason\":\"x\","
       "\"ttl\":999}",
       "bad TTL '999'"},
      {"{\"ip\":{\"a\":1}}", "nested value"},
      {"<nmaprun><host>", "unterminated <host>"},
      {"<nmaprun></host>", "</host> does not close <nmaprun>"},
      {"<nmaprun a=b></nmaprun>", "is not quoted"},
      {"<nmaprun args=\"&bogus;\"></nmaprun>", "unknown entity '&bogus;'"},
      {"<!DOCTYPE x [<!ENTITY a \"b\">]><nmaprun/>", "internal subsets"},
      {"<html></html>", "no <nmaprun>"},
      {"<nmaprun><host><address addr=\"1.2.3.4\" addrtype=\"ipv4\"/><ports><port protocol=\"tcp\" "
       "portid=\"x\"><state state=\"open\"/></port></ports></host></nmaprun>",
       "bad port 'x'"},
      {"<nmaprun><host><ports><port protocol=\"tcp\" portid=\"1\"></port></ports></host></nmaprun>",
       "<port> without <state>"},
      {"<nmaprun><port protocol=\"tcp\" portid=\"1\"/></nmaprun>", "<port> outside <host>"},
      {"<nmaprun><host><ports><extraports state=\"closed\" count=\"-5\"/></ports></host></nmaprun>",
       "bad port count '-5'"},
      {"Host: 1.2.3.4 ()\tPorts: 22/open\n", "bad port entry"},
      {"# Nmap 7.93 scan initiated x as: y\nsomething else\n", "not a greppable record"},
  };
  for (const auto& [text, expected] : cases) {
    try {
      (void)parse_scan(text, "bad.scan");
      ADD_FAILURE() << "no error for: " << text;
    } catch (const ScanFileError& error) {
      const std::string message = error.what();
      EXPECT_EQ(message.rfind("bad.scan", 0), 0u) << message;
      EXPECT_NE(message.find(expected), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
  EXPECT_THROW((void)parse_scan(std::string("{\"ip\"\0", 6), "nul"), ScanFileError);
  EXPECT_THROW((void)read_scan_file("/nonexistent/scan.xml"), ScanFileError);
}

TEST(ScanFile, EveryTruncationParsesOrFailsCleanly) {
  // A cheap stand-in for fuzzing: every prefix of a real file is a partial write or a cut pipe.
  for (const char* name : {"sample.xml", "nmap_handwritten.xml", "sample.gnmap"}) {
    const std::string text = read_file(kData + name);
    for (std::size_t length = 0; length <= text.size(); length += 3) {
      try {
        (void)parse_scan(std::string_view(text).substr(0, length), name);
      } catch (const ScanFileError&) {
      }
    }
  }
}

// --- convert ---------------------------------------------------------------------------------

TEST(Convert, JsonLinesToXmlPassesNmapsDtd) {
  if (!have_program("xmllint") || !std::filesystem::exists("/usr/share/nmap/nmap.dtd")) {
    SYNSCAN_SKIP_WITHOUT_TOOL("xmllint or /usr/share/nmap/nmap.dtd");
  }
  const SampleScan sample;
  const std::string jsonl = temp_path("dtd.jsonl");
  write_scan(Format::kJsonLines, jsonl, sample.info, sample.hosts(), sample.summary());
  const std::string xml = temp_path("dtd.xml");
  convert_to(read_scan_file(jsonl), Format::kXml, xml);
  const CommandResult lint =
      run_command("xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd " + xml);
  EXPECT_EQ(lint.exit_code, 0) << lint.output;
  // nmap's own XML, converted, too.
  const std::string from_nmap = temp_path("nmap.xml");
  convert_to(read_scan_file(kData + "nmap_handwritten.xml"), Format::kXml, from_nmap);
  const CommandResult nmap_lint =
      run_command("xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd " + from_nmap);
  EXPECT_EQ(nmap_lint.exit_code, 0) << nmap_lint.output;
}

/// Blanks the attributes that hold times (and the run time and summary derived from them).
std::string without_times(std::string text) {
  static const std::regex kTimes(
      "(start|startstr|starttime|endtime|time|timestr|elapsed|summary)=\"[^\"]*\"");
  static const std::regex kComment("scan initiated [^\n]* as:");
  text = std::regex_replace(text, kTimes, "$1=\"\"");
  return std::regex_replace(text, kComment, "scan initiated as:");
}

TEST(Convert, XmlToJsonLinesToXmlIsIdenticalModuloTimes) {
  use_utc();
  SampleScan sample;
  ScanSummary summary = sample.summary();
  summary.hosts_total = 3;  // JSON lines carries records only, no scan totals
  sample.info.tcp_ports = {22, 80, 443, 8080, 9999};
  for (std::uint16_t port = 1000; port < 1040; ++port) sample.info.tcp_ports.push_back(port);
  std::sort(sample.info.tcp_ports.begin(), sample.info.tcp_ports.end());
  const std::string original = temp_path("original.xml");
  const std::string original_text =
      write_scan(Format::kXml, original, sample.info, sample.hosts(), summary);

  const std::string jsonl = temp_path("middle.jsonl");
  convert_to(read_scan_file(original), Format::kJsonLines, jsonl);
  // JSON lines has no header, so the command line comes from the converting command; give it
  // the original's to show that everything else survives.
  const std::string again = temp_path("again.xml");
  const std::string again_text =
      convert_to(read_scan_file(jsonl), Format::kXml, again, sample.info.command_line);
  EXPECT_EQ(without_times(again_text), without_times(original_text));
  EXPECT_NE(again_text.find("<extraports state=\"closed\" count=\"40\">"), std::string::npos);
}

TEST(Convert, JsonLinesRoundTripIsByteIdentical) {
  const SampleScan sample;
  const std::string first = temp_path("first.jsonl");
  const std::string text =
      write_scan(Format::kJsonLines, first, sample.info, sample.hosts(), sample.summary());
  EXPECT_EQ(convert_to(read_scan_file(first), Format::kJsonLines, temp_path("second.jsonl")), text);
}

TEST(Convert, GreppableFromJsonLinesMatchesBrutesprayRegex) {
  const SampleScan sample;
  const std::string jsonl = temp_path("brute.jsonl");
  write_scan(Format::kJsonLines, jsonl, sample.info, sample.hosts(), sample.summary());
  const std::string text =
      convert_to(read_scan_file(jsonl), Format::kGreppable, temp_path("brute.gnmap"));
  // brutespray's pattern: ([0-9]+)/open/[a-z]+//svc
  const std::regex entry("([0-9]+)/open/[a-z]+//([a-z-]+)");
  std::vector<std::string> found;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), entry);
       it != std::sregex_iterator(); ++it) {
    found.push_back((*it)[1].str() + " " + (*it)[2].str());
  }
  // Every open port, with its service: .5 22 ssh, 9999 "odd|svc..." (the '/' of the name became
  // '|', so the entry still has its 7 fields), 53 domain; .9 22 ssh.
  EXPECT_EQ(found, (std::vector<std::string>{"22 ssh", "9999 odd", "53 domain", "22 ssh"}));
  EXPECT_NE(text.find("9999/open/tcp//odd|svc"), std::string::npos);
}

TEST(Convert, ServiceNamesComeFromTheFileThenTheFallback) {
  const ScanModel scan = read_scan_file(kData + "nmap_handwritten.xml");
  const ServiceLookup lookup = scan_service_lookup(scan, {});
  EXPECT_EQ(lookup(Protocol::kTcp, 3389), "ms-wbt-server");  // the file's name
  EXPECT_EQ(lookup(Protocol::kTcp, 8443), "https-alt");      // not named in the file: table
  const ServiceLookup custom = scan_service_lookup(
      scan, [](Protocol, std::uint16_t) -> std::string_view { return "custom"; });
  EXPECT_EQ(custom(Protocol::kTcp, 8443), "custom");
  EXPECT_EQ(custom(Protocol::kTcp, 22), "ssh");
}

}  // namespace
}  // namespace synscan::output
