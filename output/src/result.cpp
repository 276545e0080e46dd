// The result model's text forms and host-level derivations (result.hpp).
#include "output/result.hpp"

#include <algorithm>

namespace synscan::output {

const char* to_string(Protocol protocol) noexcept {
  switch (protocol) {
    case Protocol::kTcp:
      return "tcp";
    case Protocol::kUdp:
      return "udp";
  }
  return "tcp";
}

const char* to_string(PortState state) noexcept {
  switch (state) {
    case PortState::kOpen:
      return "open";
    case PortState::kClosed:
      return "closed";
    case PortState::kFiltered:
      return "filtered";
    case PortState::kOpenFiltered:
      return "open|filtered";  // nmap's own spelling, '|' included, in every format
  }
  return "unknown";
}

const char* to_string(Reason reason) noexcept {
  // nmap's singular reason texts; the XML writes the singular even for summaries of many ports.
  switch (reason) {
    case Reason::kSynAck:
      return "syn-ack";
    case Reason::kReset:
      return "reset";
    case Reason::kUdpResponse:
      return "udp-response";
    case Reason::kPortUnreach:
      return "port-unreach";
    case Reason::kNetUnreach:
      return "net-unreach";
    case Reason::kHostUnreach:
      return "host-unreach";
    case Reason::kProtoUnreach:
      return "proto-unreach";
    case Reason::kNetProhibited:
      return "net-prohibited";
    case Reason::kHostProhibited:
      return "host-prohibited";
    case Reason::kAdminProhibited:
      return "admin-prohibited";
    case Reason::kTimeExceeded:
      return "time-exceeded";
    case Reason::kNoResponse:
      return "no-response";
    case Reason::kNoRoute:
      return "no-route";
    case Reason::kBeyondScope:
      return "beyond-scope";
    case Reason::kRejectRoute:
      return "reject-route";
  }
  return "unknown";
}

bool host_is_up(std::span<const PortResult> ports) noexcept {
  return std::any_of(ports.begin(), ports.end(),
                     [](const PortResult& port) { return port.reason != Reason::kNoResponse; });
}

PortResult host_status_reason(std::span<const PortResult> ports) noexcept {
  const auto replied = std::find_if(ports.begin(), ports.end(), [](const PortResult& port) {
    return port.reason != Reason::kNoResponse;
  });
  if (replied != ports.end()) return *replied;
  return PortResult{};  // nobody answered: "no-response", ttl 0
}

}  // namespace synscan::output
