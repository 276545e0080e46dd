// JSON lines (-oJ): one complete, flushed, parseable object per port result, keys in a fixed order.
#include <gtest/gtest.h>

#include <sstream>

#include "output_test_support.hpp"

namespace synscan::output {
namespace {

using test_support::SampleScan;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  return lines;
}

TEST(JsonLinesTest, OneLinePerPortResultInTheDocumentedShape) {
  const SampleScan scan;
  const std::string text =
      test_support::write_scan(Format::kJsonLines, test_support::temp_path("scan.jsonl"), scan.info,
                               scan.hosts(), scan.summary());
  const std::vector<std::string> lines = lines_of(text);
  ASSERT_EQ(lines.size(),
            scan.mixed_ports.size() + scan.collapsed_ports.size() + scan.closed_only_ports.size());
  EXPECT_EQ(lines[0],
            R"({"ip":"198.18.0.5","port":22,"proto":"tcp","state":"open","reason":"syn-ack",)"
            R"("ttl":64,"service":"ssh","time":1764051234,"category":"well-known"})");
  EXPECT_EQ(lines[6], R"({"ip":"198.18.0.5","port":161,"proto":"udp","state":"open|filtered",)"
                      R"("reason":"no-response","ttl":0,"service":"snmp","time":1764051234,"category":"well-known"})");
  EXPECT_EQ(lines[4],
            R"({"ip":"198.18.0.5","port":9999,"proto":"tcp","state":"open","reason":"syn-ack",)"
            R"("ttl":64,"service":"odd/svc<&\"'>","time":1764051234,"category":"registered"})");
}

TEST(JsonLinesTest, UnknownServiceIsEmptyString) {
  const std::string path = test_support::temp_path("unknown.jsonl");
  auto writer = make_writer(Format::kJsonLines, std::make_unique<OutputFile>(path));
  writer->begin(SampleScan().info);
  writer->port_result(test_support::ipv4(10, 1, 2, 3),
                      test_support::tcp(61999, PortState::kClosed, Reason::kReset, 255), 7);
  writer.reset();
  EXPECT_EQ(test_support::read_file(path),
            R"({"ip":"10.1.2.3","port":61999,"proto":"tcp","state":"closed","reason":"reset",)"
            R"("ttl":255,"service":"","time":7,"category":"dynamic"})"
            "\n");
}

TEST(JsonLinesTest, OnlyOpenKeepsOpenAndOpenFiltered) {
  const SampleScan scan(/*only_open=*/true);
  const std::string text =
      test_support::write_scan(Format::kJsonLines, test_support::temp_path("open.jsonl"), scan.info,
                               scan.hosts(), scan.summary());
  const std::vector<std::string> lines = lines_of(text);
  ASSERT_EQ(lines.size(), 5U);  // 22, 9999, 53, 161 on .5; 22 on .9
  for (const std::string& line : lines) {
    EXPECT_TRUE(line.find(R"("state":"open")") != std::string::npos ||
                line.find(R"("state":"open|filtered")") != std::string::npos)
        << line;
  }
}

TEST(JsonLinesTest, BeginHostAndFinishWriteNothing) {
  const SampleScan scan;
  const std::string path = test_support::temp_path("quiet.jsonl");
  auto writer = make_writer(Format::kJsonLines, std::make_unique<OutputFile>(path));
  writer->begin(scan.info);
  for (const HostResult& host : scan.hosts()) writer->host(host);
  writer->finish(scan.summary(/*interrupted=*/true));
  writer.reset();
  EXPECT_EQ(test_support::read_file(path), "");
}

TEST(JsonLinesTest, PythonJsonParsesEveryLineWithTheRightFields) {
  const std::string python = test_support::python_with("json");
  if (python.empty()) SYNSCAN_SKIP_WITHOUT_TOOL("python3");
  const SampleScan scan;
  const std::string path = test_support::temp_path("parse.jsonl");
  test_support::write_scan(Format::kJsonLines, path, scan.info, scan.hosts(), scan.summary());
  const std::string script_path = test_support::temp_path("check_jsonl.py");
  test_support::write_file(script_path, R"PY(
import json, sys
keys = ["ip", "port", "proto", "state", "reason", "ttl", "service", "time", "category"]
count = 0
for line in open(sys.argv[1], encoding="utf-8"):
    record = json.loads(line)
    assert list(record.keys()) == keys, record
    assert isinstance(record["port"], int) and isinstance(record["ttl"], int)
    assert isinstance(record["time"], int) and record["time"] == 1764051234
    assert record["proto"] in ("tcp", "udp")
    assert record["state"] in ("open", "closed", "filtered", "open|filtered")
    count += 1
    if record["port"] == 9999:
        print("odd", record["service"])
print("records", count)
)PY");
  const test_support::CommandResult result =
      test_support::run_command(python + " " + script_path + " " + path);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "odd odd/svc<&\"'>\nrecords 50\n");
}

