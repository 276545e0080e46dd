// The --top-ports ranking: synscan's own, written by hand. No scanner's frequency data was used
// (in particular not nmap-services, whose licence reaches programs that include it).
//
// Method (also in README, "Tools: diff, report, convert, merge, top ports"):
//   tier 1  every port of the product brief's service tables (web, file transfer, mail, remote
//           access, databases, network services, containers), in table order;
//   tier 2  services commonly exposed on enterprise, cloud and home networks, grouped by what
//           they do and ordered within a group by the project's judgment of how often a service
//           of that kind is deployed and how much it matters when found open: directory and
//           Windows, web alternates and admin consoles, remote access and VPN, files and storage,
//           mail and messaging, data stores and search, orchestration and monitoring, network
//           infrastructure, industrial control. Port numbers come from the IANA service-name
//           registry (CC0) or, where IANA has no or a stale entry, the software's documentation;
//   tier 3  other IANA well-known services still deployed, then registered ports of named,
//           widely deployed software (each named in a comment).
// Past the end of the list: the remaining ports 1-1024 ascending, then 1025-65535 ascending, so
// any count up to 65535 yields distinct ports. Port 0 is never returned (reserved; no stack
// accepts connections on it).
#include "output/top_ports.hpp"

#include <algorithm>
#include <array>
#include <bitset>
#include <iterator>

