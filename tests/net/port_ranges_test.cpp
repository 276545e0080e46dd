// The one port-list formatter: sorting, duplicates, runs, bounds.
#include "net/port_ranges.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace synscan::net {
namespace {

std::string text(std::vector<std::uint16_t> ports) {
  return format_port_ranges(ports);
}

TEST(PortRanges, JoinsRuns) {
  EXPECT_EQ(text({}), "");
  EXPECT_EQ(text({22}), "22");
  EXPECT_EQ(text({22, 80, 8000, 8001, 8002, 9000, 9001}), "22,80,8000-8002,9000-9001");
  EXPECT_EQ(text({0, 1, 65535}), "0-1,65535");
  EXPECT_EQ(text({65534, 65535}), "65534-65535");
}

TEST(PortRanges, SortsAndDropsDuplicates) {
  EXPECT_EQ(text({80, 22, 8001, 8000, 22, 80}), "22,80,8000-8001");
  std::vector<std::uint16_t> all;
  for (unsigned port = 65535; port >= 1; --port) all.push_back(static_cast<std::uint16_t>(port));
  EXPECT_EQ(text(all), "1-65535");
}

}  // namespace
}  // namespace synscan::net