// One engine pass (end_batch) = one write: nothing before it, every line whole after it, and a
// pass too large for the buffer goes out early in whole lines.
TEST(JsonLinesTest, RecordsOfAPassAppearAtEndBatchAsWholeLines) {
  const std::string path = test_support::temp_path("batch.jsonl");
  auto writer = make_writer(Format::kJsonLines, std::make_unique<OutputFile>(path));
  writer->begin(SampleScan().info);
  const auto record = [&](std::uint16_t port) {
    writer->port_result(test_support::ipv4(10, 0, 0, 1),
                        test_support::tcp(port, PortState::kFiltered, Reason::kNoResponse, 0), 7);
  };
  record(1);
  record(2);
  EXPECT_EQ(test_support::read_file(path), "");
  writer->end_batch();
  EXPECT_EQ(lines_of(test_support::read_file(path)).size(), 2u);
  for (std::uint16_t port = 0; port < 5000; ++port) record(port);  // ~700 KiB
  const std::string early = test_support::read_file(path);
  EXPECT_GT(lines_of(early).size(), 2u);
  EXPECT_LT(lines_of(early).size(), 5002u);
  EXPECT_EQ(early.back(), '\n');  // whole lines only
  writer->end_batch();
  EXPECT_EQ(lines_of(test_support::read_file(path)).size(), 5002u);
  record(3);
  writer.reset();  // torn down without finish(): the pass under way is still written
  EXPECT_EQ(lines_of(test_support::read_file(path)).size(), 5003u);
}

// The writer keeps the text of the last host, second and every (protocol, port) it has seen:
// each record must still carry its own values when any of them changes from one record to the
// next, both protocols share a port number, and the extremes of each field are written in full.
TEST(JsonLinesTest, EveryRecordCarriesItsOwnValuesWhenAddressPortOrTimeChange) {
  const std::string path = test_support::temp_path("changes.jsonl");
  auto writer = make_writer(Format::kJsonLines, std::make_unique<OutputFile>(path),
                            [](Protocol protocol, std::uint16_t port) -> std::string_view {
                              if (port == 53) return protocol == Protocol::kUdp ? "domain-u" : "domain-t";
                              return port == 0 ? "zero" : "";
                            });
  writer->begin(SampleScan().info);
  struct Row {
    std::uint32_t address;
    PortResult result;
    std::time_t when;
    std::string expected;
  };
  const std::vector<Row> rows = {
      {test_support::ipv4(198, 18, 0, 1), test_support::tcp(53, PortState::kOpen, Reason::kSynAck, 64), 1000,
       R"({"ip":"198.18.0.1","port":53,"proto":"tcp","state":"open","reason":"syn-ack","ttl":64,"service":"domain-t","time":1000,"category":"well-known"})"},
      {test_support::ipv4(198, 18, 0, 1), test_support::udp(53, PortState::kOpenFiltered, Reason::kNoResponse, 0), 1000,
       R"({"ip":"198.18.0.1","port":53,"proto":"udp","state":"open|filtered","reason":"no-response","ttl":0,"service":"domain-u","time":1000,"category":"well-known"})"},
      {test_support::ipv4(255, 255, 255, 255), test_support::tcp(65535, PortState::kClosed, Reason::kReset, 255), 1000,
       R"({"ip":"255.255.255.255","port":65535,"proto":"tcp","state":"closed","reason":"reset","ttl":255,"service":"","time":1000,"category":"dynamic"})"},
      {test_support::ipv4(255, 255, 255, 255), test_support::tcp(0, PortState::kFiltered, Reason::kNoResponse, 0), 1001,
       R"({"ip":"255.255.255.255","port":0,"proto":"tcp","state":"filtered","reason":"no-response","ttl":0,"service":"zero","time":1001,"category":"well-known"})"},
      {test_support::ipv4(0, 0, 0, 0), test_support::tcp(53, PortState::kClosed, Reason::kReset, 1), 1001,
       R"({"ip":"0.0.0.0","port":53,"proto":"tcp","state":"closed","reason":"reset","ttl":1,"service":"domain-t","time":1001,"category":"well-known"})"},
      {test_support::ipv4(198, 18, 0, 1), test_support::tcp(1024, PortState::kOpen, Reason::kSynAck, 64), 999,
       R"({"ip":"198.18.0.1","port":1024,"proto":"tcp","state":"open","reason":"syn-ack","ttl":64,"service":"","time":999,"category":"registered"})"},
  };
  std::string expected;
  for (int pass = 0; pass < 2; ++pass) {  // the second pass finds every piece already kept
    for (const Row& row : rows) {
      writer->port_result(row.address, row.result, row.when);
      expected += row.expected + "\n";
    }
    writer->end_batch();
  }
  writer.reset();
  EXPECT_EQ(test_support::read_file(path), expected);
}

TEST(JsonLinesTest, ControlCharactersAreEscaped) {
  const std::string path = test_support::temp_path("ctl.jsonl");
  auto writer = make_writer(Format::kJsonLines, std::make_unique<OutputFile>(path),
                            [](Protocol, std::uint16_t) -> std::string_view {
                              return std::string_view("a\\b\"c\n\x01", 7);
                            });
  writer->begin(SampleScan().info);
  writer->port_result(1, test_support::tcp(1, PortState::kOpen, Reason::kSynAck, 1), 0);
  writer.reset();
  EXPECT_NE(test_support::read_file(path).find(R"("service":"a\\b\"c\n\u0001")"), std::string::npos)
      << test_support::read_file(path);
}

}  // namespace
}  // namespace synscan::output
