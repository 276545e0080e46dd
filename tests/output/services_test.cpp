// service_name: the built-in licence-clean table, the /etc/services fallback, unknown ports.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netdb.h>

#include <array>
#include <thread>

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

TEST(ServicesTest, FallsBackToTheSystemServicesDatabase) {
  // A port outside the built-in table that the system knows, compared with libc's own answer.
  for (const std::uint16_t port : {std::uint16_t{853}, std::uint16_t{79}, std::uint16_t{119}}) {
    std::array<char, 4096> buffer{};
    servent entry{};
    servent* result = nullptr;
    if (::getservbyport_r(htons(port), "tcp", &entry, buffer.data(), buffer.size(), &result) != 0 ||
        result == nullptr) {
      continue;
    }
    EXPECT_EQ(service_name(Protocol::kTcp, port), result->s_name) << port;
    return;
  }
  GTEST_SKIP() << "the system services database knows none of the probe ports";
}

TEST(ServicesTest, UnknownPortIsEmpty) {
  EXPECT_EQ(service_name(Protocol::kTcp, 0), "");
  EXPECT_EQ(service_name(Protocol::kUdp, 22), service_name_view(Protocol::kUdp, 22));
  EXPECT_EQ(service_name(Protocol::kTcp, 61999), "");
}

TEST(ServicesTest, ConcurrentFirstUseIsSafeAndConsistent) {
  std::vector<std::thread> threads;
  std::array<std::string_view, 8> seen{};
  for (std::size_t index = 0; index < seen.size(); ++index) {
    threads.emplace_back([&seen, index] {
      for (std::uint16_t port = 1; port < 2000; ++port) {
        const std::string_view name = service_name_view(Protocol::kTcp, port);
        if (port == 79) seen[index] = name;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string_view name : seen) EXPECT_EQ(name, seen.front());
}

}  // namespace
}  // namespace synscan::output
