#pragma once
/// The result model shared by the engine and the writers: nmap's port states and reasons.
#include <cstdint>
#include <ctime>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "output/service.hpp"

namespace synscan::output {

enum class Protocol : std::uint8_t { kTcp, kUdp };
enum class PortState : std::uint8_t { kOpen, kClosed, kFiltered, kOpenFiltered };

/// nmap's reason strings (reason.cc semantics); port_state() and icmp_error_reason() below map them.
enum class Reason : std::uint8_t {
  kSynAck,           ///< "syn-ack"
  kReset,            ///< "reset"
  kUdpResponse,      ///< "udp-response"
  kPortUnreach,      ///< "port-unreach"       ICMP 3/3
  kNetUnreach,       ///< "net-unreach"        ICMP 3/0
  kHostUnreach,      ///< "host-unreach"       ICMP 3/1
  kProtoUnreach,     ///< "proto-unreach"      ICMP 3/2
  kNetProhibited,    ///< "net-prohibited"     ICMP 3/9
  kHostProhibited,   ///< "host-prohibited"    ICMP 3/10
  kAdminProhibited,  ///< "admin-prohibited"   ICMP 3/13
  kTimeExceeded,     ///< "time-exceeded"      ICMP 11/x, ICMPv6 3/x
  kNoResponse,       ///< "no-response"
  // ICMPv6 destination unreachable words nmap has and ICMP has not; appended, so the values
  // above (state-table result codes, saved scans) keep their numbers.
  kNoRoute,          ///< "no-route"           ICMPv6 1/0
  kBeyondScope,      ///< "beyond-scope"       ICMPv6 1/2
  kRejectRoute,      ///< "reject-route"       ICMPv6 1/6
};
inline constexpr std::size_t kReasonCount = 15;

/// nmap -sS / -sU semantics: a port's state follows from the probe's protocol and the reason.
[[nodiscard]] constexpr PortState port_state(Protocol protocol, Reason reason) noexcept {
  switch (reason) {
    case Reason::kSynAck:
    case Reason::kUdpResponse:
      return PortState::kOpen;
    case Reason::kReset:
      return PortState::kClosed;
    case Reason::kPortUnreach:
      return protocol == Protocol::kUdp ? PortState::kClosed : PortState::kFiltered;
    case Reason::kNoResponse:
      return protocol == Protocol::kUdp ? PortState::kOpenFiltered : PortState::kFiltered;
    default:
      return PortState::kFiltered;
  }
}

/// The reason of an ICMP error quoting a probe: type 11 is time-exceeded, type 3's codes
/// (RFC 792/1122/1812) map to nmap's words. Codes nmap has no word for map to the nearest one:
/// unknown/isolated/TOS variants of host and net unreachable, precedence violations and
/// fragmentation-needed to admin-prohibited.
[[nodiscard]] constexpr Reason icmp_error_reason(std::uint8_t type, std::uint8_t code) noexcept {
  if (type == 11) return Reason::kTimeExceeded;
  switch (code) {
    case 0: case 6: case 11: return Reason::kNetUnreach;
    case 1: case 5: case 7: case 8: case 12: return Reason::kHostUnreach;
    case 2: return Reason::kProtoUnreach;
    case 3: return Reason::kPortUnreach;
    case 9: return Reason::kNetProhibited;
    case 10: return Reason::kHostProhibited;
    default: return Reason::kAdminProhibited;  // 4 (frag needed, DF), 13, 14, 15
  }
}

/// The reason of an ICMPv6 error quoting a probe (RFC 4443), with nmap's words: type 3 is
/// time-exceeded; type 1 code 0 no-route, 1 admin-prohibited, 2 beyond-scope, 3 (address
/// unreachable) host-unreach, 4 port-unreach, 5 (source address failed policy) admin-prohibited,
/// 6 reject-route. Codes nmap has no word for (7 source routing error, 8 headers too long, later
/// ones) map to host-unreach: the packet did not reach the host. Port unreachable means "closed"
/// for UDP only when the target itself sends it, as for IPv4 (the probe kind decides).
[[nodiscard]] constexpr Reason icmpv6_error_reason(std::uint8_t type, std::uint8_t code) noexcept {
  if (type == 3) return Reason::kTimeExceeded;
  switch (code) {
    case 0: return Reason::kNoRoute;
    case 1: case 5: return Reason::kAdminProhibited;
    case 2: return Reason::kBeyondScope;
    case 4: return Reason::kPortUnreach;
    case 6: return Reason::kRejectRoute;
    default: return Reason::kHostUnreach;  // 3 (address unreachable), 7, 8, ...
  }
}

[[nodiscard]] const char* to_string(Protocol protocol) noexcept;   ///< "tcp" / "udp"
[[nodiscard]] const char* to_string(PortState state) noexcept;     ///< "open", "open|filtered", ...
[[nodiscard]] const char* to_string(Reason reason) noexcept;       ///< nmap reason text

struct PortResult {
  std::uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
  PortState state = PortState::kFiltered;
  Reason reason = Reason::kNoResponse;
  std::uint8_t reason_ttl = 0;
};

/// One host's final results, ports sorted TCP ascending then UDP ascending.
struct HostResult {
  std::uint32_t address = 0;             ///< host byte order
  std::span<const PortResult> ports;
  std::time_t start_time = 0;            ///< first probe to this host (integer seconds)
  std::time_t end_time = 0;              ///< when the host's last port became final
  /// --banners: what the service stage learned, one entry per open TCP port it tried, by port.
  std::span<const ServiceFacts> services = {};
  /// Not empty: the host answers as if every port were open (a SYN proxy, a tarpit); says why.
  std::string_view fake_open = {};
};
/// The service facts of a TCP port in `host.services`; null when the stage did not try it.
[[nodiscard]] const ServiceFacts* service_of(const HostResult& host, std::uint16_t port) noexcept;
/// A port the fake-open mark applies to: an open TCP port of a marked host whose service never
/// answered (services that spoke behind a SYN proxy are real and stay unmarked).
[[nodiscard]] bool marked_fake_open(const HostResult& host, const PortResult& port) noexcept;
/// --open: the host without its marked ports (they are not services); `kept` holds the ports.
[[nodiscard]] HostResult without_fake_open(const HostResult& host, std::vector<PortResult>& kept);
/// A host is up (and gets a record) when any port had a reply, i.e. reason != no-response.
[[nodiscard]] bool host_is_up(std::span<const PortResult> ports) noexcept;

/// Whether `--open` keeps a per-port record of this state (nmap lists open|filtered with --open).
[[nodiscard]] constexpr bool shown_with_open_only(PortState state) noexcept {
  return state == PortState::kOpen || state == PortState::kOpenFiltered;
}
/// The (reason, ttl) nmap would print in <status>: the first replying port's.
[[nodiscard]] PortResult host_status_reason(std::span<const PortResult> ports) noexcept;

struct ScanInfo {
  std::string scanner_version;           ///< "0.1.0"
  std::string command_line;              ///< argv joined, as typed
  std::time_t start_time = 0;
  std::vector<std::uint16_t> tcp_ports;  ///< sorted; empty when no TCP scan
  std::vector<std::uint16_t> udp_ports;  ///< sorted; empty when no UDP scan
  bool only_open = false;                ///< --open: list hosts/ports that are open (or open|filtered)
  bool banners = false;                  ///< --banners: open TCP ports carry service facts
};

struct ScanSummary {
  std::time_t end_time = 0;
  double elapsed_seconds = 0;            ///< < 0: not known (a converted file that stated none)
  std::uint64_t hosts_total = 0;         ///< addresses scanned
  std::uint64_t hosts_up = 0;
  bool interrupted = false;              ///< stopped early (signal); files still well-formed
};

}  // namespace synscan::output
