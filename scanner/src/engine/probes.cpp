#include "engine/probes.hpp"

#include <utility>

#include "net/ipv4_address.hpp"

namespace synscan::scanner::engine {

ProbeSet::ProbeSet(const packet::FrameAddressing& addressing, const packet::Cookie& cookie,
                   const PortList& ports, packet::UdpPayloadTable udp_payloads)
    : cookie_(cookie), tcp_syn_(addressing), udp_(addressing, std::move(udp_payloads), ports.udp) {
  for (auto& by_port : probe_of_port_) by_port.assign(65536, -1);
  const auto add = [&](ProbeKind kind, const std::vector<std::uint16_t>& kind_ports) {
    for (std::uint32_t index = 0; index < kind_ports.size(); ++index) {
      probe_of_port_[static_cast<std::size_t>(kind)][kind_ports[index]] =
          static_cast<std::int32_t>(probes_.size());
      probes_.push_back({kind, kind_ports[index], index});
    }
  };
  add(ProbeKind::kTcpSyn, ports.tcp);
  add(ProbeKind::kUdp, ports.udp);
}

std::string ProbeSet::bpf_filter(std::uint32_t source_ip, std::uint32_t source_count) const {
  // ICMP errors are matched on type only: their quote is validated in user space.
  const packet::SourcePortRange range = cookie_.source_ports();
  std::string destination = "ip dst host " + net::Ipv4Address(source_ip).to_string();
  if (source_count > 1) {  // a -S range: replies to any of it, and ARP requests for it
    destination = "(ip[16:4] >= " + std::to_string(source_ip) + " and ip[16:4] <= " +
                  std::to_string(source_ip + source_count - 1) + ")";
  }
  std::string filter = destination + " and ((" + TcpSynProbe::bpf_clause(range) + ") or (" +
                       UdpProbe::bpf_clause(range) + ") or (icmp and (icmp[0] == 3 or icmp[0] == 11)))";
  return source_count > 1 ? "(ip and " + filter + ") or (arp and arp[6:2] == 1)" : filter;
}

}  // namespace synscan::scanner::engine