namespace synscan::output {
namespace {

constexpr std::uint16_t kTcpRanking[] = {
    // tier 1: the brief's tables, in table order
    80, 443, 8080, 8443, 20, 21, 22, 445, 25, 110, 143, 465, 587, 993, 995, 23, 3389, 5900, 1433,
    1521, 3306, 5432, 27017, 6379, 53, 2375, 2376, 6443, 10250, 2379, 2380,
    // tier 2: directory, authentication, Windows (RPC endpoint mapper, WinRM, MSMQ, dynamic RPC)
    88, 389, 636, 3268, 3269, 135, 139, 464, 593, 5985, 5986, 9389, 47001, 1801, 2103, 2105, 2107,
    5357, 2869, 49152, 49153, 49154, 49155, 49156, 49157,
    // web alternates, proxies, admin consoles
    8000, 8008, 8081, 8888, 9443, 3128, 1080, 8880, 10000, 9090, 3000, 5601, 8161, 4848, 7001, 7002,
    9000, 8001, 8002, 8009, 8010, 8082, 8083, 8084, 8085, 8088, 8089, 8090, 8091, 8180, 8181, 8280,
    8282, 8800, 8843, 8899, 9001, 9002, 9080, 9081, 4443, 5443, 7443, 10443, 8140, 8834, 9392, 7070,
    7080, 8100, 8300, 8400, 3001, 4000, 4200, 5000, 5001, 6060, 7777, 9999, 81, 82, 83, 84, 8222,
    8383, 8765, 8983, 591,
    // remote access and VPN
    2222, 5901, 5902, 5903, 5800, 1723, 1194, 3390, 5938, 6000, 6001, 512, 513, 514, 992, 5631,
    3283, 5555, 4899, 10001,
    // files and storage
    111, 2049, 873, 548, 9418, 3260, 2121, 989, 990, 115, 4045, 20048, 2000, 5005,
    // mail and messaging
    2525, 24, 106, 109, 119, 563, 5222, 5223, 5269, 5280, 6667, 6697, 1883, 8883, 5672, 5671, 15672,
    61616, 61613, 9092, 2181, 4222, 6222,
    // data stores and search
    1434, 2483, 2484, 1527, 3050, 5984, 6984, 7000, 7199, 9042, 9160, 9200, 9300, 11211, 8086,
    28017, 50000, 7474, 7687, 8529, 26257, 6380, 26379, 8123, 9004, 2424, 5433, 33060, 9201, 5044,
    // orchestration, service discovery, monitoring, logging
    2377, 7946, 10255, 10256, 10257, 10259, 10249, 2381, 4194, 9153, 9099, 6783, 8500, 8600, 8200,
    4646, 9093, 9091, 9094, 9100, 9101, 9102, 9103, 9115, 9182, 9187, 3100, 9411, 16686, 4317, 4318,
    2003, 2004, 601, 6514, 5666, 5667, 10050, 10051, 4369, 25672, 6080, 16443, 12443, 30000,
    // network infrastructure, printing, voice and media
    161, 179, 199, 515, 631, 5060, 5061, 554, 1720, 1935, 8291, 8728, 8729, 2601, 2604, 2605, 646,
    1985, 3478, 5349, 1900, 32400, 8096, 19999,
    // industrial control and building automation
    502, 102, 20000, 44818, 1911, 4911, 2404, 1962, 9600, 789, 47808,
    // tier 3a: other IANA well-known services still seen in the wild
    113,                                     // ident
    79, 7, 9, 13, 17, 19, 37,                // finger, echo, discard, daytime, qotd, chargen, time
    43, 49, 70, 1, 11, 42, 101,              // whois, tacacs, gopher, tcpmux, systat, nameserver,
                                             // hostname
    117, 118, 220, 264, 311, 366, 369, 371,  // uucp-path, sqlserv, imap3, bgmp, asip-webadmin,
                                             // odmr, rpc2portmap, clearcase
    383, 401, 427, 444, 458, 497, 500, 524,  // hp-alarm-mgr, ups, svrloc, snpp, appleqtc,
                                             // retrospect, isakmp, ncp
    540, 543, 544, 555, 625, 666, 683, 691,  // uucp, klogin, kshell, dsf, apple-xsrvr-admin,
                                             // doom, corba-iiop, msexch-routing
    700, 749, 765, 777, 783, 843, 901, 902,  // epp, kerberos-adm, webster, multiling-http,
                                             // spamd, flash policy, swat, vmware-auth
    994, 999,                                // ircs, garcon
    // tier 3b: registered ports of named, widely deployed software
    1025, 1026, 1027, 1028, 1029, 1030,  // Windows RPC dynamic range before Vista
    1311, 1352, 1414, 1494, 1688, 1755,  // Dell OpenManage, Lotus Notes, IBM MQ, Citrix ICA,
                                         // KMS activation, MMS streaming
    2082, 2083, 2086, 2087, 2095, 2096,  // cPanel / WHM / webmail (cPanel documentation)
    2401, 3690, 4040, 5190, 6346, 6566,  // cvspserver, svn, Spark UI, AIM, gnutella, sane
    6666, 6668, 6669, 8333, 9050, 9051,  // IRC, Bitcoin, Tor SOCKS and control
    16992, 16993, 25565, 27015,          // Intel AMT, Minecraft, Source game servers
};

constexpr std::uint16_t kUdpRanking[] = {
    // tier 1: the brief's tables
    53,
    67,
    68,
    69,
    123,
    161,
    162,
    514,
    // tier 2: name resolution and discovery
    137,
    138,
    5353,
    5355,
    1900,
    3702,
    427,
    1512,
    546,
    547,
    // VPN, tunnels, authentication
    500,
    4500,
    1194,
    1701,
    51820,
    1812,
    1813,
    1645,
    1646,
    88,
    464,
    389,
    3544,
    4789,
    8472,
    6081,
    2123,
    2152,
    // file, RPC, routing, backup
    111,
    2049,
    4045,
    20048,
    520,
    521,
    1985,
    3222,
    10080,
    // voice, video, web over QUIC, chat
    5060,
    5061,
    3478,
    1719,
    2427,
    2727,
    5004,
    5005,
    443,
    853,
    8767,
    9987,
    // management, monitoring, flow export, remote desktop
    623,
    10161,
    10162,
    2055,
    9995,
    9996,
    4739,
    6343,
    8125,
    12201,
    5351,
    5350,
    5246,
    5247,
    3389,
    3391,
    1604,
    5632,
    3283,
    17185,
    // IoT, industrial control, building automation
    5683,
    5684,
    47808,
    44818,
    2222,
    20000,
    30718,
    1911,
    // data stores that answer on UDP
    11211,
    1434,
    // games and peer to peer
    27015,
    27036,
    27960,
    3074,
    3659,
    2302,
    6881,
    // tier 3: small services and others seen open
    7,
    9,
    13,
    17,
    19,
    37,
    135,
    177,
    631,
    33434,
    49152,
    49153,
    32768,
    20031,
    31337,
};

// Every entry is a real port, listed once: a typo would otherwise silently shorten the ranking.
template <std::size_t N>
constexpr bool distinct_nonzero(const std::uint16_t (&ranking)[N]) {
  std::array<bool, 65536> seen{};
  for (const std::uint16_t port : ranking) {
    if (port == 0 || seen[port]) return false;
    seen[port] = true;
  }
  return true;
}
static_assert(distinct_nonzero(kTcpRanking), "kTcpRanking: a port is 0 or listed twice");
static_assert(distinct_nonzero(kUdpRanking), "kUdpRanking: a port is 0 or listed twice");
static_assert(std::size(kTcpRanking) >= 300 && std::size(kUdpRanking) >= 90,
              "the brief asks for a few hundred TCP and about a hundred UDP ports");

template <std::size_t N>
std::vector<std::uint16_t> ranked(const std::uint16_t (&ranking)[N], std::size_t count) {
  count = std::min<std::size_t>(count, 65535);
  std::vector<std::uint16_t> ports;
  ports.reserve(count);
  std::bitset<65536> taken;
  const auto add = [&](unsigned port) {
    if (ports.size() >= count || taken[port]) return;
    taken[port] = true;
    ports.push_back(static_cast<std::uint16_t>(port));
  };
  for (const std::uint16_t port : ranking) add(port);
  for (unsigned port = 1; port <= 1024 && ports.size() < count; ++port) add(port);
  for (unsigned port = 1025; port <= 65535 && ports.size() < count; ++port) add(port);
  return ports;
}

}  // namespace

std::vector<std::uint16_t> top_ports(Protocol protocol, std::size_t count) {
  return protocol == Protocol::kTcp ? ranked(kTcpRanking, count) : ranked(kUdpRanking, count);
}

std::size_t ranked_port_count(Protocol protocol) noexcept {
  return protocol == Protocol::kTcp ? std::size(kTcpRanking) : std::size(kUdpRanking);
}

const char* port_category(std::uint16_t port) noexcept {
  if (port < 1024) return "well-known";
  if (port < 49152) return "registered";
  return "dynamic";
}

}  // namespace synscan::output
