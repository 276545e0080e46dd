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

namespace synscan::output {

const ServiceFacts* service_of(const HostResult& host, std::uint16_t port) noexcept {
  const auto found = std::lower_bound(host.services.begin(), host.services.end(), port,
                                      [](const ServiceFacts& facts, std::uint16_t wanted) { return facts.port < wanted; });
  return found != host.services.end() && found->port == port ? &*found : nullptr;
}

bool marked_fake_open(const HostResult& host, const PortResult& port) noexcept {
  if (host.fake_open.empty() || port.protocol != Protocol::kTcp || port.state != PortState::kOpen) return false;
  const ServiceFacts* facts = service_of(host, port.port);
  return facts == nullptr || facts->outcome != "answered";
}

HostResult without_fake_open(const HostResult& host, std::vector<PortResult>& kept) {
  kept.clear();
  for (const PortResult& port : host.ports) {
    if (!marked_fake_open(host, port)) kept.push_back(port);
  }
  HostResult copy = host;
  copy.ports = kept;
  return copy;
}

}  // namespace synscan::output
