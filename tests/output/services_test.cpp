// service_name: the built-in licence-clean table, the /etc/services fallback, unknown ports.
#include <gtest/gtest.h>

#include <array>
#include <string_view>
#include <thread>
#include <vector>

#include "output/writers.hpp"

namespace synscan::output {
namespace {

struct Expected {
  Protocol protocol;
  std::uint16_t port;
  const char* name;
};

TEST(ServicesTest, BuiltinTableCoversTheDocumentedPorts) {
  constexpr Protocol kTcp = Protocol::kTcp;
  constexpr Protocol kUdp = Protocol::kUdp;
  const Expected expected[] = {
      {kTcp, 20, "ftp-data"},
      {kTcp, 21, "ftp"},
      {kTcp, 22, "ssh"},
      {kTcp, 23, "telnet"},
      {kTcp, 25, "smtp"},
      {kTcp, 53, "domain"},
      {kUdp, 53, "domain"},
      {kUdp, 67, "bootps"},
      {kUdp, 68, "bootpc"},
      {kUdp, 69, "tftp"},
      {kTcp, 80, "http"},
      {kTcp, 110, "pop3"},
      {kTcp, 111, "rpcbind"},
      {kUdp, 111, "rpcbind"},
      {kUdp, 123, "ntp"},
      {kUdp, 137, "netbios-ns"},
      {kTcp, 139, "netbios-ssn"},
      {kTcp, 143, "imap"},
      {kUdp, 161, "snmp"},
      {kUdp, 162, "snmptrap"},
      {kTcp, 443, "https"},
      {kTcp, 445, "microsoft-ds"},
      {kTcp, 465, "smtps"},
      {kUdp, 500, "isakmp"},
      {kUdp, 514, "syslog"},
      {kTcp, 587, "submission"},
      {kTcp, 631, "ipp"},
      {kTcp, 993, "imaps"},
      {kTcp, 995, "pop3s"},
      {kTcp, 1433, "ms-sql-s"},
      {kTcp, 1521, "oracle"},
      {kUdp, 1900, "ssdp"},
      {kTcp, 2375, "docker"},
      {kTcp, 2376, "docker-s"},
      {kTcp, 2379, "etcd-client"},
      {kTcp, 2380, "etcd-server"},
      {kTcp, 3306, "mysql"},
      {kTcp, 3389, "ms-wbt-server"},
      {kTcp, 5060, "sip"},
      {kUdp, 5060, "sip"},
      {kUdp, 5353, "mdns"},
      {kTcp, 5432, "postgresql"},
      {kTcp, 5900, "vnc"},
      {kTcp, 6379, "redis"},
      {kTcp, 6443, "kube-apiserver"},
      {kTcp, 8080, "http-alt"},
      {kTcp, 8443, "https-alt"},
      {kTcp, 10250, "kubelet"},
      {kTcp, 11211, "memcache"},
      {kTcp, 27017, "mongodb"},
  };
  for (const Expected& entry : expected) {
    EXPECT_EQ(service_name(entry.protocol, entry.port), entry.name)
        << to_string(entry.protocol) << "/" << entry.port;
  }
}

// Ports outside the built-in table, named by the system database (Debian's netbase, which
// scripts/setup installs; the names are IANA's). Written out by hand: the expected values must not
// come from the libc call the implementation itself makes.
TEST(ServicesTest, FallsBackToTheSystemServicesDatabase) {
  EXPECT_EQ(service_name(Protocol::kTcp, 79), "finger");
  EXPECT_EQ(service_name(Protocol::kTcp, 119), "nntp");
  EXPECT_EQ(service_name(Protocol::kTcp, 853), "domain-s");
  EXPECT_EQ(service_name(Protocol::kUdp, 853), "domain-s");
  EXPECT_EQ(service_name(Protocol::kUdp, 37), "time");
  EXPECT_EQ(service_name_view(Protocol::kTcp, 79), "finger");
}

TEST(ServicesTest, UnknownPortIsEmpty) {
  EXPECT_EQ(service_name(Protocol::kTcp, 0), "");
  // ssh is 22/tcp only, in the built-in table and in netbase.
  EXPECT_EQ(service_name(Protocol::kUdp, 22), "");
  EXPECT_EQ(service_name_view(Protocol::kUdp, 22), "");
  EXPECT_EQ(service_name(Protocol::kTcp, 61999), "");
}

// The table is built on first use: threads racing to it all see it complete.
TEST(ServicesTest, ConcurrentFirstUseIsSafeAndConsistent) {
  std::vector<std::thread> threads;
  std::array<std::string_view, 8> finger{};
  std::array<std::string_view, 8> ssh{};
  for (std::size_t index = 0; index < finger.size(); ++index) {
    threads.emplace_back([&finger, &ssh, index] {
      for (std::uint16_t port = 1; port < 2000; ++port) {
        const std::string_view name = service_name_view(Protocol::kTcp, port);
        if (port == 22) ssh[index] = name;
        if (port == 79) finger[index] = name;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string_view name : ssh) EXPECT_EQ(name, "ssh");
  for (const std::string_view name : finger) EXPECT_EQ(name, "finger");
}

}  // namespace
}  // namespace synscan::output
