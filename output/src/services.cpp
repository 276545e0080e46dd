// Port -> service name, licence-clean.
//
// nmap's own nmap-services is under the Nmap Public Source License, which would reach synscan if
// we shipped or read it, so it is neither copied nor loaded. Names come from two clean sources:
//   1. kBuiltinServices below: IANA service names (the registry is CC0) or, where IANA has no
//      entry or a misleading one, the name the software itself uses. Deliberate choices:
//        - 6443/tcp "kube-apiserver": IANA lists "sun-sr-https" for 6443, which no one runs; the
//          port is the Kubernetes API server's, and "kube-apiserver" is that component's name.
//        - 10250/tcp "kubelet": no IANA entry; the Kubernetes component's name.
//        - 1521/tcp "oracle", 5900/tcp "vnc": the common names (IANA: ncube-lm, rfb).
//        - 8080/tcp "http-alt", 5353/udp "mdns": IANA / Debian names (nmap says http-proxy,
//        zeroconf).
//   2. The system services database (/etc/services through NSS), read once on first use.
// The built-in table wins so output does not depend on the host's netbase version for the ports
// the product documents.
#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "output/writers.hpp"

namespace synscan::output {
namespace {

struct BuiltinService {
  Protocol protocol;
  std::uint16_t port;
  std::string_view name;
};

constexpr std::uint32_t lookup_key(Protocol protocol, std::uint16_t port) {
  return (static_cast<std::uint32_t>(protocol) << 16) | port;
}

// Sorted by (protocol, port) for binary search; a static_assert below keeps it so.
constexpr BuiltinService kBuiltinServices[] = {
    {Protocol::kTcp, 20, "ftp-data"},
    {Protocol::kTcp, 21, "ftp"},
    {Protocol::kTcp, 22, "ssh"},
    {Protocol::kTcp, 23, "telnet"},
    {Protocol::kTcp, 25, "smtp"},
    {Protocol::kTcp, 53, "domain"},
    {Protocol::kTcp, 80, "http"},
    {Protocol::kTcp, 110, "pop3"},
    {Protocol::kTcp, 111, "rpcbind"},
    {Protocol::kTcp, 139, "netbios-ssn"},
    {Protocol::kTcp, 143, "imap"},
    {Protocol::kTcp, 443, "https"},
    {Protocol::kTcp, 445, "microsoft-ds"},
    {Protocol::kTcp, 465, "smtps"},
    {Protocol::kTcp, 587, "submission"},
    {Protocol::kTcp, 631, "ipp"},
    {Protocol::kTcp, 993, "imaps"},
    {Protocol::kTcp, 995, "pop3s"},
    {Protocol::kTcp, 1433, "ms-sql-s"},
    {Protocol::kTcp, 1521, "oracle"},
    {Protocol::kTcp, 2375, "docker"},
    {Protocol::kTcp, 2376, "docker-s"},
    {Protocol::kTcp, 2379, "etcd-client"},
    {Protocol::kTcp, 2380, "etcd-server"},
    {Protocol::kTcp, 3306, "mysql"},
    {Protocol::kTcp, 3389, "ms-wbt-server"},
    {Protocol::kTcp, 5060, "sip"},
    {Protocol::kTcp, 5432, "postgresql"},
    {Protocol::kTcp, 5900, "vnc"},
    {Protocol::kTcp, 6379, "redis"},
    {Protocol::kTcp, 6443, "kube-apiserver"},
    {Protocol::kTcp, 8080, "http-alt"},
    {Protocol::kTcp, 8443, "https-alt"},
    {Protocol::kTcp, 10250, "kubelet"},
    {Protocol::kTcp, 11211, "memcache"},
    {Protocol::kTcp, 27017, "mongodb"},
    {Protocol::kUdp, 53, "domain"},
    {Protocol::kUdp, 67, "bootps"},
    {Protocol::kUdp, 68, "bootpc"},
    {Protocol::kUdp, 69, "tftp"},
    {Protocol::kUdp, 111, "rpcbind"},
    {Protocol::kUdp, 123, "ntp"},
    {Protocol::kUdp, 137, "netbios-ns"},
    {Protocol::kUdp, 161, "snmp"},
    {Protocol::kUdp, 162, "snmptrap"},
    {Protocol::kUdp, 500, "isakmp"},
    {Protocol::kUdp, 514, "syslog"},
    {Protocol::kUdp, 1900, "ssdp"},
    {Protocol::kUdp, 5060, "sip"},
    {Protocol::kUdp, 5353, "mdns"},
};

constexpr bool builtin_table_sorted() {
  for (std::size_t i = 1; i < std::size(kBuiltinServices); ++i) {
    if (lookup_key(kBuiltinServices[i - 1].protocol, kBuiltinServices[i - 1].port) >=
        lookup_key(kBuiltinServices[i].protocol, kBuiltinServices[i].port)) {
      return false;
    }
  }
  return true;
}
static_assert(builtin_table_sorted(), "kBuiltinServices must be sorted by (protocol, port)");

std::string_view builtin_service(Protocol protocol, std::uint16_t port) noexcept {
  const std::uint32_t key = lookup_key(protocol, port);
  const auto* found = std::lower_bound(std::begin(kBuiltinServices), std::end(kBuiltinServices),
                                       key, [](const BuiltinService& entry, std::uint32_t wanted) {
                                         return lookup_key(entry.protocol, entry.port) < wanted;
                                       });
  if (found != std::end(kBuiltinServices) && lookup_key(found->protocol, found->port) == key) {
    return found->name;
  }
  return {};
}

// The system services database, flattened into a sorted table once.
//
// Loading walks the database a single time with getservent_r to learn which (port, protocol)
// pairs exist (a few hundred), then asks getservbyport_r for each, so every name is exactly what
// the libc lookup answers (first entry wins, NSS order respected) — without 131072
// getservbyport_r calls, each of which re-reads /etc/services.
class SystemServices {
 public:
  static const SystemServices& instance() {
    // A function-local static is initialised exactly once, thread-safely (C++11 [stmt.dcl]); this
    // also serialises setservent/getservent_r/endservent, which share libc state.
    static const SystemServices loaded;
    return loaded;
  }

