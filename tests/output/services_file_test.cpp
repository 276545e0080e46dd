// --services-file: an nmap-services-format file named by the user.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "output/writers.hpp"

namespace synscan::output {
namespace {

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/synscan-services-XXXXXX";
  const int fd = ::mkstemp(path);
  EXPECT_GE(fd, 0);
  std::ofstream(path) << text;
  ::close(fd);
  return path;
}

TEST(ServicesFile, NamesFromTheFileWinAndTheTableFillsTheRest) {
  const std::string path = write_temp(
      "# comment\n\nmy-web\t80/tcp\t0.5\t# the web\nmy-dns 53/udp\nsctp-thing 9/sctp\n");
  const ServiceLookup lookup = load_services_file(path);
  EXPECT_EQ(lookup(Protocol::kTcp, 80), "my-web");
  EXPECT_EQ(lookup(Protocol::kUdp, 53), "my-dns");
  EXPECT_EQ(lookup(Protocol::kTcp, 22), "ssh");  // built-in table
  std::remove(path.c_str());
}

TEST(ServicesFile, ErrorsNameFileAndLine) {
  const std::string path = write_temp("ok 1/tcp\nbroken 99999/tcp\n");
  try {
    (void)load_services_file(path);
    FAIL() << "no error";
  } catch (const OutputError& error) {
    EXPECT_EQ(std::string(error.what()), path + ":2: bad port in '99999/tcp'");
  }
  std::remove(path.c_str());
  EXPECT_THROW((void)load_services_file("/nonexistent/services"), OutputError);
}

}  // namespace
}  // namespace synscan::output
