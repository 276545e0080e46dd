// --banners in the writers: <service method="probed"> and one nmap-named script per port (XML,
// DTD-valid), the greppable version column, the JSON banner/http/tls objects, and the fake-open
// mark (hostscript, per-port script, JSON key; --open leaves the marked ports out).
#include <gtest/gtest.h>

#include "output/scan_file.hpp"
#include "output_test_support.hpp"

namespace synscan::output {
namespace {

using namespace test_support;

struct ServiceScan {
  std::vector<PortResult> ports = {tcp(22, PortState::kOpen, Reason::kSynAck, 64),
                                   tcp(443, PortState::kOpen, Reason::kSynAck, 64),
                                   tcp(1000, PortState::kOpen, Reason::kSynAck, 64)};
  std::vector<ServiceFacts> services;
  ScanInfo info;
  ServiceScan() {
    ServiceFacts ssh;
    ssh.port = 22;
    ssh.name = "ssh";
    ssh.product = "OpenSSH";
    ssh.version = "9.2p1";
    ssh.extrainfo = "protocol 2.0";
    ssh.banner = "SSH-2.0-OpenSSH_9.2p1\\r\\n";
    ssh.outcome = "answered";
    ServiceFacts https;
    https.port = 443;
    https.name = "http";
    https.product = "nginx";
    https.tunnel_ssl = true;
    https.outcome = "answered";
    https.http = HttpFacts{200, "nginx", "Lab <page>"};
    TlsFacts tls;
    tls.version = "TLSv1.3";
    tls.subject_cn = "lab.example";
    tls.subject = "commonName=lab.example";
    tls.issuer = "commonName=Lab CA";
    tls.alt_names = {"DNS:lab.example", "DNS:www.lab.example"};
    tls.not_before = kStart;
    tls.not_after = kStart + 86400;
    https.tls = tls;
    ServiceFacts silent;
    silent.port = 1000;
    silent.outcome = "closed-at-once";
    services = {ssh, https, silent};
    info.scanner_version = "0.1.0";
    info.command_line = "synscan -sV 198.18.0.5";
    info.start_time = kStart;
    info.tcp_ports = {22, 443, 1000};
    info.banners = true;
  }
  HostResult host(std::string_view fake_open = {}) const {
    return HostResult{ipv4(198, 18, 0, 5), ports, kStart, kEnd, services, fake_open};
  }
};

ScanSummary summary() {
  ScanSummary result;
  result.end_time = kEnd;
  result.elapsed_seconds = 2;
  result.hosts_total = 1;
  result.hosts_up = 1;
  return result;
}

TEST(ServiceOutput, XmlServiceAndScriptsAreDtdValid) {
  use_utc();
  const ServiceScan scan;
  const std::string path = temp_path("services.xml");
  const std::string text = write_scan(Format::kXml, path, scan.info, {scan.host()}, summary());
  EXPECT_NE(text.find("<service name=\"ssh\" product=\"OpenSSH\" version=\"9.2p1\" extrainfo=\"protocol 2.0\" "
                      "method=\"probed\" conf=\"10\"/><script id=\"banner\" output=\"SSH-2.0-OpenSSH_9.2p1\\r\\n\"/>"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("<service name=\"http\" product=\"nginx\" tunnel=\"ssl\" method=\"probed\" conf=\"10\"/>"
                      "<script id=\"ssl-cert\" output=\"Subject: commonName=lab.example&#xa;Subject Alternative "
                      "Name: DNS:lab.example, DNS:www.lab.example&#xa;Issuer: commonName=Lab CA&#xa;Not valid "
                      "before: 2025-11-25T06:13:54&#xa;Not valid after:  2025-11-26T06:13:54&#xa;Negotiated: "
                      "TLSv1.3\"/>"),
            std::string::npos)
      << text;
  // No probed name and none in the table: no <service> (the stage's outcome is in JSON lines).
  EXPECT_NE(text.find("portid=\"1000\"><state state=\"open\" reason=\"syn-ack\" reason_ttl=\"64\"/></port>"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("hostscript"), std::string::npos);
  if (have_program("xmllint")) {
    EXPECT_EQ(run_command("xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd " + path).exit_code, 0);
  }
}

TEST(ServiceOutput, FakeOpenHostIsMarkedAndOpenLeavesItsFakePortsOut) {
  use_utc();
  const ServiceScan scan;
  const std::string why = "3 of 3 probed TCP ports open";
  const std::string path = temp_path("fake.xml");
  const std::string text = write_scan(Format::kXml, path, scan.info, {scan.host(why)}, summary());
  EXPECT_NE(text.find("<hostscript><script id=\"fake-open\" output=\"3 of 3 probed TCP ports open\"/></hostscript>"),
            std::string::npos);
  // The port that never spoke carries the mark; those that answered keep their facts.
  EXPECT_NE(text.find("reason_ttl=\"64\"/><script id=\"fake-open\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("<script id=\"banner\""), std::string::npos);
  if (have_program("xmllint")) {
    EXPECT_EQ(run_command("xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd " + path).exit_code, 0);
  }
  ServiceScan open_only;
  open_only.info.only_open = true;
  const std::string kept = write_scan(Format::kXml, temp_path("fake_open.xml"), open_only.info,
                                      {open_only.host(why)}, summary());
  EXPECT_EQ(kept.find("portid=\"1000\""), std::string::npos) << kept;
  EXPECT_NE(kept.find("portid=\"22\""), std::string::npos);
  const std::string grep = write_scan(Format::kGreppable, temp_path("fake.gnmap"), scan.info, {scan.host(why)}, summary());
  EXPECT_NE(grep.find("# fake-open 198.18.0.5: 3 of 3 probed TCP ports open\n"), std::string::npos) << grep;
}

TEST(ServiceOutput, GreppableVersionColumn) {
  use_utc();
  const ServiceScan scan;
  const std::string text = write_scan(Format::kGreppable, temp_path("services.gnmap"), scan.info, {scan.host()}, summary());
  EXPECT_NE(text.find("Ports: 22/open/tcp//ssh//OpenSSH 9.2p1 (protocol 2.0)/, 443/open/tcp//ssl|http//nginx/, "
                      "1000/open/tcp/////"),
            std::string::npos)
      << text;
}

TEST(ServiceOutput, JsonObjectsAndFakeOpenKey) {
  const ServiceScan scan;
  const std::string path = temp_path("services.jsonl");
  {
    auto writer = make_writer(Format::kJsonLines, std::make_unique<OutputFile>(path), &test_services);
    writer->begin(scan.info);
    writer->port_service(ipv4(198, 18, 0, 5), scan.ports[1], scan.services[1], {}, kStart);
    writer->port_service(ipv4(198, 18, 0, 5), scan.ports[2], scan.services[2], "why", kStart);
    writer->finish(summary());
  }
  const std::string text = read_file(path);
  EXPECT_NE(text.find("\"category\":\"well-known\",\"banner\":{\"outcome\":\"answered\",\"text\":\"\",\"name\":\"http\","
                      "\"product\":\"nginx\",\"version\":\"\",\"extrainfo\":\"\",\"tunnel\":\"ssl\"},\"http\":{\"status\":"
                      "200,\"server\":\"nginx\",\"title\":\"Lab <page>\"},\"tls\":{\"version\":\"TLSv1.3\",\"cipher\":\"\","
                      "\"subject_cn\":\"lab.example\",\"subject\":\"commonName=lab.example\",\"issuer\":\"commonName=Lab "
                      "CA\",\"alt_names\":[\"DNS:lab.example\",\"DNS:www.lab.example\"],\"not_before\":1764051234,"
                      "\"not_after\":1764137634}}\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\"banner\":{\"outcome\":\"closed-at-once\",\"text\":\"\",\"name\":\"\",\"product\":\"\",\"version\":"
                      "\"\",\"extrainfo\":\"\"},\"fake_open\":\"why\"}\n"),
            std::string::npos)
      << text;
  // synscan's own readers (convert, merge, diff, report) accept the records.
  const ScanModel model = read_scan_file(path);
  ASSERT_EQ(model.hosts.size(), 1u);
  EXPECT_EQ(model.hosts.begin()->second.ports.size(), 2u);
  if (have_program("python3")) {
    EXPECT_EQ(run_command("python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' " + path).exit_code, 0);
  }
}

}  // namespace
}  // namespace synscan::output