  [[nodiscard]] std::string_view find(Protocol protocol, std::uint16_t port) const noexcept {
    const std::uint32_t key = lookup_key(protocol, port);
    const auto found = std::lower_bound(
        entries_.begin(), entries_.end(), key,
        [](const Entry& entry, std::uint32_t wanted) { return entry.key < wanted; });
    if (found != entries_.end() && found->key == key) return found->name;
    return {};
  }

 private:
  struct Entry {
    std::uint32_t key;
    std::string name;
  };

  SystemServices() {
    std::vector<std::uint32_t> keys = enumerate_keys();
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    entries_.reserve(keys.size());
    for (const std::uint32_t key : keys) {
      const auto protocol = static_cast<Protocol>(key >> 16);
      const auto port = static_cast<std::uint16_t>(key & 0xffffU);
      std::string name = lookup_by_port(protocol, port);
      if (!name.empty()) entries_.push_back(Entry{key, std::move(name)});
    }
  }

  static std::vector<std::uint32_t> enumerate_keys() {
    std::vector<std::uint32_t> keys;
    std::array<char, 4096> buffer{};
    servent entry{};
    servent* result = nullptr;
    ::setservent(0);
    while (::getservent_r(&entry, buffer.data(), buffer.size(), &result) == 0 &&
           result != nullptr) {
      const auto port = static_cast<std::uint16_t>(ntohs(static_cast<std::uint16_t>(entry.s_port)));
      const std::string_view protocol = entry.s_proto != nullptr ? entry.s_proto : "";
      if (protocol == "tcp") keys.push_back(lookup_key(Protocol::kTcp, port));
      if (protocol == "udp") keys.push_back(lookup_key(Protocol::kUdp, port));
    }
    ::endservent();
    return keys;
  }

  static std::string lookup_by_port(Protocol protocol, std::uint16_t port) {
    std::array<char, 4096> buffer{};
    servent entry{};
    servent* result = nullptr;
    if (::getservbyport_r(static_cast<int>(htons(port)), to_string(protocol), &entry, buffer.data(),
                          buffer.size(), &result) != 0 ||
        result == nullptr || result->s_name == nullptr) {
      return {};
    }
    return result->s_name;
  }

  std::vector<Entry> entries_;  // sorted by key
};

}  // namespace

std::string_view service_name_view(Protocol protocol, std::uint16_t port) noexcept {
  const std::string_view builtin = builtin_service(protocol, port);
  if (!builtin.empty()) return builtin;
  try {
    return SystemServices::instance().find(protocol, port);
  } catch (...) {
    // Loading can only fail by running out of memory; a missing name is harmless in output.
    return {};
  }
}

std::string service_name(Protocol protocol, std::uint16_t port) {
  return std::string(service_name_view(protocol, port));
}

}  // namespace synscan::output
