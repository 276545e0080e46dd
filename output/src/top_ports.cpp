// The --top-ports ranking. Method (documented in README): tier 1 is every service in the product
// brief's port tables (web, file transfer, mail, remote access, databases, network services,
// containers), in table order; tier 2 is other services commonly exposed on enterprise and cloud
// networks, picked by the project from their IANA assignments and vendor documentation (directory
// and auth, Windows, printing, VPN, monitoring, message queues, search and data stores, admin
// consoles); tier 3 is every other port, well-known ones first, in ascending order. No frequency
// data from any scanner was used.
#include "output/top_ports.hpp"

#include <array>
#include <bitset>

namespace synscan::output {
namespace {

constexpr std::uint16_t kTcpRanking[] = {
    // tier 1: the brief's tables
    80, 443, 8080, 8443, 20, 21, 22, 445, 25, 110, 143, 465, 587, 993, 995, 23, 3389, 5900, 1433,
    1521, 3306, 5432, 27017, 6379, 53, 2375, 2376, 6443, 10250, 2379, 2380,
    // tier 2: directory, auth, Windows
    88, 389, 636, 3268, 3269, 135, 139, 464, 593, 5985, 5986, 9389,
    // web and proxies, admin consoles
    8000, 8008, 8081, 8888, 9443, 3128, 1080, 8880, 10000, 9090, 3000, 5601, 8161, 4848, 7001, 9000,
    // remote access and VPN
    2222, 5901, 5902, 1723, 1194, 4444, 3390, 5938,
    // files and storage
    111, 2049, 873, 548, 9418, 3260, 2121, 989, 990,
    // mail and messaging extras
    2525, 106, 119, 563, 5222, 5269, 6667, 1883, 8883, 5672, 15672, 61616, 9092, 2181,
    // data stores and search
    1434, 3050, 5984, 6984, 7000, 7199, 9042, 9160, 9200, 9300, 11211, 8086, 28017, 50000, 5000,
    // monitoring and infrastructure
    161, 179, 199, 514, 515, 631, 9100, 2000, 5060, 5061, 554, 1720, 8291, 10050, 10051, 8500, 8200,
    4646, 9093, 9091, 6000, 6001, 113, 79, 7, 9, 13, 17, 19, 37, 43, 49, 70, 81, 82, 83, 84, 85, 88,
    5666, 5667, 4369, 25672, 6080, 8009, 8010, 8082, 8083, 8084, 8085, 8090, 8091, 8180, 8181, 8282,
    8800, 8899, 9001, 9002, 9080, 9081, 9200, 10443, 16443, 4443, 5443, 6443, 7443, 12443,
};

constexpr std::uint16_t kUdpRanking[] = {
    // tier 1: the brief's tables
    53, 67, 68, 69, 123, 161, 162, 514,
    // tier 2: names, discovery, VPN, auth, media, management
    137, 138, 5353, 5355, 1900, 3702, 500, 4500, 1194, 1701, 1812, 1813, 88, 464, 389, 111, 2049,
    520, 521, 5060, 5061, 3478, 3479, 5683, 5684, 11211, 623, 1434, 177, 1645, 1646, 4789, 8472,
    6081, 27015, 10161, 10162, 9, 7, 17, 19, 37, 135, 139, 445, 631, 1604, 2302, 3283, 5632, 8767,
    9987, 10080, 17185, 20031, 27960, 30718, 31337, 33434, 47808, 49152, 49153,
};

template <std::size_t N>
std::vector<std::uint16_t> ranked(const std::uint16_t (&ranking)[N], std::size_t count) {
  std::vector<std::uint16_t> ports;
  std::bitset<65536> taken;
  const auto add = [&](unsigned port) {
    if (ports.size() >= count || port == 0 || taken[port]) return;
    taken[port] = true;
    ports.push_back(static_cast<std::uint16_t>(port));
  };
  for (std::uint16_t port : ranking) add(port);
  for (unsigned port = 1; port <= 65535 && ports.size() < count; ++port) add(port);
  return ports;
}

}  // namespace

std::vector<std::uint16_t> top_ports(Protocol protocol, std::size_t count) {
  return protocol == Protocol::kTcp ? ranked(kTcpRanking, count) : ranked(kUdpRanking, count);
}

const char* port_category(std::uint16_t port) noexcept {
  if (port < 1024) return "well-known";
  if (port < 49152) return "registered";
  return "dynamic";
}

}  // namespace synscan::output
