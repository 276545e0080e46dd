// --services-file: an nmap-services-format file named by the user (services_file.cpp).
#include <gtest/gtest.h>

#include "output/writers.hpp"
#include "output_test_support.hpp"

namespace synscan::output {
namespace {

std::string write_temp(const std::string& text) {
  const std::string path = test_support::temp_path("services");
  test_support::write_file(path, text);
  return path;
}

TEST(ServicesFile, NamesFromTheFileWinAndTheTableFillsTheRest) {
  const std::string path = write_temp(
      "# comment\n\nmy-web\t80/tcp\t0.5\t# the web\nmy-dns 53/udp\nsctp-thing 9/sctp\r\n"
      "later 80/tcp 0.000013\n");
  const ServiceLookup lookup = load_services_file(path);
  EXPECT_EQ(lookup(Protocol::kTcp, 80), "later");  // a later line replaces an earlier one
  EXPECT_EQ(lookup(Protocol::kUdp, 53), "my-dns");
  EXPECT_EQ(lookup(Protocol::kTcp, 22), "ssh");                                // built-in table
  EXPECT_EQ(lookup(Protocol::kTcp, 9), service_name_view(Protocol::kTcp, 9));  // sctp skipped
}

TEST(ServicesFile, TheLookupKeepsItsNamesAliveInsideTheWriters) {
  ServiceLookup lookup = load_services_file(write_temp("odd/name 22/tcp\n"));
  const std::string path = test_support::temp_path("services.gnmap");
  auto writer = make_writer(Format::kGreppable, std::make_unique<OutputFile>(path), lookup);
  lookup = nullptr;  // the writer's copy keeps the names alive
  writer->begin(ScanInfo{});
  const std::vector<PortResult> ports = {
      test_support::tcp(22, PortState::kOpen, Reason::kSynAck, 64)};
  writer->host(HostResult{test_support::ipv4(10, 0, 0, 1), ports, 0, 0});
  writer->finish(ScanSummary{});
  writer.reset();
  EXPECT_NE(test_support::read_file(path).find("22/open/tcp//odd|name///"), std::string::npos);
}

TEST(ServicesFile, ErrorsNameFileAndLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"ok 1/tcp\nbroken 99999/tcp\n", ":2: bad port in '99999/tcp'"},
      {"lonely\n", ":1: expected 'name port/protocol', got 'lonely'"},
      {"x 80tcp\n", ":1: expected port/protocol, got '80tcp'"},
      {"x /tcp\n", ":1: bad port in '/tcp'"},
      {"# header\nx 80/tcp often\n", ":2: bad frequency 'often'"},
      {"x 80/tcp 1.5\n", ":1: bad frequency '1.5'"},
      {"x 80/tcp 0.1 extra\n", ":1: unexpected 'extra'"},
  };
  for (const auto& [text, expected] : cases) {
    const std::string path = write_temp(text);
    try {
      (void)load_services_file(path);
      ADD_FAILURE() << "no error for " << text;
    } catch (const OutputError& error) {
      EXPECT_EQ(std::string(error.what()).rfind(path + expected, 0), 0u) << error.what();
    }
  }
  EXPECT_THROW((void)load_services_file("/nonexistent/services"), OutputError);
}

}  // namespace
}  // namespace synscan::output
